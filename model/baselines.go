package model

import (
	"fmt"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
)

// Baseline names, as the card and posture model eval print them.
const (
	BaselineCount    = "count of failed checks"
	BaselineSeverity = "worst signal severity"
	BaselineExposed  = "internet-exposed and any critical signal"
)

// severityRank orders detector severities: low 1 … critical 4.
var severityRank = map[inventory.Severity]float64{
	inventory.SevLow: 1, inventory.SevMedium: 2, inventory.SevHigh: 3, inventory.SevCritical: 4,
}

// Baselines are the rules a security engineer would rank by without a
// model, scored from the same feature vectors (in schema s's order): the
// number of signals set, the worst severity among them, and whether the
// resource is internet-exposed with a critical signal. Ties in the last
// two are broken by the count. Only binary features a signal sets count
// (Feature.Signal, never unknown_data or scope_gap); a feature counts as
// set when its value is above 0.5. Severities are the detectors'
// (features.Catalogue).
func Baselines(s features.Schema) ([]Scorer, error) {
	sev := map[inventory.SignalID]inventory.Severity{}
	for _, d := range features.Catalogue() {
		sev[d.ID] = d.Severity
	}
	type signalCol struct {
		col      int
		severity float64
	}
	var cols []signalCol
	for j, f := range s.Features {
		if f.Signal == "" || f.Unit != "0/1" || f.Name == features.FUnknownData || f.Name == features.FScopeGap {
			continue
		}
		r, ok := severityRank[sev[f.Signal]]
		if !ok {
			return nil, fmt.Errorf("baselines: feature %q is set by signal %q, which has no detector with a known severity (%q) in features.Catalogue", f.Name, f.Signal, sev[f.Signal])
		}
		cols = append(cols, signalCol{j, r})
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("baselines: schema %s has no binary feature a signal sets", s.Version)
	}
	exposed := s.Index(features.FInternetExposed)
	if exposed < 0 {
		return nil, fmt.Errorf("baselines: schema %s has no %s feature", s.Version, features.FInternetExposed)
	}
	// A count is at most len(cols), so tier·base + count orders by tier
	// first and breaks its ties by the count.
	base := float64(len(cols) + 1)
	count := func(x []float64) (n, worst float64) {
		for _, c := range cols {
			if x[c.col] > 0.5 {
				n++
				worst = max(worst, c.severity)
			}
		}
		return n, worst
	}
	return []Scorer{
		{
			Name: BaselineCount,
			Rule: "the number of signals set (binary features a signal sets)",
			Score: func(x []float64) float64 {
				n, _ := count(x)
				return n
			},
		},
		{
			Name: BaselineSeverity,
			Rule: "the highest detector severity among the signals set (low 1, medium 2, high 3, critical 4; none 0), ties broken by the count",
			Score: func(x []float64) float64 {
				n, worst := count(x)
				return worst*base + n
			},
		},
		{
			Name: BaselineExposed,
			Rule: "1 when internet_exposed is set and a critical-severity signal is, else 0, ties broken by the count",
			Score: func(x []float64) float64 {
				n, worst := count(x)
				flag := 0.0
				if x[exposed] > 0.5 && worst == severityRank[inventory.SevCritical] {
					flag = 1
				}
				return flag*base + n
			},
		},
	}, nil
}
