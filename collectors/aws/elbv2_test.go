package aws

import (
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestELBv2AndLambdaDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	golden(t, "aws_elbv2.json", byNativeType(res.Resources, "AWS::ElasticLoadBalancingV2::"))
	golden(t, "aws_lambda.json", byNativeType(res.Resources, "AWS::Lambda::"))
	for _, svc := range []string{"elasticloadbalancing", "lambda"} {
		if gaps := gapsOf(res.Gaps, svc); len(gaps) != 0 {
			t.Errorf("unexpected %s gaps: %v", svc, gaps)
		}
	}
}

// pagingEstate holds three load balancers and three functions in
// us-east-1, so the server's page size of 2 takes two pages of each.
var pagingEstate = map[string]string{
	"account.json": `{"id": "111122223333", "caller": "arn:aws:iam::111122223333:user/scanner",
		"regions": [{"name": "us-east-1", "opt_in_status": "opt-in-not-required"}]}`,
	"elbv2.json": `{
		"load_balancers": [
			{"region": "us-east-1", "name": "a", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}],
			 "security_groups": ["sg-1"], "listeners": [{"protocol": "HTTP", "port": 80, "target_group": "tg"}], "created_time": "2026-01-01T00:00:00Z"},
			{"region": "us-east-1", "name": "b", "type": "network", "scheme": "internal", "vpc_id": "vpc-1",
			 "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}], "listeners": [{"protocol": "TCP", "port": 5432}], "created_time": "2026-01-01T00:00:00Z"},
			{"region": "us-east-1", "name": "c", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}], "created_time": "2026-01-01T00:00:00Z"}
		],
		"target_groups": [{"region": "us-east-1", "name": "tg", "protocol": "HTTP", "port": 8080, "vpc_id": "vpc-1",
			"targets": [{"id": "i-1"}, {"id": "i-2", "port": 9090}]}]
	}`,
	"lambda.json": `{"functions": [
		{"region": "us-east-1", "name": "f1", "runtime": "nodejs20.x", "role": "r", "last_modified": "2026-01-01T00:00:00Z"},
		{"region": "us-east-1", "name": "f2", "runtime": "nodejs20.x", "role": "r", "last_modified": "2026-01-01T00:00:00Z",
		 "environment": {"API_TOKEN": "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"}},
		{"region": "us-east-1", "name": "f3", "runtime": "nodejs20.x", "role": "r", "last_modified": "2026-01-01T00:00:00Z", "url": {"auth_type": "NONE"}}
	]}`,
}

func TestELBv2AndLambdaPagination(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, pagingEstate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	for _, call := range [][2]string{{"elasticloadbalancing", "DescribeLoadBalancers"}, {"lambda", "ListFunctions"}} {
		if n := srv.Requests(call[0], call[1]); n != 2 {
			t.Errorf("%s %s was called %d times, want 2 (two pages)", call[0], call[1], n)
		}
	}
	var got []string
	for _, r := range res.Resources {
		switch {
		case r.LoadBalancer != nil:
			got = append(got, r.Name+" "+r.LoadBalancer.Scheme+" "+strconv.Itoa(len(r.LoadBalancer.Listeners))+" listeners "+strconv.Itoa(len(r.LoadBalancer.Targets))+" targets")
		case r.Function != nil:
			got = append(got, r.Name+" url="+r.Function.URLAuth+" secrets="+strconv.Itoa(len(r.Function.Secrets)))
		}
	}
	slices.Sort(got)
	want := []string{
		"a internet-facing 1 listeners 2 targets",
		"b internal 1 listeners 0 targets",
		"c internet-facing 0 listeners 0 targets",
		"f1 url= secrets=0",
		"f2 url= secrets=1",
		"f3 url=NONE secrets=0",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("resources (-got +want):\n%s", diff)
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}

func TestELBv2AndLambdaFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message and Resource are not compared
		// got summarises the load balancers and functions collected.
		got []string
	}{
		{
			name:   "DescribeLoadBalancers denied: functions still collected",
			faults: []emulator.Fault{{Service: "elasticloadbalancing", Action: "DescribeLoadBalancers", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "elasticloadbalancing",
				Operation: "DescribeLoadBalancers", Reason: inventory.GapAccessDenied}},
			got: []string{"f1 url=", "f2 url=", "f3 url=NONE"},
		},
		{
			name:   "DescribeListeners denied: listeners unknown",
			faults: []emulator.Fault{{Service: "elasticloadbalancing", Action: "DescribeListeners", Kind: emulator.FaultDenied}},
			want: slices.Repeat([]inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "elasticloadbalancing",
				Operation: "DescribeListeners", Reason: inventory.GapAccessDenied}}, 3),
			got: []string{"a listeners-unknown targets=2", "b listeners-unknown targets=0", "c listeners-unknown targets=0", "f1 url=", "f2 url=", "f3 url=NONE"},
		},
		{
			name:   "DescribeTargetHealth denied: targets unknown",
			faults: []emulator.Fault{{Service: "elasticloadbalancing", Action: "DescribeTargetHealth", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "elasticloadbalancing",
				Operation: "DescribeTargetHealth", Reason: inventory.GapAccessDenied}},
			got: []string{"a targets-unknown targets=0", "b targets=0", "c targets=0", "f1 url=", "f2 url=", "f3 url=NONE"},
		},
		{
			name:   "ListFunctions denied: load balancers still collected",
			faults: []emulator.Fault{{Service: "lambda", Action: "ListFunctions", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "lambda",
				Operation: "ListFunctions", Reason: inventory.GapAccessDenied}},
			got: []string{"a targets=2", "b targets=0", "c targets=0"},
		},
		{
			name:   "GetFunctionUrlConfig denied: URL unknown",
			faults: []emulator.Fault{{Service: "lambda", Action: "GetFunctionUrlConfig", Kind: emulator.FaultDenied}},
			want: slices.Repeat([]inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "lambda",
				Operation: "GetFunctionUrlConfig", Reason: inventory.GapAccessDenied}}, 3),
			got: []string{"a targets=2", "b targets=0", "c targets=0", "f1 url-unknown", "f2 url-unknown", "f3 url-unknown"},
		},
		{
			name:   "ListFunctions throttled within retries",
			faults: []emulator.Fault{{Service: "lambda", Action: "ListFunctions", Kind: emulator.FaultThrottle, Times: 2}},
			got:    []string{"a targets=2", "b targets=0", "c targets=0", "f1 url=", "f2 url=", "f3 url=NONE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, writeEstate(t, pagingEstate), emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}})
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
			var got []string
			for _, r := range res.Resources {
				switch {
				case r.LoadBalancer != nil:
					s := r.Name
					if r.LoadBalancer.ListenersUnknown {
						s += " listeners-unknown"
					}
					if r.LoadBalancer.TargetsUnknown {
						s += " targets-unknown"
					}
					got = append(got, s+" targets="+strconv.Itoa(len(r.LoadBalancer.Targets)))
				case r.Function != nil:
					if r.Function.URLUnknown {
						got = append(got, r.Name+" url-unknown")
					} else {
						got = append(got, r.Name+" url="+r.Function.URLAuth)
					}
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(got, tt.got); diff != "" {
				t.Errorf("resources (-got +want):\n%s", diff)
			}
		})
	}
}

// TestELBv2TargetTypes: instance and Lambda targets are resources of the
// snapshot; an IP target is not resolved and an ALB target's own targets
// are not followed, so either marks its load balancer's targets unknown
// (reach then reads the load balancer's network as unknown, never safe).
// The ALB target is kept as a target, by its ARN.
func TestELBv2TargetTypes(t *testing.T) {
	const albARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/web/0123456789abcdef"
	estate := map[string]string{
		"account.json": pagingEstate["account.json"],
		"elbv2.json": `{
			"load_balancers": [
				{"region": "us-east-1", "name": "web", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}],
				 "security_groups": ["sg-1"], "listeners": [{"protocol": "HTTP", "port": 80, "target_group": "by-instance"}], "created_time": "2026-01-01T00:00:00Z"},
				{"region": "us-east-1", "name": "tasks", "type": "network", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}],
				 "listeners": [{"protocol": "TCP", "port": 22, "target_group": "by-ip"}], "created_time": "2026-01-01T00:00:00Z"},
				{"region": "us-east-1", "name": "edge", "type": "network", "vpc_id": "vpc-1", "subnets": [{"id": "subnet-1", "availability_zone": "us-east-1a"}],
				 "listeners": [{"protocol": "TCP", "port": 443, "target_group": "by-alb"}], "created_time": "2026-01-01T00:00:00Z"}
			],
			"target_groups": [
				{"region": "us-east-1", "name": "by-instance", "protocol": "HTTP", "port": 8080, "vpc_id": "vpc-1", "targets": [{"id": "i-1"}]},
				{"region": "us-east-1", "name": "by-ip", "protocol": "TCP", "port": 22, "vpc_id": "vpc-1", "target_type": "ip", "targets": [{"id": "10.0.1.5"}]},
				{"region": "us-east-1", "name": "by-alb", "protocol": "TCP", "port": 80, "vpc_id": "vpc-1", "target_type": "alb", "targets": [{"id": "` + albARN + `"}]}
			]
		}`,
	}
	res, _ := scanEstate(t, writeEstate(t, estate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	var got []string
	for _, r := range res.Resources {
		if r.LoadBalancer == nil {
			continue
		}
		s := r.Name
		if r.LoadBalancer.TargetsUnknown {
			s += " targets-unknown"
		}
		for _, tg := range r.LoadBalancer.Targets {
			s += " " + tg.ID + ":" + strconv.Itoa(tg.Port)
		}
		got = append(got, s)
	}
	slices.Sort(got)
	want := []string{
		"edge targets-unknown " + albARN + ":80",
		"tasks targets-unknown",
		"web arn:aws:ec2:us-east-1:111122223333:instance/i-1:8080",
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("load balancers (-got +want):\n%s", diff)
	}
	if len(res.Gaps) != 0 {
		t.Errorf("unexpected gaps: %v", res.Gaps)
	}
}
