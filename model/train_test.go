package model

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

// synthetic draws rows where risk rises with two features of the schema.
func synthetic(n int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := len(features.Current.Features)
	a := features.Current.Index(features.FAdminPortInternet)
	k := features.Current.Index(features.FKeyOld)
	X := make([][]float64, n)
	y := make([]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		for j := range X[i] {
			if rng.Float64() < 0.2 {
				X[i][j] = 1
			}
		}
		z := -3 + 2.5*X[i][a] + 1.2*X[i][k]
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	return X, y
}

func fixedNow() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	X, y := synthetic(4000, 7)
	opts := TrainOptions{Seed: 3, Now: fixedNow}
	m1, err := Train(context.Background(), X, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Train(context.Background(), X, y, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m1, m2); diff != "" {
		t.Errorf("same data and seed gave different models (-first +second):\n%s", diff)
	}
	a := features.Current.Index(features.FAdminPortInternet)
	k := features.Current.Index(features.FKeyOld)
	for j, w := range m1.Weights {
		if j != a && j != k && (w > 0.2 || w < -0.2) {
			t.Errorf("weight of noise feature %s = %.3f, want near 0", m1.FeatureNames[j], w)
		}
	}
	if m1.Weights[a] <= m1.Weights[k] || m1.Weights[k] <= 0.2 {
		t.Errorf("weights admin port %.3f, old key %.3f: want admin port > old key > 0", m1.Weights[a], m1.Weights[k])
	}
	if m1.Metrics.ROCAUC < 0.7 {
		t.Errorf("held-out ROC-AUC %.3f, want ≥ 0.7", m1.Metrics.ROCAUC)
	}
	// Calibration: mean predicted risk on all rows near the base rate,
	// despite the class weights in the loss.
	var sp, sy float64
	for i := range X {
		sp += m1.Predict(X[i])
		sy += y[i]
	}
	if got, want := sp/float64(len(X)), sy/float64(len(X)); got < want*0.85 || got > want*1.15 {
		t.Errorf("mean predicted risk %.4f, base rate %.4f: calibration off", got, want)
	}
	t.Logf("metrics %+v weights a=%.3f k=%.3f cal=%+v", m1.Metrics, m1.Weights[a], m1.Weights[k], m1.Calibration)
}

func TestTrainRejectsBadInput(t *testing.T) {
	X, y := synthetic(200, 1)
	d := len(features.Current.Features)
	tests := []struct {
		name string
		X    [][]float64
		y    []float64
	}{
		{"length mismatch", X, y[:10]},
		{"too few rows", X[:10], y[:10]},
		{"wrong width", append([][]float64{make([]float64, d-1)}, X[1:]...), y},
		{"target above 1", X, append([]float64{1.5}, y[1:]...)},
		{"target below 0", X, append([]float64{-0.1}, y[1:]...)},
		{"target NaN", X, append([]float64{math.NaN()}, y[1:]...)},
		{"one class", X, make([]float64, len(y))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Train(context.Background(), tt.X, tt.y, TrainOptions{}); err == nil {
				t.Error("Train succeeded, want an error")
			}
		})
	}
}

func TestTrainHonoursCancel(t *testing.T) {
	X, y := synthetic(500, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, X, y, TrainOptions{}); err == nil {
		t.Error("Train on a cancelled context succeeded")
	}
}

// syntheticP is synthetic with its soft targets: the probability each
// row's label was drawn from.
func syntheticP(n int, seed uint64) ([][]float64, []float64) {
	X, _ := synthetic(n, seed)
	a := features.Current.Index(features.FAdminPortInternet)
	k := features.Current.Index(features.FKeyOld)
	p := make([]float64, n)
	for i, x := range X {
		p[i] = sigmoid(-3 + 2.5*x[a] + 1.2*x[k])
	}
	return X, p
}

func TestTrainSoftTargets(t *testing.T) {
	X, p := syntheticP(4000, 7)
	opts := TrainOptions{Seed: 3, Now: fixedNow}
	m1, err := Train(context.Background(), X, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Train(context.Background(), X, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m1, m2); diff != "" {
		t.Errorf("same targets and seed gave different models (-first +second):\n%s", diff)
	}
	if m1.Provenance.Targets != TargetsProbability || m1.Provenance.Positives != 0 || m1.Provenance.MeanTarget <= 0 {
		t.Errorf("provenance %+v: want probability targets, no positive count, a mean target", m1.Provenance)
	}
	mt := m1.Metrics
	// The oracle's p takes four values, so its ROC-AUC counts many ties as
	// half; the model breaks them with tiny weights on the other columns
	// and may land above it by chance. Below it is what would be wrong.
	if mt.ROCAUC < 0.7 || mt.ROCAUC < mt.OracleROCAUC-0.02 || mt.TargetMAE <= 0 || mt.TargetLogLoss < mt.TargetEntropy {
		t.Errorf("metrics %+v: want ROC-AUC ≥ 0.7 and not below the oracle's, log-loss against p above its floor", mt)
	}
	// Soft targets carry the exact risks: the model should recover them.
	a := features.Current.Index(features.FAdminPortInternet)
	k := features.Current.Index(features.FKeyOld)
	for _, x := range [][]float64{X[0], X[1], X[2]} {
		want := sigmoid(-3 + 2.5*x[a] + 1.2*x[k])
		if got := m1.Predict(x); math.Abs(got-want) > 0.03 {
			t.Errorf("risk %.4f, true probability %.4f", got, want)
		}
	}
	if mt.TargetMAE > 0.02 {
		t.Errorf("mean absolute error against p %.4f, want ≤ 0.02", mt.TargetMAE)
	}
	t.Logf("metrics %+v cal=%+v", mt, m1.Calibration)
}

// TestRowWeightIsExpectedClassWeightedLoss checks the soft-target weighting
// against the binary one averaged over Bernoulli(p) labels.
func TestRowWeightIsExpectedClassWeightedLoss(t *testing.T) {
	for _, pw := range []float64{1, 7, 20} {
		for _, p := range []float64{0, 0.01, 0.3, 1} {
			for _, z := range []float64{-4, 0, 2.5} {
				w1, t1 := rowWeight(1, pw)
				w0, t0 := rowWeight(0, pw)
				want := p*w1*(softplus(z)-t1*z) + (1-p)*w0*(softplus(z)-t0*z)
				w, tg := rowWeight(p, pw)
				if got := w * (softplus(z) - tg*z); math.Abs(got-want) > 1e-12 {
					t.Errorf("posWeight %v p %v z %v: loss %v, expected binary loss %v", pw, p, z, got, want)
				}
			}
		}
	}
	if w, tg := rowWeight(1, 20); w != 20 || tg != 1 {
		t.Errorf("positive row: weight %v target %v, want 20 and 1", w, tg)
	}
}

// TestTrainConverges compares the trained weights with the exact minimiser
// of the same loss on the same training rows, found by Newton's method.
// Early stopping keeps the epoch best on the validation split, so the rows
// must be many enough for its optimum to be the training rows' (at 30,000,
// rare columns such as unknown_data stopped 0.04 short).
func TestTrainConverges(t *testing.T) {
	X, p, err := BootstrapP(60000, 11)
	if err != nil {
		t.Fatal(err)
	}
	opts := TrainOptions{Seed: 5, Now: fixedNow}
	m, err := Train(context.Background(), X, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.defaults()
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x706f7374757265)) // as Train
	train, _, _, err := splitRandom(p, opts.ValFraction, opts.TestFraction, rng)
	if err != nil {
		t.Fatal(err)
	}
	w, b := newton(m, X, p, train, m.Provenance.PosWeight, opts.L2)
	for j := range w {
		if math.Abs(w[j]-m.Weights[j]) > 0.03 {
			t.Errorf("%s: trained weight %+.4f, optimum %+.4f", m.FeatureNames[j], m.Weights[j], w[j])
		}
	}
	if math.Abs(b-m.Bias) > 0.03 {
		t.Errorf("bias: trained %+.4f, optimum %+.4f", m.Bias, b)
	}
	t.Logf("epochs %d (best %d)", m.Metrics.Epochs, m.Metrics.BestEpoch)
}

// newton minimises fit's loss (weighted cross-entropy on m's
// standardisation plus L2 on weights) over rows by Newton's method.
func newton(m *Model, X [][]float64, y []float64, rows []int, posWeight, l2 float64) ([]float64, float64) {
	d := len(m.Mean)
	n := d + 1 // last is the bias
	beta := make([]float64, n)
	var wsum float64
	for _, i := range rows {
		w, _ := rowWeight(y[i], posWeight)
		wsum += w
	}
	x := make([]float64, n)
	for range 25 {
		g := make([]float64, n)
		H := make([][]float64, n)
		for j := range H {
			H[j] = make([]float64, n+1)
		}
		for _, i := range rows {
			z := 0.0
			for j := range d {
				x[j] = (X[i][j] - m.Mean[j]) / m.Std[j]
			}
			x[d] = 1
			for j := range n {
				z += beta[j] * x[j]
			}
			w, tg := rowWeight(y[i], posWeight)
			q := sigmoid(z)
			r, v := w/wsum*(q-tg), w/wsum*q*(1-q)
			for j := range n {
				g[j] += r * x[j]
				for k := range n {
					H[j][k] += v * x[j] * x[k]
				}
			}
		}
		for j := range d {
			g[j] += 2 * l2 * beta[j]
			H[j][j] += 2 * l2
		}
		// Solve H·step = g by Gauss–Jordan with partial pivoting.
		for j := range n {
			H[j][n] = g[j]
		}
		for c := range n {
			piv := c
			for r := c + 1; r < n; r++ {
				if math.Abs(H[r][c]) > math.Abs(H[piv][c]) {
					piv = r
				}
			}
			H[c], H[piv] = H[piv], H[c]
			for r := range n {
				if r != c && H[c][c] != 0 {
					f := H[r][c] / H[c][c]
					for k := c; k <= n; k++ {
						H[r][k] -= f * H[c][k]
					}
				}
			}
		}
		for j := range n {
			if H[j][j] != 0 {
				beta[j] -= H[j][n] / H[j][j]
			}
		}
	}
	return beta[:d], beta[d]
}

func TestSplitTime(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	// Ten labels on days 1..10 alternating benign/compromised, and two
	// simulated rows with no time.
	var times []time.Time
	var y []float64
	for d := 1; d <= 10; d++ {
		times, y = append(times, day(d)), append(y, float64(d%2))
	}
	times, y = append(times, time.Time{}, time.Time{}), append(y, 0.01, 0.2)
	train, val, test, err := splitTime(times, y, 0.2, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]int{train, val, test}, [][]int{{10, 11, 0, 1, 2, 3, 4, 5}, {6, 7}, {8, 9}}); diff != "" {
		t.Errorf("split (-got +want):\n%s", diff)
	}
	// The latest labels all benign: a clear error, not a test split of one class.
	y[8], y[9] = 0, 0
	if _, _, _, err := splitTime(times, y, 0.2, 0.2); err == nil || !strings.Contains(err.Error(), "only one class") {
		t.Errorf("one-class test split: err %v", err)
	}
	if _, _, _, err := splitTime(times[:3], y[:3], 0.2, 0.2); err == nil {
		t.Error("three labels split by time without an error")
	}
	// Dates: every label of a day stays on one side of each cut, moved
	// earlier; two days cannot make three parts.
	var same []time.Time
	var ys []float64
	for i := range 12 {
		same, ys = append(same, day(1+i/4)), append(ys, float64(i%2))
	}
	train, val, test, err = splitTime(same, ys, 0.2, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]int{train, val, test}, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}}); diff != "" {
		t.Errorf("split of three days (-got +want):\n%s", diff)
	}
	if _, _, _, err := splitTime(same[:8], ys[:8], 0.2, 0.2); !errors.Is(err, ErrTimeSplit) {
		t.Errorf("two days: err %v, want ErrTimeSplit", err)
	}
}

// TestNonNegativeCalibrationNeverInverts: when the validation labels rank
// against the model (here: later labels invert the relation the earlier
// ones taught), a non-negative model is flattened to the validation rate,
// said in its notes, rather than given a negative slope that would make a
// fix raise the risk.
func TestNonNegativeCalibrationNeverInverts(t *testing.T) {
	d := len(features.Current.Features)
	a := features.Current.Index(features.FAdminPortInternet)
	rng := rand.New(rand.NewPCG(9, 9))
	var X [][]float64
	var y []float64
	var times []time.Time
	for i := range 3000 {
		x := make([]float64, d)
		if rng.Float64() < 0.5 {
			x[a] = 1
		}
		late := i >= 2000 // the last third validates and tests
		lab := x[a]
		if late {
			lab = 1 - x[a]
		}
		if rng.Float64() < 0.1 {
			lab = 1 - lab
		}
		X, y, times = append(X, x), append(y, lab), append(times, time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC))
	}
	m, err := Train(context.Background(), X, y, TrainOptions{Seed: 1, Now: fixedNow, NonNegative: true, Times: times, ValFraction: 0.15, TestFraction: 0.15})
	if err != nil {
		t.Fatal(err)
	}
	if m.Calibration.A != 0 || !strings.Contains(m.Provenance.Notes, "slope is 0") {
		t.Errorf("calibration %+v, notes %q: want a flat slope, said", m.Calibration, m.Provenance.Notes)
	}
	on, off := make([]float64, d), make([]float64, d)
	on[a] = 1
	if m.Predict(on) != m.Predict(off) {
		t.Errorf("risk %v with the signal, %v without: want equal once flattened", m.Predict(on), m.Predict(off))
	}
}
