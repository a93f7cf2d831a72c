package gcp

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

// computeAPI is what the compute table asks of Compute Engine: whole
// listings (every page) and single gets.
type computeAPI interface {
	// Instances and Subnetworks are aggregated lists: they also return
	// the scopes ("zones/Z", "regions/R") that did not answer.
	Instances(ctx context.Context, project string) ([]*computepb.Instance, []string, error)
	Firewalls(ctx context.Context, project string) ([]*computepb.Firewall, error)
	Networks(ctx context.Context, project string) ([]*computepb.Network, error)
	Subnetworks(ctx context.Context, project string) ([]*computepb.Subnetwork, []string, error)
	Routes(ctx context.Context, project string) ([]*computepb.Route, error)
	Disk(ctx context.Context, project, zone, name string) (*computepb.Disk, error)
	Image(ctx context.Context, project, name string) (*computepb.Image, error)
}

// computeClients are the Compute REST clients the table uses.
type computeClients struct {
	instances   *compute.InstancesClient
	firewalls   *compute.FirewallsClient
	networks    *compute.NetworksClient
	subnetworks *compute.SubnetworksClient
	routes      *compute.RoutesClient
	disks       *compute.DisksClient
	images      *compute.ImagesClient
	opts        []gax.CallOption
}

// drain reads an iterator to the end.
func drain[T any](next func() (T, error)) ([]T, error) {
	var out []T
	for {
		v, err := next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
}

// Instances reads instances.aggregatedList. A zone that did not answer
// is named by its scope's warning (code UNREACHABLE) or by the page's
// unreachables; both are returned, the instances of the zones that did
// answer with them. Empty zones carry the warning NO_RESULTS_ON_PAGE.
func (c *computeClients) Instances(ctx context.Context, project string) ([]*computepb.Instance, []string, error) {
	it := c.instances.AggregatedList(ctx, &computepb.AggregatedListInstancesRequest{Project: project}, c.opts...)
	return drainAggregated(it.Next, func() any { return it.Response },
		func(p compute.InstancesScopedListPair) (string, *computepb.Warning, []*computepb.Instance) {
			return p.Key, p.Value.GetWarning(), p.Value.GetInstances()
		})
}

// drainAggregated reads an aggregatedList iterator to its end: the items
// of every scope (zone or region) that answered, and the scopes that did
// not — named by their scope's UNREACHABLE warning or by a page's
// unreachables.
func drainAggregated[P, T any](next func() (P, error), response func() any, scope func(P) (key string, w *computepb.Warning, items []T)) ([]T, []string, error) {
	var out []T
	var lost []string
	for {
		p, err := next()
		if resp, ok := response().(interface{ GetUnreachables() []string }); ok {
			lost = appendUniq(lost, resp.GetUnreachables()...)
		}
		if errors.Is(err, iterator.Done) {
			return out, lost, nil
		}
		if err != nil {
			return out, lost, err
		}
		key, w, items := scope(p)
		if unreachable(w) {
			lost = appendUniq(lost, key)
		}
		out = append(out, items...)
	}
}

// unreachable reports whether an aggregated list's scope warning says the
// scope did not answer.
func unreachable(w *computepb.Warning) bool { return w.GetCode() == "UNREACHABLE" }

func (c *computeClients) Firewalls(ctx context.Context, project string) ([]*computepb.Firewall, error) {
	return drain(c.firewalls.List(ctx, &computepb.ListFirewallsRequest{Project: project}, c.opts...).Next)
}

func (c *computeClients) Networks(ctx context.Context, project string) ([]*computepb.Network, error) {
	return drain(c.networks.List(ctx, &computepb.ListNetworksRequest{Project: project}, c.opts...).Next)
}

// Subnetworks reads subnetworks.aggregatedList, as Instances does.
func (c *computeClients) Subnetworks(ctx context.Context, project string) ([]*computepb.Subnetwork, []string, error) {
	it := c.subnetworks.AggregatedList(ctx, &computepb.AggregatedListSubnetworksRequest{Project: project}, c.opts...)
	return drainAggregated(it.Next, func() any { return it.Response },
		func(p compute.SubnetworksScopedListPair) (string, *computepb.Warning, []*computepb.Subnetwork) {
			return p.Key, p.Value.GetWarning(), p.Value.GetSubnetworks()
		})
}

func (c *computeClients) Routes(ctx context.Context, project string) ([]*computepb.Route, error) {
	return drain(c.routes.List(ctx, &computepb.ListRoutesRequest{Project: project}, c.opts...).Next)
}

func (c *computeClients) Disk(ctx context.Context, project, zone, name string) (*computepb.Disk, error) {
	return c.disks.Get(ctx, &computepb.GetDiskRequest{Project: project, Zone: zone, Disk: name}, c.opts...)
}

func (c *computeClients) Image(ctx context.Context, project, name string) (*computepb.Image, error) {
	return c.images.Get(ctx, &computepb.GetImageRequest{Project: project, Image: name}, c.opts...)
}

// computeTable reads a project's network (networks, subnetworks, routes),
// firewall rules and instances with their boot images. The firewall rules
// that apply to each instance are resolved once every project is
// collected (networkIndex.match: same network, target tags or service
// accounts), so that a Shared VPC host project's rules apply to the
// service projects' instances on its networks; the instance then names
// its firewalls as an AWS instance names its security groups.
//
// Not read: hierarchical firewall policies (organization, folder) and
// network firewall policies (global, regional), which Google evaluates
// around the VPC rules; an allow there can open a port the rules read
// here keep closed, and a deny there can close one they open. This is a
// stated limit of the collector (networks.getEffectiveFirewalls would
// return both), not a gap of each scan.
func computeTable() table {
	return table{Service: "compute", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		return collectCompute(ctx, cl.compute, cl.networks, s, out)
	}}
}

// computeProject collects one project.
type computeProject struct {
	api computeAPI
	s   scope
	out *collectors.Result
	// disabled is set once the API answered that it is not enabled (or
	// denied the project): the calls left are not made, and that one gap
	// says why.
	disabled bool
}

func (c *computeProject) gap(op, resource string, err error) error {
	switch classify(err) {
	case inventory.GapRegionDisabled:
		c.disabled = true
	}
	return c.s.gap(c.out, "compute", op, resource, err)
}

// lost records a gap for each scope of an aggregated list that did not
// answer: what it holds is missing from the snapshot.
func (c *computeProject) lost(op, what string, scopes []string) {
	for _, sc := range scopes {
		loc := pathValue(sc, "zones")
		if loc == "" {
			loc = pathValue(sc, "regions")
		}
		if loc == "" {
			loc = sc
		}
		c.out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: c.s.Project, Region: loc, Service: "compute", Operation: op,
			Reason: inventory.GapUnreachable, Message: "the " + what + " of " + loc + " could not be listed (" + sc + " unreachable)"})
	}
}

func collectCompute(ctx context.Context, api computeAPI, idx *networkIndex, s scope, out *collectors.Result) error {
	c := &computeProject{api: api, s: s, out: out}
	networks, err := api.Networks(ctx, s.Project)
	if err != nil {
		if gerr := c.gap("networks.list", "", err); gerr != nil || c.disabled {
			return gerr
		}
	}
	for _, n := range networks {
		out.Add(c.network(n))
	}
	subnets, lost, err := api.Subnetworks(ctx, s.Project)
	c.lost("subnetworks.aggregatedList", "subnetworks", lost)
	if err != nil {
		if gerr := c.gap("subnetworks.aggregatedList", "", err); gerr != nil {
			return gerr
		}
	}
	for _, sn := range subnets {
		out.Add(c.subnetwork(sn))
	}
	routes, err := api.Routes(ctx, s.Project)
	if err != nil {
		// A partial listing could miss the default route: no table is
		// written, so reachability through these networks is unknown.
		if gerr := c.gap("routes.list", "", err); gerr != nil {
			return gerr
		}
	} else {
		out.Add(c.routeTables(networks, routes)...)
	}
	firewalls, err := api.Firewalls(ctx, s.Project)
	fwComplete := err == nil
	if err != nil {
		if gerr := c.gap("firewalls.list", "", err); gerr != nil {
			return gerr
		}
	}
	for _, f := range firewalls {
		out.Add(c.firewall(f))
	}
	idx.addRules(s.Project, networks, firewalls, fwComplete)
	instances, lost, err := api.Instances(ctx, s.Project)
	c.lost("instances.aggregatedList", "instances", lost)
	if err != nil {
		if gerr := c.gap("instances.aggregatedList", "", err); gerr != nil {
			return gerr
		}
	}
	rs := make([]inventory.Resource, 0, len(instances))
	for _, i := range instances {
		r, facts := c.instance(i)
		rs = append(rs, r)
		idx.addInstance(facts)
	}
	if err := c.images(ctx, instances, rs); err != nil {
		return err
	}
	out.Add(rs...)
	return nil
}

func (c *computeProject) resource(selfLink string, kind inventory.Kind, native, name, location string, labels map[string]string) inventory.Resource {
	return inventory.Resource{ID: computeName(selfLink), Cloud: inventory.GCP, Account: c.s.Project, Region: location,
		Kind: kind, NativeType: native, Name: name, Tags: tagMap(labels)}
}

func (c *computeProject) network(n *computepb.Network) inventory.Resource {
	r := c.resource(n.GetSelfLink(), inventory.KindNetwork, "compute.googleapis.com/Network", n.GetName(), "global", nil)
	net := &inventory.Network{IsDefault: n.GetName() == "default"}
	if v := n.GetIPv4Range(); v != "" {
		net.CIDRs = append(net.CIDRs, v) // legacy networks
	}
	r.Network = net
	return r
}

func (c *computeProject) subnetwork(sn *computepb.Subnetwork) inventory.Resource {
	region := lastSegment(sn.GetRegion())
	r := c.resource(sn.GetSelfLink(), inventory.KindSubnet, "compute.googleapis.com/Subnetwork", sn.GetName(), region, nil)
	r.Subnet = &inventory.Subnet{NetworkID: computeName(sn.GetNetwork()), CIDR: sn.GetIpCidrRange(), Zone: region}
	if r.Subnet.NetworkID != "" {
		r.AddEdge(inventory.RelIn, r.Subnet.NetworkID)
	}
	return r
}

// routeTables gathers each network's routes into one route table, the
// network's main table (GCP routes belong to the network and apply to
// every subnet), and a gateway resource for the default internet gateway
// each table sends traffic to. Routes limited to instance tags are left
// out: they do not apply to every instance.
func (c *computeProject) routeTables(networks []*computepb.Network, routes []*computepb.Route) []inventory.Resource {
	byNetwork := map[string][]*computepb.Route{}
	var order []string
	for _, n := range networks {
		order = append(order, computeName(n.GetSelfLink()))
	}
	for _, rt := range routes {
		id := computeName(rt.GetNetwork())
		if !slices.Contains(order, id) {
			order = append(order, id)
		}
		byNetwork[id] = append(byNetwork[id], rt)
	}
	gateways := map[string]*inventory.Resource{}
	var out []inventory.Resource
	for _, network := range order {
		r := inventory.Resource{ID: network + "/routes", Cloud: inventory.GCP, Account: c.s.Project, Region: "global",
			Kind: inventory.KindRouteTable, NativeType: "compute.googleapis.com/Route", Name: lastSegment(network) + " routes"}
		table := &inventory.RouteTable{NetworkID: network, Main: true}
		rs := byNetwork[network]
		slices.SortFunc(rs, func(a, b *computepb.Route) int {
			if a.GetPriority() != b.GetPriority() {
				return int(a.GetPriority()) - int(b.GetPriority())
			}
			return strings.Compare(a.GetName(), b.GetName())
		})
		for _, rt := range rs {
			if len(rt.GetTags()) > 0 {
				continue
			}
			x := inventory.Route{Destination: rt.GetDestRange(), TargetKind: "other"}
			switch {
			case strings.HasSuffix(rt.GetNextHopGateway(), "/gateways/default-internet-gateway"):
				x.Target, x.TargetKind = computeName(rt.GetNextHopGateway()), "internet_gateway"
				g := gateways[x.Target]
				if g == nil {
					g = &inventory.Resource{ID: x.Target, Cloud: inventory.GCP, Account: c.s.Project, Region: "global",
						Kind: inventory.KindGateway, NativeType: "compute.googleapis.com/Gateway", Name: lastSegment(x.Target),
						Gateway: &inventory.Gateway{Type: "internet"}}
					gateways[x.Target] = g
				}
				if !slices.Contains(g.Gateway.Networks, network) {
					g.Gateway.Networks = append(g.Gateway.Networks, network)
					g.AddEdge(inventory.RelAttachedTo, network)
				}
				if x.Destination == "0.0.0.0/0" || x.Destination == "::/0" {
					if !slices.Contains(r.Edges, inventory.Edge{From: r.ID, Relation: inventory.RelRoutesTo, To: x.Target}) {
						r.AddEdge(inventory.RelRoutesTo, x.Target)
					}
				}
			case rt.GetNextHopNetwork() != "":
				x.Target, x.TargetKind = computeName(rt.GetNextHopNetwork()), "local"
			case rt.GetNextHopInstance() != "":
				x.Target = computeName(rt.GetNextHopInstance())
			case rt.GetNextHopIlb() != "":
				x.Target = rt.GetNextHopIlb()
			case rt.GetNextHopVpnTunnel() != "":
				x.Target = computeName(rt.GetNextHopVpnTunnel())
			case rt.GetNextHopPeering() != "":
				x.Target = "peering/" + rt.GetNextHopPeering()
			case rt.GetNextHopIp() != "":
				x.Target = rt.GetNextHopIp()
			default:
				x.Target = computeName(rt.GetNextHopGateway())
			}
			table.Routes = append(table.Routes, x)
		}
		r.RouteTable = table
		out = append(out, r)
	}
	for _, g := range gateways {
		out = append(out, *g)
	}
	return out
}

// firewall turns one GCP firewall rule into a firewall with one rule per
// protocol and port range. A disabled rule is kept with no rules: it
// admits nothing, and no instance is protected by it.
func (c *computeProject) firewall(f *computepb.Firewall) inventory.Resource {
	r := c.resource(f.GetSelfLink(), inventory.KindFirewall, "compute.googleapis.com/Firewall", f.GetName(), "global", nil)
	fw := &inventory.Firewall{NetworkID: computeName(f.GetNetwork()), Rules: []inventory.FirewallRule{}}
	r.Firewall = fw
	if f.GetDisabled() {
		return r
	}
	dir := inventory.Ingress
	ranges := f.GetSourceRanges()
	if strings.EqualFold(f.GetDirection(), "EGRESS") {
		dir = inventory.Egress
		ranges = f.GetDestinationRanges()
	}
	if len(ranges) == 0 && (dir == inventory.Egress || len(f.GetSourceTags())+len(f.GetSourceServiceAccounts()) == 0) {
		// No range and no tag or account: the rule applies to every
		// address (Google's default is 0.0.0.0/0).
		ranges = []string{"0.0.0.0/0"}
	}
	var notes []string
	if f.GetDescription() != "" {
		notes = append(notes, f.GetDescription())
	}
	// Source tags and service accounts name instances of the network:
	// their internal addresses, never the internet.
	if t := f.GetSourceTags(); len(t) > 0 {
		notes = append(notes, "source tags "+strings.Join(t, ","))
	}
	if t := f.GetSourceServiceAccounts(); len(t) > 0 {
		notes = append(notes, "source service accounts "+strings.Join(t, ","))
	}
	add := func(action inventory.Action, proto string, ports []string) {
		proto = inventory.NormalizeProtocol(proto)
		prs := []inventory.PortRange{{From: 0, To: 65535}}
		if len(ports) > 0 && (proto == inventory.ProtoTCP || proto == inventory.ProtoUDP || proto == "sctp") {
			prs = prs[:0]
			for _, p := range ports {
				if pr, ok := portRange(p); ok {
					prs = append(prs, pr)
				}
			}
		}
		for _, pr := range prs {
			fw.Rules = append(fw.Rules, inventory.FirewallRule{Direction: dir, Action: action, Priority: int(f.GetPriority()),
				Protocol: proto, Ports: pr, Sources: slices.Clone(ranges), Description: strings.Join(notes, "; ")})
		}
	}
	for _, a := range f.GetAllowed() {
		add(inventory.Allow, a.GetIPProtocol(), a.GetPorts())
	}
	for _, d := range f.GetDenied() {
		add(inventory.Deny, d.GetIPProtocol(), d.GetPorts())
	}
	return r
}

// portRange reads "22" or "8000-8080".
func portRange(s string) (inventory.PortRange, bool) {
	from, to, found := strings.Cut(strings.TrimSpace(s), "-")
	a, err := strconv.Atoi(from)
	if err != nil {
		return inventory.PortRange{}, false
	}
	b := a
	if found {
		if b, err = strconv.Atoi(to); err != nil {
			return inventory.PortRange{}, false
		}
	}
	return inventory.PortRange{From: a, To: b}, true
}

// appliesTo reports whether an enabled firewall rule applies to an
// instance on network with these network tags and service accounts: same
// network, and its target tags meet the tags, or its target service
// accounts hold one of the accounts, or it has no targets.
func appliesTo(f *computepb.Firewall, network string, tags, accounts []string) bool {
	if f.GetDisabled() || computeName(f.GetNetwork()) != network {
		return false
	}
	if tt := f.GetTargetTags(); len(tt) > 0 {
		return slices.ContainsFunc(tt, func(t string) bool { return slices.Contains(tags, t) })
	}
	if ts := f.GetTargetServiceAccounts(); len(ts) > 0 {
		return slices.ContainsFunc(ts, func(t string) bool { return slices.Contains(accounts, t) })
	}
	return true
}

// instance maps an instance; its firewalls are filled in later, from the
// facts returned (networkIndex.match).
func (c *computeProject) instance(i *computepb.Instance) (inventory.Resource, instanceNet) {
	zone := lastSegment(i.GetZone())
	r := c.resource(i.GetSelfLink(), inventory.KindInstance, "compute.googleapis.com/Instance", i.GetName(), zone, i.GetLabels())
	if r.ID == "" {
		r.ID = "//compute.googleapis.com/projects/" + c.s.Project + "/zones/" + zone + "/instances/" + i.GetName()
	}
	in := &inventory.Instance{
		State:    strings.ToLower(i.GetStatus()),
		Platform: "linux",
		// The metadata server answers only requests that carry
		// "Metadata-Flavor: Google" (the v0.1 and v1beta1 endpoints that
		// did not are gone), the header defence IMDSv2's token gives.
		Metadata: &inventory.Metadata{Enabled: true, TokensRequired: true},
	}
	if t, err := time.Parse(time.RFC3339, i.GetLastStartTimestamp()); err == nil {
		in.LaunchTime = t.UTC()
	} else if t, err := time.Parse(time.RFC3339, i.GetCreationTimestamp()); err == nil {
		in.LaunchTime = t.UTC()
	}
	var accounts []string
	for _, sa := range i.GetServiceAccounts() {
		if e := sa.GetEmail(); e != "" {
			accounts = append(accounts, e)
			r.AddEdge(inventory.RelAssumes, serviceAccountName(c.s.Project, e))
		}
		in.Scopes = appendUniq(in.Scopes, sa.GetScopes()...)
	}
	facts := instanceNet{id: r.ID, project: c.s.Project, tags: i.GetTags().GetItems(), accounts: accounts}
	if i.GetId() != 0 {
		facts.number = strconv.FormatUint(i.GetId(), 10)
	}
	for n, nic := range i.GetNetworkInterfaces() {
		network := computeName(nic.GetNetwork())
		facts.networks = appendUniq(facts.networks, network)
		if n == 0 {
			in.NetworkID, in.SubnetID = network, computeName(nic.GetSubnetwork())
		}
		in.PrivateIPs = appendUniq(in.PrivateIPs, nic.GetNetworkIP(), nic.GetIpv6Address())
		for _, ac := range nic.GetAccessConfigs() {
			in.PublicIPs = appendUniq(in.PublicIPs, ac.GetNatIP())
		}
		for _, ac := range nic.GetIpv6AccessConfigs() {
			in.PublicIPs = appendUniq(in.PublicIPs, ac.GetExternalIpv6())
		}
	}
	salt := c.s.SecretSalt
	if salt == nil {
		salt = secrets.AccountSalt(c.s.Project)
	}
	// Every metadata value is text (startup-script, user-data,
	// windows-startup-script-ps1, custom keys): each is scanned for
	// secrets, and only the findings and the keys are kept, never a value.
	for _, item := range i.GetMetadata().GetItems() {
		k := item.GetKey()
		in.MetadataKeys = appendUniq(in.MetadataKeys, k)
		for _, f := range scanMetadata(k, item.GetValue(), salt) {
			in.Secrets = append(in.Secrets, inventory.SecretFinding(f))
		}
		switch k {
		case "enable-oslogin":
			v := truthy(item.GetValue())
			in.OSLogin = &v
		case "serial-port-enable":
			v := truthy(item.GetValue())
			in.SerialPort = &v
		}
	}
	slices.Sort(in.MetadataKeys)
	for _, d := range i.GetDisks() {
		for _, l := range d.GetLicenses() {
			if strings.Contains(l, "windows") {
				in.Platform = "windows"
			}
		}
	}
	if in.SubnetID != "" {
		r.AddEdge(inventory.RelIn, in.SubnetID)
	}
	r.Instance = in
	return r, facts
}

// scanMetadata scans one metadata value for secrets. A script or
// document that something runs or expands (startup and shutdown scripts,
// cloud-init user data, a container declaration) is scanned as it is. A
// custom value is literal — nothing expands "$" or "!" in it — and is
// scanned as the assignment key="value", so that detectors keyed on the
// name (db-password, api-token) see it. Findings are located "metadata
// KEY line N".
func scanMetadata(key, value string, salt []byte) []secrets.Finding {
	loc := "metadata " + key
	if strings.Contains(key, "script") || key == "user-data" || key == "gce-container-declaration" {
		return secrets.Scan(value, loc, salt)
	}
	text := key + "=" + value
	if !strings.ContainsAny(value, "\"\n") {
		text = key + `="` + value + `"`
	}
	return secrets.ScanLiteral(text, loc, salt)
}

// truthy reads a metadata switch as Compute Engine does.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "y", "on":
		return true
	}
	return false
}

// images fills ImageID, ImageName and ImageCreated from each instance's
// boot disk: disks.get gives its source image, images.get the image's
// creation time. A call that fails leaves the fields zero (unknown) and is
// a gap naming the instance.
func (c *computeProject) images(ctx context.Context, instances []*computepb.Instance, rs []inventory.Resource) error {
	type image struct {
		name    string
		created time.Time
		err     error
	}
	cache := map[string]image{}
	for n, i := range instances {
		if c.disabled {
			return nil
		}
		var boot string
		for _, d := range i.GetDisks() {
			if d.GetBoot() {
				boot = d.GetSource()
			}
		}
		if boot == "" {
			continue
		}
		project, zone, disk := pathValue(boot, "projects"), pathValue(boot, "zones"), lastSegment(boot)
		dk, err := c.api.Disk(ctx, project, zone, disk)
		if err != nil {
			if gerr := c.gap("disks.get", rs[n].ID, err); gerr != nil {
				return gerr
			}
			continue
		}
		src := dk.GetSourceImage()
		if src == "" {
			continue // made from a snapshot or blank: no image to date
		}
		rs[n].Instance.ImageID = computeName(src)
		rs[n].Instance.ImageName = lastSegment(src)
		im, ok := cache[src]
		if !ok {
			got, err := c.api.Image(ctx, pathValue(src, "projects"), lastSegment(src))
			im.err = err
			if err == nil {
				im.name = got.GetName()
				if t, perr := time.Parse(time.RFC3339, got.GetCreationTimestamp()); perr == nil {
					im.created = t.UTC()
				}
			}
			cache[src] = im
		}
		if im.err != nil {
			if gerr := c.gap("images.get", rs[n].ID, im.err); gerr != nil {
				return gerr
			}
			continue
		}
		rs[n].Instance.ImageCreated = im.created
	}
	return nil
}
