package emulator

import (
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ELBv2Estate is elbv2.json: the account's application, network and
// gateway load balancers and their target groups, in every region.
type ELBv2Estate struct {
	LoadBalancers []ELBLoadBalancer `json:"load_balancers"`
	TargetGroups  []ELBTargetGroup  `json:"target_groups"`
}

// ELBLoadBalancer is one load balancer. Its listeners forward to target
// groups of its region, by name.
type ELBLoadBalancer struct {
	Region         string        `json:"region"`
	Name           string        `json:"name"`
	Type           string        `json:"type,omitempty"`   // "application" (default), "network", "gateway"
	Scheme         string        `json:"scheme,omitempty"` // "internet-facing" (default) or "internal"
	VpcID          string        `json:"vpc_id"`
	Subnets        []ELBSubnet   `json:"subnets"`
	SecurityGroups []string      `json:"security_groups,omitempty"`
	Listeners      []ELBListener `json:"listeners,omitempty"`
	CreatedTime    time.Time     `json:"created_time"`
}

// ELBSubnet is a subnet a load balancer has a node in.
type ELBSubnet struct {
	ID               string `json:"id"`
	AvailabilityZone string `json:"availability_zone"`
}

// ELBListener is one listener; TargetGroup names the target group its
// default action forwards to ("" for a fixed response).
type ELBListener struct {
	Protocol    string `json:"protocol"`
	Port        int    `json:"port"`
	TargetGroup string `json:"target_group,omitempty"`
}

// ELBTargetGroup is one target group and its registered targets.
type ELBTargetGroup struct {
	Region     string      `json:"region"`
	Name       string      `json:"name"`
	Protocol   string      `json:"protocol"`
	Port       int         `json:"port"`
	VpcID      string      `json:"vpc_id"`
	TargetType string      `json:"target_type,omitempty"` // "instance" (default), "ip", "lambda"
	Targets    []ELBTarget `json:"targets,omitempty"`
}

// ELBTarget is a registered target; Port 0 is the target group's port.
type ELBTarget struct {
	ID    string `json:"id"`
	Port  int    `json:"port,omitempty"`
	State string `json:"state,omitempty"` // default "healthy"
}

const elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// elbHash is a stable 16-hex-digit id for an ARN, as AWS puts after a name.
func elbHash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())
}

func (lb ELBLoadBalancer) kind() string {
	switch lb.Type {
	case "network":
		return "net"
	case "gateway":
		return "gwy"
	}
	return "app"
}

func (lb ELBLoadBalancer) typ() string {
	if lb.Type == "" {
		return "application"
	}
	return lb.Type
}

func (lb ELBLoadBalancer) scheme() string {
	if lb.Scheme == "" {
		return "internet-facing"
	}
	return lb.Scheme
}

func elbARN(e *Estate, region, resource string) string {
	return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:%s", e.AWS.Account.partition(), region, e.AWS.Account.ID, resource)
}

func (lb ELBLoadBalancer) arn(e *Estate) string {
	return elbARN(e, lb.Region, "loadbalancer/"+lb.kind()+"/"+lb.Name+"/"+elbHash(lb.Name))
}

func (tg ELBTargetGroup) arn(e *Estate) string {
	return elbARN(e, tg.Region, "targetgroup/"+tg.Name+"/"+elbHash(tg.Name))
}

// elbMember is a query-protocol list.
type elbMembers[T any] struct {
	Member []T `xml:"member"`
}

type elbMetadata struct {
	RequestId string
}

// serveELBv2 answers DescribeLoadBalancers, DescribeListeners,
// DescribeTargetGroups (each paginated with PageSize and Marker) and
// DescribeTargetHealth for the request's region.
func serveELBv2(e *Estate, r *request, server int) (any, error) {
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	size := server
	if v, err := strconv.Atoi(r.Get("PageSize")); err == nil && v > 0 && v < size {
		size = v
	}
	var lbs []ELBLoadBalancer
	for _, lb := range e.AWS.ELBv2.LoadBalancers {
		if lb.Region == r.Region {
			lbs = append(lbs, lb)
		}
	}
	slices.SortFunc(lbs, func(a, b ELBLoadBalancer) int { return strings.Compare(a.Name, b.Name) })
	var tgs []ELBTargetGroup
	for _, tg := range e.AWS.ELBv2.TargetGroups {
		if tg.Region == r.Region {
			tgs = append(tgs, tg)
		}
	}
	slices.SortFunc(tgs, func(a, b ELBTargetGroup) int { return strings.Compare(a.Name, b.Name) })
	lbByARN := func(arn string) (ELBLoadBalancer, error) {
		for _, lb := range lbs {
			if lb.arn(e) == arn {
				return lb, nil
			}
		}
		return ELBLoadBalancer{}, errorf(400, "LoadBalancerNotFound", "Load balancers '[%s]' not found", arn)
	}
	// usedBy lists the load balancers whose listeners forward to tg.
	usedBy := func(tg ELBTargetGroup) []string {
		var out []string
		for _, lb := range lbs {
			if slices.ContainsFunc(lb.Listeners, func(l ELBListener) bool { return l.TargetGroup == tg.Name }) {
				out = append(out, lb.arn(e))
			}
		}
		return out
	}

	switch r.Action {
	case "DescribeLoadBalancers":
		if len(r.List("LoadBalancerArns")) > 0 || len(r.List("Names")) > 0 {
			return nil, errorf(400, "ValidationError", "emulator: DescribeLoadBalancers by arn or name is not served")
		}
		from, to, next, err := page(len(lbs), r.Get("Marker"), size)
		if err != nil {
			return nil, err
		}
		type az struct {
			ZoneName string
			SubnetId string
		}
		type lbXML struct {
			LoadBalancerArn       string
			DNSName               string
			CanonicalHostedZoneId string
			CreatedTime           string
			LoadBalancerName      string
			Scheme                string
			VpcId                 string
			State                 struct{ Code string }
			Type                  string
			AvailabilityZones     elbMembers[az]
			SecurityGroups        *elbMembers[string] `xml:",omitempty"`
			IpAddressType         string
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeLoadBalancersResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				LoadBalancers elbMembers[lbXML]
				NextMarker    string `xml:",omitempty"`
			} `xml:"DescribeLoadBalancersResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Result.NextMarker, v.Metadata.RequestId = elbNamespace, next, "emulated"
		for _, lb := range lbs[from:to] {
			x := lbXML{LoadBalancerArn: lb.arn(e), LoadBalancerName: lb.Name, Scheme: lb.scheme(), VpcId: lb.VpcID,
				Type: lb.typ(), CreatedTime: lb.CreatedTime.UTC().Format(time.RFC3339), IpAddressType: "ipv4",
				CanonicalHostedZoneId: "Z35SXDOTRQ7X7K"}
			prefix := ""
			if lb.scheme() == "internal" {
				prefix = "internal-"
			}
			x.DNSName = fmt.Sprintf("%s%s-%s.%s.elb.amazonaws.com", prefix, lb.Name, elbHash(lb.Name)[:10], lb.Region)
			x.State.Code = "active"
			for _, sn := range lb.Subnets {
				x.AvailabilityZones.Member = append(x.AvailabilityZones.Member, az{ZoneName: sn.AvailabilityZone, SubnetId: sn.ID})
			}
			if len(lb.SecurityGroups) > 0 {
				x.SecurityGroups = &elbMembers[string]{Member: lb.SecurityGroups}
			}
			v.Result.LoadBalancers.Member = append(v.Result.LoadBalancers.Member, x)
		}
		return v, nil

	case "DescribeListeners":
		lb, err := lbByARN(r.Get("LoadBalancerArn"))
		if err != nil {
			return nil, err
		}
		from, to, next, err := page(len(lb.Listeners), r.Get("Marker"), size)
		if err != nil {
			return nil, err
		}
		type action struct {
			Type           string
			TargetGroupArn string `xml:",omitempty"`
		}
		type listenerXML struct {
			ListenerArn     string
			LoadBalancerArn string
			Port            int
			Protocol        string
			DefaultActions  elbMembers[action]
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeListenersResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				Listeners  elbMembers[listenerXML]
				NextMarker string `xml:",omitempty"`
			} `xml:"DescribeListenersResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Result.NextMarker, v.Metadata.RequestId = elbNamespace, next, "emulated"
		for _, l := range lb.Listeners[from:to] {
			x := listenerXML{LoadBalancerArn: lb.arn(e), Port: l.Port, Protocol: l.Protocol,
				ListenerArn: elbARN(e, lb.Region, fmt.Sprintf("listener/%s/%s/%s/%s", lb.kind(), lb.Name, elbHash(lb.Name), elbHash(lb.Name+strconv.Itoa(l.Port))))}
			a := action{Type: "fixed-response"}
			if l.TargetGroup != "" {
				a = action{Type: "forward", TargetGroupArn: ELBTargetGroup{Region: lb.Region, Name: l.TargetGroup}.arn(e)}
			}
			x.DefaultActions.Member = []action{a}
			v.Result.Listeners.Member = append(v.Result.Listeners.Member, x)
		}
		return v, nil

	case "DescribeTargetGroups":
		sel := tgs
		if arn := r.Get("LoadBalancerArn"); arn != "" {
			if _, err := lbByARN(arn); err != nil {
				return nil, err
			}
			sel = nil
			for _, tg := range tgs {
				if slices.Contains(usedBy(tg), arn) {
					sel = append(sel, tg)
				}
			}
		}
		from, to, next, err := page(len(sel), r.Get("Marker"), size)
		if err != nil {
			return nil, err
		}
		type tgXML struct {
			TargetGroupArn   string
			TargetGroupName  string
			Protocol         string
			Port             int
			VpcId            string
			TargetType       string
			LoadBalancerArns elbMembers[string]
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeTargetGroupsResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				TargetGroups elbMembers[tgXML]
				NextMarker   string `xml:",omitempty"`
			} `xml:"DescribeTargetGroupsResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Result.NextMarker, v.Metadata.RequestId = elbNamespace, next, "emulated"
		for _, tg := range sel[from:to] {
			tt := tg.TargetType
			if tt == "" {
				tt = "instance"
			}
			v.Result.TargetGroups.Member = append(v.Result.TargetGroups.Member, tgXML{TargetGroupArn: tg.arn(e),
				TargetGroupName: tg.Name, Protocol: tg.Protocol, Port: tg.Port, VpcId: tg.VpcID, TargetType: tt,
				LoadBalancerArns: elbMembers[string]{Member: usedBy(tg)}})
		}
		return v, nil

	case "DescribeTargetHealth":
		arn := r.Get("TargetGroupArn")
		i := slices.IndexFunc(tgs, func(tg ELBTargetGroup) bool { return tg.arn(e) == arn })
		if i < 0 {
			return nil, errorf(400, "TargetGroupNotFound", "Target groups '[%s]' not found", arn)
		}
		tg := tgs[i]
		type desc struct {
			Target struct {
				Id   string
				Port int
			}
			HealthCheckPort string
			TargetHealth    struct{ State string }
		}
		var v struct {
			XMLName xml.Name `xml:"DescribeTargetHealthResponse"`
			Xmlns   string   `xml:"xmlns,attr"`
			Result  struct {
				TargetHealthDescriptions elbMembers[desc]
			} `xml:"DescribeTargetHealthResult"`
			Metadata elbMetadata `xml:"ResponseMetadata"`
		}
		v.Xmlns, v.Metadata.RequestId = elbNamespace, "emulated"
		for _, t := range tg.Targets {
			var d desc
			d.Target.Id, d.Target.Port = t.ID, t.Port
			if d.Target.Port == 0 {
				d.Target.Port = tg.Port
			}
			d.HealthCheckPort = "traffic-port"
			d.TargetHealth.State = t.State
			if d.TargetHealth.State == "" {
				d.TargetHealth.State = "healthy"
			}
			v.Result.TargetHealthDescriptions.Member = append(v.Result.TargetHealthDescriptions.Member, d)
		}
		return v, nil
	}
	return nil, errorf(400, "InvalidAction", "emulator: elasticloadbalancing action %q not served", r.Action)
}
