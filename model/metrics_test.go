package model

import (
	"math"
	"testing"
)

func TestMetricsHandComputed(t *testing.T) {
	tests := []struct {
		name           string
		scores, labels []float64
		roc, pr, brier float64
	}{
		{
			name:   "perfect",
			scores: []float64{0.9, 0.8, 0.2, 0.1},
			labels: []float64{1, 1, 0, 0},
			// every positive above every negative; AP = 1;
			// Brier = (0.01+0.04+0.04+0.01)/4
			roc: 1, pr: 1, brier: 0.025,
		},
		{
			name:   "one inversion",
			scores: []float64{0.9, 0.6, 0.7, 0.1},
			labels: []float64{1, 1, 0, 0},
			// pairs (pos,neg): (.9,.7) (.9,.1) (.6,.7)✗ (.6,.1) → 3/4.
			// ranked .9+ .7- .6+ .1-: AP = ½·1 + ½·⅔ = 5/6.
			// Brier = (.01+.16+.49+.01)/4
			roc: 0.75, pr: 5.0 / 6, brier: 0.1675,
		},
		{
			name:   "all tied",
			scores: []float64{0.5, 0.5, 0.5, 0.5},
			labels: []float64{1, 0, 0, 0},
			// ties count ½; one threshold with precision ¼.
			roc: 0.5, pr: 0.25, brier: (0.25 + 3*0.25) / 4,
		},
		{
			name:   "reversed",
			scores: []float64{0.1, 0.9, 0.8},
			labels: []float64{1, 0, 0},
			// .9- .8- .1+: AP = 1·⅓.
			roc: 0, pr: 1.0 / 3, brier: (0.81 + 0.81 + 0.64) / 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range []struct {
				name string
				fn   func(a, b []float64) (float64, error)
				want float64
			}{{"roc-auc", ROCAUC, tt.roc}, {"pr-auc", PRAUC, tt.pr}, {"brier", Brier, tt.brier}} {
				got, err := m.fn(tt.scores, tt.labels)
				if err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				if math.Abs(got-m.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", m.name, got, m.want)
				}
			}
		})
	}
}

func TestRecallAtPrecision(t *testing.T) {
	// ranked .9+ .8+ .7- .6+ .5-: precision 1 up to recall ⅔, ¾ at recall 1.
	scores := []float64{0.9, 0.8, 0.7, 0.6, 0.5}
	labels := []float64{1, 1, 0, 1, 0}
	for _, tt := range []struct{ minP, want float64 }{{1, 2.0 / 3}, {0.75, 1}, {0.5, 1}} {
		got, err := RecallAtPrecision(scores, labels, tt.minP)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("recall at precision %v = %v, want %v", tt.minP, got, tt.want)
		}
	}
}

func TestMetricsErrors(t *testing.T) {
	if _, err := ROCAUC([]float64{0.1, 0.2}, []float64{1, 1}); err == nil {
		t.Error("ROCAUC with one class succeeded")
	}
	if _, err := PRAUC([]float64{0.1, 0.2}, []float64{0, 0}); err == nil {
		t.Error("PRAUC without positives succeeded")
	}
	if _, err := Brier([]float64{0.1}, []float64{1, 0}); err == nil {
		t.Error("Brier with mismatched lengths succeeded")
	}
	if _, err := Brier(nil, nil); err == nil {
		t.Error("Brier with no rows succeeded")
	}
}
