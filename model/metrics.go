package model

import (
	"cmp"
	"fmt"
	"slices"
)

// TieRules says how every metric treats tied scores. A model rarely ties,
// but a baseline with a few distinct values ties almost everywhere.
const TieRules = "Effort is the share of rows flagged, highest score first; coverage is the share of positives among them (recall). " +
	"Tied scores: ROC-AUC counts a tied positive–negative pair as one half, the expected value over a random order of the tied rows. " +
	"PR-AUC (average precision) and recall at a precision put thresholds only between distinct scores, so tied rows are flagged together or not at all (scikit-learn's rule). " +
	"Coverage at an effort, and the effort for a coverage, flag part of a tie group when the effort ends inside it: the part catches the group's positives in proportion, the expected value over random orders of the tie, on a curve linear between rows."

// ROCAUC is the area under the ROC curve of scores against binary labels
// (label > 0.5 is positive): the probability that a random positive scores
// above a random negative, ties counting one half. It fails when either
// class is absent.
func ROCAUC(scores, labels []float64) (float64, error) {
	c, err := curveOf(scores, labels)
	if err != nil {
		return 0, err
	}
	if c.pos == 0 || c.neg == 0 {
		return 0, fmt.Errorf("roc-auc needs both classes: %v positives, %v negatives", c.pos, c.neg)
	}
	return c.roc, nil
}

// PRAUC is the area under the precision–recall curve as average precision:
// Σ (R_k − R_{k−1})·P_k over thresholds at each distinct score, highest
// first (tied scores form one threshold). It fails without positives.
func PRAUC(scores, labels []float64) (float64, error) {
	c, err := curveOf(scores, labels)
	if err != nil {
		return 0, err
	}
	if c.pos == 0 {
		return 0, fmt.Errorf("pr-auc needs positives")
	}
	return c.ap, nil
}

// Brier is the mean squared difference between probabilities and labels.
func Brier(probs, labels []float64) (float64, error) {
	if err := checkLengths(probs, labels); err != nil {
		return 0, err
	}
	return brier(probs, labels, nil), nil
}

// RecallAtPrecision is the highest recall reached at a threshold (between
// distinct scores) whose precision is at least minPrecision; 0 when none is.
func RecallAtPrecision(scores, labels []float64, minPrecision float64) (float64, error) {
	c, err := curveOf(scores, labels, curveLevels{precisions: []float64{minPrecision}})
	if err != nil {
		return 0, err
	}
	if c.pos == 0 {
		return 0, fmt.Errorf("recall needs positives")
	}
	return c.recallAtPrecision[0], nil
}

// CoverageAtEffort is the share of positives among the top effort share of
// rows, highest scores first; a tie group the effort ends inside counts
// its positives in proportion (the expected value over random tie order).
func CoverageAtEffort(scores, labels []float64, effort float64) (float64, error) {
	c, err := curveOf(scores, labels, curveLevels{efforts: []float64{effort}})
	if err != nil {
		return 0, err
	}
	if c.pos == 0 {
		return 0, fmt.Errorf("coverage needs positives")
	}
	return c.coverage[0], nil
}

// EffortForCoverage is the smallest share of rows, highest scores first,
// whose expected coverage (ties in random order, as in CoverageAtEffort)
// reaches coverage.
func EffortForCoverage(scores, labels []float64, coverage float64) (float64, error) {
	c, err := curveOf(scores, labels, curveLevels{coverages: []float64{coverage}})
	if err != nil {
		return 0, err
	}
	if c.pos == 0 {
		return 0, fmt.Errorf("effort needs positives")
	}
	return c.effort[0], nil
}

// curveOf ranks scores and measures them against labels, every row
// weighing 1.
func curveOf(scores, labels []float64, lv ...curveLevels) (curve, error) {
	if err := checkLengths(scores, labels); err != nil {
		return curve{}, err
	}
	var l curveLevels
	if len(lv) > 0 {
		l = lv[0]
	}
	return rank(scores).curve(labels, nil, l), nil
}

func checkLengths(scores, labels []float64) error {
	if len(scores) != len(labels) {
		return fmt.Errorf("%d scores but %d labels", len(scores), len(labels))
	}
	if len(scores) == 0 {
		return fmt.Errorf("no rows")
	}
	return nil
}

// ranking is rows in descending score order, cut into tie groups. It is
// computed once per scorer; bootstrap resamples only change row weights.
type ranking struct {
	order []int // row indices, highest score first (ties by index)
	ends  []int // end (exclusive) in order of each tie group
}

func rank(scores []float64) ranking {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	var ends []int
	for k := 1; k <= len(order); k++ {
		if k == len(order) || scores[order[k]] != scores[order[k-1]] {
			ends = append(ends, k)
		}
	}
	return ranking{order: order, ends: ends}
}

// curveLevels are the operating points a curve is read at.
type curveLevels struct {
	precisions []float64 // recall at precision ≥ each
	efforts    []float64 // coverage at each share of rows flagged
	coverages  []float64 // effort to reach each coverage
}

// curve holds a ranking's metrics against one set of labels and weights.
type curve struct {
	pos, neg          float64 // total weight of positives and negatives
	roc, ap           float64 // meaningful only with both classes
	recallAtPrecision []float64
	coverage          []float64
	effort            []float64
}

// curve walks the tie groups once, highest first. w weighs each row (a
// bootstrap resample counts how often a row was drawn); nil weighs 1.
func (r ranking) curve(labels, w []float64, l curveLevels) curve {
	weight := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	type group struct{ p, n float64 }
	groups := make([]group, 0, len(r.ends))
	var c curve
	start := 0
	for _, end := range r.ends {
		var g group
		for _, i := range r.order[start:end] {
			if labels[i] > 0.5 {
				g.p += weight(i)
			} else {
				g.n += weight(i)
			}
		}
		start = end
		if g.p+g.n == 0 {
			continue // no row of this group drawn
		}
		groups = append(groups, g)
		c.pos += g.p
		c.neg += g.n
	}
	c.recallAtPrecision = make([]float64, len(l.precisions))
	c.coverage = make([]float64, len(l.efforts))
	c.effort = make([]float64, len(l.coverages))
	if c.pos == 0 {
		return c
	}
	total := c.pos + c.neg
	var tp, seen, negAbove float64
	for _, g := range groups {
		// Positives here beat the negatives below; tied pairs count ½.
		c.roc += g.p * (c.neg - negAbove - g.n + g.n/2)
		negAbove += g.n
		// Flagging this whole group: coverage at the efforts it spans
		// and the effort where a coverage is reached, in proportion
		// within the group.
		gw := g.p + g.n
		for k, e := range l.efforts {
			if at := e * total; at > seen && at <= seen+gw {
				c.coverage[k] = (tp + (at-seen)/gw*g.p) / c.pos
			} else if at > seen+gw {
				c.coverage[k] = (tp + g.p) / c.pos
			}
		}
		for k, cov := range l.coverages {
			need := cov * c.pos
			if g.p > 0 && tp < need && tp+g.p >= need*(1-1e-12) {
				c.effort[k] = (seen + min((need-tp)/g.p, 1)*gw) / total
			}
		}
		tp += g.p
		seen += gw
		c.ap += g.p / c.pos * tp / seen
		for k, p := range l.precisions {
			if tp/seen >= p {
				c.recallAtPrecision[k] = max(c.recallAtPrecision[k], tp/c.pos)
			}
		}
	}
	if c.neg > 0 {
		c.roc /= c.pos * c.neg
	}
	for k, cov := range l.coverages {
		if cov <= 0 {
			c.effort[k] = 0
		}
	}
	return c
}

// brier is the weighted mean squared difference of probs and labels.
func brier(probs, labels, w []float64) float64 {
	var s, ws float64
	for i, p := range probs {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		d := p - labels[i]
		s += wi * d * d
		ws += wi
	}
	return s / ws
}
