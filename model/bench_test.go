package model

import (
	"context"
	"testing"
	"time"
)

// predictRows is how many resources one op of BenchmarkPredict scores.
const predictRows = 1_000_000

// BenchmarkPredict scores 1,000,000 simulated resources per op (the
// calibrated risk, Model.Predict, one row at a time on one goroutine) with
// a logistic regression and a monotone MLP, each trained on 20,000 other
// simulated rows; resources/s is the scoring throughput of each kind.
func BenchmarkPredict(b *testing.B) {
	ctx := context.Background()
	score, err := Simulate(predictRows, 1)
	if err != nil {
		b.Fatal(err)
	}
	train, err := Simulate(20_000, 2)
	if err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		kind string
	}{
		{"LR", KindLogReg},
		{"MLP", KindMLP},
	} {
		m, err := TrainDataset(ctx, train, TrainOptions{Kind: tc.kind, NonNegative: true, Seed: 1, Now: now})
		if err != nil {
			b.Fatalf("train %s on %d simulated rows: %v", tc.kind, train.Len(), err)
		}
		b.Run(tc.name, func(b *testing.B) {
			var sum float64
			for b.Loop() {
				for _, x := range score.X {
					sum += m.Predict(x)
				}
			}
			if !(sum > 0) {
				b.Fatalf("sum of risks over %d rows is %v, want > 0", score.Len(), sum)
			}
			b.ReportMetric(float64(score.Len())*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
		})
	}
}
