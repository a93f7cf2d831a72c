package aws

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

// ec2Resources keeps the EC2 resources of a scan, without the assumes
// edges the cross-service link pass adds (they depend on IAM, and are
// tested with it).
func ec2Resources(rs []inventory.Resource) []inventory.Resource {
	out := byNativeType(rs, "AWS::EC2::")
	for i := range out {
		var edges []inventory.Edge
		for _, e := range out[i].Edges {
			if e.Relation != inventory.RelAssumes {
				edges = append(edges, e)
			}
		}
		out[i].Edges = edges
	}
	return out
}

// ec2Kinds counts EC2 resources by kind and region: "us-east-1 compute.instance".
func ec2Kinds(rs []inventory.Resource) map[string]int {
	out := map[string]int{}
	for _, r := range byNativeType(rs, "AWS::EC2::") {
		out[r.Region+" "+string(r.Kind)]++
	}
	return out
}

// demoEC2Kinds is what the demo estate holds.
var demoEC2Kinds = map[string]int{
	"us-east-1 compute.instance":    8,
	"us-east-1 network.firewall":    11, // web-alb's, the classic ELBs' and the EKS clusters' included
	"us-east-1 network.network":     1,
	"us-east-1 network.subnet":      2,
	"us-east-1 network.route_table": 2,
	"us-east-1 network.gateway":     1,
	"us-east-1 network.interface":   8,
	"eu-west-1 compute.instance":    1,
	"eu-west-1 network.firewall":    4,
	"eu-west-1 network.network":     1,
	"eu-west-1 network.subnet":      3,
	"eu-west-1 network.route_table": 2,
	"eu-west-1 network.gateway":     1,
	"eu-west-1 network.interface":   1,
}

func TestEC2Golden(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{})
	if gaps := gapsOf(res.Gaps, "ec2"); len(gaps) > 0 {
		t.Fatalf("ec2 gaps: %v", gaps)
	}
	if diff := cmp.Diff(demoEC2Kinds, ec2Kinds(res.Resources)); diff != "" {
		t.Errorf("resources by kind (-want +got):\n%s", diff)
	}
	// Page size 2: us-east-1's 8 instances take 4 pages, its 9 security
	// groups 5, eu-west-1's 1 and 2.
	for op, want := range map[string]int{"DescribeInstances": 5, "DescribeSecurityGroups": 8} {
		if got := srv.Requests("ec2", op); got != want {
			t.Errorf("%s requests = %d, want %d (paginated)", op, got, want)
		}
	}
	golden(t, "aws_ec2.json", ec2Resources(res.Resources))
}

func TestEC2DeniedSecurityGroups(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "ec2", Action: "DescribeSecurityGroups", Region: "eu-west-1", Kind: emulator.FaultDenied},
	}}, Options{})
	gaps := gapsOf(res.Gaps, "ec2")
	if len(gaps) != 1 {
		t.Fatalf("ec2 gaps = %v, want one", gaps)
	}
	g := gaps[0]
	if g.Reason != inventory.GapAccessDenied || g.Region != "eu-west-1" || g.Operation != "DescribeSecurityGroups" || g.Account != "111122223333" {
		t.Errorf("gap = %+v, want access_denied for eu-west-1 DescribeSecurityGroups", g)
	}
	want := maps.Clone(demoEC2Kinds)
	delete(want, "eu-west-1 network.firewall")
	if diff := cmp.Diff(want, ec2Kinds(res.Resources)); diff != "" {
		t.Errorf("resources by kind (-want +got):\n%s", diff)
	}
	// The instance still names its security group, so the graph sees a
	// firewall it could not read (unknown), not an instance without one.
	for _, r := range res.Resources {
		if r.ID == "arn:aws:ec2:eu-west-1:111122223333:instance/i-0winrdp00000000007" {
			if diff := cmp.Diff([]string{"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0rdp0open000000b2"}, r.Instance.Firewalls); diff != "" {
				t.Errorf("win-rdp firewalls (-want +got):\n%s", diff)
			}
		}
	}
}

func TestEC2DeniedImages(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "ec2", Action: "DescribeImages", Region: "us-east-1", Kind: emulator.FaultDenied},
	}}, Options{})
	gaps := gapsOf(res.Gaps, "ec2")
	if len(gaps) != 1 || gaps[0].Reason != inventory.GapAccessDenied || gaps[0].Operation != "DescribeImages" || gaps[0].Region != "us-east-1" {
		t.Fatalf("ec2 gaps = %v, want one access_denied DescribeImages in us-east-1", gaps)
	}
	for _, r := range res.Resources {
		if r.Instance == nil {
			continue
		}
		known := !r.Instance.ImageCreated.IsZero() || r.Instance.ImageName != ""
		if want := r.Region == "eu-west-1"; known != want {
			t.Errorf("%s: image known = %v, want %v", r.ID, known, want)
		}
		if r.Instance.ImageID == "" {
			t.Errorf("%s: image id lost", r.ID)
		}
	}
}

func TestEC2OptInRegionNotScanned(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "ap-east-1"}})
	want := []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "ap-east-1", Service: "ec2",
		Operation: "DescribeRegions", Reason: inventory.GapRegionDisabled,
		Message: "region ap-east-1 is an opt-in region not enabled for this account"}}
	if diff := cmp.Diff(want, gapsOf(res.Gaps, "ec2")); diff != "" {
		t.Errorf("ec2 gaps (-want +got):\n%s", diff)
	}
	for _, s := range res.Scopes {
		if s.Region == "ap-east-1" {
			t.Errorf("ap-east-1 was scanned: %v", res.Scopes)
		}
	}
	for _, r := range byNativeType(res.Resources, "AWS::EC2::") {
		if r.Region != "us-east-1" {
			t.Errorf("resource %s of region %s", r.ID, r.Region)
		}
	}
	// us-east-1's 8 instances take 4 pages; any call to ap-east-1 would add one.
	if got := srv.Requests("ec2", "DescribeInstances"); got != 4 {
		t.Errorf("DescribeInstances requests = %d, want 4 (us-east-1 only)", got)
	}
}

func TestEC2ThrottledInstancesRetried(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "ec2", Action: "DescribeInstances", Kind: emulator.FaultThrottle, Times: 2},
	}}, Options{})
	if gaps := gapsOf(res.Gaps, "ec2"); len(gaps) > 0 {
		t.Fatalf("ec2 gaps: %v", gaps)
	}
	if got := ec2Kinds(res.Resources)["us-east-1 compute.instance"] + ec2Kinds(res.Resources)["eu-west-1 compute.instance"]; got != 9 {
		t.Errorf("instances = %d, want 9", got)
	}
	if got := srv.Requests("ec2", "DescribeInstances"); got != 5+2 {
		t.Errorf("DescribeInstances requests = %d, want 7 (5 pages, 2 throttled)", got)
	}
}

// TestEC2DescribeRegions checks the emulator's answer the region resolution
// relies on: enabled regions by default, every region with AllRegions.
func TestEC2DescribeRegions(t *testing.T) {
	_, _ = scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := ec2.NewFromConfig(cfg)
	for _, tc := range []struct {
		all  bool
		want []string
	}{
		{false, []string{"us-east-1 opt-in-not-required", "eu-west-1 opt-in-not-required"}},
		{true, []string{"us-east-1 opt-in-not-required", "eu-west-1 opt-in-not-required", "ap-east-1 not-opted-in"}},
	} {
		out, err := client.DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{AllRegions: aws.Bool(tc.all)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range out.Regions {
			got = append(got, strings.Join([]string{aws.ToString(r.RegionName), aws.ToString(r.OptInStatus)}, " "))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("AllRegions=%v (-want +got):\n%s", tc.all, diff)
		}
	}
}

// TestEC2TerminatedNotCollected: the demo estate holds a terminated
// instance in us-east-1 (on the first page, were it served); the collector
// asks for live states only, so it is neither collected nor paged through.
func TestEC2TerminatedNotCollected(t *testing.T) {
	const gone = "i-0gone0terminated008"
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{})
	for _, r := range res.Resources {
		if strings.Contains(r.ID, gone) {
			t.Errorf("terminated instance collected: %s", r.ID)
		}
	}
	if got := ec2Kinds(res.Resources)["us-east-1 compute.instance"]; got != demoEC2Kinds["us-east-1 compute.instance"] {
		t.Errorf("us-east-1 instances = %d, want %d", got, demoEC2Kinds["us-east-1 compute.instance"])
	}
	if got := srv.Requests("ec2", "DescribeInstances"); got != 5 {
		t.Errorf("DescribeInstances requests = %d, want 5 (the terminated instance is filtered before paging)", got)
	}

	// The estate does hold it: unfiltered, the emulator serves it.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{gone}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 || out.Reservations[0].Instances[0].State.Name != "terminated" {
		t.Errorf("unfiltered DescribeInstances of %s = %+v, want one terminated instance", gone, out.Reservations)
	}
}

// TestEC2RegionUnreachable: one region's EC2 endpoint fails at the network
// level. That region's EC2 calls become unreachable gaps (the first one
// made, the rest not waited on) and everything else is collected.
func TestEC2RegionUnreachable(t *testing.T) {
	tests := []struct {
		name string
		kind emulator.FaultKind
		opts Options
	}{
		{name: "connection dropped", kind: emulator.FaultDrop},
		{name: "no answer within the timeout", kind: emulator.FaultHang, opts: Options{Timeout: 100 * time.Millisecond, MaxAttempts: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, srv := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
				{Service: "ec2", Region: "eu-west-1", Kind: tt.kind},
			}}, tt.opts)

			var got []string
			for _, g := range gapsOf(res.Gaps, "ec2") {
				if g.Region != "eu-west-1" || g.Reason != inventory.GapUnreachable || g.Message == "" {
					t.Errorf("gap %+v, want unreachable in eu-west-1", g)
				}
				got = append(got, g.Operation)
			}
			want := []string{"DescribeImages", "DescribeInstanceAttribute", "DescribeInstances", "DescribeInternetGateways", "DescribeNetworkInterfaces",
				"DescribeRouteTables", "DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ec2 gaps by operation (-want +got):\n%s", diff)
			}
			for _, svc := range []string{"iam", "s3", "s3control", "rds"} {
				if gaps := gapsOf(res.Gaps, svc); len(gaps) != 0 {
					t.Errorf("%s gaps: %v", svc, gaps)
				}
			}

			wantKinds := map[string]int{}
			for k, n := range demoEC2Kinds {
				if strings.HasPrefix(k, "us-east-1 ") {
					wantKinds[k] = n
				}
			}
			if diff := cmp.Diff(wantKinds, ec2Kinds(res.Resources)); diff != "" {
				t.Errorf("ec2 resources by kind (-want +got):\n%s", diff)
			}
			if got := len(byNativeType(res.Resources, "AWS::RDS::")); got != 3 {
				t.Errorf("eu-west-1 databases = %d, want 3 (RDS still answers there)", got)
			}
			if got := len(idsOfKind(res.Resources, inventory.KindUser)); got != 4 {
				t.Errorf("users = %d, want 4", got)
			}
			if got := len(idsOfKind(res.Resources, inventory.KindBucket)); got != 4 {
				t.Errorf("buckets = %d, want 4", got)
			}
			// After the first failure no other call waits on eu-west-1.
			if got := srv.Requests("ec2", "DescribeSubnets"); got != 1 {
				t.Errorf("DescribeSubnets requests = %d, want 1 (us-east-1 only)", got)
			}
		})
	}
}

// TestFirstCallsUnreachable: not reaching AWS for the caller's identity or
// the region list fails the collection; nothing would be worth committing.
func TestFirstCallsUnreachable(t *testing.T) {
	for _, f := range []emulator.Fault{
		{Service: "sts", Action: "GetCallerIdentity", Kind: emulator.FaultDrop},
		{Service: "ec2", Action: "DescribeRegions", Kind: emulator.FaultDrop},
	} {
		t.Run(f.Action, func(t *testing.T) {
			_, _, err := collectEstate(t, "us-east-1", "demo", emulator.Options{Faults: []emulator.Fault{f}}, Options{MaxAttempts: 2})
			if err == nil || !strings.Contains(err.Error(), f.Action) {
				t.Errorf("Collect error = %v, want one naming %s", err, f.Action)
			}
		})
	}
}
