package azure

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

const edge = "/subscriptions/" + demoSub + "/resourceGroups/rg-edge/providers/"

func resourceByID(rs []inventory.Resource, id string) *inventory.Resource {
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i]
		}
	}
	return nil
}

// TestLoadBalancerReach: the demo's public load balancer makes a VM without
// a public IP reachable on the port its NSG admits from the internet; the
// same VM behind an internal load balancer is not; the application gateway
// reaches its private backend on the backend port, from its subnet.
func TestLoadBalancerReach(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{}, Options{})
	g := features.NewGraph(res.Resources, res.Gaps)
	sigs := features.Detect(g, testNow)
	vm := edge + "Microsoft.Compute/virtualMachines/"
	tests := []struct {
		vm    string
		port  int
		want  features.Reach
		via   string // the load balancer on the path
		admin bool   // ports.admin_port_internet
	}{
		{"az-jump-lb", 3389, features.Reachable, "lb-public", true},
		{"az-jump-lb", 22, features.NotReachable, "", true},
		{"az-jump-internal", 3389, features.NotReachable, "", false},
		{"az-app-private", 8080, features.Reachable, "agw-web", false},
		{"az-app-private", 22, features.NotReachable, "", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s tcp %d", tt.vm, tt.port), func(t *testing.T) {
			got, e := g.Reachability(vm+tt.vm).Port("tcp", tt.port)
			if got != tt.want {
				t.Fatalf("tcp %d = %s (%+v), want %s", tt.port, got, g.Reachability(vm+tt.vm), tt.want)
			}
			if tt.via != "" && !strings.Contains(e.Path, "load balancer "+tt.via+" ") {
				t.Errorf("path %q, want through %s", e.Path, tt.via)
			}
			sig, ok := signalOf(sigs, vm+tt.vm, "ports.admin_port_internet")
			if got := ok && !sig.Unknown; got != tt.admin {
				t.Errorf("admin_port_internet = %t (%+v), want %t", got, sig, tt.admin)
			}
		})
	}
}

// TestLoadBalancersDenied: a call that fails is a gap of its own; what the
// others read is kept, and what depends on the failed call is unknown.
func TestLoadBalancersDenied(t *testing.T) {
	lbPublic, lbInternal, agw := edge+"Microsoft.Network/loadBalancers/lb-public", edge+"Microsoft.Network/loadBalancers/lb-internal", edge+"Microsoft.Network/applicationGateways/agw-web"
	subnet := edge + "Microsoft.Network/virtualNetworks/vnet-edge/subnets/snet-appgw"
	tests := []struct {
		op     string
		absent []string // not collected
		check  func(t *testing.T, res map[string]*inventory.LoadBalancer, g *features.Graph)
	}{
		{op: "LoadBalancers.ListAll", absent: []string{lbPublic, lbInternal}},
		{op: "ApplicationGateways.ListAll", absent: []string{agw}},
		{op: "NetworkInterfaces.ListAll", check: func(t *testing.T, lbs map[string]*inventory.LoadBalancer, _ *features.Graph) {
			// Which VM a backend NIC or address belongs to is unknown.
			for _, id := range []string{lbPublic, lbInternal, agw} {
				if l := lbs[id]; !l.TargetsUnknown || len(l.Targets) != 0 {
					t.Errorf("%s targets %+v unknown %t, want none and unknown", lastSegment(id), l.Targets, l.TargetsUnknown)
				}
			}
		}},
		{op: "VirtualNetworks.ListAll", check: func(t *testing.T, lbs map[string]*inventory.LoadBalancer, g *features.Graph) {
			// The gateway's subnet is not read: its range is not taken as
			// known, and the backend's exposure is uncertain, not closed.
			if l := lbs[agw]; !slices.Equal(l.SourceRanges, []string{subnet}) {
				t.Errorf("agw-web source ranges %v, want the subnet's id", l.SourceRanges)
			}
			if got, _ := g.Reachability(edge+"Microsoft.Compute/virtualMachines/az-app-private").Port("tcp", 8080); got != features.ReachUnknown {
				t.Errorf("az-app-private tcp 8080 = %s, want unknown", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
				{Service: "network", Action: tt.op, Kind: emulator.FaultDenied},
			}}, Options{})
			var gaps []inventory.Gap
			for _, g := range res.Gaps {
				g.Message = ""
				gaps = append(gaps, g)
			}
			want := []inventory.Gap{{Cloud: inventory.Azure, Account: demoSub, Service: "network", Operation: tt.op, Reason: inventory.GapAccessDenied}}
			if diff := cmp.Diff(gaps, want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			lbs := map[string]*inventory.LoadBalancer{}
			for _, r := range res.Resources {
				if err := r.Validate(); err != nil {
					t.Error(err)
				}
				if r.LoadBalancer != nil {
					lbs[r.ID] = r.LoadBalancer
				}
			}
			for _, id := range []string{lbPublic, lbInternal, agw} {
				if _, got := lbs[id]; got == slices.Contains(tt.absent, id) {
					t.Errorf("%s collected = %t, want %t", lastSegment(id), got, !slices.Contains(tt.absent, id))
				}
			}
			if len(byNativeType(res.Resources, "Microsoft.Compute/virtualMachines")) == 0 {
				t.Error("no VM collected: one denied call stopped the rest")
			}
			g := features.NewGraph(res.Resources, res.Gaps)
			features.Detect(g, testNow)
			if tt.check != nil {
				tt.check(t, lbs, g)
			}
		})
	}
}

// TestLoadBalancerPagination: one load balancer a page.
func TestLoadBalancerPagination(t *testing.T) {
	res, srv := scan(t, "demo", emulator.Options{PageSize: 1}, Options{})
	if got := srv.Requests("network", "LoadBalancers.ListAll"); got != 2 {
		t.Errorf("LoadBalancers.ListAll requests = %d, want 2 (pages)", got)
	}
	if got := len(byNativeType(res.Resources, "Microsoft.Network/loadBalancers")); got != 2 {
		t.Errorf("load balancers collected = %d, want 2", got)
	}
}

// TestLoadBalancerShapes: backends given as addresses, scale set
// interfaces, pool NAT rules with a port range, host names and addresses
// no interface holds.
func TestLoadBalancerShapes(t *testing.T) {
	lb, agw := edge+"Microsoft.Network/loadBalancers/lb-shapes", edge+"Microsoft.Network/applicationGateways/agw-fqdn"
	vnet := edge + "Microsoft.Network/virtualNetworks/vnet-edge"
	vmss := edge + "Microsoft.Compute/virtualMachineScaleSets/vmss-web/virtualMachines/3"
	ref := func(id string) map[string]any { return map[string]any{"id": id} }
	dir := demoEstate(t, func(subs, rs []map[string]any) ([]map[string]any, []map[string]any) {
		pool := lb + "/backendAddressPools/pool"
		rs = append(rs, map[string]any{"id": lb, "name": "lb-shapes", "type": "Microsoft.Network/loadBalancers", "location": "westeurope",
			"properties": map[string]any{
				"frontendIPConfigurations": []any{map[string]any{"id": lb + "/frontendIPConfigurations/fe", "name": "fe",
					"properties": map[string]any{"publicIPAddress": ref(edge + "Microsoft.Network/publicIPAddresses/pip-not-listed")}}},
				"backendAddressPools": []any{map[string]any{"id": pool, "name": "pool", "properties": map[string]any{
					"virtualNetwork": ref(vnet),
					"loadBalancerBackendAddresses": []any{
						map[string]any{"name": "a", "properties": map[string]any{"ipAddress": "10.20.1.5", "virtualNetwork": ref(vnet)}},
						map[string]any{"name": "b", "properties": map[string]any{"ipAddress": "10.20.1.99", "virtualNetwork": ref(vnet)}},
					},
					"backendIPConfigurations": []any{ref(vmss + "/networkInterfaces/nic/ipConfigurations/ipconfig1")},
				}}},
				"loadBalancingRules": []any{map[string]any{"id": lb + "/loadBalancingRules/udp", "name": "udp", "properties": map[string]any{
					"frontendIPConfiguration": ref(lb + "/frontendIPConfigurations/fe"), "backendAddressPool": ref(pool),
					"protocol": "Udp", "frontendPort": 1194}}},
				"inboundNatRules": []any{map[string]any{"id": lb + "/inboundNatRules/ssh", "name": "ssh", "properties": map[string]any{
					"frontendIPConfiguration": ref(lb + "/frontendIPConfigurations/fe"), "backendAddressPool": ref(pool),
					"protocol": "Tcp", "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50002, "backendPort": 22}}},
			}})
		a := agw + "/"
		rs = append(rs, map[string]any{"id": agw, "name": "agw-fqdn", "type": "Microsoft.Network/applicationGateways", "location": "westeurope",
			"properties": map[string]any{
				"gatewayIPConfigurations":  []any{map[string]any{"id": a + "gatewayIPConfigurations/c", "properties": map[string]any{"subnet": ref(vnet + "/subnets/snet-appgw")}}},
				"frontendIPConfigurations": []any{map[string]any{"id": a + "frontendIPConfigurations/pub", "properties": map[string]any{"publicIPAddress": ref(edge + "Microsoft.Network/publicIPAddresses/pip-agw-web")}}},
				"frontendPorts":            []any{map[string]any{"id": a + "frontendPorts/p80", "properties": map[string]any{"port": 80}}},
				"httpListeners": []any{map[string]any{"id": a + "httpListeners/l", "properties": map[string]any{
					"frontendIPConfiguration": ref(a + "frontendIPConfigurations/pub"), "frontendPort": ref(a + "frontendPorts/p80"), "protocol": "Http"}}},
				"backendAddressPools":           []any{map[string]any{"id": a + "backendAddressPools/web", "properties": map[string]any{"backendAddresses": []any{map[string]any{"fqdn": "app.example.net"}}}}},
				"backendHttpSettingsCollection": []any{map[string]any{"id": a + "backendHttpSettingsCollection/s", "properties": map[string]any{"port": 80, "protocol": "Http"}}},
				"requestRoutingRules": []any{map[string]any{"id": a + "requestRoutingRules/r", "properties": map[string]any{
					"httpListener": ref(a + "httpListeners/l"), "backendAddressPool": ref(a + "backendAddressPools/web"), "backendHttpSettings": ref(a + "backendHttpSettingsCollection/s")}}},
			}})
		return subs, rs
	})
	res, _ := scan(t, dir, emulator.Options{}, Options{})
	tests := []struct {
		id   string
		want inventory.LoadBalancer
	}{
		{lb, inventory.LoadBalancer{Type: "load-balancer", ProviderFront: true, Scheme: inventory.SchemeInternetFacing,
			// A public IP not listed: its id stands for the address.
			Addresses: []string{edge + "Microsoft.Network/publicIPAddresses/pip-not-listed"},
			Listeners: []inventory.Listener{{Protocol: "UDP", Port: 1194}, {Protocol: "TCP", Port: 50000, ToPort: 50002}},
			NetworkID: vnet,
			Targets: []inventory.LBTarget{
				{ID: edge + "Microsoft.Compute/virtualMachineScaleSets/vmss-web/virtualMachines/3", Port: 22, Protocol: "TCP"},
				{ID: edge + "Microsoft.Compute/virtualMachineScaleSets/vmss-web/virtualMachines/3", Port: 1194, Protocol: "UDP"},
				{ID: edge + "Microsoft.Compute/virtualMachines/az-jump-internal", Port: 22, Protocol: "TCP"},
				{ID: edge + "Microsoft.Compute/virtualMachines/az-jump-internal", Port: 1194, Protocol: "UDP"},
			},
			// 10.20.1.99 is no interface's.
			TargetsUnknown: true}},
		{agw, inventory.LoadBalancer{Type: "application-gateway", ProviderFront: true, Scheme: inventory.SchemeInternetFacing,
			Addresses: []string{"20.50.0.30"}, SourceRanges: []string{"10.20.0.0/24"},
			Listeners: []inventory.Listener{{Protocol: "HTTP", Port: 80}},
			SubnetIDs: []string{vnet + "/subnets/snet-appgw"}, NetworkID: vnet,
			// A host name: what it resolves to is unknown.
			TargetsUnknown: true}},
	}
	for _, tt := range tests {
		t.Run(lastSegment(tt.id), func(t *testing.T) {
			r := resourceByID(res.Resources, tt.id)
			if r == nil {
				t.Fatalf("%s not collected", tt.id)
			}
			if diff := cmp.Diff(*r.LoadBalancer, tt.want); diff != "" {
				t.Errorf("load balancer (-got +want):\n%s", diff)
			}
		})
	}
	features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
}
