package features

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/inventory"
)

// Exploitation is what the public feeds say about the CVEs of a snapshot:
// membership of the CISA Known Exploited Vulnerabilities catalogue and the
// FIRST EPSS probability of exploitation activity in the next 30 days. It
// holds only the CVEs the snapshot's findings name (CVEs lists them).
type Exploitation struct {
	KEV  map[string]feeds.KEVEntry
	EPSS map[string]feeds.EPSSScore
	// KEVDate and EPSSDate are the publisher's dates of the stored copies;
	// zero when no copy is stored, and then no CVE can be judged by it.
	KEVDate, EPSSDate time.Time
	// CVEs counts the CVEs looked up: 0 when the snapshot's findings name
	// none, and the feeds did not matter.
	CVEs int
}

// HighEPSS is the EPSS probability from which a CVE counts as likely to be
// exploited within 30 days. 0.1 is the threshold FIRST's own material and
// the EPSS paper (Jacobs et al., 2023) use as an example operating point:
// it flags a few percent of CVEs while covering most exploited ones
// (RATES.md: 76.7 % of KEV CVEs score at least 0.1).
const HighEPSS = 0.1

// CVEs returns the CVE ids of every open finding in rs, sorted and
// unique: what to look up in the feeds.
func CVEs(rs []inventory.Resource) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Vulnerabilities == nil {
			continue
		}
		for _, f := range r.Vulnerabilities.Findings {
			if id := strings.ToUpper(strings.TrimSpace(f.CVE)); feeds.ValidCVE(id) {
				seen[id] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// SetExploitation gives the graph the feeds' view of its CVEs; without
// it, every finding's exploitation is unknown.
func (g *Graph) SetExploitation(x Exploitation) { g.exploits = x }

// vulnKinds are the kinds a scanner reports on.
var vulnKinds = []inventory.Kind{inventory.KindInstance, inventory.KindFunction, inventory.KindCluster}

// scannerMissing returns the Unknown evidence of a resource whose scanner
// findings could not be read, if so.
func scannerMissing(r *inventory.Resource) (map[string]string, bool) {
	v := r.Vulnerabilities
	if v == nil || !v.Unknown {
		return nil, false
	}
	return map[string]string{"missing": v.Source + " findings could not be read", "scanner": v.Source}, true
}

// listSome names at most five ids, then how many more.
func listSome(ids []string) string {
	if len(ids) <= 5 {
		return strings.Join(ids, ",")
	}
	return strings.Join(ids[:5], ",") + fmt.Sprintf(" and %d more", len(ids)-5)
}

// fixText says whether the scanner offers a fix for every, some or none
// of the findings.
func fixText(fs []inventory.Vulnerability) string {
	yes, known := 0, 0
	for _, f := range fs {
		if f.FixAvailable != nil {
			known++
			if *f.FixAvailable {
				yes++
			}
		}
	}
	switch {
	case known == 0:
		return "unknown"
	case yes == len(fs):
		return "yes"
	case yes == 0 && known == len(fs):
		return "no"
	}
	return fmt.Sprintf("for %d of %d", yes, len(fs))
}

// byCVE groups a resource's open findings by upper-cased CVE id, keeping
// the first of each, in id order. Findings without a CVE id (a GHSA, ALAS
// or scanner id) are left out: no feed lists them.
func byCVE(v *inventory.Vulnerabilities) []inventory.Vulnerability {
	var out []inventory.Vulnerability
	for _, f := range findings(v) {
		if feeds.ValidCVE(f.CVE) {
			out = append(out, f)
		}
	}
	return out
}

// KEVFindings returns the resource's open findings whose CVE is in the
// KEV catalogue, and whether the catalogue was there to ask.
func (g *Graph) KEVFindings(r *inventory.Resource) (hits []inventory.Vulnerability, known bool) {
	if g.exploits.KEVDate.IsZero() {
		return nil, false
	}
	for _, f := range byCVE(r.Vulnerabilities) {
		if _, ok := g.exploits.KEV[f.CVE]; ok {
			hits = append(hits, f)
		}
	}
	return hits, true
}

// MaxEPSS returns the highest EPSS probability among the resource's open
// findings, the CVE that has it, and whether scores were there to ask (a
// resource without findings is known: 0).
func (g *Graph) MaxEPSS(r *inventory.Resource) (score float64, cve string, known bool) {
	fs := byCVE(r.Vulnerabilities)
	if len(fs) == 0 {
		return 0, "", true
	}
	if g.exploits.EPSSDate.IsZero() {
		return 0, "", false
	}
	for _, f := range fs {
		if s, ok := g.exploits.EPSS[f.CVE]; ok && s.Score > score {
			score, cve = s.Score, f.CVE
		}
	}
	return score, cve, true
}

func knownExploitedCVE() Detector {
	d := Detector{
		ID: "patches.known_exploited_cve", Pillar: inventory.Patches, Severity: inventory.SevCritical,
		Title: "Carries a vulnerability CISA lists as exploited in the wild (KEV)",
		Fix:   "aws.ssm.run_patch_baseline",
		Kinds: vulnKinds,
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		// The findings read are judged first: a scanner read that stopped
		// part-way still shows what it found; only finding nothing is
		// unknown then.
		fs := byCVE(r.Vulnerabilities)
		missing, partial := scannerMissing(r)
		if len(fs) == 0 {
			if partial {
				return []inventory.Signal{d.unknown(r, missing)}
			}
			return nil
		}
		hits, known := g.KEVFindings(r)
		if !known {
			return []inventory.Signal{d.unknown(r, map[string]string{
				"missing": "no KEV catalogue in the store (run posture feeds update)",
				"cves":    listSome(cveIDs(fs)),
			})}
		}
		if len(hits) == 0 {
			if partial {
				return []inventory.Signal{d.unknown(r, missing)}
			}
			return nil
		}
		ev := map[string]string{
			"cves":          listSome(cveIDs(hits)),
			"scanner":       r.Vulnerabilities.Source,
			"fix_available": fixText(hits),
			"kev_catalogue": day(g.exploits.KEVDate),
		}
		first := time.Time{}
		var ransomware []string
		for _, h := range hits {
			e := g.exploits.KEV[h.CVE]
			if first.IsZero() || e.DateAdded.Before(first) {
				first = e.DateAdded
			}
			if e.KnownRansomware() {
				ransomware = append(ransomware, h.CVE)
			}
		}
		if !first.IsZero() {
			ev["kev_date_added"] = day(first)
		}
		if len(ransomware) > 0 {
			ev["ransomware_use"] = listSome(ransomware)
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func cveIDs(fs []inventory.Vulnerability) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.CVE
	}
	return out
}

func highEPSSCVE() Detector {
	d := Detector{
		ID: "patches.high_epss_cve", Pillar: inventory.Patches, Severity: inventory.SevHigh,
		Title: fmt.Sprintf("Carries a vulnerability with EPSS ≥ %.2f (likely exploited within 30 days)", HighEPSS),
		Fix:   "aws.ssm.run_patch_baseline",
		Kinds: vulnKinds,
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		fs := byCVE(r.Vulnerabilities)
		if len(fs) == 0 {
			return nil
		}
		if g.exploits.EPSSDate.IsZero() {
			return []inventory.Signal{d.unknown(r, map[string]string{
				"missing": "no EPSS scores in the store (run posture feeds update)",
				"cves":    listSome(cveIDs(fs)),
			})}
		}
		var hits []string
		best, bestCVE := 0.0, ""
		for _, f := range fs {
			s, ok := g.exploits.EPSS[f.CVE]
			if !ok || s.Score < HighEPSS {
				continue
			}
			hits = append(hits, f.CVE)
			if s.Score > best {
				best, bestCVE = s.Score, f.CVE
			}
		}
		if len(hits) == 0 {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{
			"cves":       listSome(hits),
			"max_epss":   fmt.Sprintf("%.3f (%s)", best, bestCVE),
			"percentile": fmt.Sprintf("%.3f", g.exploits.EPSS[bestCVE].Percentile),
			"scanner":    r.Vulnerabilities.Source,
			"epss_date":  day(g.exploits.EPSSDate),
		})}
	}
	return d
}

// findings are a resource's open findings by id (CVE or the scanner's
// own), the first of each, in id order.
func findings(v *inventory.Vulnerabilities) []inventory.Vulnerability {
	if v == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []inventory.Vulnerability
	for _, f := range v.Findings {
		f.CVE = strings.ToUpper(strings.TrimSpace(f.CVE))
		if !seen[f.CVE] {
			seen[f.CVE] = true
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CVE < out[j].CVE })
	return out
}

// criticalSeverity reports whether the scanner rates a finding critical:
// its severity says so, or its CVSS base score is 9.0 or more.
func criticalSeverity(f inventory.Vulnerability) bool {
	return strings.EqualFold(f.Severity, "critical") || f.CVSS >= 9
}

func criticalVulnerability() Detector {
	d := Detector{
		ID: "patches.critical_vulnerability", Pillar: inventory.Patches, Severity: inventory.SevHigh,
		Title: "Carries a critical vulnerability (CVSS ≥ 9.0 or rated critical) with a fix available",
		Fix:   "aws.ssm.run_patch_baseline",
		Kinds: vulnKinds,
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		var hits []inventory.Vulnerability
		for _, f := range findings(r.Vulnerabilities) {
			// No fix yet is another matter: nothing to apply.
			if criticalSeverity(f) && (f.FixAvailable == nil || *f.FixAvailable) {
				hits = append(hits, f)
			}
		}
		if len(hits) == 0 {
			if ev, ok := scannerMissing(r); ok {
				return []inventory.Signal{d.unknown(r, ev)}
			}
			return nil
		}
		top := slices.MaxFunc(hits, func(a, b inventory.Vulnerability) int {
			if a.CVSS != b.CVSS {
				if a.CVSS < b.CVSS {
					return -1
				}
				return 1
			}
			return strings.Compare(b.CVE, a.CVE)
		})
		ev := map[string]string{
			"cves":          listSome(cveIDs(hits)),
			"scanner":       r.Vulnerabilities.Source,
			"fix_available": fixText(hits),
		}
		if top.CVSS > 0 {
			ev["max_cvss"] = fmt.Sprintf("%.1f (%s)", top.CVSS, top.CVE)
		}
		if top.Package != "" {
			ev["package"] = top.Package
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func missingSecurityPatches() Detector {
	d := Detector{
		ID: "patches.missing_security_patches", Pillar: inventory.Patches, Severity: inventory.SevMedium,
		Title: "The patch manager reports missing or failed patches",
		Fix:   "aws.ssm.run_patch_baseline",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if r.Instance == nil || r.Instance.Patches == nil {
			return nil // not managed by a patch manager: nothing reported
		}
		p := r.Instance.Patches
		if p.Unknown {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": p.Source + " patch state could not be read"})}
		}
		if p.Missing+p.Failed == 0 {
			return nil
		}
		ev := map[string]string{
			"missing_patches":        itoa(p.Missing),
			"failed":                 itoa(p.Failed),
			"critical_non_compliant": itoa(p.CriticalNonCompliant),
			"security_non_compliant": itoa(p.SecurityNonCompliant),
			"source":                 p.Source,
		}
		if !p.ScannedAt.IsZero() {
			ev["scanned"] = day(p.ScannedAt)
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}
