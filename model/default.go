package model

import (
	"context"
	"fmt"
	"time"
)

// DefaultRows is how many bootstrap rows TrainDefault draws.
const DefaultRows = 200000

// TrainDefault trains the shipped model: DefaultRows bootstrap rows drawn
// with seed, trained with the same seed on their soft targets, the
// simulator's compromise probability p of each row (BootstrapP), not on
// one Bernoulli draw of it. now stamps the provenance (nil for time.Now).
func TrainDefault(ctx context.Context, seed int64, now func() time.Time) (*Model, error) {
	X, p, err := BootstrapP(DefaultRows, seed)
	if err != nil {
		return nil, fmt.Errorf("bootstrap training data: %w", err)
	}
	m, err := Train(ctx, X, p, TrainOptions{
		Seed:        seed,
		Now:         now,
		NonNegative: true,
		Provenance: Provenance{
			Source:  BootstrapSource,
			Command: fmt.Sprintf("model.TrainDefault(ctx, %d) (go test ./model -run TestShippedModel -update-model)", seed),
			Notes:   "Synthetic data only, not trained on real incidents. " + BootstrapAssumptions,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("train on bootstrap data: %w", err)
	}
	return m, nil
}
