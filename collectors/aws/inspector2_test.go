package aws

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

// scannerEstate holds, in us-east-1, four instances (i-1 to i-3 managed
// by Systems Manager and scanned by Inspector, i-4 neither), one function
// and three clusters: with the server's page size of 2, every list takes
// two pages or more.
var scannerEstate = map[string]string{
	"account.json": pagingEstate["account.json"],
	"ec2.json": `{"regions": {"us-east-1": {"instances": [
		{"instance_id": "i-1", "instance_type": "t3.micro", "state": "running", "image_id": "ami-1", "launch_time": "2026-01-01T00:00:00.000Z"},
		{"instance_id": "i-2", "instance_type": "t3.micro", "state": "running", "image_id": "ami-1", "launch_time": "2026-01-01T00:00:00.000Z"},
		{"instance_id": "i-3", "instance_type": "t3.micro", "state": "stopped", "image_id": "ami-1", "launch_time": "2026-01-01T00:00:00.000Z"},
		{"instance_id": "i-4", "instance_type": "t3.micro", "state": "running", "image_id": "ami-1", "launch_time": "2026-01-01T00:00:00.000Z"}
	]}}}`,
	"lambda.json": `{"functions": [
		{"region": "us-east-1", "name": "f1", "runtime": "nodejs20.x", "role": "r", "last_modified": "2026-01-01T00:00:00Z"}
	]}`,
	"inspector2.json": `{"regions": {"us-east-1": {
		"coverage": [
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-1", "last_scanned_at": "2026-10-30T01:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-2", "last_scanned_at": "2026-10-30T02:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-3", "status": "INACTIVE", "reason": "EC2_INSTANCE_STOPPED"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-4", "status": "INACTIVE", "reason": "UNMANAGED_EC2_INSTANCE"},
			{"resource_type": "AWS_LAMBDA_FUNCTION", "resource_id": "f1", "last_scanned_at": "2026-10-30T03:00:00Z"}
		],
		"findings": [
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-1", "cve": "CVE-2021-44228", "severity": "CRITICAL", "inspector_score": 10,
			 "packages": [{"name": "log4j-core", "version": "2.14.1", "fixed_in": "2.17.1", "package_manager": "JAR"}], "fix_available": "YES",
			 "first_observed_at": "2026-03-01T00:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-1", "cve": "CVE-2023-0001", "severity": "UNTRIAGED",
			 "cvss": [{"source": "GHSA", "version": "3.1", "base_score": 5.0}, {"source": "NVD", "version": "2.0", "base_score": 4.0}, {"source": "NVD", "version": "3.1", "base_score": 6.1}],
			 "packages": [{"name": "openssl", "version": "1.0.2k", "release": "24.amzn2", "epoch": 1}, {"name": "openssl-libs", "version": "1.0.2k"}],
			 "fix_available": "PARTIAL", "first_observed_at": "2026-03-02T00:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-2", "cve": "CVE-2023-0002", "severity": "LOW", "inspector_score": 3.1,
			 "packages": [{"name": "curl", "version": "7.79.1"}], "fix_available": "NO", "first_observed_at": "2026-03-03T00:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-2", "cve": "CVE-2023-0003", "severity": "HIGH", "status": "SUPPRESSED",
			 "packages": [{"name": "bash", "version": "4.2.46"}], "first_observed_at": "2026-03-03T00:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-3", "cve": "CVE-2023-0004", "severity": "MEDIUM", "inspector_score": 5.5,
			 "packages": [{"name": "vim", "version": "9.0"}], "fix_available": "YES", "first_observed_at": "2026-03-04T00:00:00Z"},
			{"resource_type": "AWS_EC2_INSTANCE", "resource_id": "i-9", "cve": "CVE-2023-0005", "severity": "LOW",
			 "packages": [{"name": "zlib", "version": "1.2.7"}], "first_observed_at": "2026-03-05T00:00:00Z"},
			{"resource_type": "AWS_LAMBDA_FUNCTION", "resource_id": "f1", "cve": "CVE-2023-32681", "severity": "MEDIUM", "inspector_score": 6.1,
			 "packages": [{"name": "requests", "version": "2.28.1", "fixed_in": "2.31.0", "package_manager": "PIP"}], "fix_available": "YES",
			 "first_observed_at": "2026-03-06T00:00:00Z"}
		]
	}}}`,
	"ssm.json": `{"instances": [
		{"region": "us-east-1", "instance_id": "i-1", "last_ping": "2026-10-31T00:00:00Z",
		 "patch_state": {"installed": 10, "missing": 4, "failed": 1, "installed_pending_reboot": 2, "critical_non_compliant": 3, "security_non_compliant": 4,
		  "operation_start": "2026-10-31T01:00:00Z", "operation_end": "2026-10-31T01:05:00Z"}},
		{"region": "us-east-1", "instance_id": "i-2", "last_ping": "2026-10-31T00:00:00Z",
		 "patch_state": {"installed": 14, "missing": 0, "failed": 0, "operation_start": "2026-10-31T02:00:00Z", "operation_end": "2026-10-31T02:05:00Z"}},
		{"region": "us-east-1", "instance_id": "i-3", "last_ping": "2026-10-31T00:00:00Z",
		 "patch_state": {"installed": 14, "missing": 1, "failed": 0, "operation_start": "2026-10-31T03:00:00Z", "operation_end": "2026-10-31T03:05:00Z"}},
		{"region": "us-east-1", "instance_id": "mi-0123456789abcdef0", "resource_type": "ManagedInstance", "last_ping": "2026-10-31T00:00:00Z",
		 "patch_state": {"installed": 1, "missing": 9, "failed": 0, "operation_start": "2026-10-31T03:00:00Z", "operation_end": "2026-10-31T03:05:00Z"}}
	]}`,
	"eks.json": `{"clusters": [
		{"region": "us-east-1", "name": "a", "version": "1.24", "role": "eks-role", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"],
		 "endpoint_public_access": true, "created_at": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "name": "b", "version": "1.35", "role": "eks-role", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"],
		 "endpoint_public_access": true, "endpoint_private_access": true, "public_access_cidrs": ["198.51.100.0/24"], "created_at": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "name": "c", "version": "1.33", "role": "eks-role", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1"],
		 "endpoint_private_access": true, "created_at": "2026-01-01T00:00:00Z"}
	]}`,
}

// at parses an RFC 3339 time of a test.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// instanceARN is the id the ec2 table gives instance id of the test
// account in us-east-1.
func instanceARN(id string) string { return "arn:aws:ec2:us-east-1:111122223333:instance/" + id }

// vulnSummary renders a resource's scanner report in one line: "nil",
// "unknown", and the findings' CVEs.
func vulnSummary(r inventory.Resource) string {
	v := r.Vulnerabilities
	if v == nil {
		return r.Name + " nil"
	}
	s := r.Name
	if v.Unknown {
		s += " unknown"
	}
	for _, f := range v.Findings {
		s += " " + f.CVE
	}
	if len(v.Findings) == 0 && !v.Unknown {
		s += " none"
	}
	return s
}

// vulnSummaries are the summaries of every instance and function.
func vulnSummaries(rs []inventory.Resource) []string {
	var out []string
	for _, r := range rs {
		if r.Kind == inventory.KindInstance || r.Kind == inventory.KindFunction {
			name := r.Name
			if name == "" {
				name = r.ID[strings.LastIndexAny(r.ID, "/:")+1:]
			}
			r.Name = name
			out = append(out, vulnSummary(r))
		}
	}
	slices.Sort(out)
	return out
}

// TestInspectorDemo: the demo's Inspector findings on its instances and
// functions. web-1 (public, IMDSv1, admin role) has the KEV-listed
// CVE-2024-1086 with a fix and a medium curl CVE; its private twin web-3
// one low libcurl CVE; web-2's kernel finding is CLOSED, so it has none;
// the bastion and win-rdp are known to Inspector but not scanned (no SSM
// agent), so no scanner reported on them and the golden leaves them out.
func TestInspectorDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	type report struct {
		ID              string                     `json:"id"`
		Vulnerabilities *inventory.Vulnerabilities `json:"vulnerabilities"`
	}
	var got []report
	for _, r := range res.Resources {
		switch {
		case r.Vulnerabilities != nil:
			got = append(got, report{r.ID, r.Vulnerabilities})
		case r.Name == "web-1" || r.Name == "web-3-private" || r.Name == "orders-api":
			t.Errorf("%s has no scanner report", r.Name)
		}
	}
	golden(t, "aws_inspector2.json", got)
	if gaps := gapsOf(res.Gaps, "inspector2"); len(gaps) != 0 {
		t.Errorf("unexpected inspector2 gaps: %v", gaps)
	}
}

func TestInspectorPagination(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	for _, c := range []struct {
		action string
		want   int
	}{{"ListCoverage", 3}, {"ListFindings", 3}, {"BatchGetAccountStatus", 1}} {
		if n := srv.Requests("inspector2", c.action); n != c.want {
			t.Errorf("inspector2 %s was called %d times, want %d", c.action, n, c.want)
		}
	}
	// i-3 is stopped: not scanned now, its open finding still reported;
	// i-4 is not scanned at all; i-9's finding has no collected instance.
	want := []string{"f1 CVE-2023-32681", "i-1 CVE-2021-44228 CVE-2023-0001", "i-2 CVE-2023-0002", "i-3 CVE-2023-0004", "i-4 nil"}
	if diff := cmp.Diff(vulnSummaries(res.Resources), want); diff != "" {
		t.Errorf("reports (-got +want):\n%s", diff)
	}
	for _, r := range res.Resources {
		if r.ID != instanceARN("i-1") {
			continue
		}
		yes := true
		wantV := &inventory.Vulnerabilities{Source: inventory.ScannerInspector, ScannedAt: at(t, "2026-10-30T01:00:00Z"), Findings: []inventory.Vulnerability{
			{CVE: "CVE-2021-44228", Severity: "critical", CVSS: 10, Package: "log4j-core 2.14.1", FixAvailable: &yes, FirstObserved: at(t, "2026-03-01T00:00:00Z")},
			// No Inspector score: the NVD CVSS v3.1 score; PARTIAL is a fix.
			{CVE: "CVE-2023-0001", Severity: "untriaged", CVSS: 6.1, Package: "openssl 1.0.2k-24.amzn2", FixAvailable: &yes, FirstObserved: at(t, "2026-03-02T00:00:00Z")},
		}}
		if diff := cmp.Diff(r.Vulnerabilities, wantV); diff != "" {
			t.Errorf("i-1 (-got +want):\n%s", diff)
		}
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

// withInspector writes scannerEstate with EC2 and Lambda scanning in
// us-east-1 set to the statuses given (its coverage and findings kept).
func withInspector(t *testing.T, ec2, lambda string) string {
	t.Helper()
	files := maps.Clone(scannerEstate)
	files["inspector2.json"] = strings.Replace(scannerEstate["inspector2.json"], `"us-east-1": {`,
		fmt.Sprintf(`"us-east-1": {"ec2": %q, "lambda": %q,`, ec2, lambda), 1)
	return writeEstate(t, files)
}

func TestInspectorFaults(t *testing.T) {
	tests := []struct {
		name   string
		estate func(t *testing.T) string
		faults []emulator.Fault
		want   []inventory.Gap // Message compared when set
		got    []string
		// noLists: ListCoverage and ListFindings must not be called.
		noLists bool
	}{
		{
			name:   "EC2 scanning not enabled: gap, instances have no report",
			estate: func(t *testing.T) string { return withInspector(t, "DISABLED", "ENABLED") },
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
				Operation: "BatchGetAccountStatus", Reason: inventory.GapRegionDisabled,
				Message: "Inspector2 not enabled for EC2 in 111122223333/us-east-1 (status DISABLED)"}},
			got: []string{"f1 CVE-2023-32681", "i-1 nil", "i-2 nil", "i-3 nil", "i-4 nil"},
		},
		{
			name:   "Inspector off: two gaps and no list call",
			estate: func(t *testing.T) string { return withInspector(t, "SUSPENDED", "DISABLED") },
			want: []inventory.Gap{
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
					Operation: "BatchGetAccountStatus", Reason: inventory.GapRegionDisabled,
					Message: "Inspector2 not enabled for EC2 in 111122223333/us-east-1 (status SUSPENDED)"},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
					Operation: "BatchGetAccountStatus", Reason: inventory.GapRegionDisabled,
					Message: "Inspector2 not enabled for Lambda in 111122223333/us-east-1 (status DISABLED)"},
			},
			got:     []string{"f1 nil", "i-1 nil", "i-2 nil", "i-3 nil", "i-4 nil"},
			noLists: true,
		},
		{
			name:   "ListFindings denied: covered resources unknown",
			faults: []emulator.Fault{{Service: "inspector2", Action: "ListFindings", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
				Operation: "ListFindings", Reason: inventory.GapAccessDenied}},
			got: []string{"f1 unknown", "i-1 unknown", "i-2 unknown", "i-3 nil", "i-4 nil"},
		},
		{
			name:   "ListCoverage denied: every instance and function unknown",
			faults: []emulator.Fault{{Service: "inspector2", Action: "ListCoverage", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
				Operation: "ListCoverage", Reason: inventory.GapAccessDenied}},
			got: []string{"f1 CVE-2023-32681", "i-1 CVE-2021-44228 CVE-2023-0001", "i-2 CVE-2023-0002", "i-3 CVE-2023-0004", "i-4 unknown"},
		},
		{
			name:   "BatchGetAccountStatus denied: coverage decides",
			faults: []emulator.Fault{{Service: "inspector2", Action: "BatchGetAccountStatus", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
				Operation: "BatchGetAccountStatus", Reason: inventory.GapAccessDenied}},
			got: []string{"f1 CVE-2023-32681", "i-1 CVE-2021-44228 CVE-2023-0001", "i-2 CVE-2023-0002", "i-3 CVE-2023-0004", "i-4 nil"},
		},
		{
			name:   "ListFindings throttled within retries",
			faults: []emulator.Fault{{Service: "inspector2", Action: "ListFindings", Kind: emulator.FaultThrottle, Times: 2}},
			got:    []string{"f1 CVE-2023-32681", "i-1 CVE-2021-44228 CVE-2023-0001", "i-2 CVE-2023-0002", "i-3 CVE-2023-0004", "i-4 nil"},
		},
		{
			name:   "ListFindings throttled past retries: a throttled gap, unknown",
			faults: []emulator.Fault{{Service: "inspector2", Action: "ListFindings", Kind: emulator.FaultThrottle}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "inspector2",
				Operation: "ListFindings", Reason: inventory.GapThrottled}},
			got: []string{"f1 unknown", "i-1 unknown", "i-2 unknown", "i-3 nil", "i-4 nil"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			estate := writeEstate(t, scannerEstate)
			if tt.estate != nil {
				estate = tt.estate(t)
			}
			res, srv := scanEstate(t, estate, emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}, MaxAttempts: 3})
			gaps := slices.Clone(gapsOf(res.Gaps, "inspector2"))
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				if i < len(tt.want) && tt.want[i].Message == "" {
					gaps[i].Message = ""
				}
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(vulnSummaries(res.Resources), tt.got); diff != "" {
				t.Errorf("reports (-got +want):\n%s", diff)
			}
			if tt.noLists {
				if n := srv.Requests("inspector2", "ListCoverage") + srv.Requests("inspector2", "ListFindings"); n != 0 {
					t.Errorf("%d list calls with Inspector off, want none", n)
				}
			}
		})
	}
}
