package gcp

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

const (
	webNLB = "//compute.googleapis.com/projects/acme-prod/regions/us-central1/forwardingRules/web-nlb"
	appILB = "//compute.googleapis.com/projects/acme-prod/regions/us-central1/forwardingRules/app-ilb"
	lbRule = "//compute.googleapis.com/projects/acme-prod/"
)

// lbEstate is the demo estate with testdata/loadbalancing.json as the
// load balancers of acme-prod (every kind the table resolves, and some it
// cannot) and a proxy-only subnet in europe-west1.
func lbEstate(t *testing.T) string {
	t.Helper()
	dir := demoWith(t, func(s string) string {
		proxy := `
    "subnetworks": [
      {"kind": "compute#subnetwork", "name": "proxy-only", "region": "` + computeV1 + `acme-prod/regions/europe-west1", "network": "` + computeV1 +
			`acme-prod/global/networks/default", "ipCidrRange": "10.129.0.0/23", "purpose": "REGIONAL_MANAGED_PROXY", "role": "ACTIVE", "selfLink": "` + computeV1 +
			`acme-prod/regions/europe-west1/subnetworks/proxy-only"},`
		return strings.Replace(s, "\n    \"subnetworks\": [", proxy, 1)
	})
	b, err := os.ReadFile(filepath.Join("testdata", "loadbalancing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gcp", "loadbalancing", "acme-prod.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRulePorts: a rule's ports and port range are one range each;
// allPorts, or a rule naming none, is every port.
func TestRulePorts(t *testing.T) {
	pr := func(from, to int) inventory.PortRange { return inventory.PortRange{From: from, To: to} }
	every := []inventory.PortRange{pr(0, 65535)}
	tests := []struct {
		name string
		fr   *computepb.ForwardingRule
		want []inventory.PortRange
	}{
		{"port range of one", &computepb.ForwardingRule{PortRange: proto.String("443-443")}, []inventory.PortRange{pr(443, 443)}},
		{"ports", &computepb.ForwardingRule{Ports: []string{"80", "443", "80"}}, []inventory.PortRange{pr(80, 80), pr(443, 443)}},
		{"range", &computepb.ForwardingRule{PortRange: proto.String("8000-8100")}, []inventory.PortRange{pr(8000, 8100)}},
		{"all ports", &computepb.ForwardingRule{AllPorts: proto.Bool(true), Ports: []string{"22"}}, every},
		{"none", &computepb.ForwardingRule{}, every},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rulePorts(tt.fr); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLoadBalancersDemo: the demo's external passthrough rule makes
// gce-app-lb-1, which has no external address, reachable on 443 from the
// internet through the load balancer only; its internal twin reaches
// nothing from the internet.
func TestLoadBalancersDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects})
	nlb := find(t, res.Resources, webNLB)
	if l := nlb.LoadBalancer; l.Type != "external-passthrough" || !l.ProviderFront || l.Scheme != inventory.SchemeInternetFacing ||
		len(l.SourceRanges) != 0 || l.TargetsUnknown {
		t.Errorf("web-nlb: %+v", l)
	}
	if l := find(t, res.Resources, appILB).LoadBalancer; l.Type != "internal-passthrough" || l.ProviderFront || l.Scheme != inventory.SchemeInternal {
		t.Errorf("app-ilb: %+v", l)
	}
	if in := find(t, res.Resources, appLB).Instance; len(in.PublicIPs) != 0 {
		t.Fatalf("gce-app-lb-1 has public addresses %v", in.PublicIPs)
	}
	g := features.NewGraph(res.Resources, res.Gaps)
	for _, c := range []struct {
		id   string
		port int
		want features.Reach
	}{
		{appLB, 443, features.Reachable},
		{appLB, 22, features.NotReachable},
		{appInternal, 443, features.NotReachable},
		{web2, 443, features.NotReachable},
	} {
		got, e := g.Reachability(c.id).Port("tcp", c.port)
		if got != c.want {
			t.Errorf("%s tcp/%d: %v (%+v), want %v", c.id, c.port, got, e, c.want)
		}
		if got == features.Reachable && !strings.Contains(e.Path, "web-nlb") {
			t.Errorf("%s tcp/%d: path %q, want through web-nlb", c.id, c.port, e.Path)
		}
	}
	features.Detect(g, testNow)
}

// TestLoadBalancers: every way a rule forwards — target pool with its
// backup, target instance, passthrough backend service with a regional
// group, global and regional proxies through URL maps to named ports —
// is resolved to instances, every listing paginated; what cannot be
// resolved (a missing pool, a network endpoint group) is a gap naming the
// load balancer and its TargetsUnknown; Private Service Connect and VPN
// rules are no load balancers.
func TestLoadBalancers(t *testing.T) {
	res, srv := scanEstate(t, lbEstate(t), emulator.Options{PageSize: 1}, Options{Projects: []string{"acme-prod"}})
	lbs := byNativeType(res.Resources, "compute.googleapis.com/ForwardingRule")
	var lbGaps []inventory.Gap
	for _, g := range res.Gaps {
		if g.Service == "compute" {
			lbGaps = append(lbGaps, g)
		} else {
			t.Errorf("unexpected gap %s", g)
		}
	}
	golden(t, "gcp_lb.json", struct {
		LoadBalancers []inventory.Resource
		Gaps          []inventory.Gap
	}{lbs, lbGaps})

	for _, c := range []struct{ action string }{
		{"forwardingRules.aggregatedList"}, {"globalForwardingRules.list"}, {"instanceGroups.listInstances"},
	} {
		if n := srv.Requests("compute", c.action); n < 2 {
			t.Errorf("%s: %d requests, want more than one page", c.action, n)
		}
	}
	if n := srv.Requests("compute", "backendServices.get"); n != 3 {
		t.Errorf("backendServices.get: %d requests, want each of the 3 global services read once", n)
	}

	type want struct {
		typ          string
		listeners    string
		targets      string
		edges        string
		sourceRanges string
		unknown      bool
	}
	summary := func(r inventory.Resource) want {
		l := r.LoadBalancer
		var ls, ts, es []string
		ports := func(p inventory.PortRange) string {
			if p.To > p.From {
				return strconv.Itoa(p.From) + "-" + strconv.Itoa(p.To)
			}
			return strconv.Itoa(p.From)
		}
		for _, x := range l.Listeners {
			ls = append(ls, x.Protocol+"/"+ports(x.Ports()))
		}
		for _, x := range l.Targets {
			ts = append(ts, lastSegment(x.ID)+":"+x.Protocol+"/"+ports(x.Ports()))
		}
		for _, e := range r.Edges {
			if e.Relation == inventory.RelTargets {
				es = append(es, lastSegment(e.To))
			}
		}
		return want{l.Type, strings.Join(ls, " "), strings.Join(ts, " "), strings.Join(es, " "), strings.Join(l.SourceRanges, " "), l.TargetsUnknown}
	}
	for id, w := range map[string]want{
		"regions/us-central1/forwardingRules/web-nlb": {"external-passthrough", "TCP/443", "gce-app-internal-1:TCP/443 gce-app-lb-1:TCP/443",
			"gce-app-internal-1 gce-app-lb-1", "", false},
		"regions/us-central1/forwardingRules/app-ilb":    {"internal-passthrough", "TCP/443", "gce-app-internal-1:TCP/443", "gce-app-internal-1", "", false},
		"regions/us-central1/forwardingRules/game-nlb":   {"external-passthrough", "TCP_UDP/0-65535", "gce-web-2-private:TCP_UDP/0-65535", "gce-web-2-private", "", false},
		"regions/us-central1/forwardingRules/legacy-fwd": {"external-passthrough", "TCP/8000-8100", "gce-web-1:TCP/8000-8100", "gce-web-1", "", false},
		"regions/us-central1/forwardingRules/broken-nlb": {"external-passthrough", "UDP/53 UDP/5353", "", "", "", true},
		"regions/europe-west1/forwardingRules/eu-http":   {"external-proxy", "HTTP/80", "gce-batch-eu:HTTP/80", "gce-batch-eu", "10.129.0.0/23", false},
		"global/forwardingRules/shop-https": {"external-proxy", "HTTPS/443", "gce-app-internal-1:HTTPS/443 gce-web-1:HTTP/8080 gce-app-lb-1:HTTP/8080",
			"gce-app-internal-1 gce-web-1 gce-app-lb-1", "35.191.0.0/16 130.211.0.0/22", false},
		"global/forwardingRules/api-tcp": {"external-proxy", "TCP/8443", "", "", "35.191.0.0/16 130.211.0.0/22", true},
	} {
		got := summary(find(t, res.Resources, lbRule+id))
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", id, got, w)
		}
	}
	if len(lbs) != 8 {
		t.Errorf("%d load balancers, want 8 (no PSC, no VPN rule)", len(lbs))
	}
	gaps := map[string]inventory.GapReason{}
	for _, g := range lbGaps {
		gaps[lastSegment(g.Resource)+" "+g.Operation] = g.Reason
	}
	if diff := cmp.Diff(gaps, map[string]inventory.GapReason{
		"broken-nlb targetPools.get":                         inventory.GapError,
		"api-tcp networkEndpointGroups.listNetworkEndpoints": inventory.GapError,
	}); diff != "" {
		t.Errorf("gaps (-got +want):\n%s", diff)
	}

	// The passthrough rule on every port exposes what gce-web-2-private's
	// firewalls admit from the internet, SSH among them.
	g := features.NewGraph(res.Resources, res.Gaps)
	if got, e := g.Reachability(web2).Port("tcp", 22); got != features.Reachable || !strings.Contains(e.Path, "game-nlb") {
		t.Errorf("gce-web-2-private tcp/22: %v %+v, want reachable through game-nlb", got, e)
	}
	features.Detect(g, testNow)
}

// TestLoadBalancerFailures: a denied or throttled listing is a gap while
// the rest completes; throttling is retried; a denied read of a target
// marks that load balancer's targets unknown.
func TestLoadBalancerFailures(t *testing.T) {
	tests := []struct {
		name    string
		fault   emulator.Fault
		gaps    []string // "operation reason"
		present []string
		unknown []string
	}{
		{"aggregated list denied", emulator.Fault{Service: "compute", Action: "forwardingRules.aggregatedList", Kind: emulator.FaultDenied},
			[]string{"forwardingRules.aggregatedList access_denied"}, []string{"global/forwardingRules/shop-https"}, nil},
		{"global list throttled past retries", emulator.Fault{Service: "compute", Action: "globalForwardingRules.list", Kind: emulator.FaultThrottle},
			[]string{"globalForwardingRules.list throttled"}, []string{"regions/us-central1/forwardingRules/web-nlb"}, nil},
		{"throttled then served", emulator.Fault{Service: "compute", Action: "forwardingRules.aggregatedList", Kind: emulator.FaultThrottle, Times: 2},
			[]string{"targetPools.get error", "networkEndpointGroups.listNetworkEndpoints error"}, []string{"regions/us-central1/forwardingRules/web-nlb"}, nil},
		{"instance group members denied", emulator.Fault{Service: "compute", Action: "instanceGroups.listInstances", Kind: emulator.FaultDenied},
			[]string{"instanceGroups.listInstances access_denied"},
			[]string{"global/forwardingRules/shop-https"},
			[]string{"regions/us-central1/forwardingRules/app-ilb", "global/forwardingRules/shop-https", "regions/europe-west1/forwardingRules/eu-http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, lbEstate(t), emulator.Options{Faults: []emulator.Fault{tt.fault}}, Options{Projects: []string{"acme-prod"}, MaxAttempts: 3})
			seen := map[string]bool{}
			for _, g := range gapsOf(res.Gaps, "compute") {
				key := g.Operation + " " + string(g.Reason)
				if g.Account != "acme-prod" {
					t.Errorf("gap %s: want it of acme-prod", g)
				}
				seen[key] = true
			}
			for _, k := range tt.gaps {
				if !seen[k] {
					t.Errorf("no gap %s in %v", k, res.Gaps)
				}
			}
			for _, id := range tt.present {
				find(t, res.Resources, lbRule+id)
			}
			for _, id := range tt.unknown {
				if l := find(t, res.Resources, lbRule+id).LoadBalancer; !l.TargetsUnknown {
					t.Errorf("%s: targets known, want unknown", id)
				}
			}
			find(t, res.Resources, web1) // the rest of the project completes
			features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
		})
	}
}
