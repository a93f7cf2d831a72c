package assess

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

// scenario is one named attack path and its safe twin (testdata/scenarios):
// a small estate, and the two resources the shipped model must rank in
// order.
type scenario struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Resources   []inventory.Resource `json:"resources"`
	Riskier     string               `json:"riskier"`
	Safer       string               `json:"safer"`
	// RiskierSignals must be detected (not unknown) on Riskier: the
	// fixture proves it builds the path it names.
	RiskierSignals []inventory.SignalID `json:"riskier_signals"`
	// NeedsFeeds: the scenario's findings are judged with the KEV and
	// EPSS rows of scenarioFeeds.
	NeedsFeeds bool `json:"needs_feeds"`
}

// scenarioFeeds are the published KEV and EPSS facts of the scenarios'
// CVEs (CVE-2024-1086: in KEV since 2024-05-30, EPSS 0.28058 on
// 2026-08-22, data/kev_epss_cvss.csv).
var scenarioFeeds = features.Exploitation{
	KEV:      map[string]feeds.KEVEntry{"CVE-2024-1086": {CVE: "CVE-2024-1086", DateAdded: time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC), RansomwareUse: "Known"}},
	EPSS:     map[string]feeds.EPSSScore{"CVE-2024-1086": {CVE: "CVE-2024-1086", Score: 0.28058, Percentile: 0.97955}},
	KEVDate:  time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
	EPSSDate: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
}

// TestScenarios runs every named scenario through the whole assessment
// with the shipped model: the attack path must outrank its safe twin, so a
// model or feature change that breaks a well-known ordering fails CI.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata/scenarios: %v", err)
	}
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var sc scenario
			if err := json.Unmarshal(b, &sc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var o Options
			if sc.NeedsFeeds {
				o.Exploitation = scenarioFeeds
			}
			res, err := RunWith(sc.Resources, nil, m, now, o)
			if err != nil {
				t.Fatal(err)
			}
			risk := map[string]float64{}
			unknown := map[string]bool{}
			found := map[inventory.SignalID]bool{}
			for _, a := range res.Assessments {
				risk[a.Resource.ID] = a.Risk
				for _, s := range a.Signals {
					unknown[a.Resource.ID] = unknown[a.Resource.ID] || s.Unknown
					if a.Resource.ID == sc.Riskier && !s.Unknown {
						found[s.ID] = true
					}
				}
			}
			for _, id := range sc.RiskierSignals {
				if !found[id] {
					t.Errorf("%s: %s lacks signal %s: the fixture does not build the path it names", sc.Name, sc.Riskier, id)
				}
			}
			for _, id := range []string{sc.Riskier, sc.Safer} {
				if _, ok := risk[id]; !ok {
					t.Fatalf("%s: %s was not scored", sc.Name, id)
				}
				if unknown[id] {
					t.Errorf("%s: %s has unknown signals; a scenario must be fully known", sc.Name, id)
				}
			}
			if risk[sc.Riskier] <= risk[sc.Safer] {
				t.Errorf("%s (%s): %s scores %.4f, its safe twin %s %.4f: want the attack path higher",
					sc.Name, sc.Description, sc.Riskier, risk[sc.Riskier], sc.Safer, risk[sc.Safer])
			}
			t.Logf("%s: %.4f > %.4f", sc.Name, risk[sc.Riskier], risk[sc.Safer])
		})
	}
}
