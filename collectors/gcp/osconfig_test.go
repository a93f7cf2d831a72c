package gcp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/inventory"
)

const (
	appLB       = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-b/instances/gce-app-lb-1"
	appInternal = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/gce-app-internal-1"
	batchEU     = "//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/instances/gce-batch-eu"
)

func TestVulnerabilityReport(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		in   *osconfig.VulnerabilityReportVulnerability
		want inventory.Vulnerability
	}{
		{"cvss v3, installed and available ids",
			&osconfig.VulnerabilityReportVulnerability{
				Details:                   &osconfig.VulnerabilityReportVulnerabilityDetails{Cve: "CVE-2021-4034", Severity: "HIGH", CvssV2Score: 7.2, CvssV3: &osconfig.CVSSv3{BaseScore: 7.8}},
				InstalledInventoryItemIds: []string{"installedPackage-policykit-1:x86_64:0.105-18+deb9u1"},
				AvailableInventoryItemIds: []string{"availablePackage-policykit-1:x86_64:0.105-18+deb9u2"},
				CreateTime:                "2026-09-02T06:12:00.123Z"},
			inventory.Vulnerability{CVE: "CVE-2021-4034", Severity: "high", CVSS: 7.8, Package: "policykit-1 0.105-18+deb9u1", FixAvailable: &yes,
				FirstObserved: time.Date(2026, 9, 2, 6, 12, 0, 123e6, time.UTC)}},
		{"cvss v2 only, items, an epoch in the version",
			&osconfig.VulnerabilityReportVulnerability{
				Details: &osconfig.VulnerabilityReportVulnerabilityDetails{Cve: "CVE-2024-28085", Severity: "MINIMAL", CvssV2Score: 2.1},
				Items:   []*osconfig.VulnerabilityReportVulnerabilityItem{{InstalledInventoryItemId: "installedPackage-bsdutils:x86_64:1:2.38.1-5+b1", UpstreamFix: "2.40"}}},
			inventory.Vulnerability{CVE: "CVE-2024-28085", Severity: "informational", CVSS: 2.1, Package: "bsdutils 1:2.38.1-5+b1", FixAvailable: &no}},
		{"fix in items, no installed id, no severity",
			&osconfig.VulnerabilityReportVulnerability{
				Details: &osconfig.VulnerabilityReportVulnerabilityDetails{Cve: "CVE-2023-0001"},
				Items:   []*osconfig.VulnerabilityReportVulnerabilityItem{{AvailableInventoryItemId: "availablePackage-KB5034441"}}},
			inventory.Vulnerability{CVE: "CVE-2023-0001", Severity: "untriaged", Package: "KB5034441", FixAvailable: &yes}},
		{"no details",
			&osconfig.VulnerabilityReportVulnerability{InstalledInventoryItemIds: []string{"some-opaque-id"}},
			inventory.Vulnerability{Severity: "untriaged", Package: "some-opaque-id", FixAvailable: &no}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vulnerabilityReport(&osconfig.VulnerabilityReport{UpdateTime: "2026-10-31T06:12:00Z",
				Vulnerabilities: []*osconfig.VulnerabilityReportVulnerability{tt.in}})
			if v.Source != inventory.ScannerOSConfig || !v.ScannedAt.Equal(time.Date(2026, 10, 31, 6, 12, 0, 0, time.UTC)) || len(v.Findings) != 1 {
				t.Fatalf("got %+v", v)
			}
			if diff := cmp.Diff(v.Findings[0], tt.want); diff != "" {
				t.Errorf("finding (-got +want):\n%s", diff)
			}
		})
	}
}

// TestOSConfigDemo: the demo's public gce-web-1 carries a CISA KEV CVE
// with a fix, its private twin one low-severity CVE, gce-app-lb-1 a
// report without findings (scanned, clean), and gce-batch-eu, with no
// report, no Vulnerabilities (not scanned). Each zone of the project's
// instances is listed, every page.
func TestOSConfigDemo(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{PageSize: 1}, Options{Projects: demoProjects})
	// us-central1-a: 2 reports (2 pages); us-central1-b: 1; europe-west1-b: none (1).
	if got := srv.Requests("osconfig", osconfigList); got != 4 {
		t.Errorf("%s: %d requests, want 4 pages over 3 zones", osconfigList, got)
	}
	cves := func(id string) []string {
		v := find(t, res.Resources, id).Vulnerabilities
		if v == nil {
			return nil
		}
		out := []string{}
		for _, f := range v.Findings {
			out = append(out, f.CVE+" "+f.Severity)
		}
		return out
	}
	for id, want := range map[string][]string{
		web1:        {"CVE-2021-4034 high", "CVE-2024-2961 high"},
		web2:        {"CVE-2024-28085 low"},
		appLB:       {},
		appInternal: nil,
		batchEU:     nil,
	} {
		if diff := cmp.Diff(cves(id), want); diff != "" {
			t.Errorf("%s (-got +want):\n%s", id, diff)
		}
	}
	for _, g := range res.Gaps {
		if g.Service == "osconfig" {
			t.Errorf("unexpected gap %s", g)
		}
	}

	// With the feeds: gce-web-1's polkit CVE (PwnKit) is in CISA KEV, its
	// twin's util-linux CVE is not.
	g := features.NewGraph(res.Resources, res.Gaps)
	day := testNow.AddDate(0, 0, -1)
	g.SetExploitation(features.Exploitation{
		KEV:     map[string]feeds.KEVEntry{"CVE-2021-4034": {CVE: "CVE-2021-4034", DateAdded: time.Date(2022, 6, 27, 0, 0, 0, 0, time.UTC), RansomwareUse: "Unknown"}},
		EPSS:    map[string]feeds.EPSSScore{"CVE-2021-4034": {CVE: "CVE-2021-4034", Score: 0.94921, Percentile: 0.99855}},
		KEVDate: day, EPSSDate: day,
	})
	sigs := features.Detect(g, testNow)
	kev := func(id string) bool {
		for _, s := range sigs[id] {
			if s.ID == "patches.known_exploited_cve" && !s.Unknown {
				return true
			}
		}
		return false
	}
	if !kev(web1) || kev(web2) || kev(appLB) {
		t.Errorf("known_exploited_cve: gce-web-1 %t, gce-web-2-private %t, gce-app-lb-1 %t; want only gce-web-1", kev(web1), kev(web2), kev(appLB))
	}
}

// TestOSConfigFailures: the API not enabled is one gap and no
// Vulnerabilities; denied is one gap and the project's instances Unknown;
// throttling is retried, and a zone throttled past retries is a gap of
// that zone with its instances Unknown. The rest of the scan completes and
// the detectors run over it.
func TestOSConfigFailures(t *testing.T) {
	type state struct {
		findings int
		unknown  bool
		none     bool
	}
	tests := []struct {
		name     string
		faults   []emulator.Fault
		attempts int
		gaps     []string // "reason region"
		want     map[string]state
	}{
		{"not enabled", []emulator.Fault{{Service: "osconfig", Kind: emulator.FaultOptIn}}, 0,
			[]string{"region_disabled "},
			map[string]state{web1: {none: true}, web2: {none: true}, appLB: {none: true}}},
		{"denied", []emulator.Fault{{Service: "osconfig", Kind: emulator.FaultDenied}}, 0,
			[]string{"access_denied "},
			map[string]state{web1: {unknown: true}, web2: {unknown: true}, appLB: {unknown: true}, batchEU: {unknown: true}}},
		{"throttled then served", []emulator.Fault{{Service: "osconfig", Kind: emulator.FaultThrottle, Times: 2}}, 0,
			nil,
			map[string]state{web1: {findings: 2}, web2: {findings: 1}, appLB: {}, batchEU: {none: true}}},
		{"one zone throttled past retries", []emulator.Fault{{Service: "osconfig", Region: "us-central1-a", Kind: emulator.FaultThrottle}}, 2,
			[]string{"throttled us-central1-a"},
			map[string]state{web1: {unknown: true}, web2: {unknown: true}, appLB: {}, batchEU: {none: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, "demo", emulator.Options{Faults: tt.faults}, Options{Projects: []string{"acme-prod"}, MaxAttempts: tt.attempts})
			var gaps []string
			for _, g := range res.Gaps {
				if g.Service != "osconfig" || g.Operation != osconfigList || g.Account != "acme-prod" {
					t.Errorf("unexpected gap %s", g)
					continue
				}
				gaps = append(gaps, string(g.Reason)+" "+g.Region)
				if g.Reason == inventory.GapRegionDisabled && !strings.Contains(g.Message, "not enabled") {
					t.Errorf("gap %s: want it said that the API is not enabled", g)
				}
			}
			if diff := cmp.Diff(gaps, tt.gaps); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			for id, want := range tt.want {
				v := find(t, res.Resources, id).Vulnerabilities
				got := state{none: v == nil}
				if v != nil {
					got = state{findings: len(v.Findings), unknown: v.Unknown}
					if v.Source != inventory.ScannerOSConfig {
						t.Errorf("%s: source %q", id, v.Source)
					}
				}
				if got != want {
					t.Errorf("%s: got %+v, want %+v", id, got, want)
				}
			}
			find(t, res.Resources, "//compute.googleapis.com/projects/acme-prod/regions/us-central1/forwardingRules/web-nlb")
			features.Detect(features.NewGraph(res.Resources, res.Gaps), testNow)
		})
	}
}

// TestOSConfigNames: a report may name its instance by name rather than
// by numeric id, and its project by id; a report on an instance not
// collected is dropped.
func TestOSConfigNames(t *testing.T) {
	dir := demoWith(t, func(s string) string { return s })
	reports := `{"project_id": "acme-prod", "vulnerability_reports": [
  {"name": "projects/acme-prod/locations/us-central1-a/instances/gce-web-2-private/vulnerabilityReport", "updateTime": "2026-10-30T00:00:00Z",
   "vulnerabilities": [{"details": {"cve": "CVE-2023-4911", "severity": "HIGH", "cvssV3": {"baseScore": 7.8}}, "installedInventoryItemIds": ["installedPackage-libc6:x86_64:2.36-9"]}]},
  {"name": "projects/123456789012/locations/us-central1-a/instances/9999999999999999999/vulnerabilityReport", "updateTime": "2026-10-30T00:00:00Z",
   "vulnerabilities": [{"details": {"cve": "CVE-2021-44228", "severity": "CRITICAL"}}]}
]}`
	if err := os.WriteFile(filepath.Join(dir, "gcp", "osconfig", "acme-prod.json"), []byte(reports), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := scanEstate(t, dir, emulator.Options{}, Options{Projects: []string{"acme-prod"}})
	v := find(t, res.Resources, web2).Vulnerabilities
	if v == nil || len(v.Findings) != 1 || v.Findings[0].CVE != "CVE-2023-4911" {
		t.Errorf("gce-web-2-private: %+v, want CVE-2023-4911", v)
	}
	for _, r := range res.Resources {
		if r.Vulnerabilities != nil && r.ID != web2 {
			t.Errorf("%s: %+v, want no report", r.ID, r.Vulnerabilities)
		}
	}
}
