package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
)

// The operating points every Evaluation reports.
var (
	// EvalPrecisions: recall at precision at least each (one flagged row
	// in two, four in five is a real attack).
	EvalPrecisions = []float64{0.5, 0.8}
	// EvalEfforts: coverage when flagging this share of rows, highest
	// risk first (EPSS's "effort").
	EvalEfforts = []float64{0.05, 0.15}
	// EvalCoverages: the effort needed to reach this coverage (recall).
	EvalCoverages = []float64{0.8, 0.9}
)

// Defaults of EvalOptions.
const (
	DefaultResamples = 200
	reliabilityBins  = 10
)

// EvalOptions tune Evaluate and Compare.
type EvalOptions struct {
	// Seed draws the labels of soft targets (one Bernoulli(p) per row,
	// the stream Train's test metrics use) and the bootstrap resamples.
	// The same seed and rows give the same Evaluation, and every scorer
	// Compare runs sees the same labels and the same resamples.
	Seed int64
	// Resamples for the 95 % intervals; 0 for DefaultResamples, negative
	// for none (every interval is then the value itself).
	Resamples int
	// RankOnly: the scores only order rows (a baseline's counts), so
	// Brier and the reliability table, which need probabilities, are
	// left out.
	RankOnly bool
}

// Estimate is a value with its bootstrap 95 % interval: the 2.5th and
// 97.5th percentiles of the value over resamples.
type Estimate struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// RecallAt is the recall reached at precision at least Precision.
type RecallAt struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// CoverageAt is the share of positives caught when flagging the top Effort
// share of rows.
type CoverageAt struct {
	Effort   float64  `json:"effort"`
	Coverage Estimate `json:"coverage"`
}

// EffortFor is the share of rows to flag, highest first, for Coverage.
type EffortFor struct {
	Coverage float64 `json:"coverage"`
	Effort   float64 `json:"effort"`
}

// Bin is one row of a reliability table: rows whose predicted risk lies in
// [Lo, Hi], the mean of their predictions and the share of them that were
// positive.
type Bin struct {
	Lo            float64 `json:"lo"`
	Hi            float64 `json:"hi"`
	Rows          int     `json:"rows"`
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
}

// Evaluation is how well one scorer ranks (and, for probabilities,
// predicts) held-out rows. Ties are handled as metrics.go states.
type Evaluation struct {
	Name string `json:"name"`
	// Rule says how the scorer ranks (Scorer.Rule), when Compare ran it.
	Rule      string `json:"rule,omitempty"`
	Rows      int    `json:"rows"`
	Positives int    `json:"positives"`
	// BaseRate is Positives/Rows: the PR-AUC of a random order, the
	// no-skill line (random order has ROC-AUC 0.5 and coverage = effort).
	BaseRate float64 `json:"base_rate"`
	// Labels is "binary" (the targets) or "drawn": one Bernoulli(p)
	// draw per row of soft targets.
	Labels string    `json:"labels"`
	ROCAUC Estimate  `json:"roc_auc"`
	PRAUC  Estimate  `json:"pr_auc"`          // average precision
	Brier  *Estimate `json:"brier,omitempty"` // probabilities only
	// RecallAtPrecision at each of EvalPrecisions.
	RecallAtPrecision []RecallAt `json:"recall_at_precision"`
	// Coverage at each of EvalEfforts, with intervals.
	Coverage []CoverageAt `json:"coverage"`
	// Effort for each of EvalCoverages.
	Effort []EffortFor `json:"effort"`
	// Reliability: predicted risk in equal-count bins (deciles of rows
	// by predicted risk; tied predictions are never split, so a large
	// tie makes fewer, larger bins). Probabilities only.
	Reliability []Bin `json:"reliability,omitempty"`
	// Resampled is "rows", or "groups" when the rows carry groups (a row
	// without one is a group of its own); Units counts them. Resamples
	// is how many resamples the intervals come from: those without both
	// classes are skipped.
	Resampled string `json:"resampled"`
	Units     int    `json:"units"`
	Resamples int    `json:"resamples"`
	Seed      int64  `json:"seed"`
}

// Evaluate measures score on every row of d; the caller passes held-out
// rows only. Soft targets become labels by one Bernoulli(p) draw per row
// with o.Seed. Intervals come from o.Resamples bootstrap resamples of the
// rows, or of the groups when d.Group names any: with replacement, the
// same number of units as d has, seeded by o.Seed.
func Evaluate(score func(x []float64) float64, d Dataset, o EvalOptions) (Evaluation, error) {
	if err := d.Check(); err != nil {
		return Evaluation{}, err
	}
	if d.Len() == 0 {
		return Evaluation{}, fmt.Errorf("evaluate on %s: no rows", d.Source)
	}
	labels, drawn, err := hardLabels(d.Y, o.Seed)
	if err != nil {
		return Evaluation{}, fmt.Errorf("evaluate on %s: %w", d.Source, err)
	}
	scores := make([]float64, d.Len())
	width := len(d.X[0])
	for i, x := range d.X {
		if len(x) != width {
			return Evaluation{}, fmt.Errorf("evaluate on %s: row %d has %d features, row 0 has %d", d.Source, i, len(x), width)
		}
		scores[i] = score(x)
		if math.IsNaN(scores[i]) {
			return Evaluation{}, fmt.Errorf("evaluate on %s: row %d scores NaN", d.Source, i)
		}
		if !o.RankOnly && !(scores[i] >= 0 && scores[i] <= 1) {
			return Evaluation{}, fmt.Errorf("evaluate on %s: row %d scores %v, want a probability in [0, 1] (or RankOnly)", d.Source, i, scores[i])
		}
	}

	r := rank(scores)
	lv := curveLevels{precisions: EvalPrecisions, efforts: EvalEfforts, coverages: EvalCoverages}
	c := r.curve(labels, nil, lv)
	if c.pos == 0 || c.neg == 0 {
		return Evaluation{}, fmt.Errorf("evaluate on %s: %d rows hold %v positives and %v negatives, want both", d.Source, d.Len(), c.pos, c.neg)
	}
	e := Evaluation{
		Rows:      d.Len(),
		Positives: int(c.pos),
		BaseRate:  c.pos / float64(d.Len()),
		Labels:    TargetsBinary,
		ROCAUC:    Estimate{Value: c.roc},
		PRAUC:     Estimate{Value: c.ap},
		Seed:      o.Seed,
	}
	if drawn {
		e.Labels = "drawn"
	}
	for k, p := range EvalPrecisions {
		e.RecallAtPrecision = append(e.RecallAtPrecision, RecallAt{Precision: p, Recall: c.recallAtPrecision[k]})
	}
	for k, ef := range EvalEfforts {
		e.Coverage = append(e.Coverage, CoverageAt{Effort: ef, Coverage: Estimate{Value: c.coverage[k]}})
	}
	for k, cov := range EvalCoverages {
		e.Effort = append(e.Effort, EffortFor{Coverage: cov, Effort: c.effort[k]})
	}
	if !o.RankOnly {
		e.Brier = &Estimate{Value: brier(scores, labels, nil)}
		e.Reliability = reliability(scores, labels, r)
	}

	unitOf, units := resamplingUnits(d)
	e.Resampled, e.Units = "rows", units
	if d.Group != nil && units < d.Len() {
		e.Resampled = "groups"
		if units < MinResampleGroups {
			// Too few groups to resample (one snapshot gives a zero-width
			// interval): resample rows, and say so.
			nd := d
			nd.Group = nil
			unitOf, units = resamplingUnits(nd)
			e.Resampled = fmt.Sprintf("rows (only %d groups)", e.Units)
			e.Units = units
		}
	}
	n := o.Resamples
	if n == 0 {
		n = DefaultResamples
	}
	var roc, ap, br []float64
	cov := make([][]float64, len(EvalEfforts))
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x626f6f7473747270)) // "bootstrp"
	drawnUnits := make([]float64, units)
	w := make([]float64, d.Len())
	for range max(n, 0) {
		clear(drawnUnits)
		for range units {
			drawnUnits[rng.IntN(units)]++
		}
		for i, u := range unitOf {
			w[i] = drawnUnits[u]
		}
		rc := r.curve(labels, w, lv)
		if rc.pos == 0 || rc.neg == 0 {
			continue
		}
		roc, ap = append(roc, rc.roc), append(ap, rc.ap)
		for k := range EvalEfforts {
			cov[k] = append(cov[k], rc.coverage[k])
		}
		if e.Brier != nil {
			br = append(br, brier(scores, labels, w))
		}
	}
	e.Resamples = len(roc)
	e.ROCAUC.Lo, e.ROCAUC.Hi = interval(roc, e.ROCAUC.Value)
	e.PRAUC.Lo, e.PRAUC.Hi = interval(ap, e.PRAUC.Value)
	for k := range e.Coverage {
		e.Coverage[k].Coverage.Lo, e.Coverage[k].Coverage.Hi = interval(cov[k], e.Coverage[k].Coverage.Value)
	}
	if e.Brier != nil {
		e.Brier.Lo, e.Brier.Hi = interval(br, e.Brier.Value)
	}
	return e, nil
}

// hardLabels turns targets into 0/1 labels. Binary targets are the labels;
// soft targets (any strictly between 0 and 1) get one Bernoulli draw per
// row, in row order, from the stream Train's test metrics draw from with
// the same seed, so an evaluation of Train's test rows sees its labels.
func hardLabels(y []float64, seed int64) (labels []float64, drawn bool, err error) {
	for i, v := range y {
		if !(v >= 0 && v <= 1) {
			return nil, false, fmt.Errorf("row %d target is %v, want a label 0 or 1 or a probability in [0, 1]", i, v)
		}
	}
	labels = make([]float64, len(y))
	if !isSoft(y) {
		for i, v := range y {
			if v > 0.5 {
				labels[i] = 1
			}
		}
		return labels, false, nil
	}
	draw := rand.New(rand.NewPCG(uint64(seed), 0x746573746c61626c)) // "testlabl", as in evaluate (train.go)
	for i, v := range y {
		if draw.Float64() < v {
			labels[i] = 1
		}
	}
	return labels, true, nil
}

// resamplingUnits numbers the groups of d's rows (a row without a group is
// its own), in order of first appearance.
// MinResampleGroups is how many groups a bootstrap over groups needs;
// with fewer, Evaluate resamples rows.
const MinResampleGroups = 10

func resamplingUnits(d Dataset) (unitOf []int, units int) {
	unitOf = make([]int, d.Len())
	seen := map[string]int{}
	for i := range unitOf {
		if d.Group == nil || d.Group[i] == "" {
			unitOf[i] = units
			units++
			continue
		}
		u, ok := seen[d.Group[i]]
		if !ok {
			u = units
			seen[d.Group[i]] = u
			units++
		}
		unitOf[i] = u
	}
	return unitOf, units
}

// interval is the 2.5th and 97.5th percentiles of vs (linear between order
// statistics); without resamples, the value itself.
func interval(vs []float64, value float64) (lo, hi float64) {
	if len(vs) == 0 {
		return value, value
	}
	slices.Sort(vs)
	q := func(p float64) float64 {
		h := p * float64(len(vs)-1)
		f := math.Floor(h)
		i := int(f)
		if i+1 >= len(vs) {
			return vs[len(vs)-1]
		}
		return vs[i] + (h-f)*(vs[i+1]-vs[i])
	}
	return q(0.025), q(0.975)
}

// reliability cuts rows, lowest risk first, into reliabilityBins bins of
// about equal count, closing a bin only between distinct risks.
func reliability(scores, labels []float64, r ranking) []Bin {
	n := len(scores)
	var bins []Bin
	var b Bin
	var sum, pos float64
	rows, next := 0, 1 // rows binned so far; the decile boundary the open bin closes at
	// r.order is highest first: walk its tie groups backwards.
	for g := len(r.ends) - 1; g >= 0; g-- {
		end := r.ends[g]
		begin := 0
		if g > 0 {
			begin = r.ends[g-1]
		}
		if b.Rows == 0 {
			b.Lo = scores[r.order[begin]]
		}
		for _, i := range r.order[begin:end] {
			sum += scores[i]
			pos += labels[i]
			b.Rows++
		}
		b.Hi = scores[r.order[begin]]
		rows += end - begin
		if rows*reliabilityBins >= next*n || g == 0 {
			b.MeanPredicted, b.Observed = sum/float64(b.Rows), pos/float64(b.Rows)
			bins = append(bins, b)
			b, sum, pos = Bin{}, 0, 0
			next = rows*reliabilityBins/n + 1
		}
	}
	return bins
}

// Scorer ranks rows: the model, or a baseline rule.
type Scorer struct {
	Name string
	// Rule says in words how Score ranks, for the card and the CLI.
	Rule  string
	Score func(x []float64) float64
	// Probability: Score is a calibrated probability, so Brier and the
	// reliability table apply; otherwise it only orders rows.
	Probability bool
}

// ModelScorer scores rows with m's calibrated risk.
func ModelScorer(m *Model, name string) Scorer {
	return Scorer{
		Name:        name,
		Rule:        "the model's calibrated risk",
		Score:       m.Predict,
		Probability: true,
	}
}

// Comparison is scorers evaluated on the same rows, labels and resamples:
// the model first, then each baseline.
type Comparison struct {
	Source      string       `json:"source"`
	Evaluations []Evaluation `json:"evaluations"`
}

// Compare evaluates every scorer on d with the same options (and so the
// same labels and resamples).
func Compare(scorers []Scorer, d Dataset, o EvalOptions) (Comparison, error) {
	c := Comparison{Source: d.Source}
	for _, s := range scorers {
		so := o
		so.RankOnly = !s.Probability
		e, err := Evaluate(s.Score, d, so)
		if err != nil {
			return Comparison{}, fmt.Errorf("%s: %w", s.Name, err)
		}
		e.Name, e.Rule = s.Name, s.Rule
		c.Evaluations = append(c.Evaluations, e)
	}
	return c, nil
}

// Table returns the comparison as cells: a header and one row per scorer,
// with intervals in brackets; a baseline's Brier is "–" (its scores are
// not probabilities).
func (c Comparison) Table() (header []string, rows [][]string) {
	header = []string{"scorer", "ROC-AUC [95 % CI]", "PR-AUC [95 % CI]", "Brier [95 % CI]"}
	for _, p := range EvalPrecisions {
		header = append(header, "recall @ precision "+strconv.FormatFloat(p, 'g', -1, 64))
	}
	for _, ef := range EvalEfforts {
		header = append(header, "coverage @ "+pct(ef)+" effort")
	}
	for _, cov := range EvalCoverages {
		header = append(header, "effort for "+pct(cov)+" coverage")
	}
	for _, e := range c.Evaluations {
		row := []string{e.Name, e.ROCAUC.format("%.3f"), e.PRAUC.format("%.3f"), "–"}
		if e.Brier != nil {
			row[3] = e.Brier.format("%.4f")
		}
		for _, r := range e.RecallAtPrecision {
			row = append(row, fmt.Sprintf("%.3f", r.Recall))
		}
		for _, cv := range e.Coverage {
			row = append(row, cv.Coverage.format("%.3f"))
		}
		for _, ef := range e.Effort {
			row = append(row, fmt.Sprintf("%.3f", ef.Effort))
		}
		rows = append(rows, row)
	}
	return header, rows
}

func (e Estimate) format(f string) string {
	return fmt.Sprintf(f+" ["+f+", "+f+"]", e.Value, e.Lo, e.Hi)
}

func pct(v float64) string { return strconv.FormatFloat(100*v, 'g', -1, 64) + " %" }

// SplitByGroup holds out about testFrac of d's rows, whole groups at a
// time (a row without a group is its own), chosen at random with seed.
// Every part keeps d's row order.
func SplitByGroup(d Dataset, testFrac float64, seed int64) (train, test Dataset, err error) {
	if err := d.Check(); err != nil {
		return train, test, err
	}
	if !(testFrac > 0 && testFrac < 1) {
		return train, test, fmt.Errorf("split %s: test fraction %v, want between 0 and 1", d.Source, testFrac)
	}
	unitOf, units := resamplingUnits(d)
	if units < 2 {
		return train, test, fmt.Errorf("split %s by group: %d rows in %d group, want at least 2 groups", d.Source, d.Len(), units)
	}
	rows := make([]int, units)
	for _, u := range unitOf {
		rows[u]++
	}
	// Units are numbered by first appearance, so the draw depends on the
	// rows' order and seed only.
	perm := rand.New(rand.NewPCG(uint64(seed), 0x73706c6974)).Perm(units) // "split"
	want := max(1, int(math.Round(testFrac*float64(d.Len()))))
	held := make([]bool, units)
	taken, heldUnits := 0, 0
	for _, u := range perm {
		if taken >= want || heldUnits == units-1 {
			break
		}
		held[u] = true
		taken += rows[u]
		heldUnits++
	}
	var trainIdx, testIdx []int
	for i, u := range unitOf {
		if held[u] {
			testIdx = append(testIdx, i)
		} else {
			trainIdx = append(trainIdx, i)
		}
	}
	return subset(d, trainIdx), subset(d, testIdx), nil
}

// SplitByTime holds out the latest rows by Time: at least testFrac of
// them, and with them every row observed at the same time as the
// earliest one held out, so no instant is in both parts. Every part keeps
// d's row order.
func SplitByTime(d Dataset, testFrac float64) (train, test Dataset, err error) {
	if err := d.Check(); err != nil {
		return train, test, err
	}
	if !(testFrac > 0 && testFrac < 1) {
		return train, test, fmt.Errorf("split %s: test fraction %v, want between 0 and 1", d.Source, testFrac)
	}
	if d.Time == nil {
		return train, test, fmt.Errorf("split %s by time: the rows carry no times", d.Source)
	}
	for i, t := range d.Time {
		if t.IsZero() {
			return train, test, fmt.Errorf("split %s by time: row %d has no time", d.Source, i)
		}
	}
	idx := make([]int, d.Len())
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return d.Time[idx[a]].Before(d.Time[idx[b]]) })
	want := max(1, int(math.Round(testFrac*float64(d.Len()))))
	cut := d.Time[idx[len(idx)-min(want, len(idx))]]
	var trainIdx, testIdx []int
	for i, t := range d.Time {
		if t.Before(cut) {
			trainIdx = append(trainIdx, i)
		} else {
			testIdx = append(testIdx, i)
		}
	}
	if len(trainIdx) == 0 {
		return train, test, fmt.Errorf("split %s by time: every row is at or after %s, nothing left to train on", d.Source, cut.Format("2006-01-02T15:04:05Z07:00"))
	}
	return subset(d, trainIdx), subset(d, testIdx), nil
}

// subset is the rows idx of d, in that order.
func subset(d Dataset, idx []int) Dataset {
	out := Dataset{Source: d.Source}
	for _, i := range idx {
		out.X = append(out.X, d.X[i])
		out.Y = append(out.Y, d.Y[i])
		if d.Group != nil {
			out.Group = append(out.Group, d.Group[i])
		}
		if d.Time != nil {
			out.Time = append(out.Time, d.Time[i])
		}
	}
	return out
}
