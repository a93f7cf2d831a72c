package azure

import (
	"context"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/goldenfile"
	"github.com/posture-dev/posture/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const demoSub = "00000000-0000-0000-0000-0000000000a1"

// scan serves the estate on loopback and scans it through the real ARM
// clients, pointed at the emulator by Options.Endpoint as users point them.
func scan(t *testing.T, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server) {
	t.Helper()
	e, err := emulator.Load(estate)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(e, "127.0.0.1:0", eopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	opts.Endpoint = srv.URL()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Millisecond
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, srv
}

// golden compares v, as indented JSON, with testdata/golden/name.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, filepath.Join("testdata", "golden", name), v, *update)
}

func byNativeType(rs []inventory.Resource, prefixes ...string) []inventory.Resource {
	var out []inventory.Resource
	for _, r := range rs {
		for _, p := range prefixes {
			if strings.HasPrefix(r.NativeType, p) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{}, Options{})
	if len(res.Gaps) > 0 {
		t.Errorf("gaps on the demo estate: %v", res.Gaps)
	}
	for _, r := range res.Resources {
		if err := r.Validate(); err != nil {
			t.Error(err)
		}
	}
	if diff := cmp.Diff(res.Scopes, []inventory.Scope{{Cloud: inventory.Azure, Account: demoSub}}); diff != "" {
		t.Errorf("scopes (-got +want):\n%s", diff)
	}
	for _, tt := range []struct {
		file     string
		prefixes []string
	}{
		{"azure_network.json", []string{"Microsoft.Network/networkSecurityGroups", "Microsoft.Network/virtualNetworks",
			"Microsoft.Network/networkInterfaces", "Microsoft.Network/routeTables"}},
		{"azure_loadbalancer.json", []string{"Microsoft.Network/loadBalancers", "Microsoft.Network/applicationGateways"}},
		{"azure_compute.json", []string{"Microsoft.Compute/", "Microsoft.ManagedIdentity/"}},
		{"azure_storage.json", []string{"Microsoft.Storage/"}},
		{"azure_authorization.json", []string{"Microsoft.Authorization/", "Microsoft.Graph/"}},
		{"azure_sql.json", []string{"Microsoft.Sql/"}},
		{"azure_keyvault.json", []string{"Microsoft.KeyVault/"}},
		{"azure_containerservice.json", []string{"Microsoft.ContainerService/"}},
	} {
		t.Run(tt.file, func(t *testing.T) { golden(t, tt.file, byNativeType(res.Resources, tt.prefixes...)) })
	}
	// What Defender for Cloud says of each VM, null where it says nothing.
	t.Run("azure_defender.json", func(t *testing.T) {
		vulns := map[string]*inventory.Vulnerabilities{}
		for _, r := range byNativeType(res.Resources, "Microsoft.Compute/virtualMachines") {
			vulns[r.ID] = r.Vulnerabilities
		}
		golden(t, "azure_defender.json", vulns)
	})
}

// TestPagination: the emulator answers two items a page with a nextLink;
// every item of every page is collected.
func TestPagination(t *testing.T) {
	res, srv := scan(t, "demo", emulator.Options{PageSize: 2}, Options{})
	tests := []struct {
		service, action, native string
		want                    int
	}{
		{"network", "NetworkSecurityGroups.ListAll", "Microsoft.Network/networkSecurityGroups", 7},
		{"authorization", "RoleDefinitions.List", "", 0},
		{"storage", "BlobContainers.List", "Microsoft.Storage/storageAccounts/blobServices/containers", 3},
		// sql-orders has three firewall rules: two pages.
		{"sql", "FirewallRules.ListByServer", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			if got := srv.Requests(tt.service, tt.action); got < 2 {
				t.Errorf("%s/%s requests = %d, want at least 2 (pages)", tt.service, tt.action, got)
			}
			if tt.native != "" {
				if got := len(byNativeType(res.Resources, tt.native)); got != tt.want {
					t.Errorf("%s collected = %d, want %d", tt.native, got, tt.want)
				}
			}
		})
	}
}

// TestDenied: AuthorizationFailed on one operation is a gap of that
// operation; the rest of the subscription is collected.
func TestDenied(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "network", Action: "NetworkSecurityGroups.ListAll", Kind: emulator.FaultDenied},
	}}, Options{})
	if len(res.Gaps) != 1 {
		t.Fatalf("gaps = %v, want one", res.Gaps)
	}
	g := res.Gaps[0]
	g.Message = ""
	want := inventory.Gap{Cloud: inventory.Azure, Account: demoSub, Service: "network", Operation: "NetworkSecurityGroups.ListAll", Reason: inventory.GapAccessDenied}
	if diff := cmp.Diff(g, want); diff != "" {
		t.Errorf("gap (-got +want):\n%s", diff)
	}
	if !strings.HasPrefix(res.Gaps[0].Message, "AuthorizationFailed: ") {
		t.Errorf("gap message = %q, want ARM's code and message", res.Gaps[0].Message)
	}
	if n := len(byNativeType(res.Resources, "Microsoft.Network/networkSecurityGroups")); n != 0 {
		t.Errorf("NSGs collected despite the denial: %d", n)
	}
	for _, native := range []string{"Microsoft.Compute/virtualMachines", "Microsoft.Network/virtualNetworks", "Microsoft.Storage/", "Microsoft.Authorization/"} {
		if len(byNativeType(res.Resources, native)) == 0 {
			t.Errorf("no %s collected: one denied call stopped the rest", native)
		}
	}
	// The VM's NSGs are missing: its exposure is unknown, never safe.
	g2 := features.NewGraph(res.Resources, res.Gaps)
	vm := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/az-web-1"
	if r := g2.Reachability(vm); !r.Unknown {
		t.Errorf("Reachability(az-web-1) with NSGs denied = %+v, want unknown", r)
	}
}

// TestSQLDenied: AuthorizationFailed on the SQL servers is a gap; the
// other services are collected, and no server is guessed at.
func TestSQLDenied(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "sql", Action: "Servers.List", Kind: emulator.FaultDenied},
	}}, Options{})
	var got []inventory.Gap
	for _, g := range res.Gaps {
		g.Message = ""
		got = append(got, g)
	}
	want := []inventory.Gap{{Cloud: inventory.Azure, Account: demoSub, Service: "sql", Operation: "Servers.List", Reason: inventory.GapAccessDenied}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("gaps (-got +want):\n%s", diff)
	}
	if n := len(byNativeType(res.Resources, "Microsoft.Sql/")); n != 0 {
		t.Errorf("SQL resources collected despite the denial: %d", n)
	}
	for _, native := range []string{"Microsoft.Compute/virtualMachines", "Microsoft.Network/", "Microsoft.Storage/",
		"Microsoft.Authorization/", "Microsoft.KeyVault/vaults", "Microsoft.ContainerService/managedClusters"} {
		if len(byNativeType(res.Resources, native)) == 0 {
			t.Errorf("no %s collected: one denied call stopped the rest", native)
		}
	}
}

// TestSQLFirewallRulesDenied: a server whose firewall rules cannot be read
// is kept, and its exposure is unknown, never safe.
func TestSQLFirewallRulesDenied(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "sql", Action: "FirewallRules.ListByServer", Kind: emulator.FaultDenied},
	}}, Options{})
	server := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Sql/servers/sql-orders"
	if !slices.ContainsFunc(res.Gaps, func(g inventory.Gap) bool {
		return g.Operation == "FirewallRules.ListByServer" && g.Resource == server && g.Reason == inventory.GapAccessDenied
	}) {
		t.Errorf("gaps = %v, want FirewallRules.ListByServer denied on sql-orders", res.Gaps)
	}
	if n := len(byNativeType(res.Resources, "Microsoft.Sql/servers/firewallRules")); n != 0 {
		t.Errorf("firewalls collected despite the denial: %d", n)
	}
	g := features.NewGraph(res.Resources, res.Gaps)
	if r := g.Reachability(server); !r.Unknown || len(r.Exposures) != 0 {
		t.Errorf("Reachability(sql-orders) with its firewall rules denied = %+v, want unknown", r)
	}
}

func TestRangeCIDRs(t *testing.T) {
	tests := []struct {
		from, to string
		want     []string
	}{
		{"0.0.0.0", "255.255.255.255", []string{"0.0.0.0/0"}},
		{"203.0.113.0", "203.0.113.255", []string{"203.0.113.0/24"}},
		{"10.0.0.7", "10.0.0.7", []string{"10.0.0.7/32"}},
		{"10.0.0.1", "10.0.0.6", []string{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"}},
		{"1.0.0.0", "255.255.255.255", []string{"1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.from+"-"+tt.to, func(t *testing.T) {
			got := rangeCIDRs(netip.MustParseAddr(tt.from), netip.MustParseAddr(tt.to))
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("rangeCIDRs (-got +want):\n%s", diff)
			}
		})
	}
}

// TestThrottled: throttling answers are retried; past the bound they are a
// throttled gap.
func TestThrottled(t *testing.T) {
	// The emulator's 429 asks for Retry-After: 1; the backoff of the
	// tests is 10ms, so a second try after a second is Retry-After honoured.
	t.Run("retried after Retry-After", func(t *testing.T) {
		start := time.Now()
		res, srv := scan(t, "demo", emulator.Options{PageSize: 100, Faults: []emulator.Fault{
			{Service: "compute", Action: "VirtualMachines.ListAll", Kind: emulator.FaultThrottle, Times: 1},
		}}, Options{})
		if len(res.Gaps) != 0 {
			t.Errorf("gaps = %v, want none", res.Gaps)
		}
		if got := srv.Requests("compute", "VirtualMachines.ListAll"); got != 2 {
			t.Errorf("requests = %d, want 2 (1 throttled, 1 served)", got)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("scan took %s, want at least the Retry-After of 1s", d)
		}
	})
	t.Run("Retry-After past the bound", func(t *testing.T) {
		res, srv := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
			{Service: "storage", Action: "StorageAccounts.List", Kind: emulator.FaultThrottle},
		}}, Options{MaxRetryAfter: time.Millisecond})
		if len(res.Gaps) != 1 || res.Gaps[0].Reason != inventory.GapThrottled || res.Gaps[0].Operation != "StorageAccounts.List" {
			t.Errorf("gaps = %v, want one throttled StorageAccounts.List", res.Gaps)
		}
		if got := srv.Requests("storage", "StorageAccounts.List"); got != 1 {
			t.Errorf("requests = %d, want 1: a Retry-After past MaxRetryAfter is not waited for", got)
		}
	})
	t.Run("given up", func(t *testing.T) {
		res, srv := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
			{Service: "storage", Action: "StorageAccounts.List", Kind: emulator.FaultThrottle},
		}}, Options{MaxAttempts: 2})
		if len(res.Gaps) != 1 || res.Gaps[0].Reason != inventory.GapThrottled || res.Gaps[0].Operation != "StorageAccounts.List" {
			t.Errorf("gaps = %v, want one throttled StorageAccounts.List", res.Gaps)
		}
		if got := srv.Requests("storage", "StorageAccounts.List"); got != 2 {
			t.Errorf("requests = %d, want 2 (MaxAttempts)", got)
		}
	})
}

// TestSubscriptionsListed: without Subscriptions, the credential's
// subscriptions are listed.
func TestSubscriptionsListed(t *testing.T) {
	res, srv := scan(t, "demo", emulator.Options{}, Options{})
	if srv.Requests("resources", "Subscriptions.List") != 1 || len(res.Scopes) != 1 {
		t.Errorf("subscriptions listed %d times, scopes %v", srv.Requests("resources", "Subscriptions.List"), res.Scopes)
	}
	res, _ = scan(t, "demo", emulator.Options{}, Options{Subscriptions: []string{demoSub, "00000000-0000-0000-0000-00000000dead"}})
	if len(res.Gaps) == 0 || !slices.ContainsFunc(res.Gaps, func(g inventory.Gap) bool {
		return g.Account == "00000000-0000-0000-0000-00000000dead" && g.Reason == inventory.GapAccessDenied
	}) {
		t.Errorf("unknown subscription: gaps = %v, want access denied gaps", res.Gaps)
	}
}

func TestEndpoint(t *testing.T) {
	for _, ep := range []string{"http://management.example.com", "ftp://127.0.0.1"} {
		if _, err := New(context.Background(), Options{Endpoint: ep}); err == nil {
			t.Errorf("New(Endpoint %q) = nil error, want refusal", ep)
		}
	}
}

// TestSignals: the features of the collected estate name the same
// misconfigurations as on the other clouds.
func TestSignals(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{}, Options{})
	g := features.NewGraph(res.Resources, res.Gaps)
	sigs := features.Detect(g, testNow)
	p := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/"
	has := func(id string, sig inventory.SignalID) bool {
		return slices.ContainsFunc(sigs[id], func(s inventory.Signal) bool { return s.ID == sig && !s.Unknown })
	}
	tests := []struct {
		id   string
		sig  inventory.SignalID
		want bool
	}{
		{p + "Microsoft.Compute/virtualMachines/az-web-1", "ports.admin_port_internet", true},
		{p + "Microsoft.Compute/virtualMachines/az-web-2-private", "ports.admin_port_internet", false},
		{p + "Microsoft.Compute/virtualMachines/az-web-1", "privileges.exposed_admin_role", true},
		{p + "Microsoft.Compute/virtualMachines/az-web-2-private", "privileges.exposed_admin_role", false},
		{p + "Microsoft.Storage/storageAccounts/stpublicdemo/blobServices/default/containers/public-assets", "privileges.public_bucket", true},
		{p + "Microsoft.Storage/storageAccounts/stpublicdemo/blobServices/default/containers/logs", "privileges.public_bucket", false},
		{p + "Microsoft.Storage/storageAccounts/stprivatedemo/blobServices/default/containers/assets", "privileges.public_bucket", false},
		{p + "Microsoft.Sql/servers/sql-orders", "ports.public_database", true},
		{p + "Microsoft.Sql/servers/sql-orders", "ports.db_port_internet", true},
		{p + "Microsoft.Sql/servers/sql-internal", "ports.public_database", false},
		{p + "Microsoft.Sql/servers/sql-internal", "ports.db_port_internet", false},
		// RDP reaches a VM without a public IP through a public load
		// balancer; its twin behind an internal one is not reached.
		{edge + "Microsoft.Compute/virtualMachines/az-jump-lb", "ports.admin_port_internet", true},
		{edge + "Microsoft.Compute/virtualMachines/az-jump-internal", "ports.admin_port_internet", false},
	}
	for _, tt := range tests {
		t.Run(lastSegment(tt.id)+" "+string(tt.sig), func(t *testing.T) {
			if got := has(tt.id, tt.sig); got != tt.want {
				t.Errorf("signal %s on %s = %t, want %t; signals: %+v", tt.sig, tt.id, got, tt.want, sigs[tt.id])
			}
		})
	}
	// The private twin is not even unknown: public network access off
	// closes it whatever its firewall rules say.
	for _, sig := range sigs[p+"Microsoft.Sql/servers/sql-internal"] {
		if strings.HasPrefix(string(sig.ID), "ports.") {
			t.Errorf("sql-internal: %s (unknown %t), want no ports signal", sig.ID, sig.Unknown)
		}
	}
}

// demoEstate writes the demo's azure/ files, changed by edit, as a new
// estate directory (Azure only) and returns it.
func demoEstate(t *testing.T, edit func(subs, resources []map[string]any) ([]map[string]any, []map[string]any)) string {
	t.Helper()
	src := filepath.Join("..", "..", "internal", "emulator", "estates", "demo", "azure")
	var subs, rs []map[string]any
	for name, v := range map[string]*[]map[string]any{"subscriptions.json": &subs, "resources.json": &rs} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	subs, rs = edit(subs, rs)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "azure"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The AWS files at the root are part of every estate, and so are the
	// other files of azure/.
	root := filepath.Dir(src)
	files, err := filepath.Glob(filepath.Join(root, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	others, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(files, others...) {
		to := filepath.Join(dir, filepath.Base(f))
		if filepath.Dir(f) == src {
			to = filepath.Join(dir, "azure", filepath.Base(f))
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]any{"subscriptions.json": subs, "resources.json": rs} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "azure", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// armResource returns the resource of rs whose id ends in suffix.
func armResource(t *testing.T, rs []map[string]any, suffix string) map[string]any {
	t.Helper()
	for _, r := range rs {
		if id, _ := r["id"].(string); strings.HasSuffix(id, suffix) {
			return r
		}
	}
	t.Fatalf("no resource %s in the demo estate", suffix)
	return nil
}

func signalOf(sigs map[string][]inventory.Signal, id string, sig inventory.SignalID) (inventory.Signal, bool) {
	for _, s := range sigs[id] {
		if s.ID == sig {
			return s, true
		}
	}
	return inventory.Signal{}, false
}

// TestPermissionsDenied: when the role assignments or definitions cannot
// be read, az-web-1's managed identity is not harmless: its exposed admin
// role is unknown.
func TestPermissionsDenied(t *testing.T) {
	vm := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/az-web-1"
	for _, op := range []string{"RoleAssignments.ListForSubscription", "RoleDefinitions.List"} {
		t.Run(op, func(t *testing.T) {
			res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
				{Service: "authorization", Action: op, Kind: emulator.FaultDenied},
			}}, Options{})
			if !slices.ContainsFunc(res.Gaps, func(g inventory.Gap) bool {
				return g.Operation == op && g.Reason == inventory.GapAccessDenied
			}) {
				t.Errorf("gaps = %v, want %s denied", res.Gaps, op)
			}
			identity := vm + "/providers/Microsoft.ManagedIdentity/identities/default"
			i := slices.IndexFunc(res.Resources, func(r inventory.Resource) bool { return r.ID == identity })
			if i < 0 || !res.Resources[i].ServiceAccount.PermissionsUnknown {
				t.Errorf("identity %s not marked PermissionsUnknown", identity)
			}
			sigs := features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
			got, ok := signalOf(sigs, vm, "privileges.exposed_admin_role")
			if !ok || !got.Unknown {
				t.Errorf("az-web-1 privileges.exposed_admin_role = %+v (present %t), want unknown; signals: %+v", got, ok, sigs[vm])
			}
		})
	}
}

// TestContainersDenied: an account whose containers cannot be listed is a
// bucket of its own, with the account's settings and an unknown ACL: the
// account that allows public blob access is unknown, the one that blocks
// it is still not public.
func TestContainersDenied(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "storage", Action: "BlobContainers.List", Kind: emulator.FaultDenied},
	}}, Options{})
	p := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/"
	public, private := p+"stpublicdemo", p+"stprivatedemo"
	for _, id := range []string{public, private} {
		if !slices.ContainsFunc(res.Gaps, func(g inventory.Gap) bool {
			return g.Operation == "BlobContainers.List" && g.Resource == id+"/blobServices/default/containers" && g.Reason == inventory.GapAccessDenied
		}) {
			t.Errorf("gaps = %v, want BlobContainers.List denied on %s", res.Gaps, id)
		}
	}
	buckets := byNativeType(res.Resources, "Microsoft.Storage/")
	var ids []string
	for _, b := range buckets {
		ids = append(ids, b.ID)
		if err := b.Validate(); err != nil {
			t.Error(err)
		}
		if b.Kind != inventory.KindBucket || b.NativeType != "Microsoft.Storage/storageAccounts" || b.Bucket == nil ||
			!slices.Equal(b.Bucket.Unknown, []inventory.BucketSetting{inventory.BucketACL}) {
			t.Errorf("placeholder %s = kind %s, native %s, bucket %+v; want a bucket of the account with its ACL unknown", b.ID, b.Kind, b.NativeType, b.Bucket)
		}
	}
	if diff := cmp.Diff(ids, []string{private, public}); diff != "" {
		t.Errorf("storage resources (-got +want):\n%s", diff)
	}
	sigs := features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
	if got, ok := signalOf(sigs, public, "privileges.public_bucket"); !ok || !got.Unknown {
		t.Errorf("stpublicdemo public_bucket = %+v (present %t), want unknown", got, ok)
	}
	if got, ok := signalOf(sigs, private, "privileges.public_bucket"); ok {
		t.Errorf("stprivatedemo public_bucket = %+v, want none: the account blocks public blob access", got)
	}
}

// TestNoNSG: an interface with no NSG at either layer is open on every
// port behind a Basic public IP (or one without a SKU) and closed behind a
// Standard one.
func TestNoNSG(t *testing.T) {
	vm := "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/az-web-1"
	for _, tt := range []struct {
		sku     string // "" drops the sku
		exposed bool
	}{{"Basic", true}, {"", true}, {"Standard", false}} {
		t.Run("sku "+tt.sku, func(t *testing.T) {
			dir := demoEstate(t, func(subs, rs []map[string]any) ([]map[string]any, []map[string]any) {
				delete(armResource(t, rs, "/networkInterfaces/nic-az-web-1")["properties"].(map[string]any), "networkSecurityGroup")
				for _, sn := range armResource(t, rs, "/virtualNetworks/vnet-prod")["properties"].(map[string]any)["subnets"].([]any) {
					delete(sn.(map[string]any)["properties"].(map[string]any), "networkSecurityGroup")
				}
				pip := armResource(t, rs, "/publicIPAddresses/pip-az-web-1")
				if tt.sku == "" {
					delete(pip, "sku")
				} else {
					pip["sku"] = map[string]any{"name": tt.sku}
				}
				return subs, rs
			})
			res, _ := scan(t, dir, emulator.Options{}, Options{})
			for _, r := range res.Resources {
				if err := r.Validate(); err != nil {
					t.Error(err)
				}
			}
			g := features.NewGraph(res.Resources, res.Gaps)
			r := g.Reachability(vm)
			if r.Unknown {
				t.Errorf("Reachability(az-web-1) = %+v, want known", r)
			}
			reach, _ := r.Port("tcp", 22)
			if got := reach == features.Reachable; got != tt.exposed {
				t.Errorf("port 22 reachable = %t, want %t; %+v", got, tt.exposed, r)
			}
			sig, ok := signalOf(features.Detect(g, testNow), vm, "ports.admin_port_internet")
			if got := ok && !sig.Unknown; got != tt.exposed {
				t.Errorf("admin_port_internet = %t (%+v), want %t", got, sig, tt.exposed)
			}
		})
	}
	// The subnet unread: its NSG association is unknown, and so is the
	// exposure, whatever the SKU.
	dir := demoEstate(t, func(subs, rs []map[string]any) ([]map[string]any, []map[string]any) {
		delete(armResource(t, rs, "/networkInterfaces/nic-az-web-1")["properties"].(map[string]any), "networkSecurityGroup")
		return subs, rs
	})
	res, _ := scan(t, dir, emulator.Options{Faults: []emulator.Fault{
		{Service: "network", Action: "VirtualNetworks.ListAll", Kind: emulator.FaultDenied},
	}}, Options{})
	if r := features.NewGraph(res.Resources, res.Gaps).Reachability(vm); !r.Unknown {
		t.Errorf("Reachability(az-web-1) with its subnet unread = %+v, want unknown", r)
	}
}

// TestOtherTenant: a subscription of another tenant that refuses the
// token is a gap of its own; the other subscriptions are scanned. Listed
// subscriptions get tokens of their own tenant; when every subscription
// refuses the credential the scan fails.
func TestOtherTenant(t *testing.T) {
	const other = "00000000-0000-0000-0000-0000000000b2"
	dir := demoEstate(t, func(subs, rs []map[string]any) ([]map[string]any, []map[string]any) {
		// Defender for Servers on, as in the home subscription: no gap.
		rs = append(rs, map[string]any{"id": "/subscriptions/" + other + "/providers/Microsoft.Security/pricings/VirtualMachines",
			"name": "VirtualMachines", "type": "Microsoft.Security/pricings", "properties": map[string]any{"pricingTier": "Standard", "subPlan": "P2"}})
		return append(subs, map[string]any{"id": "/subscriptions/" + other, "subscriptionId": other,
			"tenantId": "00000000-0000-0000-0000-0000000000f2", "displayName": "other tenant", "state": "Enabled"}), rs
	})
	t.Run("named", func(t *testing.T) {
		res, _ := scan(t, dir, emulator.Options{}, Options{Subscriptions: []string{demoSub, other}})
		var gaps []inventory.Gap
		for _, g := range res.Gaps {
			if g.Account == other {
				gaps = append(gaps, g)
			}
		}
		if len(gaps) != 1 || gaps[0].Reason != inventory.GapAccessDenied || !strings.Contains(gaps[0].Message, "InvalidAuthenticationTokenTenant") {
			t.Errorf("gaps of %s = %v, want one access denied with InvalidAuthenticationTokenTenant", other, gaps)
		}
		if len(byNativeType(res.Resources, "Microsoft.Compute/virtualMachines")) == 0 {
			t.Error("no VM of the home subscription collected")
		}
	})
	t.Run("listed", func(t *testing.T) {
		res, _ := scan(t, dir, emulator.Options{}, Options{})
		if len(res.Gaps) != 0 || len(res.Scopes) != 2 {
			t.Errorf("scopes %v, gaps %v; want both subscriptions scanned with their tenant's token", res.Scopes, res.Gaps)
		}
	})
	t.Run("every subscription refused", func(t *testing.T) {
		e, err := emulator.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		srv, err := emulator.Start(e, "127.0.0.1:0", emulator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		c, err := New(context.Background(), Options{Endpoint: srv.URL(), Subscriptions: []string{other}, MaxBackoff: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("Collect = %v, want the credential refused everywhere", err)
		}
	})
}
