package aws

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestClassicELBDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	golden(t, "aws_elb.json", byNativeType(res.Resources, "AWS::ElasticLoadBalancing::"))
	if gaps := gapsOf(res.Gaps, elbService); len(gaps) != 0 {
		t.Errorf("unexpected %s gaps: %v", elbService, gaps)
	}
}

// classicEstate holds 21 classic load balancers in us-east-1: the
// server's page size of 2 takes 11 pages, and DescribeTags, which names at
// most 20, two calls. lb-00 forwards two listeners to two instance ports
// of two instances; lb-01 is internal with no instances.
func classicEstate() map[string]string {
	var lbs []string
	for i := range 21 {
		lb := fmt.Sprintf(`{"region": "us-east-1", "name": "lb-%02d", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}],
			"security_groups": ["sg-1"], "listeners": [{"protocol": "HTTP", "load_balancer_port": 80, "instance_port": 80}],
			"instances": ["i-1"], "tags": {"n": "%d"}, "created_time": "2026-01-01T00:00:00Z"}`, i, i)
		switch i {
		case 0:
			lb = `{"region": "us-east-1", "name": "lb-00", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}, {"id": "subnet-2", "availability_zone": "us-east-1b"}],
				"security_groups": ["sg-1", "sg-2"], "instances": ["i-2", "i-1"], "created_time": "2026-01-01T00:00:00Z", "tags": {"n": "0"},
				"listeners": [
					{"protocol": "HTTPS", "load_balancer_port": 443, "instance_protocol": "HTTP", "instance_port": 8080},
					{"protocol": "HTTP", "load_balancer_port": 80, "instance_port": 8080},
					{"protocol": "TCP", "load_balancer_port": 2222, "instance_port": 22}]}`
		case 1:
			lb = `{"region": "us-east-1", "name": "lb-01", "scheme": "internal", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-2", "availability_zone": "us-east-1b"}],
				"listeners": [{"protocol": "TCP", "load_balancer_port": 5432, "instance_port": 5432}], "created_time": "2026-01-01T00:00:00Z"}`
		}
		lbs = append(lbs, lb)
	}
	return map[string]string{
		"account.json": pagingEstate["account.json"],
		"elb.json":     `{"load_balancers": [` + strings.Join(lbs, ",\n") + `]}`,
	}
}

// summarizeLB is one line per classic load balancer: name, scheme,
// listeners, targets, tags.
func summarizeLB(r inventory.Resource) string {
	l := r.LoadBalancer
	s := r.Name + " " + l.Type + " " + l.Scheme
	for _, x := range l.Listeners {
		s += " " + x.Protocol + ":" + strconv.Itoa(x.Port)
	}
	s += " ->"
	for _, x := range l.Targets {
		id := x.ID[strings.LastIndex(x.ID, "/")+1:]
		s += " " + id + ":" + x.Protocol + ":" + strconv.Itoa(x.Port)
	}
	if r.Tags != nil {
		s += " n=" + r.Tags["n"]
	}
	return s
}

func TestClassicELBPaginationAndTargets(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, classicEstate()), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	for _, call := range []struct {
		action string
		want   int
	}{{"DescribeLoadBalancers", 11}, {"DescribeTags", 2}} {
		if n := srv.Requests("elb", call.action); n != call.want {
			t.Errorf("classic %s was called %d times, want %d", call.action, n, call.want)
		}
	}
	var got []string
	var lb00 inventory.Resource
	for _, r := range res.Resources {
		if r.NativeType == "AWS::ElasticLoadBalancing::LoadBalancer" {
			got = append(got, summarizeLB(r))
			if r.Name == "lb-00" {
				lb00 = r
			}
		}
	}
	if len(got) != 21 {
		t.Fatalf("got %d classic load balancers, want 21", len(got))
	}
	want := []string{
		"lb-00 classic internet-facing HTTP:80 HTTPS:443 TCP:2222 -> i-1:TCP:22 i-1:HTTP:8080 i-2:TCP:22 i-2:HTTP:8080 n=0",
		"lb-01 classic internal TCP:5432 ->",
		"lb-02 classic internet-facing HTTP:80 -> i-1:HTTP:80 n=2",
		"lb-20 classic internet-facing HTTP:80 -> i-1:HTTP:80 n=20",
	}
	if diff := cmp.Diff([]string{got[0], got[1], got[2], got[20]}, want); diff != "" {
		t.Errorf("load balancers (-got +want):\n%s", diff)
	}
	arn := func(kind, id string) string { return "arn:aws:ec2:us-east-1:111122223333:" + kind + "/" + id }
	wantEdges := []inventory.Edge{
		{From: lb00.ID, Relation: inventory.RelProtectedBy, To: arn("security-group", "sg-1")},
		{From: lb00.ID, Relation: inventory.RelProtectedBy, To: arn("security-group", "sg-2")},
		{From: lb00.ID, Relation: inventory.RelIn, To: arn("subnet", "subnet-1")},
		{From: lb00.ID, Relation: inventory.RelIn, To: arn("subnet", "subnet-2")},
		{From: lb00.ID, Relation: inventory.RelTargets, To: arn("instance", "i-1")},
		{From: lb00.ID, Relation: inventory.RelTargets, To: arn("instance", "i-2")},
	}
	if diff := cmp.Diff(lb00.Edges, wantEdges); diff != "" {
		t.Errorf("lb-00 edges (-got +want):\n%s", diff)
	}
	if want := "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/lb-00"; lb00.ID != want || lb00.LoadBalancer.NetworkID != arn("vpc", "vpc-1") {
		t.Errorf("lb-00 is %s in %s, want %s in vpc-1", lb00.ID, lb00.LoadBalancer.NetworkID, want)
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

func TestClassicELBFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message and Resource are not compared
		n      int             // classic load balancers collected
		tagged int             // of which with tags
	}{
		{
			name:   "DescribeLoadBalancers denied: a gap reach reads as load balancers not all read",
			faults: []emulator.Fault{{Service: "elb", Action: "DescribeLoadBalancers", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: elbService,
				Operation: "DescribeLoadBalancers", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "DescribeTags denied: load balancers kept untagged",
			faults: []emulator.Fault{{Service: "elb", Action: "DescribeTags", Kind: emulator.FaultDenied}},
			want: slices.Repeat([]inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: elbService,
				Operation: "DescribeTags", Reason: inventory.GapAccessDenied}}, 2),
			n: 21,
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "elb", Kind: emulator.FaultThrottle, Times: 3}},
			n:      21, tagged: 20,
		},
		{
			name:   "ELBv2 denied: classic still collected",
			faults: []emulator.Fault{{Service: elbService, Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: elbService,
				Operation: "DescribeLoadBalancers", Reason: inventory.GapAccessDenied}},
			n: 21, tagged: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eopts := emulator.Options{Faults: tt.faults}
			res, _ := scanEstate(t, writeEstate(t, classicEstate()), eopts, Options{Regions: []string{"us-east-1"}, MaxAttempts: 4})
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
			var n, tagged int
			for _, r := range res.Resources {
				if r.NativeType == "AWS::ElasticLoadBalancing::LoadBalancer" {
					n++
					if r.Tags != nil {
						tagged++
					}
				}
			}
			if n != tt.n || tagged != tt.tagged {
				t.Errorf("got %d classic load balancers, %d tagged; want %d, %d tagged", n, tagged, tt.n, tt.tagged)
			}
		})
	}
}
