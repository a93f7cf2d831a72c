package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	clb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	clbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// clbAPI is what the classic ELB table calls on a classic Elastic Load
// Balancing client (API 2012-06-01). It shares its signing name and IAM
// action names with ELBv2, so its gaps are elbService's too; their
// messages name the SDK's "Elastic Load Balancing" client.
type clbAPI interface {
	DescribeLoadBalancers(context.Context, *clb.DescribeLoadBalancersInput, ...func(*clb.Options)) (*clb.DescribeLoadBalancersOutput, error)
	DescribeTags(context.Context, *clb.DescribeTagsInput, ...func(*clb.Options)) (*clb.DescribeTagsOutput, error)
}

// clbTagBatch is how many load balancers one DescribeTags call may name.
const clbTagBatch = 20

func elbTables() []table {
	return []table{{Service: elbService, List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listClassicLoadBalancers(ctx, s, out, clb.NewFromConfig(s.Config))
	}}}
}

// listClassicLoadBalancers lists the region's classic load balancers. One
// DescribeLoadBalancers answer holds everything reach needs (listeners,
// registered instances, subnets, security groups), so a load balancer is
// never partly known: the pages read before a failure are kept, and the
// failure is a gap, which reach reads as "load balancers of the region not
// all read". Tags come from DescribeTags; tags that could not be read are
// a gap and leave the load balancers untagged.
func listClassicLoadBalancers(ctx context.Context, s scope, out *collectors.Result, c clbAPI) error {
	var rs []inventory.Resource
	p := clb.NewDescribeLoadBalancersPaginator(c, &clb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, elbService, "DescribeLoadBalancers", "", fmt.Errorf("classic load balancers: %w", err)); gerr != nil {
				return gerr
			}
			break
		}
		for _, lb := range page.LoadBalancerDescriptions {
			rs = append(rs, classicLoadBalancer(s, lb))
		}
	}
	if err := classicTags(ctx, s, out, c, rs); err != nil {
		return err
	}
	out.Add(rs...)
	return nil
}

// classicLoadBalancer normalizes one classic load balancer. Its targets
// are its registered instances, each on every distinct InstancePort of
// its listeners (a classic load balancer forwards every listener to every
// instance).
func classicLoadBalancer(s scope, lb clbtypes.LoadBalancerDescription) inventory.Resource {
	ec2ARN := func(kind, id string) string { return s.arn("ec2", s.Region, s.Account, kind+"/"+id) }
	name := aws.ToString(lb.LoadBalancerName)
	l := &inventory.LoadBalancer{Type: "classic", Scheme: aws.ToString(lb.Scheme), DNSName: aws.ToString(lb.DNSName)}
	r := inventory.Resource{ID: s.arn("elasticloadbalancing", s.Region, s.Account, "loadbalancer/"+name),
		Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Kind: inventory.KindLoadBalancer,
		NativeType: "AWS::ElasticLoadBalancing::LoadBalancer", Name: name, LoadBalancer: l}
	if vpc := aws.ToString(lb.VPCId); vpc != "" {
		l.NetworkID = ec2ARN("vpc", vpc)
	}
	for _, sg := range lb.SecurityGroups {
		arn := ec2ARN("security-group", sg)
		l.Firewalls = append(l.Firewalls, arn)
		r.AddEdge(inventory.RelProtectedBy, arn)
	}
	for _, sn := range lb.Subnets {
		arn := ec2ARN("subnet", sn)
		l.SubnetIDs = append(l.SubnetIDs, arn)
		r.AddEdge(inventory.RelIn, arn)
	}

	// ports are the distinct instance ports, each with the back-end
	// protocol of the first listener (by front-end port) that uses it.
	var ls []clbtypes.Listener
	for _, d := range lb.ListenerDescriptions {
		if d.Listener != nil {
			ls = append(ls, *d.Listener)
		}
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].LoadBalancerPort != ls[j].LoadBalancerPort {
			return ls[i].LoadBalancerPort < ls[j].LoadBalancerPort
		}
		return aws.ToString(ls[i].Protocol) < aws.ToString(ls[j].Protocol)
	})
	type port struct {
		port     int
		protocol string
	}
	var ports []port
	seen := map[int]bool{}
	for _, x := range ls {
		lst := inventory.Listener{Protocol: aws.ToString(x.Protocol), Port: int(x.LoadBalancerPort)}
		if n := len(l.Listeners); n == 0 || l.Listeners[n-1] != lst {
			l.Listeners = append(l.Listeners, lst)
		}
		ip := int(aws.ToInt32(x.InstancePort))
		if ip == 0 || seen[ip] {
			continue
		}
		seen[ip] = true
		ports = append(ports, port{ip, aws.ToString(x.InstanceProtocol)})
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].port < ports[j].port })
	var ids []string
	for _, inst := range lb.Instances {
		if id := aws.ToString(inst.InstanceId); id != "" {
			ids = append(ids, ec2ARN("instance", id))
		}
	}
	sort.Strings(ids)
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			continue
		}
		for _, p := range ports {
			l.Targets = append(l.Targets, inventory.LBTarget{ID: id, Port: p.port, Protocol: p.protocol})
		}
		r.AddEdge(inventory.RelTargets, id)
	}
	return r
}

// classicTags reads the tags of rs with DescribeTags, clbTagBatch names a
// call.
func classicTags(ctx context.Context, s scope, out *collectors.Result, c clbAPI, rs []inventory.Resource) error {
	byName := map[string]*inventory.Resource{}
	var names []string
	for i := range rs {
		byName[rs[i].Name] = &rs[i]
		names = append(names, rs[i].Name)
	}
	for start := 0; start < len(names); start += clbTagBatch {
		batch := names[start:min(start+clbTagBatch, len(names))]
		resp, err := c.DescribeTags(ctx, &clb.DescribeTagsInput{LoadBalancerNames: batch})
		if err != nil {
			resource := ""
			if len(batch) == 1 {
				resource = byName[batch[0]].ID
			}
			if gerr := s.gap(out, elbService, "DescribeTags", resource, fmt.Errorf("classic load balancers %v: %w", batch, err)); gerr != nil {
				return gerr
			}
			continue
		}
		for _, d := range resp.TagDescriptions {
			if r := byName[aws.ToString(d.LoadBalancerName)]; r != nil {
				r.Tags = tagMap(d.Tags, func(t clbtypes.Tag) (*string, *string) { return t.Key, t.Value })
			}
		}
	}
	return nil
}
