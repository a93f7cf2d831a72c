package features

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/inventory"
)

// feedsOf is a KEV and EPSS view dated the day before now: Log4Shell
// (CVE-2021-44228) is in KEV with known ransomware use; CVE-2023-0001 has
// a high EPSS and is not in KEV; CVE-2020-0002 is neither.
func feedsOf() Exploitation {
	day := now.AddDate(0, 0, -1)
	return Exploitation{
		KEV: map[string]feeds.KEVEntry{"CVE-2021-44228": {CVE: "CVE-2021-44228", DateAdded: time.Date(2021, 12, 10, 0, 0, 0, 0, time.UTC), RansomwareUse: "Known"}},
		EPSS: map[string]feeds.EPSSScore{
			"CVE-2021-44228": {CVE: "CVE-2021-44228", Score: 0.944, Percentile: 0.999},
			"CVE-2023-0001":  {CVE: "CVE-2023-0001", Score: 0.31, Percentile: 0.97},
			"CVE-2020-0002":  {CVE: "CVE-2020-0002", Score: 0.002, Percentile: 0.4},
		},
		KEVDate: day, EPSSDate: day,
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// scanned is i-1 with the scanner's findings.
func scanned(fs ...inventory.Vulnerability) []inventory.Resource {
	r := instance("i-1", nil)
	r.Vulnerabilities = &inventory.Vulnerabilities{Source: inventory.ScannerInspector, Findings: fs}
	return []inventory.Resource{r}
}

func TestVulnerabilitySignals(t *testing.T) {
	log4shell := inventory.Vulnerability{CVE: "CVE-2021-44228", Severity: "critical", CVSS: 10, Package: "log4j-core 2.14.1", FixAvailable: yes()}
	highEPSS := inventory.Vulnerability{CVE: "cve-2023-0001", Severity: "high", CVSS: 8.1, FixAvailable: yes()}
	low := inventory.Vulnerability{CVE: "CVE-2020-0002", Severity: "low", CVSS: 3.1, FixAvailable: no()}
	unreadable := func() []inventory.Resource {
		rs := scanned()
		rs[0].Vulnerabilities.Unknown = true
		return rs
	}
	noFeeds := Exploitation{}
	tests := []struct {
		name   string
		estate []inventory.Resource
		x      Exploitation
		id     inventory.SignalID
		keys   []string
		want   []hit
	}{
		{"KEV CVE with a fix", scanned(low, log4shell), feedsOf(), "patches.known_exploited_cve", []string{"cves", "kev_date_added", "ransomware_use", "fix_available", "scanner"},
			[]hit{{Evidence: map[string]string{"cves": "CVE-2021-44228", "kev_date_added": "2021-12-10", "ransomware_use": "CVE-2021-44228", "fix_available": "yes", "scanner": "aws.inspector2"}}}},
		{"safe twin: only a CVE outside KEV", scanned(low), feedsOf(), "patches.known_exploited_cve", nil, nil},
		{"safe twin: scanned, no findings", scanned(), feedsOf(), "patches.known_exploited_cve", nil, nil},
		{"not scanned at all: nothing to say", []inventory.Resource{instance("i-1", nil)}, feedsOf(), "patches.known_exploited_cve", nil, nil},
		{"findings unreadable: unknown", unreadable(), feedsOf(), "patches.known_exploited_cve", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "aws.inspector2 findings could not be read"}}}},
		{"a read that stopped part-way still shows the KEV CVE it found", func() []inventory.Resource {
			rs := scanned(log4shell)
			rs[0].Vulnerabilities.Unknown = true
			return rs
		}(), feedsOf(), "patches.known_exploited_cve", []string{"cves"}, []hit{{Evidence: map[string]string{"cves": "CVE-2021-44228"}}}},
		{"findings without a CVE id: no feed lists them, nothing unknown", scanned(inventory.Vulnerability{CVE: "ALAS-2024-1"}), noFeeds,
			"patches.known_exploited_cve", nil, nil},
		{"no KEV catalogue in the store: unknown, not safe", scanned(log4shell), noFeeds, "patches.known_exploited_cve", []string{"missing", "cves"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "no KEV catalogue in the store (run posture feeds update)", "cves": "CVE-2021-44228"}}}},

		{"high EPSS outside KEV (ids compared upper-cased)", scanned(highEPSS, low), feedsOf(), "patches.high_epss_cve", []string{"cves", "max_epss"},
			[]hit{{Evidence: map[string]string{"cves": "CVE-2023-0001", "max_epss": "0.310 (CVE-2023-0001)"}}}},
		{"a KEV CVE with a high EPSS is both facts", scanned(log4shell), feedsOf(), "patches.high_epss_cve", []string{"cves"},
			[]hit{{Evidence: map[string]string{"cves": "CVE-2021-44228"}}}},
		{"safe twin: low EPSS", scanned(low), feedsOf(), "patches.high_epss_cve", nil, nil},
		{"no EPSS scores in the store: unknown", scanned(low), noFeeds, "patches.high_epss_cve", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "no EPSS scores in the store (run posture feeds update)"}}}},

		{"critical with a fix", scanned(log4shell, low), noFeeds, "patches.critical_vulnerability", []string{"cves", "max_cvss", "package", "fix_available"},
			[]hit{{Evidence: map[string]string{"cves": "CVE-2021-44228", "max_cvss": "10.0 (CVE-2021-44228)", "package": "log4j-core 2.14.1", "fix_available": "yes"}}}},
		{"critical finding without a CVE id (a scanner's own id) counts", scanned(inventory.Vulnerability{CVE: "QID-38923", Severity: "critical", FixAvailable: yes()}), noFeeds,
			"patches.critical_vulnerability", []string{"cves"}, []hit{{Evidence: map[string]string{"cves": "QID-38923"}}}},
		{"critical without a fix yet: nothing to apply", scanned(inventory.Vulnerability{CVE: "CVE-2024-9999", CVSS: 9.8, FixAvailable: no()}), noFeeds, "patches.critical_vulnerability", nil, nil},
		{"safe twin: high, not critical", scanned(highEPSS), noFeeds, "patches.critical_vulnerability", nil, nil},
		{"findings unreadable: unknown", unreadable(), noFeeds, "patches.critical_vulnerability", nil, []hit{{Unknown: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectWith(t, tt.estate, nil, tt.x, "i-1", tt.id, tt.keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestMissingSecurityPatches(t *testing.T) {
	managed := func(p inventory.PatchCompliance) []inventory.Resource {
		p.Source = "aws.ssm"
		return []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.Patches = &p })}
	}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"missing critical security patches", managed(inventory.PatchCompliance{Missing: 7, CriticalNonCompliant: 2, SecurityNonCompliant: 5}),
			[]hit{{Evidence: map[string]string{"missing_patches": "7", "failed": "0", "critical_non_compliant": "2", "security_non_compliant": "5"}}}},
		{"a failed install counts", managed(inventory.PatchCompliance{Failed: 1}),
			[]hit{{Evidence: map[string]string{"missing_patches": "0", "failed": "1", "critical_non_compliant": "0", "security_non_compliant": "0"}}}},
		{"safe twin: compliant", managed(inventory.PatchCompliance{}), nil},
		{"not managed by a patch manager: nothing reported", []inventory.Resource{instance("i-1", nil)}, nil},
		{"patch state unreadable: unknown", managed(inventory.PatchCompliance{Unknown: true}), []hit{{Unknown: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", "patches.missing_security_patches", []string{"missing_patches", "failed", "critical_non_compliant", "security_non_compliant"})
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestCVEsAndMaxEPSS(t *testing.T) {
	rs := scanned(inventory.Vulnerability{CVE: "cve-2023-0001"}, inventory.Vulnerability{CVE: "CVE-2021-44228"}, inventory.Vulnerability{CVE: "ALAS-2024-1"})
	if diff := cmp.Diff(CVEs(rs), []string{"CVE-2021-44228", "CVE-2023-0001"}); diff != "" {
		t.Errorf("CVEs (-got +want):\n%s", diff)
	}
	g := NewGraph(rs, nil)
	if _, _, known := g.MaxEPSS(g.Resource("i-1")); known {
		t.Error("MaxEPSS known without EPSS scores")
	}
	g.SetExploitation(feedsOf())
	score, cve, known := g.MaxEPSS(g.Resource("i-1"))
	if score != 0.944 || cve != "CVE-2021-44228" || !known {
		t.Errorf("MaxEPSS = %v %s %t, want 0.944 CVE-2021-44228 true", score, cve, known)
	}
}

// TestExtractFindings: a scanned instance's findings, judged by the feeds,
// set the finding columns and clear not_scanned_for_vulnerabilities; an
// unscanned twin sets only that.
func TestExtractFindings(t *testing.T) {
	log4shell := inventory.Vulnerability{CVE: "CVE-2021-44228", Severity: "critical", CVSS: 10, FixAvailable: yes()}
	for _, tt := range []struct {
		name   string
		estate []inventory.Resource
		want   map[string]float64
	}{
		{"exposed, scanned, Log4Shell", replace(publicEstate(), scanned(log4shell)[0]),
			map[string]float64{FInternetExposed: 1, FAdminPortInternet: 1, FKEVCVE: 1, FHighEPSS: 1, FCriticalVuln: 1, FMaxEPSS: 0.944}},
		{"exposed, scanned, nothing found", replace(publicEstate(), scanned()[0]), map[string]float64{FInternetExposed: 1, FAdminPortInternet: 1}},
		{"exposed, not scanned", publicEstate(), map[string]float64{FInternetExposed: 1, FAdminPortInternet: 1, FNotScanned: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph(tt.estate, nil)
			g.SetExploitation(feedsOf())
			var got map[string]float64
			for _, v := range Extract(g, Detect(g, now), now) {
				if v.Resource == "i-1" {
					got = named(v)
					delete(got, FImageAge) // a month old, beside the point

				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("features (-got +want):\n%s", diff)
			}
		})
	}
}
