package model

import (
	"context"
	"fmt"
	"time"

	"github.com/posture-dev/posture/features"
)

// DefaultRows is how many bootstrap rows TrainDefault draws.
const DefaultRows = 200000

// DefaultFocus is how many SimulateFocus rows TrainDefault adds to its
// training split.
const DefaultFocus = 20000

// FocusAssumptions says what the focus rows are and why they do not bias
// the model.
const FocusAssumptions = "Training also sees 20,000 focus rows (SimulateFocus): exposed, scanned instances with CVSS ≥ 7 CVEs, drawn as any instance otherwise and with no gap, so that the rare region where a CVE's EPSS decides the risk (about 1 natural row in 2,000) is seen often enough to learn. Every fact that sets their p is in their features, so showing such vectors more often leaves the soft target of each vector as it was; validation, test and the comparison with the baselines use natural rows only."

// DefaultHoldout is the share of simulated rows, whole estates, that
// TrainDefault keeps out of training altogether for the card's comparison
// with the baselines (Train holds out its own validation and test estates
// from the rest).
const DefaultHoldout = 0.15

// defaultData draws the shipped model's rows and splits off the held-out
// estates: the same seed, the same split.
func defaultData(seed int64) (train, held Dataset, err error) {
	d, err := Simulate(DefaultRows, seed)
	if err != nil {
		return train, held, fmt.Errorf("simulate training data: %w", err)
	}
	return SplitByGroup(d, DefaultHoldout, seed)
}

// TrainDefault trains the shipped model: DefaultRows resources drawn in
// estates by the simulator with seed (Simulate), less the held-out
// estates, trained with the same seed on their soft targets — the
// simulator's compromise probability p of each row, not one Bernoulli
// draw of it — as a monotone MLP (non-negative weights: a fix never raises
// a risk), splitting validation and test by estate. now stamps the
// provenance (nil for time.Now).
func TrainDefault(ctx context.Context, seed int64, now func() time.Time) (*Model, error) {
	train, _, err := defaultData(seed)
	if err != nil {
		return nil, err
	}
	focus, err := SimulateFocus(DefaultFocus, seed)
	if err != nil {
		return nil, err
	}
	m, err := TrainDataset(ctx, train, TrainOptions{
		Seed:        seed,
		Now:         now,
		Kind:        KindMLP,
		NonNegative: true,
		Extra:       focus,
		Provenance: Provenance{
			Source:  SimulatorSource,
			Command: fmt.Sprintf("model.TrainDefault(ctx, %d) (go test ./model -run TestShippedModel -update-model)", seed),
			Notes:   "Synthetic data only, not trained on real incidents. " + BootstrapAssumptions + " " + EstateAssumptions + " " + FocusAssumptions,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("train on simulated estates: %w", err)
	}
	return m, nil
}

// DefaultComparison evaluates m and the baselines on the estates
// TrainDefault held out for seed.
func DefaultComparison(m *Model, seed int64) (Comparison, error) {
	_, held, err := defaultData(seed)
	if err != nil {
		return Comparison{}, err
	}
	base, err := Baselines(features.Current)
	if err != nil {
		return Comparison{}, err
	}
	return Compare(append([]Scorer{ModelScorer(m, "posture model")}, base...), held, EvalOptions{Seed: seed})
}
