package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

// providerLBEstate: a load balancer whose public front end the provider
// routes to directly (a GCP external forwarding rule, an Azure public
// frontend IP) listens on TCP 3389 and forwards to i-app, which has no
// public address and sits in a private subnet. i-app's two NSG layers
// carry Azure's default rules, so only what admits the internet itself
// lets a passthrough load balancer's clients in.
func providerLBEstate(mut func(*inventory.LoadBalancer), subnetRules, nicRules []inventory.FirewallRule) []inventory.Resource {
	defaults := []inventory.FirewallRule{
		{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 65000, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"VirtualNetwork"}},
		{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 65001, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"AzureLoadBalancer"}},
		{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 65500, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"*"}},
	}
	nsg := func(id, layer string, rules []inventory.FirewallRule) inventory.Resource {
		r := firewall(id, append(append([]inventory.FirewallRule(nil), rules...), defaults...)...)
		r.Firewall.Layer = layer
		return r
	}
	private := subnet("subnet-2")
	private.Subnet.CIDR = "10.0.2.0/24"
	app := instance("i-app", func(in *inventory.Instance) {
		in.PublicIPs, in.PrivateIPs, in.SubnetID, in.Firewalls = nil, []string{"10.0.2.5"}, "subnet-2", []string{"nsg-subnet", "nsg-nic"}
	})
	lb := res("lb-1", inventory.KindLoadBalancer)
	lb.Name = "rdp-lb"
	lb.LoadBalancer = &inventory.LoadBalancer{Type: "load-balancer", Scheme: inventory.SchemeInternetFacing, ProviderFront: true,
		Addresses: []string{"20.0.0.9"}, Listeners: []inventory.Listener{{Protocol: "TCP", Port: 3389}},
		Targets: []inventory.LBTarget{{ID: "i-app", Port: 3389}}}
	if mut != nil {
		mut(lb.LoadBalancer)
	}
	for _, t := range lb.LoadBalancer.Targets {
		lb.AddEdge(inventory.RelTargets, t.ID)
	}
	return []inventory.Resource{app, lb, private,
		nsg("nsg-subnet", inventory.FirewallLayerSubnet, subnetRules), nsg("nsg-nic", inventory.FirewallLayerInterface, nicRules),
		routeTable("rtb-2", false, []string{"subnet-2"}, natRoute), routeTable("rtb-main", true, nil)}
}

func TestReachabilityProviderFrontedLoadBalancer(t *testing.T) {
	rdp := func(src string, action inventory.Action) []inventory.FirewallRule {
		return []inventory.FirewallRule{{Direction: inventory.Ingress, Action: action, Priority: 100, Protocol: "tcp",
			Ports: inventory.PortRange{From: 3389, To: 3389}, Sources: []string{src}}}
	}
	port3389 := inventory.PortRange{From: 3389, To: 3389}
	const front = "internet -> provider front end -> load balancer rdp-lb (20.0.0.9) listener TCP 3389 (no security group) -> i-app tcp 3389"
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   Reachability
	}{
		{
			name:   "passthrough: both NSG layers admit RDP from the internet: exposed through the load balancer",
			estate: providerLBEstate(nil, rdp("Internet", inventory.Allow), rdp("*", inventory.Allow)),
			want: Reachability{Exposures: []Exposure{{Ports: port3389, Protocol: "tcp", Source: "0.0.0.0/0", Via: "nsg-nic", Address: "20.0.0.9",
				Path: front + " (nsg-nic: allow tcp 3389 from * (also admitted by nsg-subnet))"}}},
		},
		{
			name:   "passthrough: only the defaults (VirtualNetwork, AzureLoadBalancer) admit it: not exposed, the client's address is the internet's",
			estate: providerLBEstate(nil, nil, nil),
			want:   Reachability{},
		},
		{
			name:   "passthrough: the NIC admits RDP from the internet but the subnet NSG denies it first: not exposed",
			estate: providerLBEstate(nil, rdp("*", inventory.Deny), rdp("Internet", inventory.Allow)),
			want:   Reachability{},
		},
		{
			name: "passthrough on every port: exposed only on what the firewalls admit",
			estate: providerLBEstate(func(l *inventory.LoadBalancer) {
				l.Listeners = []inventory.Listener{{Protocol: "TCP_UDP", Port: 0, ToPort: 65535}}
				l.Targets = []inventory.LBTarget{{ID: "i-app", Port: 0, ToPort: 65535, Protocol: "TCP_UDP"}}
			}, rdp("Internet", inventory.Allow), rdp("*", inventory.Allow)),
			want: Reachability{Exposures: []Exposure{{Ports: port3389, Protocol: "tcp", Source: "0.0.0.0/0", Via: "nsg-nic", Address: "20.0.0.9",
				Path: "internet -> provider front end -> load balancer rdp-lb (20.0.0.9) listener TCP_UDP 0-65535 (no security group) -> i-app tcp 3389 (nsg-nic: allow tcp 3389 from * (also admitted by nsg-subnet))"}}},
		},
		{
			name:   "internal scheme: not exposed",
			estate: providerLBEstate(func(l *inventory.LoadBalancer) { l.Scheme = inventory.SchemeInternal }, rdp("Internet", inventory.Allow), rdp("*", inventory.Allow)),
			want:   Reachability{},
		},
		{
			name: "proxy with source ranges: the instance admits the proxy's range: exposed",
			estate: providerLBEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.SourceRanges = "external-proxy", []string{"35.191.0.0/16", "130.211.0.0/22"}
			}, rdp("35.191.0.0/16", inventory.Allow), rdp("35.191.0.0/16", inventory.Allow)),
			want: Reachability{Exposures: []Exposure{{Ports: port3389, Protocol: "tcp", Source: "0.0.0.0/0", Via: "nsg-nic", Address: "20.0.0.9",
				Path: front + " (nsg-nic: allow tcp 3389 from 35.191.0.0/16)"}}},
		},
		{
			// Not a passthrough: the client's address never reaches i-app,
			// and Azure's VirtualNetwork default admits the proxy itself.
			name: "proxy whose source ranges were not read: judged as a proxy in the network",
			estate: providerLBEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.SourceRangesUnknown = "application-gateway", true
			}, nil, nil),
			want: Reachability{Exposures: []Exposure{{Ports: port3389, Protocol: "tcp", Source: "0.0.0.0/0", Via: "nsg-nic", Address: "20.0.0.9",
				Path: front + " (nsg-nic: allow all 0-65535 from VirtualNetwork)"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, nil).Reachability("i-app")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("reachability (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRegionCovers(t *testing.T) {
	for _, tt := range []struct {
		outer, inner string
		want         bool
	}{
		{"", "us-east-1", true},
		{"global", "us-central1-a", true},
		{"us-central1", "us-central1-a", true},
		{"us-central1", "us-central2-a", false},
		{"us-east-1", "us-east-1", true},
		{"us-east-1", "us-east-2", false},
		{"westeurope", "northeurope", false},
	} {
		if got := regionCovers(tt.outer, tt.inner); got != tt.want {
			t.Errorf("regionCovers(%q, %q) = %t, want %t", tt.outer, tt.inner, got, tt.want)
		}
	}
}

// TestLBPrefixesUnknown: ranges named but not read, or marked unknown,
// make the load balancer's source ranges unknown, so a private prefix an
// instance admits is uncertain rather than "not the load balancer".
func TestLBPrefixesUnknown(t *testing.T) {
	g := NewGraph(nil, nil)
	for _, tt := range []struct {
		name string
		lb   inventory.LoadBalancer
		want bool
	}{
		{"ranges read", inventory.LoadBalancer{ProviderFront: true, SourceRanges: []string{"35.191.0.0/16"}}, true},
		{"marked unknown", inventory.LoadBalancer{ProviderFront: true, SourceRangesUnknown: true}, false},
		{"a subnet id in place of its range", inventory.LoadBalancer{ProviderFront: true, SourceRanges: []string{"/subscriptions/s/…/subnets/snet-appgw"}}, false},
	} {
		if _, known := g.lbPrefixes(&tt.lb, "lb"); known != tt.want {
			t.Errorf("%s: known %t, want %t", tt.name, known, tt.want)
		}
	}
}

// TestPassthroughPartsKeepTheirOwnState: a passthrough rule forwarding
// every port, to an instance whose NIC admits SSH from the internet and
// every port from a service tag whose addresses are not known: SSH is
// proven, the rest only uncertain — a part is not proven by a rule that
// merely overlaps it.
func TestPassthroughPartsKeepTheirOwnState(t *testing.T) {
	rule := func(from, to int, src string) inventory.FirewallRule {
		return inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 100 + from, Protocol: "tcp",
			Ports: inventory.PortRange{From: from, To: to}, Sources: []string{src}}
	}
	open := []inventory.FirewallRule{{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 100, Protocol: "all",
		Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"Internet"}}}
	est := providerLBEstate(func(l *inventory.LoadBalancer) {
		l.Listeners = []inventory.Listener{{Protocol: "TCP", Port: 0, ToPort: 65535}}
		l.Targets = []inventory.LBTarget{{ID: "i-app", Port: 0, ToPort: 65535, Protocol: "TCP"}}
	}, open, []inventory.FirewallRule{rule(22, 22, "Internet"), rule(0, 65535, "AzureCloud")})
	r := NewGraph(est, nil).Reachability("i-app")
	if got, _ := r.Port("tcp", 22); got != Reachable {
		t.Errorf("tcp/22: %v, want reachable", got)
	}
	if got, _ := r.Port("tcp", 3389); got != ReachUnknown {
		t.Errorf("tcp/3389: %v, want unknown (admitted only from a tag whose addresses are not known)", got)
	}
}
