package gcp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// lbAPI is what the load balancer table asks of Compute Engine: the
// forwarding rules, and each object they lead to, by its self link (which
// names its project, its location — global, a region or a zone — and its
// collection).
type lbAPI interface {
	// ForwardingRules is forwardingRules.aggregatedList (every region); it
	// also returns the regions that did not answer.
	ForwardingRules(ctx context.Context, project string) ([]*computepb.ForwardingRule, []string, error)
	GlobalForwardingRules(ctx context.Context, project string) ([]*computepb.ForwardingRule, error)
	TargetPool(ctx context.Context, link string) (*computepb.TargetPool, error)
	TargetInstance(ctx context.Context, link string) (*computepb.TargetInstance, error)
	// TargetProxy reads a target HTTP, HTTPS, SSL or TCP proxy, global or
	// regional.
	TargetProxy(ctx context.Context, link string) (*targetProxy, error)
	URLMap(ctx context.Context, link string) (*computepb.UrlMap, error)
	BackendService(ctx context.Context, link string) (*computepb.BackendService, error)
	InstanceGroup(ctx context.Context, link string) (*computepb.InstanceGroup, error)
	// GroupInstances is the group's listInstances, every state.
	GroupInstances(ctx context.Context, link string) ([]*computepb.InstanceWithNamedPorts, error)
	// ProxySubnets are the subnetworks of a region whose purpose is
	// REGIONAL_MANAGED_PROXY (the proxy-only subnets).
	ProxySubnets(ctx context.Context, project, region string) ([]*computepb.Subnetwork, error)
}

// targetProxy is what a target proxy forwards to: a URL map (HTTP,
// HTTPS) or a backend service (SSL, TCP).
type targetProxy struct {
	URLMap, Service string
}

// lbClients are the Compute REST clients the load balancer table uses.
type lbClients struct {
	forwardingRules       *compute.ForwardingRulesClient
	globalForwardingRules *compute.GlobalForwardingRulesClient
	targetPools           *compute.TargetPoolsClient
	targetInstances       *compute.TargetInstancesClient
	httpProxies           *compute.TargetHttpProxiesClient
	httpsProxies          *compute.TargetHttpsProxiesClient
	sslProxies            *compute.TargetSslProxiesClient
	tcpProxies            *compute.TargetTcpProxiesClient
	regionHTTPProxies     *compute.RegionTargetHttpProxiesClient
	regionHTTPSProxies    *compute.RegionTargetHttpsProxiesClient
	regionTCPProxies      *compute.RegionTargetTcpProxiesClient
	urlMaps               *compute.UrlMapsClient
	regionURLMaps         *compute.RegionUrlMapsClient
	backendServices       *compute.BackendServicesClient
	regionBackendServices *compute.RegionBackendServicesClient
	instanceGroups        *compute.InstanceGroupsClient
	regionInstanceGroups  *compute.RegionInstanceGroupsClient
	subnetworks           *compute.SubnetworksClient
	opts                  []gax.CallOption
}

// newLBClients builds the clients; each is appended to closers as soon
// as it exists.
func newLBClients(ctx context.Context, o []option.ClientOption, callOpts []gax.CallOption, closers *[]func() error) (*lbClients, error) {
	c := &lbClients{opts: callOpts}
	var err error
	build := func(name string, f func() (func() error, error)) {
		if err != nil {
			return
		}
		var closer func() error
		if closer, err = f(); err != nil {
			err = fmt.Errorf("gcp: compute %s client: %w", name, err)
			return
		}
		*closers = append(*closers, closer)
	}
	build("forwardingRules", func() (func() error, error) {
		x, err := compute.NewForwardingRulesRESTClient(ctx, o...)
		c.forwardingRules = x
		return closeOf(x, err)
	})
	build("globalForwardingRules", func() (func() error, error) {
		x, err := compute.NewGlobalForwardingRulesRESTClient(ctx, o...)
		c.globalForwardingRules = x
		return closeOf(x, err)
	})
	build("targetPools", func() (func() error, error) {
		x, err := compute.NewTargetPoolsRESTClient(ctx, o...)
		c.targetPools = x
		return closeOf(x, err)
	})
	build("targetInstances", func() (func() error, error) {
		x, err := compute.NewTargetInstancesRESTClient(ctx, o...)
		c.targetInstances = x
		return closeOf(x, err)
	})
	build("targetHttpProxies", func() (func() error, error) {
		x, err := compute.NewTargetHttpProxiesRESTClient(ctx, o...)
		c.httpProxies = x
		return closeOf(x, err)
	})
	build("targetHttpsProxies", func() (func() error, error) {
		x, err := compute.NewTargetHttpsProxiesRESTClient(ctx, o...)
		c.httpsProxies = x
		return closeOf(x, err)
	})
	build("targetSslProxies", func() (func() error, error) {
		x, err := compute.NewTargetSslProxiesRESTClient(ctx, o...)
		c.sslProxies = x
		return closeOf(x, err)
	})
	build("targetTcpProxies", func() (func() error, error) {
		x, err := compute.NewTargetTcpProxiesRESTClient(ctx, o...)
		c.tcpProxies = x
		return closeOf(x, err)
	})
	build("regionTargetHttpProxies", func() (func() error, error) {
		x, err := compute.NewRegionTargetHttpProxiesRESTClient(ctx, o...)
		c.regionHTTPProxies = x
		return closeOf(x, err)
	})
	build("regionTargetHttpsProxies", func() (func() error, error) {
		x, err := compute.NewRegionTargetHttpsProxiesRESTClient(ctx, o...)
		c.regionHTTPSProxies = x
		return closeOf(x, err)
	})
	build("regionTargetTcpProxies", func() (func() error, error) {
		x, err := compute.NewRegionTargetTcpProxiesRESTClient(ctx, o...)
		c.regionTCPProxies = x
		return closeOf(x, err)
	})
	build("urlMaps", func() (func() error, error) {
		x, err := compute.NewUrlMapsRESTClient(ctx, o...)
		c.urlMaps = x
		return closeOf(x, err)
	})
	build("regionUrlMaps", func() (func() error, error) {
		x, err := compute.NewRegionUrlMapsRESTClient(ctx, o...)
		c.regionURLMaps = x
		return closeOf(x, err)
	})
	build("backendServices", func() (func() error, error) {
		x, err := compute.NewBackendServicesRESTClient(ctx, o...)
		c.backendServices = x
		return closeOf(x, err)
	})
	build("regionBackendServices", func() (func() error, error) {
		x, err := compute.NewRegionBackendServicesRESTClient(ctx, o...)
		c.regionBackendServices = x
		return closeOf(x, err)
	})
	build("instanceGroups", func() (func() error, error) {
		x, err := compute.NewInstanceGroupsRESTClient(ctx, o...)
		c.instanceGroups = x
		return closeOf(x, err)
	})
	build("regionInstanceGroups", func() (func() error, error) {
		x, err := compute.NewRegionInstanceGroupsRESTClient(ctx, o...)
		c.regionInstanceGroups = x
		return closeOf(x, err)
	})
	build("subnetworks", func() (func() error, error) {
		x, err := compute.NewSubnetworksRESTClient(ctx, o...)
		c.subnetworks = x
		return closeOf(x, err)
	})
	return c, err
}

// closeOf is the Close of a client just built, or the error building it.
func closeOf[C interface{ Close() error }](c C, err error) (func() error, error) {
	if err != nil {
		return nil, err
	}
	return c.Close, nil
}

// ref is a Compute self link read apart: "…/projects/P/regions/R/targetPools/N"
// is {P, "regions", R, "targetPools", N}; Where is "global", "regions" or
// "zones".
type ref struct {
	Project, Where, Location, Collection, Name string
}

// parseRef reads a self link or a relative name ("projects/P/global/…").
func parseRef(link string) (ref, bool) {
	name := strings.TrimPrefix(computeName(link), "//compute.googleapis.com/")
	p := strings.Split(name, "/")
	switch {
	case len(p) == 5 && p[0] == "projects" && p[2] == "global":
		return ref{Project: p[1], Where: "global", Collection: p[3], Name: p[4]}, true
	case len(p) == 6 && p[0] == "projects" && (p[2] == "regions" || p[2] == "zones"):
		return ref{Project: p[1], Where: p[2], Location: p[3], Collection: p[4], Name: p[5]}, true
	}
	return ref{}, false
}

// method names the API method that reads r with verb, as Google names
// it: a regional backend service's get is regionBackendServices.get.
func (r ref) method(verb string) string {
	switch r.Collection {
	case "backendServices", "targetHttpProxies", "targetHttpsProxies", "targetTcpProxies", "urlMaps", "instanceGroups":
		if r.Where == "regions" {
			c, n := utf8.DecodeRuneInString(r.Collection)
			return "region" + string(unicode.ToUpper(c)) + r.Collection[n:] + "." + verb
		}
	}
	return r.Collection + "." + verb
}

// errRef is returned for a link the table cannot read.
var errRef = errors.New("not a Compute resource link the collector reads")

func (c *lbClients) ForwardingRules(ctx context.Context, project string) ([]*computepb.ForwardingRule, []string, error) {
	it := c.forwardingRules.AggregatedList(ctx, &computepb.AggregatedListForwardingRulesRequest{Project: project}, c.opts...)
	return drainAggregated(it.Next, func() any { return it.Response },
		func(p compute.ForwardingRulesScopedListPair) (string, *computepb.Warning, []*computepb.ForwardingRule) {
			return p.Key, p.Value.GetWarning(), p.Value.GetForwardingRules()
		})
}

func (c *lbClients) GlobalForwardingRules(ctx context.Context, project string) ([]*computepb.ForwardingRule, error) {
	return drain(c.globalForwardingRules.List(ctx, &computepb.ListGlobalForwardingRulesRequest{Project: project}, c.opts...).Next)
}

func (c *lbClients) TargetPool(ctx context.Context, link string) (*computepb.TargetPool, error) {
	r, ok := parseRef(link)
	if !ok || r.Where != "regions" {
		return nil, errRef
	}
	return c.targetPools.Get(ctx, &computepb.GetTargetPoolRequest{Project: r.Project, Region: r.Location, TargetPool: r.Name}, c.opts...)
}

func (c *lbClients) TargetInstance(ctx context.Context, link string) (*computepb.TargetInstance, error) {
	r, ok := parseRef(link)
	if !ok || r.Where != "zones" {
		return nil, errRef
	}
	return c.targetInstances.Get(ctx, &computepb.GetTargetInstanceRequest{Project: r.Project, Zone: r.Location, TargetInstance: r.Name}, c.opts...)
}

func (c *lbClients) TargetProxy(ctx context.Context, link string) (*targetProxy, error) {
	r, ok := parseRef(link)
	if !ok {
		return nil, errRef
	}
	global := r.Where == "global"
	switch {
	case r.Collection == "targetHttpProxies" && global:
		p, err := c.httpProxies.Get(ctx, &computepb.GetTargetHttpProxyRequest{Project: r.Project, TargetHttpProxy: r.Name}, c.opts...)
		return &targetProxy{URLMap: p.GetUrlMap()}, err
	case r.Collection == "targetHttpProxies":
		p, err := c.regionHTTPProxies.Get(ctx, &computepb.GetRegionTargetHttpProxyRequest{Project: r.Project, Region: r.Location, TargetHttpProxy: r.Name}, c.opts...)
		return &targetProxy{URLMap: p.GetUrlMap()}, err
	case r.Collection == "targetHttpsProxies" && global:
		p, err := c.httpsProxies.Get(ctx, &computepb.GetTargetHttpsProxyRequest{Project: r.Project, TargetHttpsProxy: r.Name}, c.opts...)
		return &targetProxy{URLMap: p.GetUrlMap()}, err
	case r.Collection == "targetHttpsProxies":
		p, err := c.regionHTTPSProxies.Get(ctx, &computepb.GetRegionTargetHttpsProxyRequest{Project: r.Project, Region: r.Location, TargetHttpsProxy: r.Name}, c.opts...)
		return &targetProxy{URLMap: p.GetUrlMap()}, err
	case r.Collection == "targetSslProxies" && global:
		p, err := c.sslProxies.Get(ctx, &computepb.GetTargetSslProxyRequest{Project: r.Project, TargetSslProxy: r.Name}, c.opts...)
		return &targetProxy{Service: p.GetService()}, err
	case r.Collection == "targetTcpProxies" && global:
		p, err := c.tcpProxies.Get(ctx, &computepb.GetTargetTcpProxyRequest{Project: r.Project, TargetTcpProxy: r.Name}, c.opts...)
		return &targetProxy{Service: p.GetService()}, err
	case r.Collection == "targetTcpProxies":
		p, err := c.regionTCPProxies.Get(ctx, &computepb.GetRegionTargetTcpProxyRequest{Project: r.Project, Region: r.Location, TargetTcpProxy: r.Name}, c.opts...)
		return &targetProxy{Service: p.GetService()}, err
	}
	return nil, errRef
}

func (c *lbClients) URLMap(ctx context.Context, link string) (*computepb.UrlMap, error) {
	r, ok := parseRef(link)
	switch {
	case ok && r.Where == "global":
		return c.urlMaps.Get(ctx, &computepb.GetUrlMapRequest{Project: r.Project, UrlMap: r.Name}, c.opts...)
	case ok && r.Where == "regions":
		return c.regionURLMaps.Get(ctx, &computepb.GetRegionUrlMapRequest{Project: r.Project, Region: r.Location, UrlMap: r.Name}, c.opts...)
	}
	return nil, errRef
}

func (c *lbClients) BackendService(ctx context.Context, link string) (*computepb.BackendService, error) {
	r, ok := parseRef(link)
	switch {
	case ok && r.Where == "global":
		return c.backendServices.Get(ctx, &computepb.GetBackendServiceRequest{Project: r.Project, BackendService: r.Name}, c.opts...)
	case ok && r.Where == "regions":
		return c.regionBackendServices.Get(ctx, &computepb.GetRegionBackendServiceRequest{Project: r.Project, Region: r.Location, BackendService: r.Name}, c.opts...)
	}
	return nil, errRef
}

func (c *lbClients) InstanceGroup(ctx context.Context, link string) (*computepb.InstanceGroup, error) {
	r, ok := parseRef(link)
	switch {
	case ok && r.Where == "zones":
		return c.instanceGroups.Get(ctx, &computepb.GetInstanceGroupRequest{Project: r.Project, Zone: r.Location, InstanceGroup: r.Name}, c.opts...)
	case ok && r.Where == "regions":
		return c.regionInstanceGroups.Get(ctx, &computepb.GetRegionInstanceGroupRequest{Project: r.Project, Region: r.Location, InstanceGroup: r.Name}, c.opts...)
	}
	return nil, errRef
}

func (c *lbClients) GroupInstances(ctx context.Context, link string) ([]*computepb.InstanceWithNamedPorts, error) {
	r, ok := parseRef(link)
	all := proto.String("ALL")
	switch {
	case ok && r.Where == "zones":
		return drain(c.instanceGroups.ListInstances(ctx, &computepb.ListInstancesInstanceGroupsRequest{Project: r.Project, Zone: r.Location, InstanceGroup: r.Name,
			InstanceGroupsListInstancesRequestResource: &computepb.InstanceGroupsListInstancesRequest{InstanceState: all}}, c.opts...).Next)
	case ok && r.Where == "regions":
		return drain(c.regionInstanceGroups.ListInstances(ctx, &computepb.ListInstancesRegionInstanceGroupsRequest{Project: r.Project, Region: r.Location, InstanceGroup: r.Name,
			RegionInstanceGroupsListInstancesRequestResource: &computepb.RegionInstanceGroupsListInstancesRequest{InstanceState: all}}, c.opts...).Next)
	}
	return nil, errRef
}

func (c *lbClients) ProxySubnets(ctx context.Context, project, region string) ([]*computepb.Subnetwork, error) {
	subnets, err := drain(c.subnetworks.List(ctx, &computepb.ListSubnetworksRequest{Project: project, Region: region,
		Filter: proto.String(`purpose = "REGIONAL_MANAGED_PROXY"`)}, c.opts...).Next)
	// The filter is applied again here: what matters is that no other
	// subnet is taken for one.
	return slices.DeleteFunc(subnets, func(s *computepb.Subnetwork) bool { return s.GetPurpose() != "REGIONAL_MANAGED_PROXY" }), err
}

// gfeRanges are the ranges Google's front ends reach backends from, for
// the global external Application Load Balancer, the classic one, and
// the external proxy Network Load Balancers (SSL, TCP).
var gfeRanges = []string{"35.191.0.0/16", "130.211.0.0/22"}

// Load balancer types of GCP (LoadBalancer.Type).
const (
	lbExternalPassthrough = "external-passthrough"
	lbExternalProxy       = "external-proxy"
	lbInternalPassthrough = "internal-passthrough"
	lbInternalProxy       = "internal-proxy"
)

// loadBalancerTable reads a project's forwarding rules
// (forwardingRules.aggregatedList, globalForwardingRules.list) and what
// each forwards to. A rule with a loadBalancingScheme is a load balancer
// (KindLoadBalancer) named as CAI names the rule,
// //compute.googleapis.com/projects/P/regions/R/forwardingRules/NAME (or
// /global/forwardingRules/NAME), NativeType compute.googleapis.com/ForwardingRule:
//
//   - Scheme: EXTERNAL and EXTERNAL_MANAGED are internet-facing, with
//     ProviderFront (Google routes the address to it; no subnet route
//     applies) and no firewall of their own; INTERNAL* are internal, in
//     their subnetwork.
//   - Addresses: the rule's IPAddress. Listeners: one per port or port
//     range of its ports, portRange or allPorts (0–65535, as is a rule
//     that names none), with the IP protocol (TCP, UDP;
//     L3_DEFAULT is TCP_UDP) for passthrough rules and the proxy's for
//     proxies (HTTP, HTTPS, TLS for SSL, TCP).
//   - Targets, each a targets edge: a target pool's instances (and its
//     backup pool's), a target instance's instance, or the instances of
//     the instance groups (listInstances, every state) behind a backend
//     service — the rule's own (passthrough), a target SSL or TCP proxy's,
//     or every backend service of a target HTTP(S) proxy's URL map.
//     Passthrough targets receive on the listener ports and keep the
//     client's address (no SourceRanges); proxy targets receive on the
//     backend service's named port resolved through the instance group's
//     namedPorts (else the service's port, else 80), from Google's front
//     ends (35.191.0.0/16, 130.211.0.0/22) for a global proxy and from
//     the region's proxy-only subnets for a regional one.
//
// Rules without a scheme (Private Service Connect) and rules to VPN
// gateways forward to no instance and are left out. What cannot be read
// or resolved (a call that fails, a network endpoint group, a target type
// not read) is a gap naming the load balancer, and its TargetsUnknown.
func loadBalancerTable() table {
	return table{Service: "compute", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		return collectLoadBalancers(ctx, cl.lb, s, out)
	}}
}

// lbProject collects the load balancers of one project; its caches keep
// each object read once.
type lbProject struct {
	api  lbAPI
	s    scope
	out  *collectors.Result
	seen map[string]lbRead
}

// lbRead is one read of an object, kept.
type lbRead struct {
	v   any
	err error
}

// read returns what get returns for link, once per link.
func read[T any](c *lbProject, ctx context.Context, link string, get func(context.Context, string) (T, error)) (T, error) {
	key := computeName(link)
	if r, ok := c.seen[key]; ok {
		v, _ := r.v.(T)
		return v, r.err
	}
	v, err := get(ctx, link)
	c.seen[key] = lbRead{v: v, err: err}
	return v, err
}

func collectLoadBalancers(ctx context.Context, api lbAPI, s scope, out *collectors.Result) error {
	c := &lbProject{api: api, s: s, out: out, seen: map[string]lbRead{}}
	rules, lost, err := api.ForwardingRules(ctx, s.Project)
	for _, sc := range lost {
		region := cmp.Or(pathValue(sc, "regions"), sc)
		out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: s.Project, Region: region, Service: "compute", Operation: "forwardingRules.aggregatedList",
			Reason: inventory.GapUnreachable, Message: "the forwarding rules of " + region + " could not be listed (" + sc + " unreachable)"})
	}
	if err != nil {
		if gerr := s.gap(out, "compute", "forwardingRules.aggregatedList", "", err); gerr != nil || classify(err) == inventory.GapRegionDisabled {
			return gerr
		}
	}
	global, err := api.GlobalForwardingRules(ctx, s.Project)
	if err != nil {
		if gerr := s.gap(out, "compute", "globalForwardingRules.list", "", err); gerr != nil {
			return gerr
		}
	}
	for _, fr := range append(rules, global...) {
		r, ok, err := c.rule(ctx, fr)
		if err != nil {
			return err
		}
		if ok {
			out.Add(r)
		}
	}
	return nil
}

// rule maps one forwarding rule; ok is false for one that is no load
// balancer. The error is fatal to the run.
func (c *lbProject) rule(ctx context.Context, fr *computepb.ForwardingRule) (inventory.Resource, bool, error) {
	scheme := strings.ToUpper(fr.GetLoadBalancingScheme())
	target := fr.GetTarget()
	tr, _ := parseRef(target)
	if scheme == "" || scheme == "LOAD_BALANCING_SCHEME_UNSPECIFIED" || tr.Collection == "targetVpnGateways" {
		return inventory.Resource{}, false, nil
	}
	region := "global"
	if fr.GetRegion() != "" {
		region = lastSegment(fr.GetRegion())
	}
	r := inventory.Resource{ID: computeName(fr.GetSelfLink()), Cloud: inventory.GCP, Account: c.s.Project, Region: region,
		Kind: inventory.KindLoadBalancer, NativeType: "compute.googleapis.com/ForwardingRule", Name: fr.GetName(), Tags: tagMap(fr.GetLabels())}
	if r.ID == "" {
		where := "global"
		if region != "global" {
			where = "regions/" + region
		}
		r.ID = "//compute.googleapis.com/projects/" + c.s.Project + "/" + where + "/forwardingRules/" + fr.GetName()
	}
	external := scheme == "EXTERNAL" || scheme == "EXTERNAL_MANAGED"
	lb := &inventory.LoadBalancer{Scheme: inventory.SchemeInternal, NetworkID: computeName(fr.GetNetwork())}
	if external {
		lb.Scheme, lb.ProviderFront = inventory.SchemeInternetFacing, true
	} else if sn := computeName(fr.GetSubnetwork()); sn != "" {
		lb.SubnetIDs = []string{sn}
		r.AddEdge(inventory.RelIn, sn)
	}
	lb.Addresses = appendUniq(nil, fr.GetIPAddress())
	r.LoadBalancer = lb
	ports := rulePorts(fr)
	res := &lbTargets{lb: lb, id: r.ID, project: c}

	proxy := ""
	switch tr.Collection {
	case "targetHttpProxies":
		proxy = "HTTP"
	case "targetHttpsProxies":
		proxy = "HTTPS"
	case "targetSslProxies":
		proxy = "TLS"
	case "targetTcpProxies":
		proxy = "TCP"
	}
	if proxy != "" {
		lb.Type = lbExternalProxy
		if !external {
			lb.Type = lbInternalProxy
		}
		for _, p := range ports {
			lb.Listeners = append(lb.Listeners, listener(proxy, p))
		}
	} else {
		lb.Type = lbExternalPassthrough
		if !external {
			lb.Type = lbInternalPassthrough
		}
		proto := strings.ToUpper(cmp.Or(fr.GetIPProtocol(), "TCP"))
		if proto == "L3_DEFAULT" {
			proto = "TCP_UDP"
		}
		for _, p := range ports {
			lb.Listeners = append(lb.Listeners, listener(proto, p))
		}
		res.ports, res.proto = ports, proto
	}

	var err error
	switch {
	case tr.Collection == "targetPools":
		err = res.pool(ctx, target, true)
	case tr.Collection == "targetInstances":
		err = res.targetInstance(ctx, target)
	case proxy != "":
		if external && tr.Where == "global" {
			lb.SourceRanges = slices.Clone(gfeRanges)
		} else if external {
			err = res.proxySubnets(ctx, tr.Project, tr.Location, lb.NetworkID)
		}
		if err == nil {
			err = res.proxy(ctx, target)
		}
	case target == "" && fr.GetBackendService() != "":
		err = res.service(ctx, fr.GetBackendService(), false)
	case target == "":
		err = res.unknown("forwardingRules.get", "the rule names neither a target nor a backend service", inventory.GapMalformed)
	default:
		err = res.unknown(tr.method("get"), "its target "+computeName(target)+" is a "+cmp.Or(tr.Collection, "resource")+", which the collector does not read", inventory.GapError)
	}
	if err != nil {
		return r, false, err
	}
	slices.SortFunc(lb.Targets, func(a, b inventory.LBTarget) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), a.Port-b.Port, a.ToPort-b.ToPort, strings.Compare(a.Protocol, b.Protocol))
	})
	lb.Targets = slices.Compact(lb.Targets)
	slices.Sort(res.instances)
	for _, id := range res.instances {
		r.AddEdge(inventory.RelTargets, id)
	}
	return r, true, nil
}

// rulePorts are the port ranges of a forwarding rule: its ports, its
// portRange, or 0–65535 for allPorts or a rule that names none.
func rulePorts(fr *computepb.ForwardingRule) []inventory.PortRange {
	every := []inventory.PortRange{{From: 0, To: 65535}}
	if fr.GetAllPorts() {
		return every
	}
	var out []inventory.PortRange
	for _, p := range fr.GetPorts() {
		if pr, ok := portRange(p); ok {
			out = append(out, pr)
		}
	}
	if pr, ok := portRange(fr.GetPortRange()); ok {
		out = append(out, pr)
	}
	if len(out) == 0 {
		return every
	}
	slices.SortFunc(out, func(a, b inventory.PortRange) int { return cmp.Or(a.From-b.From, a.To-b.To) })
	return slices.Compact(out)
}

// listener is a listener on a port range (ToPort only for a range).
func listener(proto string, pr inventory.PortRange) inventory.Listener {
	l := inventory.Listener{Protocol: proto, Port: pr.From}
	if pr.To > pr.From {
		l.ToPort = pr.To
	}
	return l
}

// lbTargets gathers the targets of one load balancer.
type lbTargets struct {
	lb      *inventory.LoadBalancer
	id      string
	project *lbProject
	// ports and proto are what a passthrough target receives on: the
	// listener port ranges and the rule's protocol.
	ports     []inventory.PortRange
	proto     string
	instances []string
}

// add names an instance (a self link) as a target on the port ranges
// given (none: the port is not known: the edge only).
func (t *lbTargets) add(link, proto string, ports []inventory.PortRange) {
	id := computeName(link)
	if id == "" {
		return
	}
	t.instances = appendUniq(t.instances, id)
	for _, p := range ports {
		tg := inventory.LBTarget{ID: id, Port: p.From, Protocol: proto}
		if p.To > p.From {
			tg.ToPort = p.To
		}
		t.lb.Targets = append(t.lb.Targets, tg)
	}
}

// fail records that the targets could not all be read because reading
// what (a link, or a description) with op failed, and the gap; the error
// is returned only when it is fatal to the run.
func (t *lbTargets) fail(op, what string, err error) error {
	if fatal(err) {
		return fmt.Errorf("gcp compute %s %s (project %s): %w", op, what, t.project.s.Project, err)
	}
	reason := classify(err)
	if errors.Is(err, errRef) {
		reason = inventory.GapMalformed
	}
	return t.unknown(op, what+": "+errorMessage(err), reason)
}

// unknown records targets that are not read, with why.
func (t *lbTargets) unknown(op, why string, reason inventory.GapReason) error {
	t.lb.TargetsUnknown = true
	t.project.out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: t.project.s.Project, Region: cmp.Or(pathValue(t.id, "regions"), "global"),
		Service: "compute", Operation: op, Resource: t.id, Reason: reason,
		Message: "targets of load balancer " + lastSegment(t.id) + " unknown: " + why})
	return nil
}

// pool adds a target pool's instances, and its backup pool's.
func (t *lbTargets) pool(ctx context.Context, link string, backup bool) error {
	r, _ := parseRef(link)
	tp, err := read(t.project, ctx, link, t.project.api.TargetPool)
	if err != nil {
		return t.fail(r.method("get"), computeName(link), err)
	}
	for _, in := range tp.GetInstances() {
		t.add(in, t.proto, t.ports)
	}
	if b := tp.GetBackupPool(); b != "" && backup {
		return t.pool(ctx, b, false)
	}
	return nil
}

func (t *lbTargets) targetInstance(ctx context.Context, link string) error {
	r, _ := parseRef(link)
	ti, err := read(t.project, ctx, link, t.project.api.TargetInstance)
	if err != nil {
		return t.fail(r.method("get"), computeName(link), err)
	}
	t.add(ti.GetInstance(), t.proto, t.ports)
	return nil
}

// proxySubnets sets SourceRanges to the proxy-only subnets of a regional
// proxy's region (on its network when it names one).
func (t *lbTargets) proxySubnets(ctx context.Context, project, region, network string) error {
	key := "proxy-subnets/" + project + "/" + region
	subnets, err := read(t.project, ctx, key, func(ctx context.Context, _ string) ([]*computepb.Subnetwork, error) {
		return t.project.api.ProxySubnets(ctx, project, region)
	})
	if err != nil {
		t.lb.SourceRangesUnknown = true
		return t.fail("subnetworks.list", "proxy-only subnets of "+region, err)
	}
	for _, sn := range subnets {
		if network == "" || computeName(sn.GetNetwork()) == network {
			t.lb.SourceRanges = appendUniq(t.lb.SourceRanges, sn.GetIpCidrRange())
		}
	}
	if len(t.lb.SourceRanges) == 0 {
		t.lb.SourceRangesUnknown = true
		return t.unknown("subnetworks.list", "no proxy-only subnet found in "+region+", so the addresses its proxies reach targets from are unknown", inventory.GapError)
	}
	return nil
}

// proxy adds the targets of a target proxy: its backend service, or the
// backend services of its URL map.
func (t *lbTargets) proxy(ctx context.Context, link string) error {
	r, _ := parseRef(link)
	p, err := read(t.project, ctx, link, t.project.api.TargetProxy)
	if err != nil {
		return t.fail(r.method("get"), computeName(link), err)
	}
	if p.Service != "" {
		return t.service(ctx, p.Service, true)
	}
	if p.URLMap == "" {
		return t.unknown(r.method("get"), "target proxy "+computeName(link)+" names no URL map", inventory.GapMalformed)
	}
	mr, _ := parseRef(p.URLMap)
	m, err := read(t.project, ctx, p.URLMap, t.project.api.URLMap)
	if err != nil {
		return t.fail(mr.method("get"), computeName(p.URLMap), err)
	}
	for _, svc := range urlMapServices(m) {
		if err := t.service(ctx, svc, true); err != nil {
			return err
		}
	}
	return nil
}

// urlMapServices are the backend services a URL map routes to (backend
// buckets serve Cloud Storage objects, not instances, and are left out).
func urlMapServices(m *computepb.UrlMap) []string {
	var out []string
	add := func(links ...string) {
		for _, l := range links {
			if r, ok := parseRef(l); ok && r.Collection == "backendServices" {
				out = appendUniq(out, l)
			}
		}
	}
	weighted := func(a *computepb.HttpRouteAction) {
		for _, w := range a.GetWeightedBackendServices() {
			add(w.GetBackendService())
		}
	}
	add(m.GetDefaultService())
	weighted(m.GetDefaultRouteAction())
	for _, pm := range m.GetPathMatchers() {
		add(pm.GetDefaultService())
		weighted(pm.GetDefaultRouteAction())
		for _, pr := range pm.GetPathRules() {
			add(pr.GetService())
			weighted(pr.GetRouteAction())
		}
		for _, rr := range pm.GetRouteRules() {
			add(rr.GetService())
			weighted(rr.GetRouteAction())
		}
	}
	return out
}

// service adds the instances of a backend service's instance groups. A
// proxied service's targets receive on its named port; a passthrough
// one's on the listener ports.
func (t *lbTargets) service(ctx context.Context, link string, proxied bool) error {
	r, _ := parseRef(link)
	bs, err := read(t.project, ctx, link, t.project.api.BackendService)
	if err != nil {
		return t.fail(r.method("get"), computeName(link), err)
	}
	for _, b := range bs.GetBackends() {
		gr, ok := parseRef(b.GetGroup())
		if !ok || gr.Collection != "instanceGroups" {
			if err := t.unknown("networkEndpointGroups.listNetworkEndpoints", "backend "+computeName(b.GetGroup())+" of "+computeName(link)+
				" is a network endpoint group, whose endpoints the collector does not read", inventory.GapError); err != nil {
				return err
			}
			continue
		}
		members, err := read(t.project, ctx, b.GetGroup()+"/listInstances", func(ctx context.Context, l string) ([]*computepb.InstanceWithNamedPorts, error) {
			return t.project.api.GroupInstances(ctx, strings.TrimSuffix(l, "/listInstances"))
		})
		if err != nil {
			if err := t.fail(gr.method("listInstances"), computeName(b.GetGroup()), err); err != nil {
				return err
			}
			continue
		}
		if !proxied {
			for _, m := range members {
				t.add(m.GetInstance(), t.proto, t.ports)
			}
			continue
		}
		port, proto := int(bs.GetPort()), cmp.Or(strings.ToUpper(bs.GetProtocol()), "HTTP")
		name := cmp.Or(bs.GetPortName(), "http")
		g, err := read(t.project, ctx, b.GetGroup(), t.project.api.InstanceGroup)
		if err != nil {
			// The members are known, the port they receive on is not:
			// they are named without one (any port).
			if err := t.fail(gr.method("get"), "named ports of "+computeName(b.GetGroup()), err); err != nil {
				return err
			}
			for _, m := range members {
				t.add(m.GetInstance(), proto, nil)
			}
			continue
		}
		for _, np := range g.GetNamedPorts() {
			if np.GetName() == name {
				port = int(np.GetPort())
				break
			}
		}
		if port == 0 {
			port = 80
		}
		for _, m := range members {
			t.add(m.GetInstance(), proto, []inventory.PortRange{{From: port, To: port}})
		}
	}
	return nil
}
