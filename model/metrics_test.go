package model

import (
	"math"
	"slices"
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

func TestMetricsWithTies(t *testing.T) {
	// Three tie groups, highest first: {2: +}, {1: + − − −}, {0: + − − − −}.
	// 3 positives, 7 negatives.
	scores := []float64{2, 1, 1, 1, 1, 0, 0, 0, 0, 0}
	labels := []float64{1, 1, 0, 0, 0, 1, 0, 0, 0, 0}
	// ROC: the top positive beats all 7 negatives; the one scored 1 beats
	// the 4 below and ties 3 (½ each); the one scored 0 ties 4.
	// (7 + 4 + 1.5 + 2) / 21.
	if got, err := ROCAUC(scores, labels); err != nil || math.Abs(got-14.5/21) > 1e-12 {
		t.Errorf("ROCAUC = %v, %v; want %v", got, err, 14.5/21)
	}
	// AP: thresholds after each group: precision 1, 2/5, 3/10 at recall
	// ⅓, ⅔, 1: (1 + 0.4 + 0.3)/3.
	if got, err := PRAUC(scores, labels); err != nil || math.Abs(got-1.7/3) > 1e-12 {
		t.Errorf("PRAUC = %v, %v; want %v", got, err, 1.7/3)
	}
	for _, tt := range []struct{ minP, want float64 }{{0.5, 1.0 / 3}, {0.4, 2.0 / 3}, {0.3, 1}, {1.01, 0}} {
		if got, err := RecallAtPrecision(scores, labels, tt.minP); err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("recall at precision %v = %v, %v; want %v", tt.minP, got, err, tt.want)
		}
	}
	// Coverage: 3 rows flag the top one and 2 of the 4 tied at 1, which
	// catch ½ of its positive on average: 1.5/3.
	for _, tt := range []struct{ effort, want float64 }{
		{0, 0}, {0.1, 1.0 / 3}, {0.3, 0.5}, {0.5, 2.0 / 3}, {0.75, (2 + 0.5) / 3}, {1, 1}, {1.5, 1},
	} {
		if got, err := CoverageAtEffort(scores, labels, tt.effort); err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("coverage at effort %v = %v, %v; want %v", tt.effort, got, err, tt.want)
		}
	}
	// Effort: coverage ½ needs 1.5 positives, half of the tie at 1 (2 of
	// its 4 rows) after the top row; 0.9 needs 0.7 of the tie at 0.
	for _, tt := range []struct{ coverage, want float64 }{
		{1.0 / 3, 0.1}, {0.5, 0.3}, {2.0 / 3, 0.5}, {0.9, 0.85}, {1, 1},
	} {
		if got, err := EffortForCoverage(scores, labels, tt.coverage); err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("effort for coverage %v = %v, %v; want %v", tt.coverage, got, err, tt.want)
		}
	}
}

func TestCoverageUntied(t *testing.T) {
	// ranked + − + − − + − − − −: 3 positives in 10 rows.
	scores := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0}
	labels := []float64{1, 0, 1, 0, 0, 1, 0, 0, 0, 0}
	for _, tt := range []struct{ effort, want float64 }{
		{0.2, 1.0 / 3}, {0.25, 0.5}, {0.3, 2.0 / 3}, {0.6, 1},
	} {
		if got, err := CoverageAtEffort(scores, labels, tt.effort); err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("coverage at effort %v = %v, %v; want %v", tt.effort, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ coverage, want float64 }{
		{1.0 / 3, 0.1}, {0.5, 0.25}, {2.0 / 3, 0.3}, {0.8, 0.54}, {1, 0.6},
	} {
		if got, err := EffortForCoverage(scores, labels, tt.coverage); err != nil || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("effort for coverage %v = %v, %v; want %v", tt.coverage, got, err, tt.want)
		}
	}
}

// TestCoverageIsExpectedOverTieOrders checks the tie rule against brute
// force: the mean, over every order of the tied rows, of the positives in
// the top k rows.
func TestCoverageIsExpectedOverTieOrders(t *testing.T) {
	scores := []float64{1, 3, 1, 2, 1, 3, 1, 2, 1}
	labels := []float64{1, 0, 0, 1, 0, 1, 1, 0, 0}
	groups := map[float64][]int{}
	var keys []float64
	for i, s := range scores {
		if groups[s] == nil {
			keys = append(keys, s)
		}
		groups[s] = append(groups[s], i)
	}
	slices.Sort(keys)
	slices.Reverse(keys)
	// Every ordering: the product of each group's permutations.
	orders := [][]int{nil}
	for _, k := range keys {
		var next [][]int
		for _, prefix := range orders {
			for _, p := range permutations(groups[k]) {
				next = append(next, append(slices.Clone(prefix), p...))
			}
		}
		orders = next
	}
	for k := 0; k <= len(scores); k++ {
		var mean float64
		for _, o := range orders {
			for _, i := range o[:k] {
				mean += labels[i]
			}
		}
		mean /= float64(len(orders)) * 4 // 4 positives
		got, err := CoverageAtEffort(scores, labels, float64(k)/float64(len(scores)))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-mean) > 1e-12 {
			t.Errorf("coverage of the top %d rows = %v, mean over tie orders %v", k, got, mean)
		}
	}
}

func permutations(xs []int) [][]int {
	if len(xs) <= 1 {
		return [][]int{slices.Clone(xs)}
	}
	var out [][]int
	for i := range xs {
		rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]int{xs[i]}, p...))
		}
	}
	return out
}
