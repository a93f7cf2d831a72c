package gcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

// writeEstate copies the demo estate, adds project files (name → JSON)
// and returns its directory.
func writeEstate(t *testing.T, projects map[string]string) string {
	t.Helper()
	dir := demoWith(t, func(s string) string { return s })
	pdir := filepath.Join(dir, "gcp", "projects")
	for name, body := range projects {
		if err := os.WriteFile(filepath.Join(pdir, name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// demoWith copies the demo estate and edits acme-prod.json with edit.
func demoWith(t *testing.T, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "internal", "emulator", "estates", "demo"))); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "gcp", "projects", "acme-prod.json")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte(edit(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const computeV1 = "https://www.googleapis.com/compute/v1/projects/"

// hostProject is a Shared VPC host project: network "shared", its
// subnetwork and default route, and a rule opening 22 to instances
// tagged "ssh".
const hostProject = `{"project_id": "acme-host", "project_number": "700000000001",
  "compute": {
    "networks": [{"name": "shared", "selfLink": "` + computeV1 + `acme-host/global/networks/shared"}],
    "subnetworks": [{"name": "apps", "region": "` + computeV1 + `acme-host/regions/us-central1",
      "network": "` + computeV1 + `acme-host/global/networks/shared", "ipCidrRange": "10.10.0.0/24",
      "selfLink": "` + computeV1 + `acme-host/regions/us-central1/subnetworks/apps"}],
    "routes": [{"name": "default-route", "network": "` + computeV1 + `acme-host/global/networks/shared", "destRange": "0.0.0.0/0",
      "priority": 1000, "nextHopGateway": "` + computeV1 + `acme-host/global/gateways/default-internet-gateway",
      "selfLink": "` + computeV1 + `acme-host/global/routes/default-route"}],
    "firewalls": [{"name": "allow-ssh", "network": "` + computeV1 + `acme-host/global/networks/shared", "direction": "INGRESS",
      "priority": 1000, "sourceRanges": ["0.0.0.0/0"], "targetTags": ["ssh"], "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}],
      "selfLink": "` + computeV1 + `acme-host/global/firewalls/allow-ssh"}]
  }}`

// serviceProject has two instances with external addresses on the host
// project's network: one tagged "ssh", one that no rule applies to.
const serviceProject = `{"project_id": "acme-svc", "project_number": "700000000002",
  "compute": {
    "instances": [
      {"name": "svc-vm", "zone": "` + computeV1 + `acme-svc/zones/us-central1-a", "status": "RUNNING", "tags": {"items": ["ssh"]},
       "networkInterfaces": [{"network": "` + computeV1 + `acme-host/global/networks/shared",
         "subnetwork": "` + computeV1 + `acme-host/regions/us-central1/subnetworks/apps", "networkIP": "10.10.0.5",
         "accessConfigs": [{"type": "ONE_TO_ONE_NAT", "natIP": "34.1.2.3"}]}],
       "selfLink": "` + computeV1 + `acme-svc/zones/us-central1-a/instances/svc-vm"},
      {"name": "svc-untagged", "zone": "` + computeV1 + `acme-svc/zones/us-central1-a", "status": "RUNNING",
       "networkInterfaces": [{"network": "` + computeV1 + `acme-host/global/networks/shared",
         "subnetwork": "` + computeV1 + `acme-host/regions/us-central1/subnetworks/apps", "networkIP": "10.10.0.6",
         "accessConfigs": [{"type": "ONE_TO_ONE_NAT", "natIP": "34.1.2.4"}]}],
       "selfLink": "` + computeV1 + `acme-svc/zones/us-central1-a/instances/svc-untagged"}
    ]
  }}`

const (
	svcVM       = "//compute.googleapis.com/projects/acme-svc/zones/us-central1-a/instances/svc-vm"
	svcUntagged = "//compute.googleapis.com/projects/acme-svc/zones/us-central1-a/instances/svc-untagged"
	hostNetwork = "//compute.googleapis.com/projects/acme-host/global/networks/shared"
)

// signal returns the instance's signal id, or nil.
func signal(sigs map[string][]inventory.Signal, id string, sig inventory.SignalID) *inventory.Signal {
	for _, s := range sigs[id] {
		if s.ID == sig {
			return &s
		}
	}
	return nil
}

// TestSharedVPC: a host project's rule applies to a service project's
// instance on the host network, once both are scanned; with the host
// project not scanned, a gap names the network and the instance's reach
// is unknown.
func TestSharedVPC(t *testing.T) {
	dir := writeEstate(t, map[string]string{"acme-host": hostProject, "acme-svc": serviceProject})

	res, _ := scanEstate(t, dir, emulator.Options{}, Options{Projects: []string{"acme-host", "acme-svc"}})
	if gs := gapsOf(res.Gaps, "compute"); len(gs) != 0 {
		t.Errorf("gaps %v", gs)
	}
	sigs := features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
	s := signal(sigs, svcVM, "ports.admin_port_internet")
	if s == nil || s.Unknown || s.Evidence["via"] != "//compute.googleapis.com/projects/acme-host/global/firewalls/allow-ssh" {
		t.Errorf("svc-vm admin_port_internet: %+v, want proven via the host project's allow-ssh", s)
	}
	// No rule of the host network applies to the untagged instance: the
	// implied deny-ingress rule closes it.
	g := features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(svcUntagged); r.Unknown || len(r.Exposures) > 0 {
		t.Errorf("svc-untagged: reach %+v, want closed", r)
	}
	if s := signal(sigs, svcUntagged, "ports.admin_port_internet"); s != nil {
		t.Errorf("svc-untagged admin_port_internet: %+v, want none", s)
	}

	res, _ = scanEstate(t, dir, emulator.Options{}, Options{Projects: []string{"acme-svc"}})
	gs := gapsOf(res.Gaps, "compute")
	if len(gs) != 1 || gs[0].Account != "acme-svc" || gs[0].Resource != hostNetwork+"/firewalls" ||
		!strings.Contains(gs[0].Message, "shared VPC host project acme-host not scanned") {
		t.Fatalf("gaps %v, want one naming the host network", gs)
	}
	g = features.NewGraph(res.Resources, res.Gaps)
	for _, id := range []string{svcVM, svcUntagged} {
		if r := g.Reachability(id); !r.Unknown {
			t.Errorf("%s with the host project unscanned: reach %+v, want unknown", id, r)
		}
	}
}

// TestImpliedDeny: an instance with an external address that no rule
// applies to is closed (the network's implied deny-ingress rule), not
// unknown; with firewalls.list failed, it stays unknown.
func TestImpliedDeny(t *testing.T) {
	// acme-prod's rules that apply to every instance are removed, and
	// gce-web-1 loses its tags: no rule is left for it.
	dir := demoWith(t, func(s string) string {
		for _, name := range []string{"allow-internal", "deny-telnet", "allow-egress-all"} {
			s = strings.Replace(s, `"name": "`+name+`"`, `"name": "`+name+`", "targetTags": ["none"]`, 1)
		}
		return strings.Replace(s, `"tags": {"items": ["ssh", "web"]}`, `"tags": {"items": []}`, 1)
	})
	res, _ := scanEstate(t, dir, emulator.Options{}, Options{Projects: []string{"acme-prod"}})
	in := find(t, res.Resources, web1)
	if want := "//compute.googleapis.com/projects/acme-prod/global/networks/default/firewalls/implied-deny-ingress"; len(in.Instance.Firewalls) != 1 || in.Instance.Firewalls[0] != want {
		t.Fatalf("gce-web-1 firewalls %v, want only the implied rule", in.Instance.Firewalls)
	}
	g := features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(web1); r.Unknown || len(r.Exposures) > 0 {
		t.Errorf("gce-web-1: reach %+v, want closed", r)
	}
	for _, s := range features.Detect(g, testNow)[web1] {
		if s.Unknown && strings.HasPrefix(string(s.ID), "ports.") {
			t.Errorf("gce-web-1: %+v, want closed, not unknown", s)
		}
	}

	res, _ = scanEstate(t, dir, emulator.Options{Faults: []emulator.Fault{
		{Service: "compute", Action: "firewalls.list", Kind: emulator.FaultDenied},
	}}, Options{Projects: []string{"acme-prod"}})
	g = features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(web1); !r.Unknown {
		t.Errorf("gce-web-1 with firewalls unread: reach %+v, want unknown", r)
	}
	for _, r := range res.Resources {
		if strings.HasSuffix(r.ID, "/implied-deny-ingress") {
			t.Errorf("%s written though the rules were not listed", r.ID)
		}
	}
}

// TestUnreachableZones: a zone or region an aggregated list reports as
// UNREACHABLE is a gap of that location, while the others are collected;
// empty zones (NO_RESULTS_ON_PAGE) are not.
func TestUnreachableZones(t *testing.T) {
	dir := demoWith(t, func(s string) string {
		return strings.Replace(s, `"project_number": "123456789012",`, `"project_number": "123456789012", "compute_unreachable": ["us-central1-a", "europe-west1"],`, 1)
	})
	res, _ := scanEstate(t, dir, emulator.Options{PageSize: 1}, Options{Projects: []string{"acme-prod"}})
	got := map[string]string{}
	for _, g := range gapsOf(res.Gaps, "compute") {
		if g.Reason != inventory.GapUnreachable {
			t.Errorf("gap %s: want unreachable", g)
		}
		got[g.Operation] += g.Region + " "
	}
	if got["instances.aggregatedList"] != "us-central1-a " || got["subnetworks.aggregatedList"] != "europe-west1 " ||
		got["forwardingRules.aggregatedList"] != "europe-west1 " || len(got) != 3 {
		t.Errorf("gaps %v, want instances of us-central1-a, subnetworks and forwarding rules of europe-west1", res.Gaps)
	}
	find(t, res.Resources, "//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/instances/gce-batch-eu")
	if n := len(byNativeType(res.Resources, "compute.googleapis.com/Instance")); n != 2 {
		t.Errorf("%d instances, want the two outside us-central1-a", n)
	}
}
