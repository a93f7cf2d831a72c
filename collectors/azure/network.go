package azure

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// networkTables lists what Microsoft.Network contributes: network security
// groups (their rules and default rules), virtual networks with their
// subnets, public IP addresses (read for the addresses of interfaces),
// network interfaces and user-defined route tables. One table makes the
// calls in turn; a failed call is a gap and the rest still run.
//
// Azure routes 0.0.0.0/0 to the internet from every subnet (a system
// route) unless a user-defined route table overrides it: each virtual
// network gets a synthetic main route table holding the system routes
// (id "<vnet id>/systemRoutes"), and a user-defined table keeps the system
// default route unless it replaces 0.0.0.0/0 itself.
//
// A public IP's SKU decides what reaches an interface that no NSG guards,
// at either layer: a Basic public IP admits everything, a Standard one
// nothing ("secure by default"). link gives such an interface a synthetic
// firewall saying so (id "<nic id>/implied").
func networkTables() []table {
	return []table{{Service: "network", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return collectNetwork(ctx, s, out)
	}}}
}

func collectNetwork(ctx context.Context, s scope, out *collectors.Result) error {
	steps := []struct {
		op  string
		run func(context.Context, scope, *collectors.Result) error
	}{
		{"NetworkSecurityGroups.ListAll", securityGroups},
		{"VirtualNetworks.ListAll", virtualNetworks},
		{"PublicIPAddresses.ListAll", publicIPs},
		{"NetworkInterfaces.ListAll", networkInterfaces},
		{"RouteTables.ListAll", routeTables},
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
}

func securityGroups(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewSecurityGroupsClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.SecurityGroupsClientListAllResponse) {
		for _, g := range page.Value {
			if g == nil || g.ID == nil {
				continue
			}
			r := s.resource(*g.ID, inventory.KindFirewall, "Microsoft.Network/networkSecurityGroups", g.Name, g.Location, g.Tags)
			fw := &inventory.Firewall{Rules: []inventory.FirewallRule{}}
			if p := g.Properties; p != nil {
				rules := append(append([]*armnetwork.SecurityRule(nil), p.SecurityRules...), p.DefaultSecurityRules...)
				for _, rule := range rules {
					fw.Rules = append(fw.Rules, nsgRules(rule)...)
				}
			}
			// Priority order within each direction: lower first.
			slices.SortStableFunc(fw.Rules, func(a, b inventory.FirewallRule) int {
				if a.Direction != b.Direction {
					return strings.Compare(string(a.Direction), string(b.Direction))
				}
				return a.Priority - b.Priority
			})
			r.Firewall = fw
			out.Add(r)
		}
	})
}

// nsgRules normalizes one security rule: one FirewallRule per destination
// port range. Sources keep the prefixes and service tags as written
// ("Internet", "*", "VirtualNetwork", "AzureLoadBalancer", CIDRs);
// application security groups are SourceGroups. Inbound rules keep their
// destination prefixes and destination application security groups (by
// id) as Destinations, which reach matches against each endpoint's private
// addresses. For outbound rules, Sources are the destinations.
func nsgRules(rule *armnetwork.SecurityRule) []inventory.FirewallRule {
	if rule == nil || rule.Properties == nil {
		return nil
	}
	p := rule.Properties
	base := inventory.FirewallRule{
		Direction:   inventory.Ingress,
		Action:      inventory.Allow,
		Priority:    int(deref(p.Priority)),
		Protocol:    inventory.NormalizeProtocol(string(deref(p.Protocol))),
		Description: strings.TrimSpace(deref(rule.Name) + " " + deref(p.Description)),
	}
	if deref(p.Direction) == armnetwork.SecurityRuleDirectionOutbound {
		base.Direction = inventory.Egress
	}
	if deref(p.Access) == armnetwork.SecurityRuleAccessDeny {
		base.Action = inventory.Deny
	}
	prefixes := append(derefs([]*string{p.SourceAddressPrefix}), derefs(p.SourceAddressPrefixes)...)
	if base.Direction == inventory.Egress {
		prefixes = append(derefs([]*string{p.DestinationAddressPrefix}), derefs(p.DestinationAddressPrefixes)...)
	}
	for _, x := range prefixes {
		base.Sources = appendUniq(base.Sources, x)
	}
	groups := p.SourceApplicationSecurityGroups
	if base.Direction == inventory.Egress {
		groups = p.DestinationApplicationSecurityGroups
	}
	for _, g := range groups {
		if g != nil {
			base.SourceGroups = appendUniq(base.SourceGroups, deref(g.ID))
		}
	}
	if base.Direction == inventory.Ingress {
		for _, x := range append(derefs([]*string{p.DestinationAddressPrefix}), derefs(p.DestinationAddressPrefixes)...) {
			base.Destinations = appendUniq(base.Destinations, x)
		}
		for _, g := range p.DestinationApplicationSecurityGroups {
			if g != nil {
				base.Destinations = appendUniq(base.Destinations, deref(g.ID))
			}
		}
	}
	ranges := append(derefs([]*string{p.DestinationPortRange}), derefs(p.DestinationPortRanges)...)
	if len(ranges) == 0 {
		ranges = []string{"*"}
	}
	var out []inventory.FirewallRule
	for _, pr := range ranges {
		r := base
		r.Ports = portRange(pr)
		out = append(out, r)
	}
	return out
}

// portRange reads "22", "1000-2000" or "*" (every port).
func portRange(s string) inventory.PortRange {
	s = strings.TrimSpace(s)
	if s == "*" || s == "" {
		return inventory.PortRange{From: 0, To: 65535}
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		to = from
	}
	f, err1 := strconv.Atoi(strings.TrimSpace(from))
	t, err2 := strconv.Atoi(strings.TrimSpace(to))
	if err1 != nil || err2 != nil {
		return inventory.PortRange{From: 0, To: 65535} // unreadable: every port, the conservative reading
	}
	return inventory.PortRange{From: f, To: t}
}

func virtualNetworks(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewVirtualNetworksClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.VirtualNetworksClientListAllResponse) {
		for _, v := range page.Value {
			if v == nil || v.ID == nil {
				continue
			}
			r := s.resource(*v.ID, inventory.KindNetwork, "Microsoft.Network/virtualNetworks", v.Name, v.Location, v.Tags)
			n := &inventory.Network{}
			var subnets []*armnetwork.Subnet
			if p := v.Properties; p != nil {
				if p.AddressSpace != nil {
					n.CIDRs = derefs(p.AddressSpace.AddressPrefixes)
				}
				subnets = p.Subnets
			}
			r.Network = n
			out.Add(r)
			out.Add(systemRoutes(s, r))
			for _, sn := range subnets {
				if sn == nil || sn.ID == nil {
					continue
				}
				x := s.resource(*sn.ID, inventory.KindSubnet, "Microsoft.Network/virtualNetworks/subnets", sn.Name, v.Location, nil)
				x.Subnet = &inventory.Subnet{NetworkID: r.ID}
				x.AddEdge(inventory.RelIn, r.ID)
				if p := sn.Properties; p != nil {
					x.Subnet.CIDR = deref(p.AddressPrefix)
					if x.Subnet.CIDR == "" && len(p.AddressPrefixes) > 0 {
						x.Subnet.CIDR = deref(p.AddressPrefixes[0])
					}
					if p.NetworkSecurityGroup != nil && deref(p.NetworkSecurityGroup.ID) != "" {
						x.AddEdge(inventory.RelProtectedBy, *p.NetworkSecurityGroup.ID)
					}
				}
				out.Add(x)
			}
		}
	})
}

// systemRoutes is the synthetic main route table of a virtual network:
// its address space stays local, 0.0.0.0/0 goes to the internet.
func systemRoutes(s scope, vnet inventory.Resource) inventory.Resource {
	r := inventory.Resource{ID: vnet.ID + "/systemRoutes", Cloud: inventory.Azure, Account: s.Subscription, Region: vnet.Region,
		Kind: inventory.KindRouteTable, NativeType: "Microsoft.Network/virtualNetworks/systemRoutes", Name: vnet.Name + " system routes"}
	rt := &inventory.RouteTable{NetworkID: vnet.ID, Main: true}
	for _, cidr := range vnet.Network.CIDRs {
		rt.Routes = append(rt.Routes, inventory.Route{Destination: cidr, Target: "local", TargetKind: "local"})
	}
	rt.Routes = append(rt.Routes, internetRoute)
	r.RouteTable = rt
	return r
}

// internetRoute is Azure's system default route.
var internetRoute = inventory.Route{Destination: "0.0.0.0/0", Target: "Internet", TargetKind: "internet_gateway"}

func publicIPs(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewPublicIPAddressesClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.PublicIPAddressesClientListAllResponse) {
		s.state.mu.Lock()
		defer s.state.mu.Unlock()
		for _, ip := range page.Value {
			if ip == nil || ip.ID == nil {
				continue
			}
			if ip.Properties == nil {
				ip.Properties = &armnetwork.PublicIPAddressPropertiesFormat{}
			}
			// "" when no address is allocated (a dynamic address of a
			// deallocated VM): not public while it has none.
			pip := publicIP{address: deref(ip.Properties.IPAddress)}
			if ip.SKU != nil {
				pip.sku = string(deref(ip.SKU.Name))
			}
			s.state.publicIPs[strings.ToLower(*ip.ID)] = pip
		}
	})
}

func networkInterfaces(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewInterfacesClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.InterfacesClientListAllResponse) {
		for _, n := range page.Value {
			if n == nil || n.ID == nil {
				continue
			}
			r := s.resource(*n.ID, inventory.KindInterface, "Microsoft.Network/networkInterfaces", n.Name, n.Location, n.Tags)
			in := &inventory.Interface{}
			if p := n.Properties; p != nil {
				for _, c := range p.IPConfigurations {
					if c == nil || c.Properties == nil {
						continue
					}
					cp := c.Properties
					if cp.Subnet != nil && (in.SubnetID == "" || deref(cp.Primary)) {
						in.SubnetID = deref(cp.Subnet.ID)
					}
					in.PrivateIPs = appendUniq(in.PrivateIPs, deref(cp.PrivateIPAddress))
					if cp.PublicIPAddress != nil {
						// Resolved to addresses by link; the id meanwhile.
						in.PublicIPs = appendUniq(in.PublicIPs, deref(cp.PublicIPAddress.ID))
					}
				}
				if p.NetworkSecurityGroup != nil {
					in.Firewalls = appendUniq(in.Firewalls, deref(p.NetworkSecurityGroup.ID))
				}
				if p.VirtualMachine != nil {
					in.InstanceID = deref(p.VirtualMachine.ID)
				}
			}
			r.Interface = in
			out.Add(r)
		}
	})
}

func routeTables(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armnetwork.NewRouteTablesClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armnetwork.RouteTablesClientListAllResponse) {
		for _, t := range page.Value {
			if t == nil || t.ID == nil {
				continue
			}
			r := s.resource(*t.ID, inventory.KindRouteTable, "Microsoft.Network/routeTables", t.Name, t.Location, t.Tags)
			rt := &inventory.RouteTable{}
			defaultRoute := false
			if p := t.Properties; p != nil {
				for _, sn := range p.Subnets {
					if id := deref(sn.ID); id != "" {
						rt.Subnets = appendUniq(rt.Subnets, id)
						rt.NetworkID = parentID(id, "subnets")
						r.AddEdge(inventory.RelRoutes, id)
					}
				}
				for _, x := range p.Routes {
					if x == nil || x.Properties == nil {
						continue
					}
					route := inventory.Route{Destination: deref(x.Properties.AddressPrefix), TargetKind: "other"}
					if route.Destination == "0.0.0.0/0" {
						defaultRoute = true
					}
					switch deref(x.Properties.NextHopType) {
					case armnetwork.RouteNextHopTypeNone:
						continue // dropped
					case armnetwork.RouteNextHopTypeInternet:
						route.Target, route.TargetKind = "Internet", "internet_gateway"
					case armnetwork.RouteNextHopTypeVnetLocal:
						route.Target, route.TargetKind = "local", "local"
					case armnetwork.RouteNextHopTypeVirtualAppliance:
						route.Target = deref(x.Properties.NextHopIPAddress)
					default:
						route.Target = string(deref(x.Properties.NextHopType))
					}
					rt.Routes = append(rt.Routes, route)
				}
			}
			if !defaultRoute {
				// The system default route still applies.
				rt.Routes = append(rt.Routes, internetRoute)
			}
			r.RouteTable = rt
			out.Add(r)
		}
	})
}
