package azure

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/inventory"
)

var (
	webVM      = "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/az-web-1"
	privateVM  = "/subscriptions/" + demoSub + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/az-web-2-private"
	appVM      = edge + "Microsoft.Compute/virtualMachines/az-app-private"
	jumpVM     = edge + "Microsoft.Compute/virtualMachines/az-jump-lb"
	internalVM = edge + "Microsoft.Compute/virtualMachines/az-jump-internal"
)

// vulnState summarizes a VM's Vulnerabilities: "nil", "unknown", or the
// CVEs found, "none" for an assessed VM without findings.
func vulnState(r *inventory.Resource) string {
	v := r.Vulnerabilities
	switch {
	case v == nil:
		return "nil"
	case v.Unknown:
		return "unknown"
	case len(v.Findings) == 0:
		return "none"
	}
	var cves []string
	for _, f := range v.Findings {
		cves = append(cves, f.CVE)
	}
	return strings.Join(cves, ",")
}

func vulnStates(t *testing.T, rs []inventory.Resource) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, id := range []string{webVM, privateVM, appVM, jumpVM, internalVM} {
		r := resourceByID(rs, id)
		if r == nil {
			t.Fatalf("%s not collected", id)
		}
		out[lastSegment(id)] = vulnState(r)
	}
	return out
}

// TestDefender: what each call of Defender for Cloud failing leaves of the
// VMs' findings, table-driven over the emulator's faults.
func TestDefender(t *testing.T) {
	demo := map[string]string{"az-web-1": "CVE-2024-1086,CVE-2024-28085", "az-web-2-private": "CVE-2024-28085",
		"az-app-private": "CVE-2024-6387", "az-jump-lb": "none", "az-jump-internal": "nil"}
	allUnknown := map[string]string{"az-web-1": "unknown", "az-web-2-private": "unknown",
		"az-app-private": "unknown", "az-jump-lb": "unknown", "az-jump-internal": "unknown"}
	tests := []struct {
		name     string
		fault    *emulator.Fault
		wantGap  inventory.GapReason // "" for none
		want     map[string]string
		requests int // SubAssessments.ListAll, 0: not checked
		opts     Options
	}{
		{name: "demo", want: demo},
		{name: "findings denied", fault: &emulator.Fault{Action: "SubAssessments.ListAll", Kind: emulator.FaultDenied},
			wantGap: inventory.GapAccessDenied, want: allUnknown},
		{name: "findings throttled once", fault: &emulator.Fault{Action: "SubAssessments.ListAll", Kind: emulator.FaultThrottle, Times: 1},
			want: demo, requests: 1 + 4},
		{name: "findings throttled past retries", fault: &emulator.Fault{Action: "SubAssessments.ListAll", Kind: emulator.FaultThrottle},
			wantGap: inventory.GapThrottled, want: allUnknown, opts: Options{MaxAttempts: 2, MaxRetryAfter: time.Millisecond}},
		// Microsoft.Security never registered: nothing was assessed, but
		// the machines the recommendation calls unhealthy have findings
		// that were not read.
		{name: "provider not registered", fault: &emulator.Fault{Action: "SubAssessments.ListAll", Kind: emulator.FaultOptIn},
			wantGap: inventory.GapRegionDisabled, want: map[string]string{"az-web-1": "unknown", "az-web-2-private": "unknown",
				"az-app-private": "unknown", "az-jump-lb": "none", "az-jump-internal": "nil"}},
		// Without the recommendation's status, no machine is known to be
		// assessed clean.
		{name: "assessments denied", fault: &emulator.Fault{Action: "Assessments.List", Kind: emulator.FaultDenied},
			wantGap: inventory.GapAccessDenied, want: map[string]string{"az-web-1": "CVE-2024-1086,CVE-2024-28085", "az-web-2-private": "CVE-2024-28085",
				"az-app-private": "CVE-2024-6387", "az-jump-lb": "nil", "az-jump-internal": "nil"}},
		{name: "plan denied", fault: &emulator.Fault{Action: "Pricings.Get", Kind: emulator.FaultDenied},
			wantGap: inventory.GapAccessDenied, want: demo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var eopts emulator.Options
			if tt.fault != nil {
				f := *tt.fault
				f.Service = "security"
				eopts.Faults = []emulator.Fault{f}
			}
			res, srv := scan(t, "demo", eopts, tt.opts)
			var gaps []inventory.Gap
			for _, g := range res.Gaps {
				g.Message = ""
				gaps = append(gaps, g)
			}
			var want []inventory.Gap
			if tt.wantGap != "" {
				want = []inventory.Gap{{Cloud: inventory.Azure, Account: demoSub, Service: "security", Operation: tt.fault.Action, Reason: tt.wantGap}}
			}
			if diff := cmp.Diff(gaps, want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			if diff := cmp.Diff(vulnStates(t, res.Resources), tt.want); diff != "" {
				t.Errorf("vulnerabilities (-got +want):\n%s", diff)
			}
			if tt.requests > 0 {
				if got := srv.Requests("security", "SubAssessments.ListAll"); got != tt.requests {
					t.Errorf("SubAssessments.ListAll requests = %d, want %d", got, tt.requests)
				}
			}
			for _, native := range []string{"Microsoft.Network/loadBalancers", "Microsoft.Network/virtualNetworks", "Microsoft.Storage/"} {
				if len(byNativeType(res.Resources, native)) == 0 {
					t.Errorf("no %s collected: a Defender call stopped the rest", native)
				}
			}
			features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
		})
	}
}

// TestDefenderNotEnabled: a subscription whose Defender for Servers plan
// is Free (an estate without security.json) is a gap saying so, and its
// VMs have no Vulnerabilities, not unknown ones.
func TestDefenderNotEnabled(t *testing.T) {
	dir := demoEstate(t, func(subs, rs []map[string]any) ([]map[string]any, []map[string]any) { return subs, rs })
	if err := os.Remove(filepath.Join(dir, "azure", "security.json")); err != nil {
		t.Fatal(err)
	}
	res, _ := scan(t, dir, emulator.Options{}, Options{})
	if len(res.Gaps) != 1 {
		t.Fatalf("gaps = %v, want one", res.Gaps)
	}
	g := res.Gaps[0]
	if g.Service != "security" || g.Operation != "Pricings.Get" || g.Reason != inventory.GapRegionDisabled ||
		g.Resource != "/subscriptions/"+demoSub+"/providers/Microsoft.Security/pricings/VirtualMachines" || !strings.Contains(g.Message, "not enabled") {
		t.Errorf("gap = %+v, want Pricings.Get region_disabled saying Defender for Servers is not enabled", g)
	}
	for vm, got := range vulnStates(t, res.Resources) {
		if got != "nil" {
			t.Errorf("%s vulnerabilities %s, want nil", vm, got)
		}
	}
}

// TestDefenderPagination: sub-assessments and assessments come two a page.
func TestDefenderPagination(t *testing.T) {
	res, srv := scan(t, "demo", emulator.Options{PageSize: 2}, Options{})
	for _, action := range []string{"SubAssessments.ListAll", "Assessments.List"} {
		if got := srv.Requests("security", action); got < 2 {
			t.Errorf("%s requests = %d, want pages", action, got)
		}
	}
	// az-web-1's findings are on one page, az-app-private's on another.
	if diff := cmp.Diff(vulnStates(t, res.Resources)["az-app-private"], "CVE-2024-6387"); diff != "" {
		t.Errorf("az-app-private (-got +want):\n%s", diff)
	}
}

// TestSubAssessmentShapes: how one sub-assessment becomes findings.
func TestSubAssessmentShapes(t *testing.T) {
	const vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
	under := vm + "/providers/Microsoft.Security/assessments/" + vmFindingsAssessment + "/subAssessments/x"
	yes := true
	when := time.Date(2026, 10, 30, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want map[string][]inventory.Vulnerability
	}{
		{"defender vulnerability management", `{"id": "` + under + `", "properties": {"id": "CVE-2024-1086", "status": {"code": "Unhealthy", "severity": "High"},
			"resourceDetails": {"source": "Azure", "id": "` + strings.ToUpper(vm) + `"}, "timeGenerated": "2026-10-30T06:00:00Z",
			"additionalData": {"assessedResourceType": "ServerVulnerabilityTvm", "cve": [{"title": "CVE-2024-1086"}], "cvss": {"3.0": {"base": 7.8}},
			"patchable": true, "softwareName": "linux-image-azure", "softwareVersion": "6.5.0"}}}`,
			map[string][]inventory.Vulnerability{strings.ToLower(vm): {{CVE: "CVE-2024-1086", Severity: "high", CVSS: 7.8, Package: "linux-image-azure 6.5.0", FixAvailable: &yes, FirstObserved: when}}}},
		{"qualys: one finding per CVE, the newest CVSS", `{"id": "` + under + `", "properties": {"id": "38923", "status": {"code": "Unhealthy", "severity": "Medium"},
			"resourceDetails": {"Source": "Azure", "Id": "` + vm + `"}, "timeGenerated": "2026-10-30T06:00:00",
			"additionalData": {"assessedResourceType": "ServerVulnerabilityAssessment", "cve": [{"title": "CVE-2023-0002"}, {"title": "CVE-2023-0001"}, {"title": "not a CVE"}],
			"cvss": {"2.0": {"base": 9.3}, "3.0": {"base": 6.5}}}}}`,
			map[string][]inventory.Vulnerability{strings.ToLower(vm): {
				{CVE: "CVE-2023-0002", Severity: "medium", CVSS: 6.5, FirstObserved: when},
				{CVE: "CVE-2023-0001", Severity: "medium", CVSS: 6.5, FirstObserved: when}}}},
		{"no CVE: the scanner's own id, the resource from the id", `{"id": "` + under + `", "properties": {"id": "105228", "displayName": "Weak SSH ciphers",
			"status": {"code": "Unhealthy", "severity": "Low", "firstEvaluationDate": "2026-10-01T00:00:00Z"}, "additionalData": {"assessedResourceType": "ServerVulnerabilityAssessment"}}}`,
			map[string][]inventory.Vulnerability{strings.ToLower(vm): {{CVE: "105228", Severity: "low", FirstObserved: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}}}},
		{"resolved", `{"id": "` + under + `", "properties": {"id": "CVE-2023-4911", "status": {"code": "Healthy", "severity": "High"},
			"additionalData": {"assessedResourceType": "ServerVulnerabilityTvm", "cve": [{"title": "CVE-2023-4911"}]}}}`, map[string][]inventory.Vulnerability{}},
		{"another recommendation", `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/servers/db/providers/Microsoft.Security/assessments/82e20e14-edc5-4373-bfc4-f13121257c37/subAssessments/VA2065",
			"properties": {"id": "VA2065", "status": {"code": "Unhealthy", "severity": "High"}, "additionalData": {"assessedResourceType": "SqlServerVulnerability"}}}`, map[string][]inventory.Vulnerability{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sa subAssessment
			if err := json.Unmarshal([]byte(tt.body), &sa); err != nil {
				t.Fatal(err)
			}
			rep := &defenderReport{findings: map[string][]inventory.Vulnerability{}, scanned: map[string]time.Time{}}
			rep.add(sa)
			if diff := cmp.Diff(rep.findings, tt.want); diff != "" {
				t.Errorf("findings (-got +want):\n%s", diff)
			}
		})
	}
	if !slices.Contains(serverVulnerabilityTypes, "ServerVulnerabilityTvm") {
		t.Error("Defender Vulnerability Management findings are not read")
	}
}

// TestDefenderKEV: with the feeds' view of the demo's CVEs, the public
// az-web-1 holds a known exploited CVE (CVE-2024-1086, in CISA KEV); its
// private twin holds only a low one that is not.
func TestDefenderKEV(t *testing.T) {
	res, _ := scan(t, "demo", emulator.Options{}, Options{})
	g := features.NewGraph(res.Resources, res.Gaps)
	day := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	g.SetExploitation(features.Exploitation{KEVDate: day, EPSSDate: day,
		KEV: map[string]feeds.KEVEntry{"CVE-2024-1086": {CVE: "CVE-2024-1086", Vendor: "Linux", Product: "Kernel",
			Name: "Linux Kernel Use-After-Free Vulnerability", DateAdded: time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC)}}})
	if got := features.CVEs(res.Resources); !slices.Contains(got, "CVE-2024-1086") || !slices.Contains(got, "CVE-2024-28085") {
		t.Errorf("CVEs = %v, want the demo's findings", got)
	}
	sigs := features.Detect(g, testNow)
	for _, tt := range []struct {
		vm   string
		want bool
	}{{webVM, true}, {privateVM, false}} {
		sig, ok := signalOf(sigs, tt.vm, "patches.known_exploited_cve")
		if got := ok && !sig.Unknown; got != tt.want {
			t.Errorf("%s known_exploited_cve = %t (%+v), want %t", lastSegment(tt.vm), got, sig, tt.want)
		}
	}
}
