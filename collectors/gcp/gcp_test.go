package gcp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

const (
	web1     = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/gce-web-1"
	web2     = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/gce-web-2-private"
	sshRule  = "//compute.googleapis.com/projects/acme-prod/global/firewalls/allow-ssh-anywhere"
	pubBkt   = "//storage.googleapis.com/acme-public-assets"
	privBkt  = "//storage.googleapis.com/acme-private-assets"
	defaultS = "//iam.googleapis.com/projects/acme-prod/serviceAccounts/123456789012-compute@developer.gserviceaccount.com"
	pgPublic = "//cloudsql.googleapis.com/projects/acme-prod/instances/acme-orders-pg"
	pgTwin   = "//cloudsql.googleapis.com/projects/acme-prod/instances/acme-orders-pg-private"
	mysqlOff = "//cloudsql.googleapis.com/projects/acme-prod/instances/acme-billing-mysql"
	gkeProd  = "//container.googleapis.com/projects/acme-prod/locations/us-central1/clusters/acme-gke-prod"
)

// TestGolden scans the demo estate and compares the normalized output,
// per service, with the golden files.
func TestGolden(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects})
	golden(t, "gcp_compute.json", byNativeType(res.Resources, "compute."))
	golden(t, "gcp_storage.json", byNativeType(res.Resources, "storage."))
	golden(t, "gcp_iam.json", byNativeType(res.Resources, "iam.", "cloudidentity."))
	golden(t, "gcp_sql.json", byNativeType(res.Resources, "sqladmin."))
	golden(t, "gcp_container.json", byNativeType(res.Resources, "container."))
	golden(t, "gcp_gaps.json", res.Gaps)
	golden(t, "gcp_scopes.json", res.Scopes)
	for _, r := range res.Resources {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
	}
}

// TestPagination: the emulator answers two items a page, so every listing
// of the demo project takes more than one page, and nothing is lost.
func TestPagination(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{PageSize: 2}, Options{Projects: []string{"acme-prod"}})
	for _, c := range []struct {
		service, action string
		pages           int
	}{
		{"compute", "instances.aggregatedList", 3},   // 5 instances
		{"compute", "subnetworks.aggregatedList", 2}, // 3 subnetworks
		{"compute", "firewalls.list", 3},             // 6 rules
		{"compute", "routes.list", 2},                // 3 routes
		{"storage", "buckets.list", 2},               // 3 buckets
		{"iam", "projects.serviceAccounts.list", 2},  // 4 accounts
		{"sqladmin", "instances.list", 2},            // 3 instances
		// GKE's clusters.list has no pages: one answer holds every cluster.
		{"container", "projects.locations.clusters.list", 1},
	} {
		if got := srv.Requests(c.service, c.action); got != c.pages {
			t.Errorf("%s %s: %d requests, want %d pages", c.service, c.action, got, c.pages)
		}
	}
	count := map[inventory.Kind]int{}
	for _, r := range res.Resources {
		count[r.Kind]++
	}
	// Firewalls: 6 rules, the default network's implied deny-ingress rule
	// and the authorized networks of 3 Cloud SQL instances.
	for k, want := range map[inventory.Kind]int{inventory.KindInstance: 5, inventory.KindSubnet: 3, inventory.KindFirewall: 10,
		inventory.KindBucket: 3, inventory.KindServiceAccount: 4, inventory.KindDatabase: 3, inventory.KindCluster: 2} {
		if count[k] != want {
			t.Errorf("%s: %d collected, want %d", k, count[k], want)
		}
	}
	if len(res.Gaps) != 0 {
		t.Errorf("gaps: %v", res.Gaps)
	}
}

// TestDenied: a denied call is a gap of its project and operation while
// everything else is collected; what it would have told reads as unknown.
func TestDenied(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "compute", Action: "firewalls.list", Account: "acme-prod", Kind: emulator.FaultDenied},
		{Service: "storage", Action: "buckets.getIamPolicy", Kind: emulator.FaultDenied},
		{Service: "compute", Action: "images.get", Kind: emulator.FaultDenied},
		{Service: "sqladmin", Action: "instances.list", Kind: emulator.FaultDenied},
	}}, Options{Projects: []string{"acme-prod"}})
	want := map[string]inventory.GapReason{
		"compute/firewalls.list":       inventory.GapAccessDenied,
		"storage/buckets.getIamPolicy": inventory.GapAccessDenied,
		"compute/images.get":           inventory.GapAccessDenied,
		"sqladmin/instances.list":      inventory.GapAccessDenied,
	}
	seen := map[string]bool{}
	for _, g := range res.Gaps {
		key := g.Service + "/" + g.Operation
		if want[key] == "" {
			t.Errorf("unexpected gap %s", g)
			continue
		}
		if g.Reason != want[key] || g.Account != "acme-prod" || g.Cloud != inventory.GCP {
			t.Errorf("gap %s: want reason %s in acme-prod", g, want[key])
		}
		seen[key] = true
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no gap for %s", k)
		}
	}
	in := find(t, res.Resources, web1)
	if in.Instance.ImageCreated.IsZero() == false || in.Instance.ImageID == "" {
		t.Errorf("image: got id %q created %v; want the id known and the date unknown", in.Instance.ImageID, in.Instance.ImageCreated)
	}
	b := find(t, res.Resources, pubBkt)
	if b.Bucket.Known(inventory.BucketPolicy) {
		t.Error("bucket policy denied but not marked unknown")
	}
	g := features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(web1); !r.Unknown || len(r.Exposures) > 0 {
		t.Errorf("gce-web-1 with firewalls unread: reach %+v, want unknown", r)
	}
	if n := len(byNativeType(res.Resources, "sqladmin.")); n != 0 {
		t.Errorf("Cloud SQL denied, yet %d resources collected", n)
	}
	find(t, res.Resources, gkeProd) // the rest of the project completes
}

// TestServiceDisabled: acme-sandbox has not enabled Compute Engine and
// IAM: each table of them is one gap (api disabled: the compute table and
// the load balancer table, the service accounts table), and its buckets
// and IAM policy are still read.
func TestServiceDisabled(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects})
	var sandbox []inventory.Gap
	for _, g := range res.Gaps {
		if g.Account == "acme-sandbox" {
			sandbox = append(sandbox, g)
		}
	}
	var ops []string
	for _, g := range sandbox {
		ops = append(ops, g.Service+" "+g.Operation)
	}
	if want := []string{"compute forwardingRules.aggregatedList", "compute networks.list", "iam projects.serviceAccounts.list"}; !slices.Equal(ops, want) {
		t.Fatalf("sandbox gaps: %v, want %v", sandbox, want)
	}
	for _, g := range sandbox {
		if g.Reason != inventory.GapRegionDisabled || !strings.Contains(g.Message, "not enabled") {
			t.Errorf("gap %s: want the API reported as not enabled", g)
		}
	}
	find(t, res.Resources, "//storage.googleapis.com/acme-sandbox-scratch")
	find(t, res.Resources, "//cloudresourcemanager.googleapis.com/projects/acme-sandbox/bindings/roles/owner")
}

// TestThrottled: throttling is retried with backoff, within the bound.
func TestThrottled(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "compute", Action: "instances.aggregatedList", Kind: emulator.FaultThrottle, Times: 2},
		{Service: "cloudresourcemanager", Action: "projects.getIamPolicy", Kind: emulator.FaultThrottle, Times: 2},
		{Service: "storage", Action: "buckets.list", Kind: emulator.FaultThrottle, Times: 1},
	}}, Options{Projects: []string{"acme-prod"}})
	if len(res.Gaps) != 0 {
		t.Fatalf("gaps: %v", res.Gaps)
	}
	find(t, res.Resources, web1)
	find(t, res.Resources, "//cloudresourcemanager.googleapis.com/projects/acme-prod/bindings/roles/editor")
	find(t, res.Resources, pubBkt)
	if got := srv.Requests("compute", "instances.aggregatedList"); got != 5 {
		t.Errorf("instances.aggregatedList: %d requests, want 2 throttled + 3 pages", got)
	}

	res, _ = scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "compute", Action: "routes.list", Kind: emulator.FaultThrottle},
	}}, Options{Projects: []string{"acme-prod"}, MaxAttempts: 3})
	gs := gapsOf(res.Gaps, "compute")
	if len(gs) != 1 || gs[0].Reason != inventory.GapThrottled {
		t.Fatalf("gaps %v, want one throttled routes.list gap", gs)
	}
	g := features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(web1); !r.Unknown || len(r.Exposures) > 0 {
		t.Errorf("gce-web-1 with routes unread: reach %+v, want unknown", r)
	}
}

// TestProjectsListed: with no project named, the projects the credentials
// can list are scanned.
func TestProjectsListed(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{})
	var got []string
	for _, s := range res.Scopes {
		got = append(got, s.Account)
	}
	if strings.Join(got, ",") != "acme-prod,acme-sandbox" {
		t.Errorf("scopes %v", got)
	}
}

// TestEndpointLoopback: an endpoint is used without credentials, so one
// that is not on this machine is refused.
func TestEndpointLoopback(t *testing.T) {
	for _, e := range []string{"http://example.com", "https://10.0.0.1:8080", "nope"} {
		if _, err := New(context.Background(), Options{Endpoint: e}); err == nil || !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("endpoint %q: err %v, want refused", e, err)
		}
	}
	for _, e := range []string{"http://127.0.0.1:1", "http://localhost:9", "http://[::1]:80"} {
		if _, err := New(context.Background(), Options{Endpoint: e}); err != nil {
			t.Errorf("endpoint %q: %v", e, err)
		}
	}
}

// TestSignals: the downstream detectors read the GCP inventory unchanged:
// SSH open to the internet on gce-web-1 (external IP, default route, the
// tag's rule) and not on its twin without an external IP; the public
// bucket and not its twin with public access prevention enforced; the
// default service account's editor grant makes gce-web-1 an exposed
// instance holding an admin-equivalent identity; the key older than a
// year is old.
func TestSignals(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects})
	g := features.NewGraph(res.Resources, res.Gaps)
	sigs := features.Detect(g, testNow)
	has := func(id string, sig inventory.SignalID) bool {
		for _, s := range sigs[id] {
			if s.ID == sig && !s.Unknown {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		id   string
		sig  inventory.SignalID
		want bool
	}{
		{web1, "ports.admin_port_internet", true},
		{web2, "ports.admin_port_internet", false},
		{pubBkt, "privileges.public_bucket", true},
		{privBkt, "privileges.public_bucket", false},
		{"//storage.googleapis.com/acme-logs", "privileges.public_bucket", false},
		{web1, "privileges.exposed_admin_role", true},
		{web2, "privileges.exposed_admin_role", false},
		{web1, "patches.image_age", true},
		{web2, "patches.image_age", false},
		{"principal://goog/subject/alice@acme.example", "privileges.admin_equivalent", true},
		{"//iam.googleapis.com/projects/acme-prod/serviceAccounts/ci-deployer@acme-prod.iam.gserviceaccount.com/keys/1f2e3d4c5b6a79880123456789abcdef01234567", "passwords.access_key_old", true},
		// Cloud SQL: the public POSTGRES_11 instance open to 0.0.0.0/0,
		// not its private twin. The MySQL instance has a public address
		// (public_database, as CIS counts it) that admits one office
		// address only: its port is not open to the internet. Both
		// PostgreSQL 11 are past end of life.
		{pgPublic, "ports.public_database", true},
		{pgPublic, "ports.db_port_internet", true},
		{pgPublic, "patches.eol_engine", true},
		{pgTwin, "ports.public_database", false},
		{pgTwin, "ports.db_port_internet", false},
		{pgTwin, "patches.eol_engine", true},
		{mysqlOff, "ports.public_database", true},
		{mysqlOff, "ports.db_port_internet", false},
		{pgPublic, "patches.db_auto_minor_upgrade_off", false},
	} {
		if got := has(c.id, c.sig); got != c.want {
			t.Errorf("%s %s: got %t, want %t (signals %+v)", c.id, c.sig, got, c.want, sigs[c.id])
		}
	}
	for _, s := range sigs[web1] {
		if s.ID == "ports.admin_port_internet" && s.Evidence["via"] != sshRule {
			t.Errorf("admin port via %q, want %s", s.Evidence["via"], sshRule)
		}
	}
	for _, id := range []string{web2, pgTwin, mysqlOff} {
		for _, s := range sigs[id] {
			if s.Unknown && strings.HasPrefix(string(s.ID), "ports.") {
				t.Errorf("%s: %+v: a private resource must not be unknown", id, s)
			}
		}
	}
	for _, s := range sigs[pgPublic] {
		if s.ID == "ports.db_port_internet" && s.Evidence["via"] != pgPublic+"/authorizedNetworks" {
			t.Errorf("db port via %q, want the authorized networks", s.Evidence["via"])
		}
	}
	for _, s := range sigs[mysqlOff] {
		if s.ID == "ports.public_database" && s.Evidence["reachable"] != "not reachable" {
			t.Errorf("mysql public_database evidence %v, want not reachable", s.Evidence)
		}
	}
}

// TestOrganization: with Options.Organization and no project named, only
// the listed projects under the organization are scanned; one whose
// ancestry cannot be read is a gap and is not scanned.
func TestOrganization(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "internal", "emulator", "estates", "demo"))); err != nil {
		t.Fatal(err)
	}
	other := `{"project_id": "partner-shared", "project_number": "555555555555",
  "ancestry": [{"resourceId": {"type": "project", "id": "partner-shared"}}, {"resourceId": {"type": "organization", "id": "999999999999"}}],
  "buckets": [{"bucket": {"name": "partner-drop", "location": "US"}}]}`
	if err := os.WriteFile(filepath.Join(dir, "gcp", "projects", "partner-shared.json"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	scopes := func(res *collectors.Result) string {
		var got []string
		for _, s := range res.Scopes {
			got = append(got, s.Account)
		}
		return strings.Join(got, ",")
	}

	res, _ := scanEstate(t, dir, emulator.Options{}, Options{})
	if got := scopes(res); got != "acme-prod,acme-sandbox,partner-shared" {
		t.Fatalf("without an organization: scopes %s, want every listed project", got)
	}

	res, _ = scanEstate(t, dir, emulator.Options{PageSize: 1}, Options{Organization: "123456789012"})
	if got := scopes(res); got != "acme-prod,acme-sandbox" {
		t.Errorf("organizations/123456789012: scopes %s, want acme-prod,acme-sandbox", got)
	}
	for _, r := range res.Resources {
		if r.Account == "partner-shared" {
			t.Errorf("%s of another organization collected", r.ID)
		}
	}

	res, _ = scanEstate(t, dir, emulator.Options{Faults: []emulator.Fault{
		{Service: "cloudresourcemanager", Action: "projects.getAncestry", Account: "acme-sandbox", Kind: emulator.FaultDenied},
	}}, Options{Organization: "organizations/123456789012"})
	if got := scopes(res); got != "acme-prod" {
		t.Errorf("sandbox ancestry denied: scopes %s, want acme-prod", got)
	}
	gs := gapsOf(res.Gaps, "cloudresourcemanager")
	if len(gs) != 1 || gs[0].Account != "acme-sandbox" || gs[0].Operation != "projects.getAncestry" || gs[0].Reason != inventory.GapAccessDenied {
		t.Errorf("gaps %v, want one denied getAncestry of acme-sandbox", gs)
	}

	if _, _, err := collectEstate(t, dir, emulator.Options{}, Options{Organization: "424242"}); err == nil || !strings.Contains(err.Error(), "organizations/424242") {
		t.Errorf("no project in the organization: err %v", err)
	}
}

// TestClustersMissingZones: a location clusters.list could not reach is a
// gap of that location while the other clusters are collected.
func TestClustersMissingZones(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "internal", "emulator", "estates", "demo"))); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "gcp", "projects", "acme-prod.json")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `"project_number": "123456789012",`, `"project_number": "123456789012", "clusters_missing_zones": ["us-central1-a"],`, 1))
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := scanEstate(t, dir, emulator.Options{}, Options{Projects: []string{"acme-prod"}})
	gs := gapsOf(res.Gaps, "container")
	if len(gs) != 1 || gs[0].Region != "us-central1-a" || gs[0].Reason != inventory.GapUnreachable {
		t.Errorf("gaps %v, want one for us-central1-a", gs)
	}
	find(t, res.Resources, gkeProd)
	if n := len(byNativeType(res.Resources, "container.")); n != 1 {
		t.Errorf("%d clusters, want the one outside the missing zone", n)
	}
}

// TestIAMPolicyDenied: when the project IAM policy cannot be read, the
// project's service accounts are marked as holding unknown grants, so
// gce-web-1 (exposed, running as the default service account) gets an
// unknown exposed_admin_role, not nothing.
func TestIAMPolicyDenied(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "cloudresourcemanager", Action: "projects.getIamPolicy", Account: "acme-prod", Kind: emulator.FaultDenied},
	}}, Options{Projects: []string{"acme-prod"}})
	if gs := gapsOf(res.Gaps, "cloudresourcemanager"); len(gs) != 1 || gs[0].Reason != inventory.GapAccessDenied {
		t.Fatalf("gaps %v, want one denied getIamPolicy", gs)
	}
	for _, r := range res.Resources {
		if r.Kind == inventory.KindServiceAccount && !r.ServiceAccount.PermissionsUnknown {
			t.Errorf("%s: grants unread but not marked unknown", r.ID)
		}
	}
	sigs := features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
	var got *inventory.Signal
	for _, s := range sigs[web1] {
		if s.ID == "privileges.exposed_admin_role" {
			got = &s
		}
	}
	if got == nil || !got.Unknown {
		t.Errorf("gce-web-1 exposed_admin_role: %+v, want an unknown signal", got)
	}
}

// TestNoSecrets: instance metadata values (the demo's startup-script and
// deploy-credentials hold planted fake secrets) are scanned for secrets
// and never reach the collected resources; only the keys and the findings
// (detector, location, fingerprint) do.
func TestNoSecrets(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects})
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"hunter2", "AIzaFAKEdemoFAKEdemoFAKEdemoFAKEdemo000", "FAKEdemoFAKEdemoFAKEdemo",
		"MIIEvQIBADANFAKEDEMO", "#!/bin/sh"} {
		if strings.Contains(string(b), v) {
			t.Errorf("a metadata value (%s) is in the collected resources", v)
		}
	}
	in := find(t, res.Resources, web1)
	if !slices.Contains(in.Instance.MetadataKeys, "startup-script") {
		t.Errorf("metadata keys %v, want startup-script among them", in.Instance.MetadataKeys)
	}
	var got []string
	for _, f := range in.Instance.Secrets {
		got = append(got, f.Detector+" "+f.Location)
	}
	want := []string{"password_assignment metadata startup-script line 3", "google_api_key metadata startup-script line 4",
		"slack_webhook metadata startup-script line 5", "gcp_service_account_key metadata deploy-credentials line 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gce-web-1 secrets (-want +got):\n%s", diff)
	}
	// Without Options.SecretSalt the project's salt keys the fingerprints.
	if f := in.Instance.Secrets[0].Fingerprint; f != secrets.Fingerprint(secrets.AccountSalt("acme-prod"), "hunter2") {
		t.Errorf("password fingerprint %s, want it keyed by the project salt", f)
	}
	salted, _ := scanEstate(t, "demo", emulator.Options{}, Options{Projects: demoProjects, SecretSalt: []byte("store salt")})
	if f := find(t, salted.Resources, web1).Instance.Secrets[0].Fingerprint; f != secrets.Fingerprint([]byte("store salt"), "hunter2") {
		t.Errorf("password fingerprint %s, want it keyed by Options.SecretSalt", f)
	}
	if in := find(t, res.Resources, web2); len(in.Instance.Secrets) != 0 {
		t.Errorf("gce-web-2-private secrets %v, want none", in.Instance.Secrets)
	}
}

// TestStorageEmulatorHost: without Options.Endpoint, a STORAGE_EMULATOR_HOST
// left in the environment is refused unless it is on this machine, and
// then said at warn level: it would replace the real buckets.
func TestStorageEmulatorHost(t *testing.T) {
	// No credentials are found either way: the check comes first.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "none.json"))
	for _, host := range []string{"storage.example.com:4443", "http://10.1.2.3:9023"} {
		t.Setenv("STORAGE_EMULATOR_HOST", host)
		if _, err := New(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "STORAGE_EMULATOR_HOST") {
			t.Errorf("STORAGE_EMULATOR_HOST=%s: err %v, want refused", host, err)
		}
	}
	for _, host := range []string{"localhost:9023", "http://127.0.0.1:4443"} {
		t.Setenv("STORAGE_EMULATOR_HOST", host)
		var logs bytes.Buffer
		_, err := New(context.Background(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil && strings.Contains(err.Error(), "STORAGE_EMULATOR_HOST") {
			t.Errorf("STORAGE_EMULATOR_HOST=%s: %v, want accepted", host, err)
		}
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "STORAGE_EMULATOR_HOST") {
			t.Errorf("STORAGE_EMULATOR_HOST=%s: logs %q, want a warning", host, logs.String())
		}
	}
}
