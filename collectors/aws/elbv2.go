package aws

import (
	"context"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// elbService is ELBv2's name in gaps (its signing name).
const elbService = "elasticloadbalancing"

// elbAPI is what the elbv2 table calls on an ELBv2 client.
type elbAPI interface {
	DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

func elbv2Tables() []table {
	return []table{{Service: elbService, List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listLoadBalancers(ctx, s, out, elb.NewFromConfig(s.Config))
	}}}
}

// listLoadBalancers lists the region's application, network and gateway
// load balancers with their listeners and the targets of their target
// groups. The load balancers of the pages read before a failure are kept;
// a load balancer whose listeners or targets could not be read is marked
// ListenersUnknown or TargetsUnknown, and a gap says why.
func listLoadBalancers(ctx context.Context, s scope, out *collectors.Result, c elbAPI) error {
	var lbs []types.LoadBalancer
	p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, elbService, "DescribeLoadBalancers", "", err); gerr != nil {
				return gerr
			}
			break
		}
		lbs = append(lbs, page.LoadBalancers...)
	}
	if len(lbs) == 0 {
		return nil
	}
	targets, tgErr := elbTargets(ctx, s, out, c)
	if tgErr != nil {
		return tgErr
	}
	for _, lb := range lbs {
		r := loadBalancer(s, lb)
		arn := r.ID
		ls, err := elbListeners(ctx, c, arn)
		if err != nil {
			r.LoadBalancer.ListenersUnknown = true
			if gerr := s.gap(out, elbService, "DescribeListeners", arn, err); gerr != nil {
				return gerr
			}
		}
		r.LoadBalancer.Listeners = ls
		if targets == nil {
			r.LoadBalancer.TargetsUnknown = true
		} else {
			tl := targets[arn]
			r.LoadBalancer.TargetsUnknown = tl.unknown
			r.LoadBalancer.Targets = tl.targets
			for _, t := range uniqueTargetIDs(tl.targets) {
				r.AddEdge(inventory.RelTargets, t)
			}
		}
		out.Add(r)
	}
	return nil
}

// loadBalancer normalizes one load balancer, without its listeners and
// targets.
func loadBalancer(s scope, lb types.LoadBalancer) inventory.Resource {
	ec2ARN := func(kind, id string) string { return s.arn("ec2", s.Region, s.Account, kind+"/"+id) }
	l := &inventory.LoadBalancer{
		Type:    string(lb.Type),
		Scheme:  string(lb.Scheme),
		DNSName: aws.ToString(lb.DNSName),
	}
	r := inventory.Resource{ID: aws.ToString(lb.LoadBalancerArn), Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Kind: inventory.KindLoadBalancer, NativeType: "AWS::ElasticLoadBalancingV2::LoadBalancer",
		Name: aws.ToString(lb.LoadBalancerName), LoadBalancer: l}
	if vpc := aws.ToString(lb.VpcId); vpc != "" {
		l.NetworkID = ec2ARN("vpc", vpc)
	}
	for _, sg := range lb.SecurityGroups {
		arn := ec2ARN("security-group", sg)
		l.Firewalls = append(l.Firewalls, arn)
		r.AddEdge(inventory.RelProtectedBy, arn)
	}
	for _, az := range lb.AvailabilityZones {
		if sn := aws.ToString(az.SubnetId); sn != "" {
			arn := ec2ARN("subnet", sn)
			l.SubnetIDs = append(l.SubnetIDs, arn)
			r.AddEdge(inventory.RelIn, arn)
		}
	}
	return r
}

// elbListeners reads a load balancer's listeners, all pages.
func elbListeners(ctx context.Context, c elbAPI, arn string) ([]inventory.Listener, error) {
	var ls []inventory.Listener
	p := elb.NewDescribeListenersPaginator(c, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ls, err
		}
		for _, l := range page.Listeners {
			ls = append(ls, inventory.Listener{Protocol: string(l.Protocol), Port: int(aws.ToInt32(l.Port))})
		}
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Port != ls[j].Port {
			return ls[i].Port < ls[j].Port
		}
		return ls[i].Protocol < ls[j].Protocol
	})
	return ls, nil
}

// lbTargets are the targets of one load balancer, and whether some could
// not be read.
type lbTargets struct {
	targets []inventory.LBTarget
	unknown bool
}

// elbTargets reads the region's target groups and the registered targets
// of each, by load balancer ARN. Instance targets become instance ARNs,
// Lambda targets keep their function ARN, and ALB targets (an ALB behind
// an NLB) keep the ALB's ARN. IP targets (instances registered by address,
// ECS awsvpc tasks) are not resolved to resources, and what an ALB target
// forwards to is not followed: either marks the load balancers unknown, so
// the instances they may reach are unknown, never safe. A nil map means
// the target groups could not be listed (a gap says why); a target group
// whose targets could not be read marks its load balancers unknown.
func elbTargets(ctx context.Context, s scope, out *collectors.Result, c elbAPI) (map[string]lbTargets, error) {
	var groups []types.TargetGroup
	p := elb.NewDescribeTargetGroupsPaginator(c, &elb.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.gap(out, elbService, "DescribeTargetGroups", "", err)
		}
		groups = append(groups, page.TargetGroups...)
	}
	byLB := map[string]lbTargets{}
	for _, tg := range groups {
		arn := aws.ToString(tg.TargetGroupArn)
		resp, err := c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
		var ts []inventory.LBTarget
		unknown := err != nil
		if err != nil {
			if gerr := s.gap(out, elbService, "DescribeTargetHealth", arn, err); gerr != nil {
				return nil, gerr
			}
		} else {
			for _, d := range resp.TargetHealthDescriptions {
				if d.Target == nil {
					continue
				}
				port := int(aws.ToInt32(d.Target.Port))
				if port == 0 {
					port = int(aws.ToInt32(tg.Port))
				}
				id := aws.ToString(d.Target.Id)
				switch tg.TargetType {
				case types.TargetTypeEnumInstance:
					id = s.arn("ec2", s.Region, s.Account, "instance/"+id)
				case types.TargetTypeEnumLambda:
				case types.TargetTypeEnumAlb:
					unknown = true // its own targets are not followed
				default:
					// An IP target, or a type this collector does not
					// know: where it leads is not in the snapshot.
					unknown = true
					continue
				}
				ts = append(ts, inventory.LBTarget{ID: id, Port: port, Protocol: string(tg.Protocol)})
			}
		}
		for _, lb := range tg.LoadBalancerArns {
			x := byLB[lb]
			x.targets = append(x.targets, ts...)
			x.unknown = x.unknown || unknown
			byLB[lb] = x
		}
	}
	for lb, x := range byLB {
		sort.Slice(x.targets, func(i, j int) bool {
			a, b := x.targets[i], x.targets[j]
			if a.ID != b.ID {
				return a.ID < b.ID
			}
			if a.Port != b.Port {
				return a.Port < b.Port
			}
			return a.Protocol < b.Protocol
		})
		byLB[lb] = x
	}
	return byLB, nil
}

// uniqueTargetIDs are the distinct resource ids of ts, sorted.
func uniqueTargetIDs(ts []inventory.LBTarget) []string {
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	sort.Strings(ids)
	return slices.Compact(ids)
}
