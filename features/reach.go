package features

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

// Exposure is one way in from the internet: a port range and protocol that a
// firewall rule admits from an internet-wide source, on an address that is
// routed to an internet gateway.
type Exposure struct {
	Ports    inventory.PortRange `json:"ports"`
	Protocol string              `json:"protocol"` // "tcp", "udp" or "all"
	Source   string              `json:"source"`   // the rule's source, "0.0.0.0/0"; in Uncertain also a prefix list or security group
	Breadth  int                 `json:"breadth"`  // prefix length of Source: 0 for the whole internet (and for an unresolved source), up to 8
	Via      string              `json:"via"`      // the firewall whose rule admits it (of the layered firewalls, the one nearest the resource)
	// Also names the firewalls of the other layers that admit it too, when
	// the resource sits behind more than one layer (an Azure subnet NSG
	// before the NIC's), "" otherwise.
	Also    string `json:"also,omitempty"`
	Address string `json:"address,omitempty"`
	Path    string `json:"path,omitempty"` // "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> …"
}

// Covers reports whether e admits protocol ("tcp", "udp") on port.
func (e Exposure) Covers(protocol string, port int) bool {
	return (e.Protocol == "all" || e.Protocol == protocol) && e.Ports.Contains(port)
}

// Reach is a three-valued answer: reachable, not reachable, or unknown
// because a fact on the path could not be read.
type Reach int

const (
	NotReachable Reach = iota
	Reachable
	ReachUnknown
)

func (r Reach) String() string {
	switch r {
	case Reachable:
		return "reachable"
	case ReachUnknown:
		return "unknown"
	default:
		return "not reachable"
	}
}

// Reachability is what the graph knows about how the internet reaches one
// instance or database.
type Reachability struct {
	// Exposures are proven paths: public address, route to an internet
	// gateway, and a firewall rule that admits the port.
	Exposures []Exposure `json:"exposures,omitempty"`
	// Uncertain are ports that may be open to the internet but could not be
	// proven either way: a firewall admits them from the internet on an
	// address whose route could not be checked (subnet or route table
	// missing, route table listing incomplete), or admits them from a source
	// whose addresses are not in the snapshot (a prefix list, a security
	// group of another account) on an address routed to the internet.
	Uncertain []Exposure `json:"uncertain,omitempty"`
	// AnyPortUnknown is set when a firewall or interface on a path that may
	// lead to the internet could not be read: every port is unknown.
	AnyPortUnknown bool `json:"any_port_unknown,omitempty"`
	// Unknown is set when the answer for some port is unknown, never safe.
	Unknown bool `json:"unknown,omitempty"`
	// Missing says which facts were missing, for evidence.
	Missing []string `json:"missing,omitempty"`
}

// Port answers whether protocol/port is reachable from the internet, with
// the broadest exposure that proves it (or the uncertain one behind an
// unknown).
func (r Reachability) Port(protocol string, port int) (Reach, Exposure) {
	if e, ok := broadest(r.Exposures, func(e Exposure) bool { return e.Covers(protocol, port) }); ok {
		return Reachable, e
	}
	if e, ok := broadest(r.Uncertain, func(e Exposure) bool { return e.Covers(protocol, port) }); ok {
		return ReachUnknown, e
	}
	if r.AnyPortUnknown {
		return ReachUnknown, Exposure{}
	}
	return NotReachable, Exposure{}
}

// Any answers whether some port is reachable from the internet.
func (r Reachability) Any() (Reach, Exposure) {
	all := func(Exposure) bool { return true }
	if e, ok := broadest(r.Exposures, all); ok {
		return Reachable, e
	}
	if r.Unknown {
		e, _ := broadest(r.Uncertain, all)
		return ReachUnknown, e
	}
	return NotReachable, Exposure{}
}

// broadest picks the matching exposure with the widest source, then the
// lowest port, so evidence is stable.
func broadest(es []Exposure, match func(Exposure) bool) (Exposure, bool) {
	var best Exposure
	found := false
	for _, e := range es {
		if !match(e) {
			continue
		}
		if !found || e.Breadth < best.Breadth {
			best, found = e, true
		}
	}
	return best, found
}

// Reachability returns how the internet reaches an instance or a database.
// Other kinds, and ids not in the snapshot, are not reachable through a
// network path the graph models.
func (g *Graph) Reachability(id string) Reachability { return g.reach[id] }

// Exposure returns the proven internet exposures of an instance or a
// database. An empty answer is "not exposed" only when
// Reachability(id).Unknown is false.
func (g *Graph) Exposure(id string) []Exposure { return g.reach[id].Exposures }

// endpoint is one public address of a resource with what decides whether it
// is reachable: its subnet (for the route) and its firewalls.
type endpoint struct {
	address   string
	carrier   string // the instance or interface holding the address
	subnet    string
	network   string // hint for the main route table when the subnet is missing
	firewalls []string
	scope     inventory.Scope // where the resource lives, to match gaps about its route tables
	// privateIPs are the addresses behind the public one, which rule
	// destinations (FirewallRule.Destinations) are matched against.
	privateIPs []string
}

func scopeOf(r *inventory.Resource) inventory.Scope {
	return inventory.Scope{Cloud: r.Cloud, Account: r.Account, Region: r.Region}
}

// regionCovers reports whether something of region outer (a gap's, a
// load balancer's) concerns a resource of region inner: the same region,
// none or "global", or the region of a GCP zone ("us-central1" holds
// "us-central1-a").
func regionCovers(outer, inner string) bool {
	return outer == "" || outer == "global" || outer == inner || strings.HasPrefix(inner, outer+"-")
}

// sameScope reports whether load balancer lb may forward to resource r
// by scope: the same cloud and account, and a region that covers r's.
func sameScope(lb, r *inventory.Resource) bool {
	return lb.Cloud == r.Cloud && lb.Account == r.Account && regionCovers(lb.Region, r.Region)
}

func (g *Graph) instanceReach(r *inventory.Resource) Reachability {
	var out Reachability
	in := r.Instance
	if in == nil {
		out.AnyPortUnknown = true
		out.Missing = append(out.Missing, "instance attributes not collected")
		return out.finish()
	}
	firewalls := inventory.UniqueSorted(append(append([]string(nil), in.Firewalls...), g.Out(r.ID, inventory.RelProtectedBy)...))
	subnet := in.SubnetID
	if subnet == "" {
		subnet = g.firstOfKind(g.Out(r.ID, inventory.RelIn), inventory.KindSubnet)
	}
	var eps []endpoint
	if len(in.PublicIPs) > 0 {
		eps = append(eps, endpoint{address: in.PublicIPs[0], carrier: r.ID, subnet: subnet, network: in.NetworkID, firewalls: firewalls, scope: scopeOf(r), privateIPs: in.PrivateIPs})
	}
	ifaces := append([]string(nil), in.Interfaces...)
	for _, id := range g.In(r.ID, inventory.RelAttachedTo) {
		if x := g.byID[id]; x != nil && x.Kind == inventory.KindInterface {
			ifaces = append(ifaces, id)
		}
	}
	ifaces = append(ifaces, g.ifacesByInstance[r.ID]...)
	for _, id := range inventory.UniqueSorted(ifaces) {
		x := g.byID[id]
		if x == nil || x.Interface == nil {
			// The instance's own public addresses cover its interfaces in a
			// well-formed snapshot; only without them is a missing
			// interface a possible way in.
			if len(in.PublicIPs) == 0 {
				out.AnyPortUnknown = true
				out.Missing = append(out.Missing, "interface "+id+" not in snapshot")
			}
			continue
		}
		if len(x.Interface.PublicIPs) == 0 {
			continue
		}
		ep := endpoint{address: x.Interface.PublicIPs[0], carrier: id, subnet: x.Interface.SubnetID, network: in.NetworkID, firewalls: firewalls, scope: scopeOf(r), privateIPs: x.Interface.PrivateIPs}
		if ep.subnet == "" {
			ep.subnet = subnet
		}
		if fws := inventory.UniqueSorted(append(append([]string(nil), x.Interface.Firewalls...), g.Out(id, inventory.RelProtectedBy)...)); len(fws) > 0 {
			ep.firewalls = fws
		}
		eps = append(eps, ep)
	}
	for _, ep := range eps {
		g.evalEndpoint(&out, ep, 0)
	}
	for _, lb := range g.In(r.ID, inventory.RelTargets) {
		g.evalLoadBalancer(&out, r, firewalls, lb, true)
	}
	// A load balancer of the instance's network whose targets were not all
	// read may forward to it too; so may one that was not listed at all.
	network := in.NetworkID
	if sn := g.byID[subnet]; network == "" && sn != nil && sn.Subnet != nil {
		network = sn.Subnet.NetworkID
	}
	for _, lb := range g.lbsTargetsUnknown {
		x := g.byID[lb]
		if lbNet := x.LoadBalancer.NetworkID; network != "" && lbNet != "" && lbNet != network || !sameScope(x, r) {
			continue
		}
		g.evalLoadBalancer(&out, r, firewalls, lb, false)
	}
	if gp, ok := g.loadBalancersIncomplete(scopeOf(r)); ok {
		for _, tp := range g.ingressPorts(firewalls) {
			out.Uncertain = append(out.Uncertain, Exposure{Ports: tp.ports, Protocol: tp.proto, Source: "*", Via: gp.Service,
				Path: fmt.Sprintf("internet -> ? (load balancers of %s not all read) -> %s %s %s", scopeOf(r), r.ID, tp.proto, portString(tp.ports))})
		}
		out.Missing = append(out.Missing, "load balancers of "+scopeOf(r).String()+" or their targets not all read, so one may forward to "+r.ID+" ("+gp.String()+")")
	}
	return out.finish()
}

func (g *Graph) databaseReach(r *inventory.Resource) Reachability {
	var out Reachability
	db := r.Database
	if db == nil {
		out.AnyPortUnknown = true
		out.Missing = append(out.Missing, "database attributes not collected")
		return out.finish()
	}
	if !db.PubliclyAccessible {
		return out.finish()
	}
	port := db.Port
	if port == 0 {
		port = defaultDBPort(db.Engine)
	}
	firewalls := inventory.UniqueSorted(append(append([]string(nil), db.Firewalls...), g.Out(r.ID, inventory.RelProtectedBy)...))
	address := db.Endpoint
	if address == "" {
		address = r.ID
	}
	if db.ProviderEndpoint {
		g.evalProviderEndpoint(&out, address, r.ID, firewalls, port)
		return out.finish()
	}
	subnets := inventory.UniqueSorted(db.SubnetIDs)
	if len(subnets) == 0 {
		subnets = []string{""} // evaluated as a missing subnet: unknown
	}
	for _, sn := range subnets {
		g.evalEndpoint(&out, endpoint{address: address, carrier: r.ID, subnet: sn, network: db.NetworkID, firewalls: firewalls, scope: scopeOf(r)}, port)
	}
	return out.finish()
}

// evalEndpoint adds ep's exposures to out. port > 0 narrows them to the one
// port the resource listens on (a database).
func (g *Graph) evalEndpoint(out *Reachability, ep endpoint, port int) {
	fw := g.firewallExposures(ep.firewalls, ep.privateIPs)
	exps, unresolved, partial := fw.exps, fw.unresolved, fw.partial
	if port > 0 {
		exps = narrow(exps, port)
		unresolved = narrow(unresolved, port)
		partial = narrow(partial, port)
	}
	out.Missing = append(out.Missing, fw.missing...)
	if len(exps) == 0 && len(unresolved) == 0 && len(partial) == 0 && !fw.anyUnknown {
		return // no rule admits the internet: not reachable, whatever the route
	}
	rt := g.route(ep.subnet, ep.network, ep.scope)
	if rt.missing != "" {
		out.Missing = append(out.Missing, rt.missing)
	}
	switch rt.state {
	case NotReachable:
		return // private subnet: firewall gaps do not matter
	case ReachUnknown:
		if fw.anyUnknown {
			out.AnyPortUnknown = true
		}
		for _, e := range append(append(exps, unresolved...), partial...) {
			e.Address = ep.address
			e.Path = fmt.Sprintf("internet -> ? (route of subnet %s unknown) -> %s (%s) -> %s", orDash(ep.subnet), ep.address, ep.carrier, describe(e))
			out.Uncertain = append(out.Uncertain, e)
		}
		return
	}
	if fw.anyUnknown {
		out.AnyPortUnknown = true
	}
	path := func(e Exposure) string {
		return fmt.Sprintf("internet -> %s (%s %s) -> %s -> %s (%s) -> %s",
			rt.gateway, rt.table, rt.destination, ep.subnet, ep.address, ep.carrier, describe(e))
	}
	for _, e := range exps {
		e.Address = ep.address
		e.Path = path(e)
		out.Exposures = append(out.Exposures, e)
	}
	// The route is open but who the source admits is not known: unknown,
	// never closed.
	for _, e := range unresolved {
		e.Address = ep.address
		e.Path = path(e)
		out.Uncertain = append(out.Uncertain, e)
		out.Missing = append(out.Missing, fmt.Sprintf("%s admits %s %s from %s, whose addresses are not in the snapshot", e.Via, e.Protocol, portString(e.Ports), e.Source))
	}
	// Admitted by the layers that were read, while a firewall of another
	// layer was not (out.Missing names it): unknown, never closed.
	for _, e := range partial {
		e.Address = ep.address
		e.Path = path(e)
		out.Uncertain = append(out.Uncertain, e)
	}
}

// evalProviderEndpoint adds the exposures of a database reached through
// the provider's public edge (Database.ProviderEndpoint: a Cloud SQL public
// address, an Azure SQL server's public network access): no subnet or route
// table applies, the address is on the internet, and only its firewalls
// (authorized networks, server firewall rules) decide who gets in. No
// firewall recorded, or one not in the snapshot, is unknown, never safe.
func (g *Graph) evalProviderEndpoint(out *Reachability, address, carrier string, firewalls []string, port int) {
	fw := g.firewallExposures(firewalls, nil)
	out.Missing = append(out.Missing, fw.missing...)
	if fw.anyUnknown {
		out.AnyPortUnknown = true
	}
	exps, unresolved, partial := fw.exps, fw.unresolved, fw.partial
	if port > 0 {
		exps, unresolved, partial = narrow(exps, port), narrow(unresolved, port), narrow(partial, port)
	}
	path := func(e Exposure) string {
		return fmt.Sprintf("internet -> provider endpoint %s (%s) -> %s", address, carrier, describe(e))
	}
	for _, e := range exps {
		e.Address, e.Path = address, path(e)
		out.Exposures = append(out.Exposures, e)
	}
	for _, e := range unresolved {
		e.Address, e.Path = address, path(e)
		out.Uncertain = append(out.Uncertain, e)
		out.Missing = append(out.Missing, fmt.Sprintf("%s admits %s %s from %s, whose addresses are not in the snapshot", e.Via, e.Protocol, portString(e.Ports), e.Source))
	}
	for _, e := range partial {
		e.Address, e.Path = address, path(e)
		out.Uncertain = append(out.Uncertain, e)
	}
}

func (r Reachability) finish() Reachability {
	sortExposures(r.Exposures)
	sortExposures(r.Uncertain)
	r.Exposures = dedupExposures(r.Exposures)
	r.Uncertain = dedupExposures(r.Uncertain)
	r.Missing = inventory.UniqueSorted(r.Missing)
	r.Unknown = r.AnyPortUnknown || len(r.Uncertain) > 0
	return r
}

func describe(e Exposure) string {
	d := fmt.Sprintf("%s: allow %s %s from %s", e.Via, e.Protocol, portString(e.Ports), e.Source)
	if e.Also != "" {
		d += " (also admitted by " + e.Also + ")"
	}
	return d
}

func portString(p inventory.PortRange) string {
	if p.From == p.To {
		return fmt.Sprint(p.From)
	}
	return fmt.Sprintf("%d-%d", p.From, p.To)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortExposures(es []Exposure) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		switch {
		case a.Ports.From != b.Ports.From:
			return a.Ports.From < b.Ports.From
		case a.Ports.To != b.Ports.To:
			return a.Ports.To < b.Ports.To
		case a.Protocol != b.Protocol:
			return a.Protocol < b.Protocol
		case a.Breadth != b.Breadth:
			return a.Breadth < b.Breadth
		case a.Source != b.Source:
			return a.Source < b.Source
		case a.Via != b.Via:
			return a.Via < b.Via
		case a.Address != b.Address:
			return a.Address < b.Address
		}
		return a.Path < b.Path
	})
}

func dedupExposures(es []Exposure) []Exposure {
	if len(es) == 0 {
		return nil
	}
	out := es[:1]
	for _, e := range es[1:] {
		if e != out[len(out)-1] {
			out = append(out, e)
		}
	}
	return out
}

func narrow(es []Exposure, port int) []Exposure {
	var out []Exposure
	for _, e := range es {
		if e.Covers("tcp", port) {
			e.Ports = inventory.PortRange{From: port, To: port}
			out = append(out, e)
		}
	}
	return out
}

func (g *Graph) firstOfKind(ids []string, k inventory.Kind) string {
	for _, id := range ids {
		if r := g.byID[id]; r != nil && r.Kind == k {
			return id
		}
	}
	return ""
}

// routeResult is how a subnet reaches the internet.
type routeResult struct {
	state       Reach
	table       string
	gateway     string
	destination string
	missing     string
}

// route finds the subnet's route table (explicit association, else the main
// table of its network) and whether it has a default route to an internet
// gateway. scope is where the subnet's resource lives: when the listing of
// route tables there is incomplete, a subnet without a known explicit
// association is unknown, since its association may be on what was lost.
func (g *Graph) route(subnetID, networkHint string, scope inventory.Scope) routeResult {
	if subnetID == "" {
		return routeResult{state: ReachUnknown, missing: "no subnet recorded"}
	}
	table := g.byID[g.tableBySubnet[subnetID]]
	if table == nil {
		for _, id := range g.in[subnetID][inventory.RelRoutes] {
			if rt := g.byID[id]; rt == nil || rt.RouteTable == nil {
				return routeResult{state: ReachUnknown, missing: "route table " + id + " of subnet " + subnetID + " not in snapshot"}
			}
		}
	}
	if table == nil {
		if gp, ok := g.routeTablesIncomplete(scope); ok {
			return routeResult{state: ReachUnknown, missing: "route tables of " + scope.String() + " incompletely listed, so the association of subnet " + subnetID + " is unknown (" + gp.String() + ")"}
		}
		network := networkHint
		sn := g.byID[subnetID]
		if sn == nil || sn.Subnet == nil {
			return routeResult{state: ReachUnknown, missing: "subnet " + subnetID + " not in snapshot"}
		}
		if sn.Subnet.NetworkID != "" {
			network = sn.Subnet.NetworkID
		}
		table = g.byID[g.mainTable[network]]
	}
	if table == nil {
		return routeResult{state: ReachUnknown, missing: "no route table for subnet " + subnetID + " (no association, no main table of its network)"}
	}
	for _, rt := range table.RouteTable.Routes {
		if (rt.Destination == "0.0.0.0/0" || rt.Destination == "::/0") && rt.TargetKind == "internet_gateway" {
			return routeResult{state: Reachable, table: table.ID, gateway: rt.Target, destination: rt.Destination}
		}
	}
	return routeResult{state: NotReachable, table: table.ID}
}

// routeTablesIncomplete returns a gap saying that the route tables of scope
// were not all listed: explicit associations may then be missing, so the
// main-table fallback cannot be trusted. routeListings names, per cloud,
// the operations that list them: EC2's DescribeRouteTables; Azure's
// user-defined route tables (RouteTables.ListAll; the system routes are
// the main table of each virtual network).
func (g *Graph) routeTablesIncomplete(scope inventory.Scope) (inventory.Gap, bool) {
	return g.listingGap(scope, routeListings)
}

// routeListings are the "service operation" pairs that list route tables.
var routeListings = map[inventory.Cloud][]string{
	inventory.AWS:   {"ec2 DescribeRouteTables"},
	inventory.Azure: {"network RouteTables.ListAll"},
}

// loadBalancersIncomplete returns a gap saying that the load balancers of
// scope, or their targets, were not all read: one the snapshot lacks, or
// whose targets it lacks, may forward to any instance there. lbListings
// names, per cloud, the operations that read them.
func (g *Graph) loadBalancersIncomplete(scope inventory.Scope) (inventory.Gap, bool) {
	return g.listingGap(scope, lbListings)
}

// lbListings are the "service operation" pairs that read load balancers
// and their targets.
var lbListings = map[inventory.Cloud][]string{
	inventory.AWS:   {"elasticloadbalancing DescribeLoadBalancers", "elasticloadbalancing DescribeTargetGroups", "elasticloadbalancing DescribeTargetHealth"},
	inventory.GCP:   {"compute forwardingRules.aggregatedList", "compute globalForwardingRules.list"},
	inventory.Azure: {"network LoadBalancers.ListAll", "network ApplicationGateways.ListAll"},
}

// listingGap returns the first gap of scope (or of every account or region
// of its cloud) on one of the operations listings names for its cloud.
func (g *Graph) listingGap(scope inventory.Scope, listings map[inventory.Cloud][]string) (inventory.Gap, bool) {
	for _, gp := range g.gaps {
		if gp.Cloud != scope.Cloud || !slices.Contains(listings[gp.Cloud], gp.Service+" "+gp.Operation) {
			continue
		}
		if (gp.Account == "" || gp.Account == scope.Account) && regionCovers(gp.Region, scope.Region) {
			return gp, true
		}
	}
	return inventory.Gap{}, false
}

// firewallVerdict is what the firewalls of an endpoint admit from the
// internet.
type firewallVerdict struct {
	exps       []Exposure // proven: every layer admits them from an internet-wide source
	unresolved []Exposure // admitted from a source whose addresses the snapshot lacks
	partial    []Exposure // admitted by the layers read, while a firewall of another layer is missing
	missing    []string
	anyUnknown bool // no layer could be judged: every port unknown
}

// firewallExposures evaluates the firewalls of an endpoint. Firewalls are
// grouped by their Layer: within a layer, the rules form one ordered set
// (layerExposures); across layers, traffic passes only if every layer
// admits it (an Azure subnet NSG, then the NIC's), so the exposures are the
// intersection of the layers'. A layer with no firewall is not a group and
// admits everything. A firewall not in the snapshot has no known layer and
// forms a group of its own that admits anything, unknown: with other layers
// present it turns what they admit into partial exposures; alone it makes
// every port unknown, as a single layer always did.
//
// privateIPs are the endpoint's addresses behind its public one: a rule
// with Destinations applies only where they cover them (see applies).
func (g *Graph) firewallExposures(ids, privateIPs []string) firewallVerdict {
	if len(ids) == 0 {
		return firewallVerdict{missing: []string{"no firewall recorded"}, anyUnknown: true}
	}
	groups := map[string][]string{}
	for _, id := range ids {
		layer := ""
		if fw := g.byID[id]; fw != nil && fw.Firewall != nil {
			layer = fw.Firewall.Layer
		}
		groups[layer] = append(groups[layer], id)
	}
	if len(groups) == 1 {
		exps, unresolved, missing := g.layerExposures(ids, privateIPs)
		return firewallVerdict{exps: exps, unresolved: unresolved, missing: missing, anyUnknown: len(missing) > 0}
	}
	layers := make([]string, 0, len(groups))
	for l := range groups {
		layers = append(layers, l)
	}
	sort.Slice(layers, func(i, j int) bool {
		if a, b := layerRank(layers[i]), layerRank(layers[j]); a != b {
			return a < b
		}
		return layers[i] < layers[j]
	})
	var v firewallVerdict
	var acc []layerItem
	first, unknownOnly := true, true
	for _, l := range layers {
		exps, unresolved, missing := g.layerExposures(groups[l], privateIPs)
		v.missing = append(v.missing, missing...)
		var items []layerItem
		for _, e := range exps {
			items = append(items, layerItem{e, itemProven})
		}
		for _, e := range unresolved {
			items = append(items, layerItem{e, itemUnresolved})
		}
		if len(missing) > 0 {
			// A firewall of this layer could not be read: it may admit
			// anything.
			items = append(items, layerItem{Exposure{Ports: inventory.PortRange{From: 0, To: 65535}, Protocol: inventory.ProtoAll, Source: "*"}, itemPartial})
		} else {
			unknownOnly = false
		}
		if first {
			acc, first = items, false
			continue
		}
		acc = intersectLayers(acc, items)
	}
	v.anyUnknown = unknownOnly
	for _, it := range acc {
		switch {
		case it.e.Via == "":
			// admitted only by unreadable firewalls: anyUnknown covers it
		case it.state == itemProven:
			v.exps = append(v.exps, it.e)
		case it.state == itemUnresolved:
			v.unresolved = append(v.unresolved, it.e)
		default:
			v.partial = append(v.partial, it.e)
		}
	}
	for _, es := range []*[]Exposure{&v.exps, &v.unresolved, &v.partial} {
		sortExposures(*es)
		*es = dedupExposures(*es)
	}
	return v
}

// layerRank orders layers from the outside in: the firewall nearest the
// resource comes last and is the Via of an exposure.
func layerRank(layer string) int {
	switch layer {
	case "":
		return 0
	case inventory.FirewallLayerSubnet:
		return 1
	case inventory.FirewallLayerInterface:
		return 3
	}
	return 2
}

// itemState is how sure a layer is that it admits an item.
type itemState int

const (
	itemProven     itemState = iota
	itemUnresolved           // from a source whose addresses are unknown
	itemPartial              // the layer's firewall could not be read
)

type layerItem struct {
	e     Exposure
	state itemState
}

// intersectLayers keeps what both layers admit: the common protocol, the
// common ports and the narrower source; the least certain state wins.
func intersectLayers(outer, inner []layerItem) []layerItem {
	var out []layerItem
	for _, a := range outer {
		for _, b := range inner {
			pa, pb := inventory.NormalizeProtocol(a.e.Protocol), inventory.NormalizeProtocol(b.e.Protocol)
			proto := pa
			switch {
			case pa == inventory.ProtoAll:
				proto = pb
			case pb != inventory.ProtoAll && pa != pb:
				continue
			}
			ra, rb := normPorts(a.e.Ports), normPorts(b.e.Ports)
			from, to := max(ra.From, rb.From), min(ra.To, rb.To)
			if from > to {
				continue
			}
			e := b.e
			e.Protocol, e.Ports = proto, inventory.PortRange{From: from, To: to}
			switch {
			case covers(a.e.Source, b.e.Source):
			case covers(b.e.Source, a.e.Source):
				e.Source, e.Breadth = a.e.Source, a.e.Breadth
			case isAddressSource(a.e.Source) && isAddressSource(b.e.Source):
				continue // disjoint prefixes
			case !isAddressSource(a.e.Source):
				e.Source, e.Breadth = a.e.Source, a.e.Breadth
			}
			if e.Via == "" {
				e.Via, e.Also = a.e.Via, a.e.Also
			} else if a.e.Via != "" {
				e.Also = strings.Join(inventory.UniqueSorted(append(strings.Split(a.e.Also, ", "), a.e.Via)), ", ")
			}
			out = append(out, layerItem{e, max(a.state, b.state)})
		}
	}
	return out
}

// layerExposures evaluates the ingress rules of the firewalls of one layer
// for internet-wide sources. Rules of all the firewalls form one ordered set: a
// deny rule removes ports from an allow rule when its priority number is
// lower or equal (deny wins a tie), its protocol covers the allow's and its
// source covers the allow's source. A deny that covers only part of the
// allow's source is ignored, because the rest of the internet still gets in.
// AWS security groups are allow-only with priority 0, so for them this is
// the union of their allow rules.
//
// unresolved are the ports admitted from sources whose addresses the
// snapshot does not hold (see unresolvedSources): they may or may not be the
// internet.
//
// A rule with Destinations (an Azure NSG rule for some addresses only)
// counts only where it applies to the endpoint's privateIPs; when that
// cannot be decided an allow is kept and a deny ignored, so the answer
// errs towards exposed, never towards closed.
func (g *Graph) layerExposures(ids, privateIPs []string) (exps, unresolved []Exposure, missing []string) {
	type rule struct {
		inventory.FirewallRule
		via string
	}
	var rules []rule
	for _, id := range ids {
		fw := g.byID[id]
		if fw == nil || fw.Firewall == nil {
			missing = append(missing, "firewall "+id+" not in snapshot")
			continue
		}
		for _, r := range fw.Firewall.Rules {
			if r.Direction != inventory.Ingress {
				continue
			}
			switch applies(r.Destinations, privateIPs) {
			case destinationNo:
				continue
			case destinationUndecided:
				if r.Action == inventory.Deny {
					continue
				}
			}
			rules = append(rules, rule{r, id})
		}
	}
	for _, a := range rules {
		proto := inventory.NormalizeProtocol(a.Protocol)
		if a.Action != inventory.Allow || (proto != inventory.ProtoTCP && proto != inventory.ProtoUDP && proto != inventory.ProtoAll) {
			continue
		}
		admit := func(src string, breadth int, into *[]Exposure) {
			ranges := []inventory.PortRange{normPorts(a.Ports)}
			for _, d := range rules {
				dp := inventory.NormalizeProtocol(d.Protocol)
				if d.Action != inventory.Deny || d.Priority > a.Priority || (dp != inventory.ProtoAll && dp != proto) {
					continue
				}
				if !anyCovers(d.Sources, src) {
					continue
				}
				ranges = subtract(ranges, normPorts(d.Ports))
			}
			for _, pr := range ranges {
				*into = append(*into, Exposure{Ports: pr, Protocol: proto, Source: src, Breadth: breadth, Via: a.via})
			}
		}
		for _, src := range a.Sources {
			if wide, breadth := inventory.InternetWide(src); wide {
				admit(src, breadth, &exps)
			}
		}
		// Breadth 0: an unresolved source may be the whole internet.
		for _, src := range g.unresolvedSources(a.FirewallRule, g.byID[a.via]) {
			admit(src, 0, &unresolved)
		}
	}
	sortExposures(exps)
	sortExposures(unresolved)
	return dedupExposures(exps), dedupExposures(unresolved), missing
}

// destinationMatch is whether a rule's destinations cover an endpoint.
type destinationMatch int

const (
	destinationYes destinationMatch = iota
	destinationNo
	destinationUndecided
)

// applies decides whether a rule with destinations dests applies to an
// endpoint whose private addresses are privateIPs:
//   - no destinations, "*"/"Any"/"Internet" or a tag of the cloud's own
//     network (inventory.LocalSourceTag, "VirtualNetwork"): yes;
//   - prefixes or addresses that cover every private address: yes (every,
//     not one: a deny that covers one address of several may miss the one
//     behind the public address);
//   - prefixes or addresses only, covering none of them: no;
//   - anything else (no private address known, an application security
//     group, another service tag, a partial cover): undecided.
func applies(dests, privateIPs []string) destinationMatch {
	if len(dests) == 0 {
		return destinationYes
	}
	for _, d := range dests {
		if inventory.AnySourceTag(d) || inventory.LocalSourceTag(d) {
			return destinationYes
		}
	}
	var addrs []netip.Addr
	for _, ip := range privateIPs {
		if a, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil {
			addrs = append(addrs, a.Unmap())
		}
	}
	if len(addrs) == 0 {
		return destinationUndecided
	}
	var prefixes []netip.Prefix
	decidable := true
	for _, d := range dests {
		d = strings.TrimSpace(d)
		if p, err := netip.ParsePrefix(d); err == nil {
			prefixes = append(prefixes, p.Masked())
		} else if a, err := netip.ParseAddr(d); err == nil {
			prefixes = append(prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			decidable = false
		}
	}
	covered := 0
	for _, a := range addrs {
		if slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(a) }) {
			covered++
		}
	}
	switch {
	case covered == len(addrs):
		return destinationYes
	case covered == 0 && decidable:
		return destinationNo
	}
	return destinationUndecided
}

// unresolvedSources returns the sources of a rule whose addresses the
// snapshot does not hold, so that whether they include the internet is
// unknown:
//   - a source that is neither an address, a prefix nor an everyone tag:
//     an AWS managed prefix list (pl-…), whose entries are not collected
//     (a customer-managed list may hold 0.0.0.0/0);
//   - a source group that is not in the snapshot, or that belongs to
//     another account than the rule's firewall: its members are not known.
//
// A source group of the same account that is in the snapshot admits only
// its members' private addresses: not the internet.
func (g *Graph) unresolvedSources(rule inventory.FirewallRule, fw *inventory.Resource) []string {
	var out []string
	for _, src := range rule.Sources {
		if !isAddressSource(src) {
			out = append(out, src)
		}
	}
	for _, sg := range rule.SourceGroups {
		x := g.byID[sg]
		if x == nil || x.Firewall == nil || (fw != nil && x.Account != fw.Account) {
			out = append(out, sg)
		}
	}
	return out
}

// isAddressSource reports whether a rule source names addresses the
// snapshot can judge: a prefix, a single address, an everyone tag or a tag
// of the cloud's own network (inventory.LocalSourceTag), which is never the
// internet.
func isAddressSource(src string) bool {
	s := strings.TrimSpace(src)
	if inventory.AnySourceTag(s) || inventory.LocalSourceTag(s) {
		return true
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// normPorts reads {0,0} as every port: a rule with no port range (protocol
// "all", or a collector that left it unset) admits all ports, the
// conservative reading.
func normPorts(p inventory.PortRange) inventory.PortRange {
	if p.From == 0 && p.To == 0 {
		return inventory.PortRange{From: 0, To: 65535}
	}
	return p
}

// subtract removes d from every range in rs.
func subtract(rs []inventory.PortRange, d inventory.PortRange) []inventory.PortRange {
	var out []inventory.PortRange
	for _, r := range rs {
		if d.To < r.From || d.From > r.To {
			out = append(out, r)
			continue
		}
		if d.From > r.From {
			out = append(out, inventory.PortRange{From: r.From, To: d.From - 1})
		}
		if d.To < r.To {
			out = append(out, inventory.PortRange{From: d.To + 1, To: r.To})
		}
	}
	return out
}

// anyCovers reports whether one of a deny rule's sources contains src.
func anyCovers(denySources []string, src string) bool {
	for _, d := range denySources {
		if covers(d, src) {
			return true
		}
	}
	return false
}

func covers(deny, src string) bool {
	isTag := inventory.AnySourceTag
	if isTag(deny) {
		return true
	}
	dp, err := netip.ParsePrefix(strings.TrimSpace(deny))
	if err != nil {
		return false
	}
	if isTag(src) {
		return dp.Bits() == 0
	}
	sp, err := netip.ParsePrefix(strings.TrimSpace(src))
	if err != nil || dp.Addr().Is4() != sp.Addr().Is4() {
		return false
	}
	dp, sp = dp.Masked(), sp.Masked()
	return dp.Bits() <= sp.Bits() && dp.Contains(sp.Addr())
}

// evalLoadBalancer adds to out the ways in through load balancer lbID,
// which targets the instance inst (whose firewalls are instFWs). The
// internet reaches the instance on a target port when all of these hold:
//
//   - the load balancer is internet-facing (an internal one is not);
//   - one of its subnets routes to an internet gateway;
//   - its firewalls (security groups) admit a listener's port from an
//     internet-wide source; a load balancer with no firewall (an NLB
//     without security groups) admits every source;
//   - the instance's firewalls admit the target port from the load
//     balancer: from one of its security groups, from a prefix that
//     overlaps its subnets or network, or from an internet-wide source.
//
// It is conservative, erring towards exposed: any listener that is
// reachable counts for every target (listeners are not matched to their
// target groups), and a prefix that merely overlaps the load balancer's
// subnets admits it. A fact that cannot be read (listeners, a subnet or
// route table, a firewall) makes the path uncertain, never closed. The
// exposure is on the target port, Via the instance's firewall that admits
// it, Also the load balancer's firewall that admits the internet.
//
// targeted is false for a load balancer whose targets were not all read
// (LoadBalancer.TargetsUnknown) and that is not known to target inst: it
// may, on any port inst's firewalls admit from the load balancer or from
// a load balancer it forwards to (an ALB behind an NLB), so the path is
// uncertain on those ports, never closed.
func (g *Graph) evalLoadBalancer(out *Reachability, inst *inventory.Resource, instFWs []string, lbID string, targeted bool) {
	lb := g.byID[lbID]
	if lb == nil || lb.Kind != inventory.KindLoadBalancer {
		return
	}
	l := lb.LoadBalancer
	if l == nil {
		out.Uncertain = append(out.Uncertain, Exposure{Ports: inventory.PortRange{From: 0, To: 65535}, Protocol: inventory.ProtoAll, Source: "*", Via: lbID,
			Path: "internet -> ? (load balancer " + lbID + " attributes not collected) -> " + inst.ID})
		out.Missing = append(out.Missing, "load balancer "+lbID+" attributes not collected")
		return
	}
	if l.Scheme == inventory.SchemeInternal {
		return
	}
	var missing []string
	certain := true
	if !targeted {
		certain = false
		missing = append(missing, "targets of load balancer "+lbID+" not all read (IP or load balancer targets, or a read that failed), so it may forward to "+inst.ID)
	}
	if l.Scheme != inventory.SchemeInternetFacing {
		certain = false
		missing = append(missing, "scheme of load balancer "+lbID+" unknown")
	}

	// The route: the first of its subnets that reaches an internet
	// gateway. All private: no way in; one unknown: uncertain. A front end
	// the provider routes to directly (ProviderFront) needs no route.
	route, subnet := routeResult{state: ReachUnknown}, ""
	subnets := inventory.UniqueSorted(append(append([]string(nil), l.SubnetIDs...), g.Out(lbID, inventory.RelIn)...))
	allPrivate := len(subnets) > 0
	if l.ProviderFront {
		route, subnets = routeResult{state: Reachable, gateway: "provider front end"}, nil
	} else if len(subnets) == 0 {
		missing = append(missing, "load balancer "+lbID+" has no subnet recorded")
	}
	for _, sn := range subnets {
		rt := g.route(sn, l.NetworkID, scopeOf(lb))
		if rt.state == Reachable {
			route, subnet = rt, sn
			break
		}
		if rt.state == ReachUnknown {
			allPrivate = false
			missing = append(missing, rt.missing)
		}
	}
	if route.state != Reachable {
		if allPrivate {
			return
		}
		certain = false
	}

	// The front: what its firewalls admit from the internet on a listener.
	front, frontState, frontMissing := g.lbFront(lbID, l)
	missing = append(missing, frontMissing...)
	if frontState == NotReachable {
		return
	}
	if frontState != Reachable {
		certain = false
	}

	// Who connects to the instance: the load balancer, or, for targets not
	// all read, also a load balancer it forwards to.
	senders := []string{lbID}
	var tps []targetPort
	if targeted {
		for _, t := range l.Targets {
			if t.ID != inst.ID {
				continue
			}
			tps = append(tps, targetPort{lbProtocol(t.Protocol), t.Ports()})
		}
		if len(tps) == 0 {
			// Targeted, but on which port is not recorded: any port.
			tps = append(tps, targetPort{inventory.ProtoAll, inventory.PortRange{From: 0, To: 65535}})
		}
	} else {
		tps = g.ingressPorts(instFWs)
		for _, t := range l.Targets {
			if x := g.byID[t.ID]; x != nil && x.Kind == inventory.KindLoadBalancer && x.LoadBalancer != nil {
				senders = append(senders, t.ID)
			}
		}
	}
	address := cmp.Or(l.DNSName, strings.Join(l.Addresses, ", "), lbID)
	target := inst.ID
	if !targeted {
		target = "? (targets unknown) -> " + inst.ID
	}
	if passthrough(l) {
		tps = g.admittedParts(tps, instFWs, inst.Instance.PrivateIPs)
	}
	for _, tp := range tps {
		proto, pr := tp.proto, tp.ports
		state, via, why, instMissing := NotReachable, "", "", []string(nil)
		for _, id := range senders {
			x := g.byID[id]
			fws := inventory.UniqueSorted(append(append([]string(nil), x.LoadBalancer.Firewalls...), g.Out(id, inventory.RelProtectedBy)...))
			var st Reach
			var v, w string
			var m []string
			if passthrough(x.LoadBalancer) {
				st, v, w, m = g.admitsInternet(instFWs, inst.Instance.PrivateIPs, proto, pr)
			} else {
				nets, netsKnown := g.lbPrefixes(x.LoadBalancer, id)
				st, v, w, m = g.admitsFromLB(instFWs, fws, nets, netsKnown, proto, pr)
			}
			if st != NotReachable && (state == NotReachable || st == Reachable && state != Reachable) {
				state, via, why, instMissing = st, v, w, m
			}
		}
		if state == NotReachable {
			continue
		}
		e := Exposure{Ports: pr, Protocol: proto, Source: front.Source, Breadth: front.Breadth, Via: via, Address: address}
		if front.Via != "" && front.Via != via {
			e.Also = front.Via
		}
		hop := "? (route unknown)"
		if l.ProviderFront {
			hop = "provider front end"
		} else if route.state == Reachable {
			hop = fmt.Sprintf("%s (%s %s) -> %s", route.gateway, route.table, route.destination, subnet)
		}
		e.Path = fmt.Sprintf("internet -> %s -> load balancer %s (%s) %s -> %s %s %s (%s)",
			hop, cmp.Or(lb.Name, lbID), address, front.Path, target, proto, portString(pr), why)
		if certain && state == Reachable {
			out.Exposures = append(out.Exposures, e)
			continue
		}
		out.Uncertain = append(out.Uncertain, e)
		out.Missing = append(out.Missing, missing...)
		out.Missing = append(out.Missing, instMissing...)
	}
}

// targetPort is a protocol and port range a load balancer may forward to.
type targetPort struct {
	proto string
	ports inventory.PortRange
}

// ingressPorts are the protocols and port ranges that the allow rules of
// firewalls admit, from any source: where a load balancer whose targets are
// not known may reach. A firewall not in the snapshot, or none recorded,
// may admit any port.
func (g *Graph) ingressPorts(firewalls []string) []targetPort {
	every := []targetPort{{inventory.ProtoAll, inventory.PortRange{From: 0, To: 65535}}}
	if len(firewalls) == 0 {
		return every
	}
	var out []targetPort
	for _, id := range firewalls {
		fw := g.byID[id]
		if fw == nil || fw.Firewall == nil {
			return every
		}
		for _, r := range fw.Firewall.Rules {
			proto := inventory.NormalizeProtocol(r.Protocol)
			if r.Direction != inventory.Ingress || r.Action != inventory.Allow ||
				proto != inventory.ProtoTCP && proto != inventory.ProtoUDP && proto != inventory.ProtoAll {
				continue
			}
			tp := targetPort{proto, normPorts(r.Ports)}
			if !slices.Contains(out, tp) {
				out = append(out, tp)
			}
		}
	}
	return out
}

// lbFront returns what the internet reaches on a load balancer's
// listeners: the broadest exposure of a listener port (its Path holds
// "listener PROTO PORT (firewall: rule)"), and whether that is proven,
// uncertain or not reachable.
func (g *Graph) lbFront(lbID string, l *inventory.LoadBalancer) (Exposure, Reach, []string) {
	fws := inventory.UniqueSorted(append(append([]string(nil), l.Firewalls...), g.Out(lbID, inventory.RelProtectedBy)...))
	var fw firewallVerdict
	if len(fws) == 0 {
		// No security group: every source is admitted (an NLB without
		// security groups).
		fw.exps = []Exposure{{Ports: inventory.PortRange{From: 0, To: 65535}, Protocol: inventory.ProtoAll, Source: "0.0.0.0/0", Via: ""}}
	} else {
		fw = g.firewallExposures(fws, nil)
	}
	missing := append([]string(nil), fw.missing...)
	best, state := Exposure{}, NotReachable
	// consider keeps the broadest exposure that match admits, proven
	// before uncertain; capped at ReachUnknown it is uncertain whatever
	// the firewalls say.
	consider := func(match func(Exposure) bool, what string, capped bool) {
		sets := []struct {
			es []Exposure
			st Reach
		}{{fw.exps, Reachable}, {append(append([]Exposure(nil), fw.unresolved...), fw.partial...), ReachUnknown}}
		for _, set := range sets {
			e, ok := broadest(set.es, match)
			if !ok {
				continue
			}
			st := set.st
			if capped {
				st = ReachUnknown
			}
			if state == NotReachable || st == Reachable && state != Reachable || st == state && e.Breadth < best.Breadth {
				rule := "no security group"
				if e.Via != "" {
					rule = describe(e)
				}
				e.Path = what + " (" + rule + ")"
				best, state = e, st
			}
			return
		}
		if fw.anyUnknown && state == NotReachable {
			best, state = Exposure{Source: "*", Path: what + " (firewalls unknown)"}, ReachUnknown
		}
	}
	for _, ls := range l.Listeners {
		proto, pr := lbProtocol(ls.Protocol), ls.Ports()
		consider(func(e Exposure) bool { return overlaps(e, proto, pr) }, fmt.Sprintf("listener %s %s", ls.Protocol, portString(pr)), false)
	}
	if l.ListenersUnknown {
		// A listener may be on any port the firewalls admit.
		missing = append(missing, "listeners of load balancer "+lbID+" could not be read")
		consider(func(Exposure) bool { return true }, "listeners unknown", true)
	}
	return best, state, missing
}

// lbPrefixes are the address ranges a load balancer's traffic comes from:
// its subnets' CIDRs, and its network's. known is false when one of them
// is not in the snapshot.
func (g *Graph) lbPrefixes(l *inventory.LoadBalancer, lbID string) (nets []netip.Prefix, known bool) {
	known = true
	add := func(cidr string) {
		if p, err := netip.ParsePrefix(strings.TrimSpace(cidr)); err == nil {
			nets = append(nets, p.Masked())
		}
	}
	for _, sn := range inventory.UniqueSorted(append(append([]string(nil), l.SubnetIDs...), g.Out(lbID, inventory.RelIn)...)) {
		if x := g.byID[sn]; x != nil && x.Subnet != nil && x.Subnet.CIDR != "" {
			add(x.Subnet.CIDR)
		} else {
			known = false
		}
	}
	for _, c := range l.SourceRanges {
		if _, err := netip.ParsePrefix(strings.TrimSpace(c)); err != nil {
			known = false // a range named but not read (an unread subnet's id)
			continue
		}
		add(c)
	}
	if l.SourceRangesUnknown {
		known = false
	}
	if l.NetworkID != "" && !l.ProviderFront {
		if x := g.byID[l.NetworkID]; x != nil && x.Network != nil {
			for _, c := range x.Network.CIDRs {
				add(c)
			}
		} else {
			known = false
		}
	}
	return nets, known
}

// admittedParts narrows the ports a passthrough load balancer forwards
// to the parts the instance's firewalls admit from some source (proven,
// unresolved or partial): a rule forwarding every port exposes only what
// the firewalls let in. Firewalls that cannot be judged leave tps whole.
func (g *Graph) admittedParts(tps []targetPort, firewalls, privateIPs []string) []targetPort {
	v := g.firewallExposures(firewalls, privateIPs)
	if v.anyUnknown {
		return tps
	}
	var out []targetPort
	for _, tp := range tps {
		for _, e := range append(append(append([]Exposure(nil), v.exps...), v.unresolved...), v.partial...) {
			if !overlaps(e, tp.proto, tp.ports) {
				continue
			}
			proto := tp.proto
			if proto == inventory.ProtoAll {
				proto = inventory.NormalizeProtocol(e.Protocol)
			}
			part := targetPort{proto, inventory.PortRange{From: max(tp.ports.From, e.Ports.From), To: min(tp.ports.To, e.Ports.To)}}
			if !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// lbProtocol is the transport of a listener or target protocol: UDP,
// both for TCP_UDP (a GCP L3_DEFAULT rule, an Azure "All" rule), else TCP
// (HTTP, HTTPS, TLS and TCP ride on it).
func lbProtocol(p string) string {
	switch strings.ToUpper(p) {
	case "UDP":
		return inventory.ProtoUDP
	case "TCP_UDP", "ALL":
		return inventory.ProtoAll
	}
	return inventory.ProtoTCP
}

// overlaps reports whether exposure e admits proto on some port of pr.
func overlaps(e Exposure, proto string, pr inventory.PortRange) bool {
	ep := inventory.NormalizeProtocol(e.Protocol)
	if ep != inventory.ProtoAll && proto != inventory.ProtoAll && ep != proto {
		return false
	}
	return e.Ports.From <= pr.To && pr.From <= e.Ports.To
}

// passthrough reports whether a load balancer hands its targets the
// client's own address (a GCP external passthrough forwarding rule, an
// Azure load balancer): its targets' firewalls must then admit the
// internet itself, judged as for a public address, deny rules, priorities
// and layers included.
func passthrough(l *inventory.LoadBalancer) bool {
	return l.ProviderFront && len(l.SourceRanges) == 0 && !l.SourceRangesUnknown
}

// admitsInternet decides whether firewalls admit proto on ports from an
// internet-wide source, for a target of a passthrough load balancer:
// proven by an exposure of firewallExposures, uncertain by an unresolved
// or partial one, or when no firewall could be judged.
func (g *Graph) admitsInternet(firewalls, privateIPs []string, proto string, ports inventory.PortRange) (state Reach, via, why string, missing []string) {
	v := g.firewallExposures(firewalls, privateIPs)
	// Proven only by a rule that admits the whole of ports (admittedParts
	// cut them to what each rule admits); a part only some other rule
	// overlaps is as uncertain as the rule it came from.
	contains := func(e Exposure) bool {
		ep := inventory.NormalizeProtocol(e.Protocol)
		return (ep == inventory.ProtoAll || ep == proto) && e.Ports.From <= ports.From && ports.To <= e.Ports.To
	}
	match := func(e Exposure) bool { return overlaps(e, proto, ports) }
	if e, ok := broadest(v.exps, contains); ok {
		return Reachable, e.Via, describe(e), nil
	}
	if e, ok := broadest(append(append(append([]Exposure(nil), v.unresolved...), v.partial...), v.exps...), match); ok {
		return ReachUnknown, e.Via, describe(e), v.missing
	}
	if v.anyUnknown {
		return ReachUnknown, "", "firewalls unknown", v.missing
	}
	return NotReachable, "", "", nil
}

// admitsFromLB decides whether the instance's firewalls admit proto on
// ports from the load balancer (its firewalls lbFWs, its address ranges
// nets): proven by a rule whose source is one of lbFWs, a prefix
// overlapping nets or an internet-wide prefix; uncertain when a rule's
// source cannot be judged (a prefix list, a group not in the snapshot, a
// private prefix while nets are not all known) or a firewall is missing.
// via is the firewall of the deciding rule and why describes it.
func (g *Graph) admitsFromLB(instFWs, lbFWs []string, nets []netip.Prefix, netsKnown bool, proto string, ports inventory.PortRange) (state Reach, via, why string, missing []string) {
	if len(instFWs) == 0 {
		return ReachUnknown, "", "no firewall recorded", []string{"no firewall recorded"}
	}
	state = NotReachable
	set := func(st Reach, v, w string) {
		if st == Reachable && state != Reachable || st == ReachUnknown && state == NotReachable {
			state, via, why = st, v, w
		}
	}
	for _, id := range instFWs {
		fw := g.byID[id]
		if fw == nil || fw.Firewall == nil {
			missing = append(missing, "firewall "+id+" not in snapshot")
			set(ReachUnknown, id, "firewall "+id+" not in snapshot")
			continue
		}
		for _, r := range fw.Firewall.Rules {
			rp := inventory.NormalizeProtocol(r.Protocol)
			if r.Direction != inventory.Ingress || r.Action != inventory.Allow {
				continue
			}
			if rp != inventory.ProtoAll && proto != inventory.ProtoAll && rp != proto {
				continue
			}
			rr := normPorts(r.Ports)
			if rr.To < ports.From || rr.From > ports.To {
				continue
			}
			rule := func(src string) string {
				return fmt.Sprintf("%s: allow %s %s from %s", id, rp, portString(rr), src)
			}
			for _, sg := range r.SourceGroups {
				switch x := g.byID[sg]; {
				case slices.Contains(lbFWs, sg):
					set(Reachable, id, rule(sg))
				case x == nil || x.Firewall == nil || x.Account != fw.Account:
					set(ReachUnknown, id, rule(sg))
				}
			}
			for _, src := range r.Sources {
				if wide, _ := inventory.InternetWide(src); wide {
					set(Reachable, id, rule(src))
					continue
				}
				p, err := netip.ParsePrefix(strings.TrimSpace(src))
				if err != nil {
					if a, aerr := netip.ParseAddr(strings.TrimSpace(src)); aerr == nil {
						p, err = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
					}
				}
				switch {
				case err != nil && !isAddressSource(src):
					set(ReachUnknown, id, rule(src)) // a prefix list
				case err != nil:
					// a tag of the cloud's own network: the load balancer is in it
					set(Reachable, id, rule(src))
				case slices.ContainsFunc(nets, func(n netip.Prefix) bool { return n.Overlaps(p.Masked()) }):
					set(Reachable, id, rule(src))
				case !netsKnown:
					set(ReachUnknown, id, rule(src))
				}
			}
		}
	}
	return state, via, why, missing
}
