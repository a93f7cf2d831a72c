package emulator

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ELBEstate is elb.json: the account's classic load balancers (Elastic
// Load Balancing API 2012-06-01), in every region.
type ELBEstate struct {
	LoadBalancers []ClassicLoadBalancer `json:"load_balancers"`
}

// ClassicLoadBalancer is one classic load balancer in a VPC: its nodes sit
// in Subnets, its listeners forward to the same InstancePort of every
// registered instance.
type ClassicLoadBalancer struct {
	Region         string            `json:"region"`
	Name           string            `json:"name"`
	Scheme         string            `json:"scheme,omitempty"` // "internet-facing" (default) or "internal"
	VpcID          string            `json:"vpc_id,omitempty"`
	Subnets        []ELBSubnet       `json:"subnets,omitempty"`
	SecurityGroups []string          `json:"security_groups,omitempty"`
	Listeners      []ClassicListener `json:"listeners,omitempty"`
	Instances      []string          `json:"instances,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	CreatedTime    time.Time         `json:"created_time"`
}

// ClassicListener is one listener: Protocol on LoadBalancerPort, forwarded
// as InstanceProtocol (default: Protocol) to InstancePort.
type ClassicListener struct {
	Protocol         string `json:"protocol"`
	LoadBalancerPort int    `json:"load_balancer_port"`
	InstanceProtocol string `json:"instance_protocol,omitempty"`
	InstancePort     int    `json:"instance_port"`
}

// elbClassicVersion is the API version of classic Elastic Load Balancing.
// It signs as "elasticloadbalancing" like ELBv2 (2015-12-01); only the
// query's Version parameter tells the two apart.
const elbClassicVersion = "2012-06-01"

// elbClassicService names classic ELB requests inside the emulator, in
// faults and request counts ("elb", as the AWS CLI names it), so they can
// be told from ELBv2's, which share the signing name and action names.
const elbClassicService = "elb"

const elbClassicNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"

func (lb ClassicLoadBalancer) scheme() string {
	if lb.Scheme == "" {
		return "internet-facing"
	}
	return lb.Scheme
}

// dnsName is the load balancer's DNS name as AWS writes it.
func (lb ClassicLoadBalancer) dnsName() string {
	prefix := ""
	if lb.scheme() == "internal" {
		prefix = "internal-"
	}
	return fmt.Sprintf("%s%s-%d.%s.elb.amazonaws.com", prefix, lb.Name, 1000000000+elbHashNum(lb.Name)%1000000000, lb.Region)
}

// elbHashNum is a stable number for a name, as the digits AWS puts in a
// classic load balancer's DNS name.
func elbHashNum(s string) uint64 {
	n, _ := strconv.ParseUint(elbHash(s)[:12], 16, 64)
	return n
}

// serveELB answers classic Elastic Load Balancing: DescribeLoadBalancers
// (paginated with PageSize and Marker; LoadBalancerNames selects) and
// DescribeTags (at most 20 names) for the request's region.
func serveELB(e *Estate, r *request, server int) (any, error) {
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	size := server
	if v, err := strconv.Atoi(r.Get("PageSize")); err == nil && v > 0 && v < size {
		size = v
	}
	var lbs []ClassicLoadBalancer
	for _, lb := range e.AWS.ELB.LoadBalancers {
		if lb.Region == r.Region {
			lbs = append(lbs, lb)
		}
	}
	slices.SortFunc(lbs, func(a, b ClassicLoadBalancer) int { return strings.Compare(a.Name, b.Name) })
	byName := func(names []string) ([]ClassicLoadBalancer, error) {
		var out []ClassicLoadBalancer
		for _, n := range names {
			i := slices.IndexFunc(lbs, func(lb ClassicLoadBalancer) bool { return lb.Name == n })
			if i < 0 {
				return nil, errorf(400, "LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '%s'", n)
			}
			out = append(out, lbs[i])
		}
		return out, nil
	}

	switch r.Action {
	case "DescribeLoadBalancers":
		sel := lbs
		if names := r.List("LoadBalancerNames"); len(names) > 0 {
			var err error
			if sel, err = byName(names); err != nil {
				return nil, err
			}
		}
		from, to, next, err := page(len(sel), r.Get("Marker"), size)
		if err != nil {
			return nil, err
		}
		type listener struct {
			Protocol         string
			LoadBalancerPort int
			InstanceProtocol string
			InstancePort     int
		}
		type listenerDesc struct {
			Listener    listener
			PolicyNames elbMembers[string]
		}
		type instance struct{ InstanceId string }
		type lbXML struct {
			LoadBalancerName          string
			DNSName                   string
			CanonicalHostedZoneName   string `xml:",omitempty"`
			CanonicalHostedZoneNameID string
			ListenerDescriptions      elbMembers[listenerDesc]
			AvailabilityZones         elbMembers[string]
			Subnets                   elbMembers[string]
			VPCId                     string `xml:",omitempty"`
			Instances                 elbMembers[instance]
			SecurityGroups            elbMembers[string]
			SourceSecurityGroup       *struct{ OwnerAlias, GroupName string } `xml:",omitempty"`
			CreatedTime               string
			Scheme                    string
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeLoadBalancersResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				LoadBalancerDescriptions elbMembers[lbXML]
				NextMarker               string `xml:",omitempty"`
			} `xml:"DescribeLoadBalancersResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Result.NextMarker, v.Metadata.RequestId = elbClassicNamespace, next, "emulated"
		for _, lb := range sel[from:to] {
			x := lbXML{LoadBalancerName: lb.Name, DNSName: lb.dnsName(), CanonicalHostedZoneNameID: "Z35SXDOTRQ7X7K",
				VPCId: lb.VpcID, CreatedTime: lb.CreatedTime.UTC().Format(time.RFC3339), Scheme: lb.scheme(),
				SecurityGroups: elbMembers[string]{Member: lb.SecurityGroups}}
			if lb.scheme() != "internal" {
				x.CanonicalHostedZoneName = x.DNSName
			}
			for _, l := range lb.Listeners {
				ip := l.InstanceProtocol
				if ip == "" {
					ip = l.Protocol
				}
				x.ListenerDescriptions.Member = append(x.ListenerDescriptions.Member, listenerDesc{
					Listener: listener{Protocol: l.Protocol, LoadBalancerPort: l.LoadBalancerPort, InstanceProtocol: ip, InstancePort: l.InstancePort}})
			}
			for _, sn := range lb.Subnets {
				x.Subnets.Member = append(x.Subnets.Member, sn.ID)
				if !slices.Contains(x.AvailabilityZones.Member, sn.AvailabilityZone) {
					x.AvailabilityZones.Member = append(x.AvailabilityZones.Member, sn.AvailabilityZone)
				}
			}
			for _, id := range lb.Instances {
				x.Instances.Member = append(x.Instances.Member, instance{InstanceId: id})
			}
			if len(lb.SecurityGroups) > 0 {
				x.SourceSecurityGroup = &struct{ OwnerAlias, GroupName string }{OwnerAlias: e.AWS.Account.ID, GroupName: lb.SecurityGroups[0]}
			}
			v.Result.LoadBalancerDescriptions.Member = append(v.Result.LoadBalancerDescriptions.Member, x)
		}
		return v, nil

	case "DescribeTags":
		names := r.List("LoadBalancerNames")
		if len(names) == 0 || len(names) > 20 {
			return nil, errorf(400, "ValidationError", "LoadBalancerNames must name 1 to 20 load balancers, not %d", len(names))
		}
		sel, err := byName(names)
		if err != nil {
			return nil, err
		}
		type tag struct{ Key, Value string }
		type tagDesc struct {
			LoadBalancerName string
			Tags             elbMembers[tag]
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeTagsResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				TagDescriptions elbMembers[tagDesc]
			} `xml:"DescribeTagsResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Metadata.RequestId = elbClassicNamespace, "emulated"
		for _, lb := range sel {
			d := tagDesc{LoadBalancerName: lb.Name}
			keys := make([]string, 0, len(lb.Tags))
			for k := range lb.Tags {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				d.Tags.Member = append(d.Tags.Member, tag{Key: k, Value: lb.Tags[k]})
			}
			v.Result.TagDescriptions.Member = append(v.Result.TagDescriptions.Member, d)
		}
		return v, nil
	}
	return nil, errorf(400, "InvalidAction", "emulator: classic elasticloadbalancing action %q not served", r.Action)
}
