package model

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/posture-dev/posture/features"
)

// TrainOptions tune Train. The zero value trains with the defaults noted.
type TrainOptions struct {
	Schema       features.Schema // columns of X; default features.Current
	Kind         string          // KindLogReg (default) or KindMLP
	Hidden       int             // KindMLP: hidden tanh units; default DefaultHidden
	Seed         int64           // shuffling and splits; the same seed and data give the same model
	MaxEpochs    int             // default 60
	Patience     int             // epochs without validation improvement before the step size drops, or training stops; default 5
	StepDrops    int             // times the step size is divided by 5 on a plateau before stopping; default 2, negative for none
	BatchSize    int             // default 256
	LearnRate    float64         // Adam step size; default 0.01
	L2           float64         // penalty on weights (not biases: for an MLP on W1 and W2); default 1e-4; negative for none
	PosWeight    float64         // weight of a positive row in the loss (1 for none); 0 = neg/pos capped at MaxPosWeight
	MaxPosWeight float64         // default 20
	// NonNegative holds every weight at or above 0 (projected gradient:
	// negative weights are set to 0 after each step; for an MLP, W1 and
	// W2, the biases stay free). Every feature is a risk factor, so a
	// negative weight is an artefact of correlated features, and it would
	// let a fix raise the predicted risk.
	NonNegative  bool
	ValFraction  float64    // early stopping and calibration; default 0.15
	TestFraction float64    // held out for Metrics only; default 0.15
	Provenance   Provenance // Source, Command, Notes are kept; Rows, Positives, Seed, Trained are filled in
	// Extra are rows that only train: added to the training split after
	// the validation and test rows are chosen from X, never held out
	// (SimulateFocus rows). Their columns follow Schema.
	Extra Dataset
	// Times, when set, is when each row's label was observed
	// (Dataset.Time): the test split is then the latest rows and the
	// validation split the ones before them, so the metrics say how the
	// model predicts labels that came after those it learned from. Rows
	// without a time (simulated) stay in training. It wins over Groups.
	Times []time.Time
	// Groups, when set, names each row's estate or snapshot (Dataset.Group):
	// the validation and test splits then take whole groups, so the
	// metrics are on estates never trained on. Empty: rows split alone.
	Groups []string
	Now    func() time.Time
}

func (o *TrainOptions) defaults() {
	if o.Schema.Version == "" && len(o.Schema.Features) == 0 {
		o.Schema = features.Current
	}
	if o.Kind == "" {
		o.Kind = KindLogReg
	}
	if o.Hidden <= 0 {
		o.Hidden = DefaultHidden
	}
	if o.MaxEpochs <= 0 {
		o.MaxEpochs = 60
	}
	if o.Patience <= 0 {
		o.Patience = 5
	}
	if o.StepDrops == 0 {
		o.StepDrops = 2
	}
	if o.StepDrops < 0 {
		o.StepDrops = 0
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.LearnRate <= 0 {
		o.LearnRate = 0.01
	}
	if o.L2 == 0 {
		o.L2 = 1e-4
	}
	if o.L2 < 0 {
		o.L2 = 0
	}
	if o.MaxPosWeight <= 0 {
		o.MaxPosWeight = 20
	}
	if o.ValFraction <= 0 {
		o.ValFraction = 0.15
	}
	if o.TestFraction <= 0 {
		o.TestFraction = 0.15
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Train fits a class-weighted logistic regression or MLP (opts.Kind) on X
// (rows in opts.Schema order) and targets y, with Adam on mini-batches and
// early stopping on a validation split, then fits Platt calibration on
// that split's logits and measures Metrics on a separate test split.
//
// Targets are binary labels (every y is 0 or 1) or soft targets: each
// y ∈ [0, 1] is the probability that the row is positive, such as the
// simulator's p from BootstrapP. Cross-entropy is defined for both. The
// class-weighted loss of a soft target is the expectation of the binary
// one over a label drawn from Bernoulli(y): weight 1 + (w₊−1)·y on target
// w₊·y / (1 + (w₊−1)·y), which is exactly the binary loss when y is 0 or 1.
// With soft targets the splits are random (not stratified), Platt scaling
// is fitted to the validation split's soft targets, and the test split is
// scored against hard labels drawn from its targets with a separate random
// stream, plus against the targets themselves (Metrics.TargetMAE,
// Metrics.TargetLogLoss).
func Train(ctx context.Context, X [][]float64, y []float64, opts TrainOptions) (*Model, error) {
	opts.defaults()
	d := len(opts.Schema.Features)
	if err := checkData(X, y, d); err != nil {
		return nil, err
	}
	if opts.Kind != KindLogReg && opts.Kind != KindMLP {
		return nil, fmt.Errorf("model kind %q: want %q or %q", opts.Kind, KindLogReg, KindMLP)
	}
	if opts.ValFraction+opts.TestFraction >= 0.9 {
		return nil, fmt.Errorf("validation (%v) and test (%v) fractions leave too little to train on", opts.ValFraction, opts.TestFraction)
	}
	soft := isSoft(y)
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x706f7374757265)) // "posture"
	var trainIdx, valIdx, testIdx []int
	var err error
	switch {
	case opts.Times != nil:
		if len(opts.Times) != len(y) {
			return nil, fmt.Errorf("%d label times for %d rows", len(opts.Times), len(y))
		}
		trainIdx, valIdx, testIdx, err = splitTime(opts.Times, y, opts.ValFraction, opts.TestFraction)
	case opts.Groups != nil:
		if len(opts.Groups) != len(y) {
			return nil, fmt.Errorf("%d groups for %d rows", len(opts.Groups), len(y))
		}
		trainIdx, valIdx, testIdx, err = splitGroups(opts.Groups, opts.ValFraction, opts.TestFraction, rng)
	case soft:
		trainIdx, valIdx, testIdx, err = splitRandom(y, opts.ValFraction, opts.TestFraction, rng)
	default:
		trainIdx, valIdx, testIdx, err = split(y, opts.ValFraction, opts.TestFraction, rng)
	}
	if err != nil {
		return nil, err
	}
	if n := opts.Extra.Len(); n > 0 {
		if err := opts.Extra.Check(); err != nil {
			return nil, err
		}
		if err := checkData(opts.Extra.X, opts.Extra.Y, d); err != nil {
			return nil, fmt.Errorf("extra training rows %s: %w", opts.Extra.Source, err)
		}
		base := len(X)
		X = append(X[:base:base], opts.Extra.X...)
		y = append(y[:base:base], opts.Extra.Y...)
		for i := range n {
			trainIdx = append(trainIdx, base+i)
		}
	}

	m := &Model{
		Kind:          opts.Kind,
		SchemaVersion: opts.Schema.Version,
		SchemaHash:    opts.Schema.Hash(),
		FeatureNames:  opts.Schema.Names(),
		Calibration:   Calibration{A: 1},
		NonNegative:   opts.NonNegative,
	}
	m.Mean, m.Std = standardisation(X, trainIdx, d)

	// Expected positives: a count for binary labels, Σp for soft targets.
	var pos float64
	for _, i := range trainIdx {
		pos += y[i]
	}
	posWeight := opts.PosWeight
	if posWeight <= 0 {
		posWeight = min((float64(len(trainIdx))-pos)/pos, opts.MaxPosWeight)
		posWeight = max(posWeight, 1)
	}

	epochs, best, err := fit(ctx, m, X, y, trainIdx, valIdx, posWeight, opts, rng)
	if err != nil {
		return nil, err
	}

	valZ := make([]float64, len(valIdx))
	valY := make([]float64, len(valIdx))
	for k, i := range valIdx {
		valZ[k], valY[k] = m.Logit(X[i]), y[i]
	}
	// Smoothing follows the validation rows' own targets: labels split by
	// time validate on labels even when simulated rows were mixed in.
	m.Calibration = platt(valZ, valY, isSoft(valY))
	flattened := false
	if opts.NonNegative && m.Calibration.A < 0 {
		// The validation rows rank against the model (noisy or few
		// labels): a negative slope would make a fix raise the risk.
		// Flat instead — every resource at the validation rows' rate —
		// and said so.
		var mean float64
		for _, v := range valY {
			mean += v
		}
		mean = min(max(mean/float64(len(valY)), 1e-6), 1-1e-6)
		m.Calibration = Calibration{A: 0, B: math.Log(mean / (1 - mean))}
		flattened = true
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("trained model: %w", err)
	}

	m.Metrics, err = evaluate(m, X, y, testIdx, opts.Schema, soft, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("evaluate on %d held-out rows: %w", len(testIdx), err)
	}
	m.Metrics.Epochs = epochs
	m.Metrics.BestEpoch = best

	m.Provenance = opts.Provenance
	if flattened {
		m.Provenance.Notes = strings.TrimSpace(m.Provenance.Notes + " Calibration: the validation rows ranked against the model (Platt slope below 0), so the slope is 0: every resource scores the validation rate until more or cleaner labels train it.")
	}
	m.Provenance.Rows = len(y)
	m.Provenance.Positives = 0
	m.Provenance.Targets = TargetsBinary
	var sum float64
	for _, v := range y {
		sum += v
		if v > 0.5 {
			m.Provenance.Positives++
		}
	}
	if soft {
		m.Provenance.Targets = TargetsProbability
		m.Provenance.Positives = 0
		m.Provenance.MeanTarget = sum / float64(len(y))
	}
	m.Provenance.PosWeight = posWeight
	switch {
	case opts.Times != nil:
		m.Provenance.Split = "by time"
	case opts.Groups != nil:
		m.Provenance.Split = "by group"
	case soft:
		m.Provenance.Split = "random"
	default:
		m.Provenance.Split = "stratified"
	}
	m.Provenance.Seed = opts.Seed
	m.Provenance.Trained = opts.Now().UTC().Truncate(time.Second)
	return m, nil
}

// Provenance.Targets values.
const (
	TargetsBinary      = "binary"      // 0/1 labels
	TargetsProbability = "probability" // soft targets y ∈ [0, 1]
)

// isSoft reports whether any target lies strictly between 0 and 1.
func isSoft(y []float64) bool {
	for _, v := range y {
		if v > 0 && v < 1 {
			return true
		}
	}
	return false
}

// rowWeight returns the loss weight and the target of a row with target y
// when positives weigh posWeight: the expectation, over a label drawn from
// Bernoulli(y), of the class-weighted cross-entropy is
// weight·(softplus(z) − target·z). For y = 0 or 1 this is the usual
// class weighting (weight 1 or posWeight, target y).
func rowWeight(y, posWeight float64) (weight, target float64) {
	weight = 1 + (posWeight-1)*y
	return weight, posWeight * y / weight
}

func checkData(X [][]float64, y []float64, d int) error {
	if len(X) != len(y) {
		return fmt.Errorf("%d rows of features but %d labels", len(X), len(y))
	}
	if len(X) < 50 {
		return fmt.Errorf("%d rows are too few to train, validate and test on", len(X))
	}
	for i, row := range X {
		if len(row) != d {
			return fmt.Errorf("row %d has %d features, the schema has %d", i, len(row), d)
		}
		for j, v := range row {
			if !finite(v) {
				return fmt.Errorf("row %d feature %d is %v", i, j, v)
			}
		}
		if !(y[i] >= 0 && y[i] <= 1) {
			return fmt.Errorf("row %d target is %v, want a label 0 or 1 or a probability in [0, 1]", i, y[i])
		}
	}
	return nil
}

// splitRandom shuffles all rows and deals testFrac of them to test,
// valFrac to validation and the rest to training; for soft targets, where
// there are no classes to stratify by.
func splitRandom(y []float64, valFrac, testFrac float64, rng *rand.Rand) (train, val, test []int, err error) {
	var mass float64
	for _, v := range y {
		mass += v
	}
	if mass < 3 || float64(len(y))-mass < 3 {
		return nil, nil, nil, fmt.Errorf("soft targets sum to %.1f expected positives and %.1f negatives, want at least 3 of each", mass, float64(len(y))-mass)
	}
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
	nTest := max(1, int(math.Round(testFrac*float64(len(idx)))))
	nVal := max(1, int(math.Round(valFrac*float64(len(idx)))))
	return idx[nTest+nVal:], idx[nTest : nTest+nVal], idx[:nTest], nil
}

// splitGroups deals whole groups (a row with an empty group is its own) to
// test, validation and training, in a shuffled order, until each of the
// first two holds its fraction of the rows.
func splitGroups(groups []string, valFrac, testFrac float64, rng *rand.Rand) (train, val, test []int, err error) {
	var order []string
	rows := map[string][]int{}
	for i, g := range groups {
		if g == "" {
			g = fmt.Sprintf("\x00row %d", i)
		}
		if _, ok := rows[g]; !ok {
			order = append(order, g)
		}
		rows[g] = append(rows[g], i)
	}
	if len(order) < 3 {
		return nil, nil, nil, fmt.Errorf("%d rows in %d groups: want at least 3 groups to split by group", len(groups), len(order))
	}
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	nTest := max(1, int(math.Round(testFrac*float64(len(groups)))))
	nVal := max(1, int(math.Round(valFrac*float64(len(groups)))))
	for k, g := range order {
		switch left := len(order) - k; {
		case len(test) < nTest && left > 2:
			test = append(test, rows[g]...)
		case len(val) < nVal && left > 1:
			val = append(val, rows[g]...)
		default:
			train = append(train, rows[g]...)
		}
	}
	if len(test) == 0 || len(val) == 0 || len(train) == 0 {
		return nil, nil, nil, fmt.Errorf("split by group left a part empty (%d train, %d validation, %d test rows)", len(train), len(val), len(test))
	}
	return train, val, test, nil
}

// ErrTimeSplit: the labels cannot be held out by time (too few, or the
// latest hold one class); a caller may hold them out otherwise.
var ErrTimeSplit = errors.New("labels cannot be split by time")

// distinctTimes counts the distinct times of rows.
func distinctTimes(times []time.Time, rows []int) int {
	seen := map[time.Time]bool{}
	for _, i := range rows {
		seen[times[i].UTC()] = true
	}
	return len(seen)
}

// splitTime holds out the latest labelled rows as test and the ones
// before them as validation, by fractions of the labelled rows; rows with
// no time train. Each held-out part must hold both a positive and a
// negative row, or its metrics would mean nothing: that is an error
// saying so.
func splitTime(times []time.Time, y []float64, valFrac, testFrac float64) (train, val, test []int, err error) {
	var timed []int
	for i, t := range times {
		if t.IsZero() {
			train = append(train, i)
		} else {
			timed = append(timed, i)
		}
	}
	sort.SliceStable(timed, func(a, b int) bool { return times[timed[a]].Before(times[timed[b]]) })
	n := len(timed)
	// A cut falls between two distinct times, moved earlier if need be, so
	// no instant (every label of one day, for dates) is on both sides.
	boundary := func(k int) int {
		for k > 0 && k < n && times[timed[k]].Equal(times[timed[k-1]]) {
			k--
		}
		return k
	}
	testCut := boundary(n - int(math.Round(testFrac*float64(n))))
	valCut := boundary(testCut - int(math.Round(valFrac*float64(n))))
	if testCut >= n || valCut >= testCut || valCut < 1 {
		return nil, nil, nil, fmt.Errorf("%w: %d labelled rows at %d distinct times are too few to hold out the latest %.0f %% and %.0f %% before them",
			ErrTimeSplit, n, distinctTimes(times, timed), 100*testFrac, 100*valFrac)
	}
	train = append(train, timed[:valCut]...)
	val, test = timed[valCut:testCut], timed[testCut:]
	for _, part := range []struct {
		name string
		rows []int
	}{{"validation", val}, {"test", test}} {
		var pos int
		for _, i := range part.rows {
			if y[i] > 0.5 {
				pos++
			}
		}
		if pos == 0 || pos == len(part.rows) {
			return nil, nil, nil, fmt.Errorf("%w: the %s split (%d labels from %s to %s) holds only one class: a time split needs compromised and benign labels in it",
				ErrTimeSplit, part.name, len(part.rows), times[part.rows[0]].Format("2006-01-02"), times[part.rows[len(part.rows)-1]].Format("2006-01-02"))
		}
	}
	return train, val, test, nil
}

// hasTime reports whether any row has a label time.
func hasTime(ts []time.Time) bool {
	for _, t := range ts {
		if !t.IsZero() {
			return true
		}
	}
	return false
}

// TrainDataset trains on d: labelled rows held out by time, simulated ones
// by their groups (estates), else at random.
func TrainDataset(ctx context.Context, d Dataset, opts TrainOptions) (*Model, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	switch {
	case hasTime(d.Time):
		opts.Times = d.Time
	case d.Group != nil:
		opts.Groups = d.Group
	}
	return Train(ctx, d.X, d.Y, opts)
}

// split shuffles positives and negatives separately and deals the same
// fractions of each to test, validation and training (stratified).
func split(y []float64, valFrac, testFrac float64, rng *rand.Rand) (train, val, test []int, err error) {
	var pos, neg []int
	for i, v := range y {
		if v > 0.5 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	if len(pos) < 3 || len(neg) < 3 {
		return nil, nil, nil, fmt.Errorf("need at least 3 rows of each class to split, have %d positive and %d negative", len(pos), len(neg))
	}
	for _, class := range [][]int{pos, neg} {
		rng.Shuffle(len(class), func(a, b int) { class[a], class[b] = class[b], class[a] })
		nTest := max(1, int(math.Round(testFrac*float64(len(class)))))
		nVal := max(1, int(math.Round(valFrac*float64(len(class)))))
		test = append(test, class[:nTest]...)
		val = append(val, class[nTest:nTest+nVal]...)
		train = append(train, class[nTest+nVal:]...)
	}
	return train, val, test, nil
}

func standardisation(X [][]float64, rows []int, d int) (mean, std []float64) {
	mean = make([]float64, d)
	std = make([]float64, d)
	n := float64(len(rows))
	for _, i := range rows {
		for j, v := range X[i] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, i := range rows {
		for j, v := range X[i] {
			std[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / n)
		if std[j] < 1e-12 {
			std[j] = 1 // constant in training: contributes nothing
		}
	}
	return mean, std
}

// fit runs the gorgonia graph of m.Kind. The graph is built once for a
// fixed batch shape; each batch is bound with Let, padding rows carry
// weight 0.
//
// It returns the epochs run and the epoch whose weights it keeps (the one
// with the lowest validation loss).
func fit(ctx context.Context, m *Model, X [][]float64, y []float64, trainIdx, valIdx []int, posWeight float64, opts TrainOptions, rng *rand.Rand) (epochs, best int, err error) {
	d := len(m.FeatureNames)
	bs := min(opts.BatchSize, len(trainIdx))

	g := G.NewGraph()
	xN := G.NewMatrix(g, tensor.Float64, G.WithShape(bs, d), G.WithName("x"))
	yN := G.NewVector(g, tensor.Float64, G.WithShape(bs), G.WithName("y"))
	swN := G.NewVector(g, tensor.Float64, G.WithShape(bs), G.WithName("sw")) // row weights, summing to 1
	l2 := G.NewConstant(opts.L2, G.WithName("l2"))

	// weights take the L2 penalty and, if NonNegative, the projection;
	// store copies the current values of the learnables into m.
	var z *G.Node
	var weights, biases G.Nodes
	var store func(*Model)
	switch m.Kind {
	case KindMLP:
		z, weights, biases, store = mlpNetwork(g, xN, d, opts.Hidden, opts.Seed, opts.NonNegative)
	default:
		// z = X·w + b
		w := G.NewVector(g, tensor.Float64, G.WithShape(d), G.WithName("w"), G.WithInit(G.Zeroes()))
		b := G.NewScalar(g, tensor.Float64, G.WithName("b"), G.WithValue(0.0))
		z = G.Must(G.Add(G.Must(G.Mul(xN, w)), b))
		weights, biases = G.Nodes{w}, G.Nodes{b}
		store = func(m *Model) {
			m.Weights = append(m.Weights[:0], w.Value().Data().([]float64)...)
			m.Bias = b.Value().Data().(float64)
		}
	}

	// Per-row loss softplus(z) − y·z is −log-likelihood, stable.
	rowLoss := G.Must(G.Sub(G.Must(G.Softplus(z)), G.Must(G.HadamardProd(yN, z))))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(swN, rowLoss))))
	for _, w := range weights {
		loss = G.Must(G.Add(loss, G.Must(G.Mul(l2, G.Must(G.Sum(G.Must(G.Square(w))))))))
	}
	learnables := append(append(G.Nodes{}, weights...), biases...)
	if _, err := G.Grad(loss, learnables...); err != nil {
		return 0, 0, fmt.Errorf("build gradient: %w", err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(learnables...))
	defer vm.Close()
	lr := opts.LearnRate
	solver := G.NewAdamSolver(G.WithLearnRate(lr))
	drops := 0

	xb := make([]float64, bs*d)
	yb := make([]float64, bs)
	sw := make([]float64, bs)
	order := append([]int(nil), trainIdx...)

	bestLoss := math.Inf(1)
	var bestW []float64
	var bestB float64
	var bestMLP *MLPWeights
	stale, epoch := 0, 0
	for epoch = 1; epoch <= opts.MaxEpochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return epoch, best, err
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for start := 0; start < len(order); start += bs {
			var total float64
			for r := range bs {
				k := start + r
				if k >= len(order) {
					yb[r], sw[r] = 0, 0
					for j := range d {
						xb[r*d+j] = 0
					}
					continue
				}
				i := order[k]
				for j := range d {
					xb[r*d+j] = (X[i][j] - m.Mean[j]) / m.Std[j]
				}
				sw[r], yb[r] = rowWeight(y[i], posWeight)
				total += sw[r]
			}
			for r := range sw {
				sw[r] /= total
			}
			for _, bind := range []struct {
				n *G.Node
				t *tensor.Dense
			}{
				{xN, tensor.New(tensor.WithShape(bs, d), tensor.WithBacking(append([]float64(nil), xb...)))},
				{yN, tensor.New(tensor.WithShape(bs), tensor.WithBacking(append([]float64(nil), yb...)))},
				{swN, tensor.New(tensor.WithShape(bs), tensor.WithBacking(append([]float64(nil), sw...)))},
			} {
				if err := G.Let(bind.n, bind.t); err != nil {
					return epoch, best, fmt.Errorf("bind %s: %w", bind.n.Name(), err)
				}
			}
			if err := vm.RunAll(); err != nil {
				return epoch, best, fmt.Errorf("epoch %d: run graph: %w", epoch, err)
			}
			if err := solver.Step(G.NodesToValueGrads(learnables)); err != nil {
				return epoch, best, fmt.Errorf("epoch %d: adam step: %w", epoch, err)
			}
			if opts.NonNegative {
				for _, w := range weights {
					data := w.Value().Data().([]float64)
					for j, v := range data {
						if v < 0 {
							data[j] = 0
						}
					}
				}
			}
			vm.Reset()
		}

		store(m)
		vl := weightedLoss(m, X, y, valIdx, posWeight)
		if !finite(vl) {
			return epoch, best, fmt.Errorf("epoch %d: training diverged (validation loss %v); lower the learning rate", epoch, vl)
		}
		if vl < bestLoss-1e-6 {
			bestLoss, stale, best = vl, 0, epoch
			bestW, bestB = append(bestW[:0], m.Weights...), m.Bias
			if m.MLP != nil {
				bestMLP = m.MLP.clone()
			}
		} else if stale++; stale >= opts.Patience {
			// Plateau: Adam's constant step leaves the weights jittering
			// around the optimum; a smaller step (fresh moments) settles
			// them. Stop once the step has dropped StepDrops times.
			if drops >= opts.StepDrops {
				break
			}
			drops, stale, lr = drops+1, 0, lr/5
			solver = G.NewAdamSolver(G.WithLearnRate(lr))
		}
	}
	m.Weights, m.Bias, m.MLP = bestW, bestB, bestMLP
	return min(epoch, opts.MaxEpochs), best, nil
}

// weightedLoss is the class-weighted mean cross-entropy of m's raw logits,
// the loss fit minimises (see rowWeight).
func weightedLoss(m *Model, X [][]float64, y []float64, rows []int, posWeight float64) float64 {
	var s, wsum float64
	for _, i := range rows {
		z := m.Logit(X[i])
		wt, t := rowWeight(y[i], posWeight)
		s += wt * (softplus(z) - t*z)
		wsum += wt
	}
	return s / wsum
}

func softplus(z float64) float64 {
	if z > 30 {
		return z
	}
	return math.Log1p(math.Exp(z))
}

// platt fits p = sigmoid(A·z + B) by Newton's method with backtracking:
// to binary labels through Platt's smoothed targets (Lin, Lin & Weng 2007),
// or, when soft, to the soft targets themselves (they are probabilities
// already; the smoothing is a prior for finite 0/1 labels).
func platt(z, y []float64, soft bool) Calibration {
	var np, nn float64
	t := make([]float64, len(y))
	if soft {
		for i, v := range y {
			t[i] = v
			np += v
			nn += 1 - v
		}
	} else {
		for _, v := range y {
			if v > 0.5 {
				np++
			} else {
				nn++
			}
		}
		hi, lo := (np+1)/(np+2), 1/(nn+2)
		for i, v := range y {
			t[i] = lo
			if v > 0.5 {
				t[i] = hi
			}
		}
	}
	nll := func(a, b float64) float64 {
		var s float64
		for i := range z {
			f := a*z[i] + b
			s += softplus(f) - t[i]*f
		}
		return s
	}
	a, b := 0.0, math.Log((np+1)/(nn+1))
	f := nll(a, b)
	for range 100 {
		var gA, gB, hAA, hAB, hBB float64
		for i := range z {
			p := sigmoid(a*z[i] + b)
			r := p - t[i]
			gA += r * z[i]
			gB += r
			v := max(p*(1-p), 1e-12)
			hAA += v * z[i] * z[i]
			hAB += v * z[i]
			hBB += v
		}
		if math.Abs(gA) < 1e-9 && math.Abs(gB) < 1e-9 {
			break
		}
		hAA += 1e-12
		hBB += 1e-12
		det := hAA*hBB - hAB*hAB
		dA := -(hBB*gA - hAB*gB) / det
		dB := -(-hAB*gA + hAA*gB) / det
		step := 1.0
		for step > 1e-10 {
			na, nb := a+step*dA, b+step*dB
			if nf := nll(na, nb); nf < f+1e-4*step*(gA*dA+gB*dB) {
				a, b, f = na, nb, nf
				break
			}
			step /= 2
		}
		if step <= 1e-10 {
			break
		}
	}
	return Calibration{A: a, B: b}
}

// evaluate scores the test rows. Binary targets are the labels; soft
// targets are turned into labels by one Bernoulli draw each from a random
// stream of its own (seeded by seed), so ROC-AUC, PR-AUC and Brier mean
// what they meant for models trained on binary labels, and the predictions
// are also compared with the targets themselves.
func evaluate(m *Model, X [][]float64, y []float64, rows []int, schema features.Schema, soft bool, seed int64) (Metrics, error) {
	probs := make([]float64, len(rows))
	labels := make([]float64, len(rows))
	count := make([]float64, len(rows))
	var binary []int
	for j, f := range schema.Features {
		if f.Unit == "0/1" {
			binary = append(binary, j)
		}
	}
	var mt Metrics
	draw := rand.New(rand.NewPCG(uint64(seed), 0x746573746c61626c)) // "testlabl"
	var pos float64
	for k, i := range rows {
		probs[k], labels[k] = m.Predict(X[i]), y[i]
		if soft {
			labels[k] = 0
			if draw.Float64() < y[i] {
				labels[k] = 1
			}
			q := min(max(probs[k], 1e-15), 1-1e-15)
			t := min(max(y[i], 1e-15), 1-1e-15)
			mt.TargetMAE += math.Abs(probs[k] - y[i])
			mt.TargetLogLoss -= y[i]*math.Log(q) + (1-y[i])*math.Log1p(-q)
			mt.TargetEntropy -= y[i]*math.Log(t) + (1-y[i])*math.Log1p(-t)
			mt.MeanTarget += y[i]
		}
		pos += labels[k]
		for _, j := range binary {
			count[k] += X[i][j]
		}
	}
	var err error
	mt.Rows = len(rows)
	mt.BaseRate = pos / float64(len(rows))
	if soft {
		n := float64(len(rows))
		mt.TargetMAE /= n
		mt.TargetLogLoss /= n
		mt.TargetEntropy /= n
		mt.MeanTarget /= n
		truth := make([]float64, len(rows))
		for k, i := range rows {
			truth[k] = y[i]
		}
		if mt.OracleROCAUC, err = ROCAUC(truth, labels); err != nil {
			return mt, err
		}
	}
	if mt.ROCAUC, err = ROCAUC(probs, labels); err != nil {
		return mt, err
	}
	if mt.PRAUC, err = PRAUC(probs, labels); err != nil {
		return mt, err
	}
	if mt.Brier, err = Brier(probs, labels); err != nil {
		return mt, err
	}
	if mt.BaselineROCAUC, err = ROCAUC(count, labels); err != nil {
		return mt, err
	}
	return mt, nil
}
