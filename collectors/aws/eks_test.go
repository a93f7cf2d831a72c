package aws

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestEKSDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	golden(t, "aws_eks.json", byNativeType(res.Resources, "AWS::EKS::"))
	if gaps := gapsOf(res.Gaps, "eks"); len(gaps) != 0 {
		t.Errorf("unexpected eks gaps: %v", gaps)
	}
}

// clusterSummaries render each cluster in one line.
func clusterSummaries(rs []inventory.Resource) []string {
	var out []string
	for _, r := range rs {
		if r.Kind != inventory.KindCluster {
			continue
		}
		c := r.Cluster
		if c == nil {
			out = append(out, r.Name+" unknown")
			continue
		}
		s := r.Name + " " + c.Version
		if c.PublicEndpoint {
			s += " public " + strings.Join(c.AuthorizedNetworks, ",")
		} else {
			s += " private"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestEKSPagination(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	if n := srv.Requests("eks", "ListClusters"); n != 2 {
		t.Errorf("eks ListClusters was called %d times, want 2 (two pages)", n)
	}
	// a set no ranges: EKS answers 0.0.0.0/0. c's ranges are not read:
	// its endpoint is private.
	want := []string{"a 1.24 public 0.0.0.0/0", "b 1.35 public 198.51.100.0/24", "c 1.33 private"}
	if diff := cmp.Diff(clusterSummaries(res.Resources), want); diff != "" {
		t.Errorf("clusters (-got +want):\n%s", diff)
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

func TestEKSFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		got    []string
	}{
		{
			name:   "ListClusters denied: the gap, the rest of the region collected",
			faults: []emulator.Fault{{Service: "eks", Action: "ListClusters", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "eks",
				Operation: "ListClusters", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "DescribeCluster denied: clusters kept, their attributes unknown",
			faults: []emulator.Fault{{Service: "eks", Action: "DescribeCluster", Kind: emulator.FaultDenied}},
			want: slices.Repeat([]inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "eks",
				Operation: "DescribeCluster", Reason: inventory.GapAccessDenied}}, 3),
			got: []string{"a unknown", "b unknown", "c unknown"},
		},
		{
			name:   "DescribeCluster throttled within retries",
			faults: []emulator.Fault{{Service: "eks", Action: "DescribeCluster", Kind: emulator.FaultThrottle, Times: 2}},
			got:    []string{"a 1.24 public 0.0.0.0/0", "b 1.35 public 198.51.100.0/24", "c 1.33 private"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}, MaxAttempts: 3})
			gaps := slices.Clone(res.Gaps)
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message, gaps[i].Resource = "", ""
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(clusterSummaries(res.Resources), tt.got); diff != "" {
				t.Errorf("clusters (-got +want):\n%s", diff)
			}
			if n := len(byNativeType(res.Resources, "AWS::EC2::Instance")); n != 4 {
				t.Errorf("%d instances collected beside, want 4", n)
			}
		})
	}
}

// TestScannerSignals: the detectors read what the three tables collect
// without AWS-specific branches: the demo's legacy-eks (public to
// 0.0.0.0/0, Kubernetes 1.24) has a public API and is past EKS standard
// support, its twin platform-eks (private, 1.35) neither. A cluster whose
// attributes could not be read is unknown, never safe. Detect does not
// panic over instances with scanner reports and patch states.
func TestScannerSignals(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	sigs := features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
	state := func(id string, sig inventory.SignalID) string {
		for _, s := range sigs[id] {
			if s.ID == sig {
				if s.Unknown {
					return "unknown"
				}
				return "fires"
			}
		}
		return "silent"
	}
	const (
		legacy   = "arn:aws:eks:us-east-1:111122223333:cluster/legacy-eks"
		platform = "arn:aws:eks:us-east-1:111122223333:cluster/platform-eks"
	)
	got := []string{
		"legacy public_k8s_api " + state(legacy, "ports.public_k8s_api"),
		"legacy eol_kubernetes " + state(legacy, "patches.eol_kubernetes"),
		"platform public_k8s_api " + state(platform, "ports.public_k8s_api"),
		"platform eol_kubernetes " + state(platform, "patches.eol_kubernetes"),
	}
	want := []string{
		"legacy public_k8s_api fires",
		"legacy eol_kubernetes fires",
		"platform public_k8s_api silent",
		"platform eol_kubernetes silent",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("signals (-got +want):\n%s", diff)
	}

	denied, _ := scanEstate(t, writeEstate(t, scannerEstate), emulator.Options{Faults: []emulator.Fault{
		{Service: "eks", Action: "DescribeCluster", Kind: emulator.FaultDenied}}}, Options{Regions: []string{"us-east-1"}})
	sigs = features.Detect(features.NewGraph(denied.Resources, denied.Gaps), testNow)
	a := "arn:aws:eks:us-east-1:111122223333:cluster/a"
	if s := state(a, "ports.public_k8s_api") + " " + state(a, "patches.eol_kubernetes"); s != "unknown unknown" {
		t.Errorf("undescribed cluster: public_k8s_api and eol_kubernetes %s, want unknown unknown", s)
	}
}
