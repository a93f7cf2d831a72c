package model

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

// firstColumn scores a row by its first value.
func firstColumn(x []float64) float64 { return x[0] }

// noisyRows are n rows whose first column is a probability and whose target
// is a label drawn from it; every fifth row's group is shared by five.
func noisyRows(n int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := Dataset{Source: "test rows"}
	for i := range n {
		p := rng.Float64()
		y := 0.0
		if rng.Float64() < p {
			y = 1
		}
		d.X = append(d.X, []float64{p})
		d.Y = append(d.Y, y)
		d.Group = append(d.Group, fmt.Sprintf("g%d", i/5))
	}
	return d
}

func TestEvaluateHandComputed(t *testing.T) {
	// The tie case of TestMetricsWithTies, scaled into [0, 1].
	d := Dataset{
		X:      [][]float64{{1}, {0.5}, {0.5}, {0.5}, {0.5}, {0}, {0}, {0}, {0}, {0}},
		Y:      []float64{1, 1, 0, 0, 0, 1, 0, 0, 0, 0},
		Source: "hand",
	}
	got, err := Evaluate(firstColumn, d, EvalOptions{Resamples: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := Evaluation{
		Rows: 10, Positives: 3, BaseRate: 0.3, Labels: TargetsBinary,
		ROCAUC: Estimate{14.5 / 21, 14.5 / 21, 14.5 / 21},
		PRAUC:  Estimate{1.7 / 3, 1.7 / 3, 1.7 / 3},
		// (0 + 0.25 + 3·0.25 + 0.25·0 + 4·0 + 1 + 0) / 10: the positive
		// at 0 costs 1, the one at 0.5 0.25, each negative at 0.5 0.25.
		Brier:             &Estimate{0.2, 0.2, 0.2},
		RecallAtPrecision: []RecallAt{{0.5, 1.0 / 3}, {0.8, 1.0 / 3}},
		// 5 % is half the top row; 15 % the top row and half a row of
		// the tie at 0.5 (a quarter positive): 1.125 of 3.
		Coverage:    []CoverageAt{{0.05, Estimate{0.5 / 3, 0.5 / 3, 0.5 / 3}}, {0.15, Estimate{1.125 / 3, 1.125 / 3, 1.125 / 3}}},
		Effort:      []EffortFor{{0.8, 0.5 + 0.4*5/10}, {0.9, 0.85}},
		Reliability: []Bin{{0, 0, 5, 0, 0.2}, {0.5, 0.5, 4, 0.5, 0.25}, {1, 1, 1, 1, 1}},
		Resampled:   "rows", Units: 10,
	}
	if diff := cmp.Diff(got, want, approx); diff != "" {
		t.Errorf("Evaluate (-got +want):\n%s", diff)
	}
}

var approx = cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })

func TestEvaluateIntervals(t *testing.T) {
	d := noisyRows(600, 7)
	a, err := Evaluate(firstColumn, d, EvalOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Evaluate(firstColumn, d, EvalOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different evaluations (-first +second):\n%s", diff)
	}
	c, err := Evaluate(firstColumn, d, EvalOptions{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if a.ROCAUC == c.ROCAUC {
		t.Errorf("seeds 3 and 4 give the same ROC-AUC interval %v", a.ROCAUC)
	}
	if a.Resampled != "groups" || a.Units != 120 || a.Resamples != DefaultResamples {
		t.Errorf("resampled %d %s %d times, want 120 groups %d times", a.Units, a.Resampled, a.Resamples, DefaultResamples)
	}
	for name, e := range map[string]Estimate{"roc-auc": a.ROCAUC, "pr-auc": a.PRAUC, "brier": *a.Brier, "coverage at 15 %": a.Coverage[1].Coverage} {
		if !(e.Lo <= e.Value && e.Value <= e.Hi && e.Lo < e.Hi) {
			t.Errorf("%s %v lies outside its interval [%v, %v]", name, e.Value, e.Lo, e.Hi)
		}
	}
	// Labels drawn from p: ROC-AUC of p itself is about 0.83 in theory
	// (uniform p), and the interval should hold it.
	if a.ROCAUC.Lo > 0.84 || a.ROCAUC.Hi < 0.82 {
		t.Errorf("ROC-AUC interval [%v, %v] misses 0.83", a.ROCAUC.Lo, a.ROCAUC.Hi)
	}
	d.Group = nil
	r, err := Evaluate(firstColumn, d, EvalOptions{Seed: 3, Resamples: 50})
	if err != nil {
		t.Fatal(err)
	}
	if r.Resampled != "rows" || r.Units != 600 || r.Resamples != 50 {
		t.Errorf("resampled %d %s %d times, want 600 rows 50 times", r.Units, r.Resampled, r.Resamples)
	}
}

func TestEvaluateSoftTargets(t *testing.T) {
	// Soft targets are drawn with the stream Train's test metrics use.
	y := []float64{0.5, 0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8}
	got, drawn, err := hardLabels(y, 5)
	if err != nil || !drawn {
		t.Fatalf("hardLabels = %v, %v, %v", got, drawn, err)
	}
	draw := rand.New(rand.NewPCG(5, 0x746573746c61626c))
	for i, p := range y {
		want := 0.0
		if draw.Float64() < p {
			want = 1
		}
		if got[i] != want {
			t.Errorf("row %d: label %v, want %v", i, got[i], want)
		}
	}
	bin, drawn, err := hardLabels([]float64{0, 1, 1, 0}, 5)
	if err != nil || drawn || !slices.Equal(bin, []float64{0, 1, 1, 0}) {
		t.Errorf("binary targets gave %v, drawn %v, %v", bin, drawn, err)
	}
	if _, _, err := hardLabels([]float64{0, 1.5}, 5); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("target 1.5: error %v, want one naming row 1", err)
	}
}

func TestEvaluateErrors(t *testing.T) {
	two := Dataset{X: [][]float64{{0.2}, {0.8}}, Y: []float64{0, 1}, Source: "two"}
	for _, tt := range []struct {
		name  string
		score func([]float64) float64
		d     Dataset
		o     EvalOptions
		want  string
	}{
		{"one class", firstColumn, Dataset{X: [][]float64{{0.2}, {0.8}}, Y: []float64{1, 1}, Source: "ones"}, EvalOptions{}, "want both"},
		{"no rows", firstColumn, Dataset{Source: "empty"}, EvalOptions{}, "no rows"},
		{"lengths", firstColumn, Dataset{X: [][]float64{{0.2}}, Y: []float64{0, 1}, Source: "bad"}, EvalOptions{}, "1 rows, 2 targets"},
		{"ragged", firstColumn, Dataset{X: [][]float64{{0.2}, {0.8, 1}}, Y: []float64{0, 1}, Source: "ragged"}, EvalOptions{}, "row 1 has 2 features"},
		{"NaN", func([]float64) float64 { return math.NaN() }, two, EvalOptions{}, "row 0 scores NaN"},
		{"not a probability", func(x []float64) float64 { return 3 * x[0] }, two, EvalOptions{}, "row 1 scores 2.4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(tt.score, tt.d, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// A rank-only scorer may leave [0, 1]; it has no Brier or reliability.
	e, err := Evaluate(func(x []float64) float64 { return 3 * x[0] }, two, EvalOptions{RankOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.Brier != nil || e.Reliability != nil {
		t.Errorf("rank-only evaluation has Brier %v and reliability %v", e.Brier, e.Reliability)
	}
}

func TestReliabilityKeepsTiesWhole(t *testing.T) {
	// 20 rows: 10 tied at 0.1, then 10 distinct. The tie fills half the
	// rows: one bin; the rest close at the next deciles, two rows each.
	var scores, labels []float64
	for range 10 {
		scores, labels = append(scores, 0.1), append(labels, 0)
	}
	for i := range 10 {
		scores, labels = append(scores, 0.5+float64(i)/20), append(labels, float64(i%2))
	}
	bins := reliability(scores, labels, rank(scores))
	var rows []int
	for _, b := range bins {
		rows = append(rows, b.Rows)
	}
	if want := []int{10, 2, 2, 2, 2, 2}; !slices.Equal(rows, want) {
		t.Fatalf("bin rows %v, want %v", rows, want)
	}
	if diff := cmp.Diff(bins[1], Bin{Lo: 0.5, Hi: 0.55, Rows: 2, MeanPredicted: 0.525, Observed: 0.5}, approx); diff != "" {
		t.Errorf("second bin (-got +want):\n%s", diff)
	}
	// Distinct scores: ten bins of equal count.
	bins = reliability(scores[10:], labels[10:], rank(scores[10:]))
	if len(bins) != 10 {
		t.Errorf("%d bins of 10 distinct scores, want 10", len(bins))
	}
}

func TestCompareAndCard(t *testing.T) {
	s := features.Current
	baselines, err := Baselines(s)
	if err != nil {
		t.Fatal(err)
	}
	// A hand-made model that weighs exposure and the admin role.
	m := &Model{Kind: KindLogReg, SchemaVersion: s.Version, SchemaHash: s.Hash(), FeatureNames: s.Names(),
		Weights: make([]float64, len(s.Features)), Mean: make([]float64, len(s.Features)), Std: make([]float64, len(s.Features)),
		Bias: -4, Calibration: Calibration{A: 1}, Provenance: Provenance{Source: "test", Targets: TargetsBinary}}
	for i := range m.Std {
		m.Std[i] = 1
	}
	m.Weights[s.Index(features.FInternetExposed)] = 1
	m.Weights[s.Index(features.FExposedAdminRole)] = 2
	d, err := Simulate(2000, 9)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(append([]Scorer{ModelScorer(m, "model")}, baselines...), d, EvalOptions{Seed: 9, Resamples: 20})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range c.Evaluations {
		names = append(names, e.Name)
		if e.Rows != 2000 || e.Positives != c.Evaluations[0].Positives {
			t.Errorf("%s: %d rows, %d positives; every scorer must see the same labels", e.Name, e.Rows, e.Positives)
		}
	}
	if want := []string{"model", BaselineCount, BaselineSeverity, BaselineExposed}; !slices.Equal(names, want) {
		t.Errorf("evaluated %v, want %v", names, want)
	}
	if c.Evaluations[0].Brier == nil || c.Evaluations[1].Brier != nil {
		t.Error("the model needs a Brier score, a baseline none")
	}
	header, rows := c.Table()
	for _, r := range rows {
		if len(r) != len(header) {
			t.Errorf("row %v has %d cells, header %d", r, len(r), len(header))
		}
	}

	var card bytes.Buffer
	if err := m.WriteCardWith(&card, &c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Compared with baselines", "| " + BaselineSeverity + " | ", "### Reliability: model", "no Brier score"} {
		if !strings.Contains(card.String(), want) {
			t.Errorf("card lacks %q", want)
		}
	}
	var plain bytes.Buffer
	if err := m.WriteCard(&plain); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "Compared with baselines") {
		t.Error("WriteCard without a comparison has its section")
	}
}

func TestSplitByGroup(t *testing.T) {
	groups := []string{"a", "b", "", "a", "c", "", "b", "d", "a", "", "e", "c"}
	d := Dataset{Group: groups, Source: "groups"}
	for i := range groups {
		d.X = append(d.X, []float64{float64(i)})
		d.Y = append(d.Y, float64(i%2))
	}
	for seed := range int64(20) {
		train, test, err := SplitByGroup(d, 0.3, seed)
		if err != nil {
			t.Fatal(err)
		}
		if test.Len() < 4 || train.Len() == 0 || train.Len()+test.Len() != d.Len() {
			t.Fatalf("seed %d: %d train and %d test rows of %d, want at least 4 (30 %%) held out", seed, train.Len(), test.Len(), d.Len())
		}
		inTest := map[string]bool{}
		for _, g := range test.Group {
			inTest[g] = true
		}
		for _, g := range train.Group {
			if g != "" && inTest[g] {
				t.Errorf("seed %d: group %q is in both parts", seed, g)
			}
		}
		for _, part := range []Dataset{train, test} {
			for k := 1; k < part.Len(); k++ {
				if part.X[k][0] <= part.X[k-1][0] {
					t.Errorf("seed %d: rows out of order: %v", seed, part.X)
				}
			}
		}
		again, _, _ := SplitByGroup(d, 0.3, seed)
		if diff := cmp.Diff(again, train); diff != "" {
			t.Errorf("seed %d: split differs on a second run:\n%s", seed, diff)
		}
	}
	one := Dataset{X: [][]float64{{0}, {1}}, Y: []float64{0, 1}, Group: []string{"a", "a"}, Source: "one group"}
	if _, _, err := SplitByGroup(one, 0.5, 1); err == nil {
		t.Error("split of one group succeeded")
	}
	if _, _, err := SplitByGroup(d, 1, 1); err == nil {
		t.Error("test fraction 1 accepted")
	}
}

func TestSplitByTime(t *testing.T) {
	day := func(n int) time.Time { return time.Date(2025, 1, n, 0, 0, 0, 0, time.UTC) }
	// Days out of order; two rows on day 8.
	days := []int{3, 9, 1, 8, 5, 10, 2, 8, 4, 6}
	d := Dataset{Source: "labels.csv"}
	for i, n := range days {
		d.X = append(d.X, []float64{float64(i)})
		d.Y = append(d.Y, 0)
		d.Time = append(d.Time, day(n))
	}
	for _, tt := range []struct {
		frac     float64
		testDays []int
	}{
		{0.2, []int{9, 10}},
		// 3 latest rows end inside day 8: both rows of day 8 are held out.
		{0.3, []int{9, 8, 10, 8}},
		{0.01, []int{10}},
	} {
		train, test, err := SplitByTime(d, tt.frac)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, ti := range test.Time {
			got = append(got, ti.Day())
		}
		if !slices.Equal(got, tt.testDays) {
			t.Errorf("test fraction %v holds out days %v, want %v", tt.frac, got, tt.testDays)
		}
		for _, ti := range train.Time {
			if !ti.Before(day(slices.Min(tt.testDays))) {
				t.Errorf("test fraction %v trains on day %d", tt.frac, ti.Day())
			}
		}
	}
	for _, tt := range []struct {
		name string
		d    Dataset
		want string
	}{
		{"no times", Dataset{X: d.X, Y: d.Y, Source: "sim"}, "carry no times"},
		{"zero time", Dataset{X: d.X[:2], Y: d.Y[:2], Time: []time.Time{day(1), {}}, Source: "l"}, "row 1 has no time"},
		{"one instant", Dataset{X: d.X[:2], Y: d.Y[:2], Time: []time.Time{day(1), day(1)}, Source: "l"}, "nothing left to train on"},
	} {
		if _, _, err := SplitByTime(tt.d, 0.3); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
