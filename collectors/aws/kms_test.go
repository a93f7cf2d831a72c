package aws

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestKMSDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	golden(t, "aws_kms.json", byNativeType(res.Resources, "AWS::KMS::"))
	if gaps := gapsOf(res.Gaps, "kms"); len(gaps) != 0 {
		t.Errorf("unexpected kms gaps: %v", gaps)
	}
}

// keyEstate holds four keys in us-east-1, so the server's page size of 2
// takes two pages: k1 a customer key with rotation on and the default
// policy, k2 an asymmetric customer key (rotation not applicable), k3 an
// AWS managed key, k4 a customer key whose policy does not parse.
var keyEstate = map[string]string{
	"account.json": pagingEstate["account.json"],
	"kms.json": `{"keys": [
		{"region": "us-east-1", "id": "k1", "aliases": ["alias/b", "alias/a"], "rotation": true, "tags": {"team": "a"}, "created_time": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "id": "k2", "key_spec": "RSA_2048", "created_time": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "id": "k3", "manager": "AWS", "aliases": ["alias/aws/sqs"], "created_time": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "id": "k4", "state": "Disabled", "policy": "{\"Statement\": []", "created_time": "2026-01-01T00:00:00Z"}
	]}`,
}

// summarizeKey is one line per key.
func summarizeKey(r inventory.Resource) string {
	k := r.Key
	s := r.Name + " manager=" + k.Manager + " state=" + k.State
	switch {
	case k.PolicyUnknown:
		s += " policy=unknown"
	case k.Policy == nil:
		s += " policy=none"
	default:
		s += " statements=" + strconv.Itoa(len(k.Policy.Statements))
	}
	if k.RotationEnabled != nil {
		s += " rotation=" + strconv.FormatBool(*k.RotationEnabled)
	}
	if len(r.Tags) > 0 {
		s += " team=" + r.Tags["team"]
	}
	return s
}

func TestKMSKeys(t *testing.T) {
	const arn = "arn:aws:kms:us-east-1:111122223333:key/"
	malformed := inventory.Gap{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "kms",
		Operation: "GetKeyPolicy", Resource: arn + "k4", Reason: inventory.GapMalformed}
	perKey := func(op string, reason inventory.GapReason, keys ...string) []inventory.Gap {
		var out []inventory.Gap
		for _, k := range keys {
			out = append(out, inventory.Gap{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "kms",
				Operation: op, Resource: arn + k, Reason: reason})
		}
		return out
	}
	all := []string{
		"alias/a manager=customer state=Enabled statements=1 rotation=true team=a",
		"alias/aws/sqs manager=provider state=Enabled statements=1",
		"k2 manager=customer state=Enabled statements=1",
		"k4 manager=customer state=Disabled policy=unknown rotation=false",
	}
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		got    []string
	}{
		{name: "all read; a malformed policy is unknown", want: []inventory.Gap{malformed}, got: all},
		{
			name:   "ListKeys denied",
			faults: []emulator.Fault{{Service: "kms", Action: "ListKeys", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "kms",
				Operation: "ListKeys", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "GetKeyPolicy denied: policies unknown, keys kept",
			faults: []emulator.Fault{{Service: "kms", Action: "GetKeyPolicy", Kind: emulator.FaultDenied}},
			want:   perKey("GetKeyPolicy", inventory.GapAccessDenied, "k1", "k2", "k3", "k4"),
			got: []string{
				"alias/a manager=customer state=Enabled policy=unknown rotation=true team=a",
				"alias/aws/sqs manager=provider state=Enabled policy=unknown",
				"k2 manager=customer state=Enabled policy=unknown",
				"k4 manager=customer state=Disabled policy=unknown rotation=false",
			},
		},
		{
			name:   "DescribeKey denied: manager unknown, policy still read",
			faults: []emulator.Fault{{Service: "kms", Action: "DescribeKey", Kind: emulator.FaultDenied}},
			want:   append(perKey("DescribeKey", inventory.GapAccessDenied, "k1", "k2", "k3", "k4"), malformed),
			got: []string{
				"alias/a manager= state= statements=1",
				"alias/aws/sqs manager= state= statements=1",
				"k2 manager= state= statements=1",
				"k4 manager= state= policy=unknown",
			},
		},
		{
			name:   "GetKeyRotationStatus denied: rotation unknown",
			faults: []emulator.Fault{{Service: "kms", Action: "GetKeyRotationStatus", Kind: emulator.FaultDenied}},
			want:   append(perKey("GetKeyPolicy", inventory.GapMalformed, "k4"), perKey("GetKeyRotationStatus", inventory.GapAccessDenied, "k1", "k4")...),
			got: []string{
				"alias/a manager=customer state=Enabled statements=1 team=a",
				"alias/aws/sqs manager=provider state=Enabled statements=1",
				"k2 manager=customer state=Enabled statements=1",
				"k4 manager=customer state=Disabled policy=unknown",
			},
		},
		{
			name:   "ListAliases denied: keys named by id",
			faults: []emulator.Fault{{Service: "kms", Action: "ListAliases", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{malformed, {Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "kms",
				Operation: "ListAliases", Reason: inventory.GapAccessDenied}},
			got: []string{
				"k1 manager=customer state=Enabled statements=1 rotation=true team=a",
				"k2 manager=customer state=Enabled statements=1",
				"k3 manager=provider state=Enabled statements=1",
				"k4 manager=customer state=Disabled policy=unknown rotation=false",
			},
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "kms", Kind: emulator.FaultThrottle, Times: 3}},
			want:   []inventory.Gap{malformed},
			got:    all,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, srv := scanEstate(t, writeEstate(t, keyEstate), emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}, MaxAttempts: 4})
			if tt.faults == nil {
				if n := srv.Requests("kms", "ListKeys"); n != 2 {
					t.Errorf("ListKeys was called %d times, want 2 (two pages)", n)
				}
				// Rotation is read for the symmetric customer keys only.
				if n := srv.Requests("kms", "GetKeyRotationStatus"); n != 2 {
					t.Errorf("GetKeyRotationStatus was called %d times, want 2 (k1, k4)", n)
				}
			}
			gaps := slices.Clone(res.Gaps)
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message = ""
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			var got []string
			for _, r := range res.Resources {
				if r.Key != nil {
					got = append(got, summarizeKey(r))
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(got, tt.got); diff != "" {
				t.Errorf("keys (-got +want):\n%s", diff)
			}
		})
	}
}
