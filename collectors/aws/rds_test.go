package aws

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestRDSDemo(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	dbs := byNativeType(res.Resources, "AWS::RDS::")
	golden(t, "aws_rds.json", dbs)

	// Three instances in eu-west-1 with the server's page size of 2 take
	// two pages; us-east-1 answers one empty page.
	if n := srv.Requests("rds", "DescribeDBInstances"); n != 3 {
		t.Errorf("DescribeDBInstances was called %d times, want 3 (2 pages in eu-west-1, 1 in us-east-1)", n)
	}
	var names []string
	for _, r := range dbs {
		names = append(names, r.Region+"/"+r.Name)
	}
	if diff := cmp.Diff(names, []string{"eu-west-1/legacy-mysql", "eu-west-1/orders-private", "eu-west-1/orders-public"}); diff != "" {
		t.Errorf("instances (-got +want):\n%s", diff)
	}
	if gaps := gapsOf(res.Gaps, "rds"); len(gaps) != 0 {
		t.Errorf("unexpected rds gaps: %v", gaps)
	}
}

func TestRDSFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		dbs    int
	}{
		{
			name:   "denied in eu-west-1",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBInstances", Region: "eu-west-1", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "rds",
				Operation: "DescribeDBInstances", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBInstances", Region: "eu-west-1", Kind: emulator.FaultThrottle, Times: 2}},
			dbs:    3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, "demo", emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
			gaps := slices.Clone(gapsOf(res.Gaps, "rds"))
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message = ""
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			if got := len(byNativeType(res.Resources, "AWS::RDS::")); got != tt.dbs {
				t.Errorf("got %d DB instances, want %d", got, tt.dbs)
			}
		})
	}
}
