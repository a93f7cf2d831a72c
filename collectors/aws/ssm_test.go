package aws

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

// patchSummaries render each instance's patch state in one line.
func patchSummaries(rs []inventory.Resource) []string {
	var out []string
	for _, r := range rs {
		if r.Instance == nil {
			continue
		}
		id := r.ID[strings.LastIndex(r.ID, "/")+1:]
		p := r.Instance.Patches
		switch {
		case p == nil:
			out = append(out, id+" nil")
		case p.Unknown:
			out = append(out, id+" unknown")
		default:
			out = append(out, fmt.Sprintf("%s missing=%d failed=%d critical=%d security=%d", id, p.Missing, p.Failed, p.CriticalNonCompliant, p.SecurityNonCompliant))
		}
	}
	slices.Sort(out)
	return out
}

// TestSSMDemo: web-1 misses critical security patches; its twins web-2
// and web-3 are compliant; the bastion and win-rdp are not managed by
// Systems Manager, so they have no patch state.
func TestSSMDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	type state struct {
		ID      string                     `json:"id"`
		Patches *inventory.PatchCompliance `json:"patches"`
	}
	var got []state
	for _, r := range res.Resources {
		switch {
		case r.Instance != nil && r.Instance.Patches != nil:
			got = append(got, state{r.ID, r.Instance.Patches})
		case r.Name == "web-1" || r.Name == "web-2-imdsv2" || r.Name == "web-3-private":
			t.Errorf("%s has no patch state", r.Name)
		}
	}
	golden(t, "aws_ssm.json", got)
	if gaps := gapsOf(res.Gaps, "ssm"); len(gaps) != 0 {
		t.Errorf("unexpected ssm gaps: %v", gaps)
	}
}

func TestSSMPagination(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	// Four managed nodes (one hybrid), and the patch states of the three
	// EC2 instances among them: two pages each.
	for _, action := range []string{"DescribeInstanceInformation", "DescribeInstancePatchStates"} {
		if n := srv.Requests("ssm", action); n != 2 {
			t.Errorf("ssm %s was called %d times, want 2", action, n)
		}
	}
	// i-4 is not managed; the hybrid node mi-… is not an EC2 instance.
	want := []string{"i-1 missing=4 failed=1 critical=3 security=4", "i-2 missing=0 failed=0 critical=0 security=0", "i-3 missing=1 failed=0 critical=0 security=0", "i-4 nil"}
	if diff := cmp.Diff(patchSummaries(res.Resources), want); diff != "" {
		t.Errorf("patch states (-got +want):\n%s", diff)
	}
	for _, r := range res.Resources {
		if r.ID == instanceARN("i-1") {
			wantP := &inventory.PatchCompliance{Source: "aws.ssm", Missing: 4, Failed: 1, PendingReboot: 2, CriticalNonCompliant: 3,
				SecurityNonCompliant: 4, ScannedAt: at(t, "2026-10-31T01:05:00Z")}
			if diff := cmp.Diff(r.Instance.Patches, wantP); diff != "" {
				t.Errorf("i-1 (-got +want):\n%s", diff)
			}
		}
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

// TestSSMBatches: DescribeInstancePatchStates takes at most 50 instance
// ids (the emulator refuses more, as AWS does), so 51 managed instances
// take two batches.
func TestSSMBatches(t *testing.T) {
	var instances, managed []string
	for i := range 51 {
		id := fmt.Sprintf("i-%03d", i)
		instances = append(instances, `{"instance_id": "`+id+`", "instance_type": "t3.micro", "state": "running", "image_id": "ami-1", "launch_time": "2026-01-01T00:00:00.000Z"}`)
		managed = append(managed, `{"region": "us-east-1", "instance_id": "`+id+`", "last_ping": "2026-10-31T00:00:00Z",
			"patch_state": {"installed": 1, "missing": 0, "failed": 0, "operation_start": "2026-10-31T01:00:00Z", "operation_end": "2026-10-31T01:05:00Z"}}`)
	}
	estate := map[string]string{
		"account.json": pagingEstate["account.json"],
		"ec2.json":     `{"regions": {"us-east-1": {"instances": [` + strings.Join(instances, ",") + `]}}}`,
		"ssm.json":     `{"instances": [` + strings.Join(managed, ",") + `]}`,
	}
	res, srv := scanEstate(t, writeEstate(t, estate), emulator.Options{PageSize: 100}, Options{Regions: []string{"us-east-1"}})
	if n := srv.Requests("ssm", "DescribeInstancePatchStates"); n != 2 {
		t.Errorf("DescribeInstancePatchStates was called %d times, want 2 (50 ids, then 1)", n)
	}
	n := 0
	for _, r := range res.Resources {
		if r.Instance != nil && r.Instance.Patches != nil && !r.Instance.Patches.Unknown {
			n++
		}
	}
	if n != 51 {
		t.Errorf("%d instances have a patch state, want 51", n)
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

func TestSSMFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		got    []string
	}{
		{
			name:   "DescribeInstanceInformation denied: every instance of the region unknown, not unmanaged",
			faults: []emulator.Fault{{Service: "ssm", Action: "DescribeInstanceInformation", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "ssm",
				Operation: "DescribeInstanceInformation", Reason: inventory.GapAccessDenied}},
			got: []string{"i-1 unknown", "i-2 unknown", "i-3 unknown", "i-4 unknown"},
		},
		{
			name:   "DescribeInstancePatchStates denied: managed instances unknown",
			faults: []emulator.Fault{{Service: "ssm", Action: "DescribeInstancePatchStates", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "ssm",
				Operation: "DescribeInstancePatchStates", Reason: inventory.GapAccessDenied}},
			got: []string{"i-1 unknown", "i-2 unknown", "i-3 unknown", "i-4 nil"},
		},
		{
			name:   "DescribeInstancePatchStates throttled within retries",
			faults: []emulator.Fault{{Service: "ssm", Action: "DescribeInstancePatchStates", Kind: emulator.FaultThrottle, Times: 2}},
			got:    []string{"i-1 missing=4 failed=1 critical=3 security=4", "i-2 missing=0 failed=0 critical=0 security=0", "i-3 missing=1 failed=0 critical=0 security=0", "i-4 nil"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}, MaxAttempts: 3})
			gaps := slices.Clone(gapsOf(res.Gaps, "ssm"))
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message = ""
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(patchSummaries(res.Resources), tt.got); diff != "" {
				t.Errorf("patch states (-got +want):\n%s", diff)
			}
			if others := len(res.Gaps) - len(gaps); others != 0 {
				t.Errorf("%d gaps of other services, want none: %v", others, res.Gaps)
			}
		})
	}
}
