package azure

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// loadBalancerTables lists what Microsoft.Network contributes besides the
// network itself: load balancers and application gateways, each a
// network.loadbalancer resource. What they refer to (public IPs, the
// network interfaces of their backends, the application gateway's
// subnet) is read by other calls, so the table records the references
// (lbRefs) and link resolves them once every table has run
// (linkLoadBalancers).
//
// An Azure load balancer passes the client's address through to its
// backends and has no firewall of its own: a public one is ProviderFront
// without SourceRanges, and what reaches a backend is what the backend's
// NSGs admit from the internet. An application gateway is a proxy: its
// backends see connections from its subnet (SourceRanges is the subnet's
// CIDR), its public listeners are guarded by its subnet's NSG (a
// protected_by edge), and it is in that subnet.
func loadBalancerTables() []table {
	return []table{{Service: "network", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		steps := []struct {
			op  string
			run func(context.Context, scope, *collectors.Result) error
		}{
			{"LoadBalancers.ListAll", loadBalancers},
			{"ApplicationGateways.ListAll", applicationGateways},
		}
		for _, st := range steps {
			if err := st.run(ctx, s, out); err != nil {
				if gerr := s.gap(out, "network", st.op, "", err); gerr != nil {
					return gerr
				}
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		return nil
	}}}
}

// Load balancer types (LoadBalancer.Type).
const (
	lbTypeLoadBalancer       = "load-balancer"
	lbTypeApplicationGateway = "application-gateway"
)

// lbRefs is what a load balancer or application gateway refers to by id,
// resolved by linkLoadBalancers.
type lbRefs struct {
	// publicIPs are the public IP address (or prefix) ids of its
	// frontends.
	publicIPs []string
	// gatewaySubnets are the subnets an application gateway runs in.
	gatewaySubnets []string
	backends       []lbBackend
	// poolsUnknown is set when a rule refers to a backend pool or
	// settings the resource does not list: who receives its traffic is
	// unknown.
	poolsUnknown bool
}

// lbBackend is one backend of a rule: a network interface's IP
// configuration, an IP address or a host name, with the port and protocol
// the rule sends to it.
type lbBackend struct {
	ipConfig string // NIC IP configuration id
	address  string // a private IP address (IP-based pools, application gateway addresses)
	network  string // the virtual network of address, "" when not said
	fqdn     string
	port     int
	protocol string
}

// haPortsProtocol is the listener and target protocol of an HA-ports rule
// (protocol All, frontend and backend port 0: every port of every
// protocol); its ports are 0–65535.
const haPortsProtocol = "ALL"

func loadBalancers(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewLoadBalancersClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.LoadBalancersClientListAllResponse) {
		for _, lb := range page.Value {
			if lb == nil || lb.ID == nil {
				continue
			}
			r, refs := loadBalancer(s, lb)
			s.addLB(out, r, refs)
		}
	})
}

// addLB adds a load balancer or application gateway to out, and keeps
// the backends its rules name for link to resolve once every table ran.
func (s scope) addLB(out *collectors.Result, r inventory.Resource, refs *lbRefs) {
	s.state.mu.Lock()
	s.state.lbs[strings.ToLower(r.ID)] = refs
	s.state.mu.Unlock()
	out.Add(r)
}

// loadBalancer normalizes one load balancer: its scheme and frontends,
// listeners from its load-balancing rules and inbound NAT rules, and the
// backends those rules send to (resolved to VMs by link).
func loadBalancer(s scope, lb *armnetwork.LoadBalancer) (inventory.Resource, *lbRefs) {
	r := s.resource(*lb.ID, inventory.KindLoadBalancer, "Microsoft.Network/loadBalancers", lb.Name, lb.Location, lb.Tags)
	l := &inventory.LoadBalancer{Type: lbTypeLoadBalancer, Scheme: inventory.SchemeInternal}
	refs := &lbRefs{}
	r.LoadBalancer = l
	p := lb.Properties
	if p == nil {
		l.ListenersUnknown, l.TargetsUnknown = true, true
		return r, refs
	}
	for _, fc := range p.FrontendIPConfigurations {
		if fc == nil || fc.Properties == nil {
			continue
		}
		fp := fc.Properties
		if fp.PublicIPAddress != nil && deref(fp.PublicIPAddress.ID) != "" {
			refs.publicIPs = appendUniq(refs.publicIPs, *fp.PublicIPAddress.ID)
		}
		if fp.PublicIPPrefix != nil && deref(fp.PublicIPPrefix.ID) != "" {
			refs.publicIPs = appendUniq(refs.publicIPs, *fp.PublicIPPrefix.ID)
		}
		if fp.Subnet != nil && deref(fp.Subnet.ID) != "" {
			l.SubnetIDs = appendUniq(l.SubnetIDs, *fp.Subnet.ID)
		}
	}
	if len(refs.publicIPs) > 0 {
		l.Scheme, l.ProviderFront = inventory.SchemeInternetFacing, true
	}
	for _, sn := range l.SubnetIDs {
		r.AddEdge(inventory.RelIn, sn)
		if l.NetworkID == "" {
			l.NetworkID = parentID(sn, "subnets")
		}
	}

	pools := map[string]*armnetwork.BackendAddressPoolPropertiesFormat{}
	for _, bp := range p.BackendAddressPools {
		if bp != nil && bp.ID != nil {
			pools[strings.ToLower(*bp.ID)] = cmp.Or(bp.Properties, &armnetwork.BackendAddressPoolPropertiesFormat{})
			if bp.Properties != nil && bp.Properties.VirtualNetwork != nil && l.NetworkID == "" {
				l.NetworkID = deref(bp.Properties.VirtualNetwork.ID)
			}
		}
	}
	// poolBackends adds the members of the pools ids as backends on port.
	poolBackends := func(ids []*armnetwork.SubResource, port int, proto string) {
		for _, id := range ids {
			if id == nil || deref(id.ID) == "" {
				continue
			}
			bp, ok := pools[strings.ToLower(*id.ID)]
			if !ok {
				refs.poolsUnknown = true
				continue
			}
			var configs []string
			for _, c := range bp.BackendIPConfigurations {
				if c != nil {
					configs = appendUniq(configs, deref(c.ID))
				}
			}
			for _, a := range bp.LoadBalancerBackendAddresses {
				if a == nil || a.Properties == nil {
					continue
				}
				ap := a.Properties
				if ap.NetworkInterfaceIPConfiguration != nil && deref(ap.NetworkInterfaceIPConfiguration.ID) != "" {
					configs = appendUniq(configs, *ap.NetworkInterfaceIPConfiguration.ID)
					continue
				}
				if ip := deref(ap.IPAddress); ip != "" {
					b := lbBackend{address: ip, port: port, protocol: proto}
					if ap.VirtualNetwork != nil {
						b.network = deref(ap.VirtualNetwork.ID)
					} else if bp.VirtualNetwork != nil {
						b.network = deref(bp.VirtualNetwork.ID)
					}
					refs.backends = append(refs.backends, b)
				}
			}
			for _, c := range configs {
				refs.backends = append(refs.backends, lbBackend{ipConfig: c, port: port, protocol: proto})
			}
		}
	}

	for _, rule := range p.LoadBalancingRules {
		if rule == nil || rule.Properties == nil {
			continue
		}
		rp := rule.Properties
		proto := lbProtocol(rp.Protocol)
		front, back := int(deref(rp.FrontendPort)), int(deref(rp.BackendPort))
		if proto == haPortsProtocol && front == 0 {
			back = 0
		} else if back == 0 {
			back = front // ARM: the backend port defaults to the frontend's
		}
		if proto == haPortsProtocol && front == 0 {
			l.Listeners = append(l.Listeners, inventory.Listener{Protocol: proto, Port: 0, ToPort: 65535})
		} else {
			l.Listeners = append(l.Listeners, inventory.Listener{Protocol: proto, Port: front})
		}
		poolBackends(append([]*armnetwork.SubResource{rp.BackendAddressPool}, rp.BackendAddressPools...), back, proto)
	}
	for _, nat := range p.InboundNatRules {
		if nat == nil || nat.Properties == nil {
			continue
		}
		np := nat.Properties
		proto := lbProtocol(np.Protocol)
		back := int(deref(np.BackendPort))
		if np.BackendAddressPool != nil && deref(np.BackendAddressPool.ID) != "" {
			// A NAT rule of a backend pool: each member gets its own port
			// of the frontend range.
			l.Listeners = append(l.Listeners, rangeListeners(proto, int(deref(np.FrontendPortRangeStart)), int(deref(np.FrontendPortRangeEnd)))...)
			poolBackends([]*armnetwork.SubResource{np.BackendAddressPool}, back, proto)
			continue
		}
		l.Listeners = append(l.Listeners, inventory.Listener{Protocol: proto, Port: int(deref(np.FrontendPort))})
		if np.BackendIPConfiguration != nil && deref(np.BackendIPConfiguration.ID) != "" {
			refs.backends = append(refs.backends, lbBackend{ipConfig: *np.BackendIPConfiguration.ID, port: back, protocol: proto})
		}
	}
	// Inbound NAT pools forward to the instances of a scale set, whose
	// network interfaces the scale set lists, not the load balancer; scale
	// set instances are not collected.
	for _, pool := range p.InboundNatPools {
		if pool != nil && pool.Properties != nil {
			pp := pool.Properties
			l.Listeners = append(l.Listeners, rangeListeners(lbProtocol(pp.Protocol), int(deref(pp.FrontendPortRangeStart)), int(deref(pp.FrontendPortRangeEnd)))...)
		}
	}
	l.Listeners = sortListeners(l.Listeners)
	return r, refs
}

// lbProtocol is a rule's transport protocol as a listener's: "TCP",
// "UDP", or haPortsProtocol for All.
func lbProtocol(p *armnetwork.TransportProtocol) string {
	switch v := deref(p); {
	case strings.EqualFold(string(v), string(armnetwork.TransportProtocolUDP)):
		return "UDP"
	case strings.EqualFold(string(v), string(armnetwork.TransportProtocolAll)):
		return haPortsProtocol
	}
	return "TCP"
}

// rangeListeners is the listener of a frontend port range.
func rangeListeners(proto string, from, to int) []inventory.Listener {
	l := inventory.Listener{Protocol: proto, Port: from}
	if to > from {
		l.ToPort = to
	}
	return []inventory.Listener{l}
}

// sortListeners orders listeners by port then protocol, without
// duplicates.
func sortListeners(ls []inventory.Listener) []inventory.Listener {
	slices.SortFunc(ls, func(a, b inventory.Listener) int {
		return cmp.Or(cmp.Compare(a.Port, b.Port), cmp.Compare(a.ToPort, b.ToPort), strings.Compare(a.Protocol, b.Protocol))
	})
	return slices.Compact(ls)
}

func applicationGateways(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewApplicationGatewaysClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.ApplicationGatewaysClientListAllResponse) {
		for _, g := range page.Value {
			if g == nil || g.ID == nil {
				continue
			}
			r, refs := applicationGateway(s, g)
			s.addLB(out, r, refs)
		}
	})
}

// applicationGateway normalizes one application gateway. Listeners are
// its HTTP(S) listeners and its TCP/TLS listeners; of a gateway with a
// public frontend, only those on a public frontend (the ones the internet
// reaches). Backends are the pools its routing rules (and their URL path
// maps) send to, on the port of the rule's backend settings.
func applicationGateway(s scope, g *armnetwork.ApplicationGateway) (inventory.Resource, *lbRefs) {
	r := s.resource(*g.ID, inventory.KindLoadBalancer, "Microsoft.Network/applicationGateways", g.Name, g.Location, g.Tags)
	l := &inventory.LoadBalancer{Type: lbTypeApplicationGateway, Scheme: inventory.SchemeInternal}
	refs := &lbRefs{}
	r.LoadBalancer = l
	p := g.Properties
	if p == nil {
		l.ListenersUnknown, l.TargetsUnknown = true, true
		return r, refs
	}
	publicFront := map[string]bool{}
	for _, fc := range p.FrontendIPConfigurations {
		if fc == nil || fc.ID == nil || fc.Properties == nil {
			continue
		}
		if pip := fc.Properties.PublicIPAddress; pip != nil && deref(pip.ID) != "" {
			refs.publicIPs = appendUniq(refs.publicIPs, *pip.ID)
			publicFront[strings.ToLower(*fc.ID)] = true
		}
	}
	if len(refs.publicIPs) > 0 {
		l.Scheme, l.ProviderFront = inventory.SchemeInternetFacing, true
	}
	for _, c := range p.GatewayIPConfigurations {
		if c != nil && c.Properties != nil && c.Properties.Subnet != nil && deref(c.Properties.Subnet.ID) != "" {
			refs.gatewaySubnets = appendUniq(refs.gatewaySubnets, *c.Properties.Subnet.ID)
		}
	}
	l.SubnetIDs = append(l.SubnetIDs, refs.gatewaySubnets...)
	for _, sn := range l.SubnetIDs {
		r.AddEdge(inventory.RelIn, sn)
		if l.NetworkID == "" {
			l.NetworkID = parentID(sn, "subnets")
		}
	}

	ports := map[string]int{}
	for _, fp := range p.FrontendPorts {
		if fp != nil && fp.ID != nil && fp.Properties != nil {
			ports[strings.ToLower(*fp.ID)] = int(deref(fp.Properties.Port))
		}
	}
	// listeners maps each listener the internet may reach to its protocol
	// and port; a listener whose frontend port is not listed is kept with
	// ListenersUnknown.
	listeners := map[string]bool{}
	listener := func(id *string, front, port *armnetwork.SubResource, proto *armnetwork.ApplicationGatewayProtocol) {
		if id == nil {
			return
		}
		if l.ProviderFront && front != nil && !publicFront[strings.ToLower(deref(front.ID))] {
			return // on the private frontend only
		}
		listeners[strings.ToLower(*id)] = true
		n, ok := 0, false
		if port != nil {
			n, ok = ports[strings.ToLower(deref(port.ID))]
		}
		if !ok {
			l.ListenersUnknown = true
			return
		}
		l.Listeners = append(l.Listeners, inventory.Listener{Protocol: strings.ToUpper(string(deref(proto))), Port: n})
	}
	for _, ls := range p.HTTPListeners {
		if ls != nil && ls.Properties != nil {
			listener(ls.ID, ls.Properties.FrontendIPConfiguration, ls.Properties.FrontendPort, ls.Properties.Protocol)
		}
	}
	for _, ls := range p.Listeners {
		if ls != nil && ls.Properties != nil {
			listener(ls.ID, ls.Properties.FrontendIPConfiguration, ls.Properties.FrontendPort, ls.Properties.Protocol)
		}
	}
	l.Listeners = sortListeners(l.Listeners)

	pools := map[string]*armnetwork.ApplicationGatewayBackendAddressPoolPropertiesFormat{}
	for _, bp := range p.BackendAddressPools {
		if bp != nil && bp.ID != nil {
			pools[strings.ToLower(*bp.ID)] = cmp.Or(bp.Properties, &armnetwork.ApplicationGatewayBackendAddressPoolPropertiesFormat{})
		}
	}
	type setting struct {
		port  int
		proto string
	}
	settings := map[string]setting{}
	for _, bs := range p.BackendHTTPSettingsCollection {
		if bs != nil && bs.ID != nil && bs.Properties != nil {
			settings[strings.ToLower(*bs.ID)] = setting{int(deref(bs.Properties.Port)), strings.ToUpper(string(deref(bs.Properties.Protocol)))}
		}
	}
	for _, bs := range p.BackendSettingsCollection {
		if bs != nil && bs.ID != nil && bs.Properties != nil {
			settings[strings.ToLower(*bs.ID)] = setting{int(deref(bs.Properties.Port)), strings.ToUpper(string(deref(bs.Properties.Protocol)))}
		}
	}
	// route adds the members of pool as backends on the port of the
	// settings.
	route := func(pool, set *armnetwork.SubResource) {
		if pool == nil || deref(pool.ID) == "" {
			return // a redirect: nothing is forwarded
		}
		bp, ok := pools[strings.ToLower(*pool.ID)]
		st, sok := settings[strings.ToLower(deref(cmp.Or(set, &armnetwork.SubResource{}).ID))]
		if !ok || !sok {
			refs.poolsUnknown = true
			return
		}
		for _, c := range bp.BackendIPConfigurations {
			if c != nil && deref(c.ID) != "" {
				refs.backends = append(refs.backends, lbBackend{ipConfig: *c.ID, port: st.port, protocol: st.proto})
			}
		}
		for _, a := range bp.BackendAddresses {
			if a == nil {
				continue
			}
			if ip := deref(a.IPAddress); ip != "" {
				refs.backends = append(refs.backends, lbBackend{address: ip, port: st.port, protocol: st.proto})
			} else if fqdn := deref(a.Fqdn); fqdn != "" {
				refs.backends = append(refs.backends, lbBackend{fqdn: fqdn, port: st.port, protocol: st.proto})
			}
		}
	}
	pathMaps := map[string]*armnetwork.ApplicationGatewayURLPathMapPropertiesFormat{}
	for _, m := range p.URLPathMaps {
		if m != nil && m.ID != nil && m.Properties != nil {
			pathMaps[strings.ToLower(*m.ID)] = m.Properties
		}
	}
	for _, rule := range p.RequestRoutingRules {
		if rule == nil || rule.Properties == nil {
			continue
		}
		rp := rule.Properties
		if rp.HTTPListener == nil || !listeners[strings.ToLower(deref(rp.HTTPListener.ID))] {
			continue
		}
		route(rp.BackendAddressPool, rp.BackendHTTPSettings)
		if rp.URLPathMap != nil && deref(rp.URLPathMap.ID) != "" {
			m, ok := pathMaps[strings.ToLower(*rp.URLPathMap.ID)]
			if !ok {
				refs.poolsUnknown = true
				continue
			}
			route(m.DefaultBackendAddressPool, m.DefaultBackendHTTPSettings)
			for _, pr := range m.PathRules {
				if pr != nil && pr.Properties != nil {
					route(pr.Properties.BackendAddressPool, pr.Properties.BackendHTTPSettings)
				}
			}
		}
	}
	for _, rule := range p.RoutingRules {
		if rule == nil || rule.Properties == nil {
			continue
		}
		rp := rule.Properties
		if rp.Listener == nil || !listeners[strings.ToLower(deref(rp.Listener.ID))] {
			continue
		}
		route(rp.BackendAddressPool, rp.BackendSettings)
	}
	return r, refs
}

// linkLoadBalancers resolves what the load balancers and application
// gateways of the subscription refer to, once every table has run:
//   - their public IP ids become the addresses (the id stands for an
//     address when the public IP was not listed);
//   - an application gateway's SourceRanges are its subnets' CIDRs (a
//     subnet not read is its id, so that no range is taken as known), and
//     it is protected_by its subnets' NSGs;
//   - a backend NIC IP configuration becomes the VM of its interface, a
//     backend address the VM of the one interface that holds it; a backend
//     that cannot be resolved (an interface not read, an address no
//     interface holds, a host name) makes TargetsUnknown.
func linkLoadBalancers(s scope, out *collectors.Result, byID map[string]*inventory.Resource, canon func(string) string) {
	s.state.mu.Lock()
	refsOf, publicIPs := s.state.lbs, s.state.publicIPs
	s.state.mu.Unlock()
	// Interfaces by private address, for backends given as addresses.
	byAddress := map[string][]*inventory.Resource{}
	for i := range out.Resources {
		if r := &out.Resources[i]; r.Interface != nil {
			for _, a := range r.Interface.PrivateIPs {
				byAddress[a] = append(byAddress[a], r)
			}
		}
	}
	for i := range out.Resources {
		r := &out.Resources[i]
		refs := refsOf[strings.ToLower(r.ID)]
		if r.LoadBalancer == nil || refs == nil {
			continue
		}
		l := r.LoadBalancer
		l.NetworkID = canon(l.NetworkID)
		for j, sn := range l.SubnetIDs {
			l.SubnetIDs[j] = canon(sn)
		}
		for _, id := range refs.publicIPs {
			pip, seen := publicIPs[strings.ToLower(id)]
			switch {
			case !seen:
				l.Addresses = appendUniq(l.Addresses, id)
			case pip.address != "":
				l.Addresses = appendUniq(l.Addresses, pip.address)
			}
		}
		for _, id := range refs.gatewaySubnets {
			sn := byID[strings.ToLower(id)]
			if sn == nil || sn.Subnet == nil || sn.Subnet.CIDR == "" {
				l.SourceRanges = appendUniq(l.SourceRanges, canon(id))
				continue
			}
			l.SourceRanges = appendUniq(l.SourceRanges, sn.Subnet.CIDR)
			for _, e := range sn.Edges {
				if e.Relation == inventory.RelProtectedBy {
					r.AddEdge(inventory.RelProtectedBy, e.To)
				}
			}
		}
		if refs.poolsUnknown {
			l.TargetsUnknown = true
		}
		for _, b := range refs.backends {
			vm, nic := "", (*inventory.Resource)(nil)
			switch {
			case b.ipConfig != "":
				nicID := parentID(b.ipConfig, "ipConfigurations")
				if strings.Contains(strings.ToLower(nicID), "/virtualmachinescalesets/") {
					// A scale set instance's interface: the instance is the
					// target (scale set instances are not collected).
					vm = parentID(nicID, "networkInterfaces")
					break
				}
				nic = byID[strings.ToLower(nicID)]
				if nic == nil || nic.Interface == nil {
					l.TargetsUnknown = true
					continue
				}
			case b.address != "":
				nic = holder(byAddress[b.address], cmp.Or(b.network, l.NetworkID), byID)
				if nic == nil {
					l.TargetsUnknown = true
					continue
				}
			default:
				l.TargetsUnknown = true // a host name: what it resolves to is not known
				continue
			}
			if nic != nil {
				vm = nic.Interface.InstanceID
				if l.NetworkID == "" {
					if sn := byID[strings.ToLower(nic.Interface.SubnetID)]; sn != nil && sn.Subnet != nil {
						l.NetworkID = sn.Subnet.NetworkID
					}
				}
			}
			if vm == "" {
				continue // an interface attached to no VM receives for nothing collected
			}
			vm = canon(vm)
			t := inventory.LBTarget{ID: vm, Port: b.port, Protocol: b.protocol}
			if b.protocol == haPortsProtocol && b.port == 0 {
				t.ToPort = 65535 // HA ports: every port
			}
			if !slices.Contains(l.Targets, t) {
				l.Targets = append(l.Targets, t)
			}
		}
		slices.SortFunc(l.Targets, func(a, b inventory.LBTarget) int {
			return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Port, b.Port), strings.Compare(a.Protocol, b.Protocol))
		})
		var seen []string
		for _, t := range l.Targets {
			if !slices.Contains(seen, t.ID) {
				seen = append(seen, t.ID)
				r.AddEdge(inventory.RelTargets, t.ID)
			}
		}
	}
}

// holder is the interface of nics in network (any network when "") that
// holds an address: nil when none or more than one does.
func holder(nics []*inventory.Resource, network string, byID map[string]*inventory.Resource) *inventory.Resource {
	var found *inventory.Resource
	for _, n := range nics {
		if network != "" {
			sn := byID[strings.ToLower(n.Interface.SubnetID)]
			if sn == nil || sn.Subnet == nil || !strings.EqualFold(sn.Subnet.NetworkID, network) {
				continue
			}
		}
		if found != nil {
			return nil
		}
		found = n
	}
	return found
}
