package model

import (
	"fmt"
	"sort"
)

// ROCAUC is the area under the ROC curve of scores against binary labels
// (label > 0.5 is positive): the probability that a random positive scores
// above a random negative, ties counting one half. It fails when either
// class is absent.
func ROCAUC(scores, labels []float64) (float64, error) {
	pos, neg, err := classCounts(scores, labels)
	if err != nil {
		return 0, err
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("roc-auc needs both classes: %d positives, %d negatives", pos, neg)
	}
	// Mann–Whitney U with mid-ranks for ties.
	idx := order(scores)
	var rankSumPos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // ranks i+1..j, averaged
		for _, k := range idx[i:j] {
			if labels[k] > 0.5 {
				rankSumPos += mid
			}
		}
		i = j
	}
	u := rankSumPos - float64(pos)*float64(pos+1)/2
	return u / (float64(pos) * float64(neg)), nil
}

// PRAUC is the area under the precision–recall curve as average precision:
// Σ (R_k − R_{k−1})·P_k over thresholds at each distinct score, highest
// first (tied scores form one threshold). It fails without positives.
func PRAUC(scores, labels []float64) (float64, error) {
	pos, _, err := classCounts(scores, labels)
	if err != nil {
		return 0, err
	}
	if pos == 0 {
		return 0, fmt.Errorf("pr-auc needs positives")
	}
	idx := order(scores)
	var ap float64
	tp, seen := 0, 0
	for i := len(idx) - 1; i >= 0; {
		j := i
		newTP := 0
		for j >= 0 && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] > 0.5 {
				newTP++
			}
			seen++
			j--
		}
		tp += newTP
		ap += float64(newTP) / float64(pos) * float64(tp) / float64(seen)
		i = j
	}
	return ap, nil
}

// Brier is the mean squared difference between probabilities and labels.
func Brier(probs, labels []float64) (float64, error) {
	if _, _, err := classCounts(probs, labels); err != nil {
		return 0, err
	}
	var s float64
	for i, p := range probs {
		d := p - labels[i]
		s += d * d
	}
	return s / float64(len(probs)), nil
}

// RecallAtPrecision is the highest recall reached at a threshold whose
// precision is at least minPrecision (0 when none is).
func RecallAtPrecision(scores, labels []float64, minPrecision float64) (float64, error) {
	pos, _, err := classCounts(scores, labels)
	if err != nil {
		return 0, err
	}
	if pos == 0 {
		return 0, fmt.Errorf("recall needs positives")
	}
	idx := order(scores)
	best := 0.0
	tp, seen := 0, 0
	for i := len(idx) - 1; i >= 0; {
		j := i
		for j >= 0 && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] > 0.5 {
				tp++
			}
			seen++
			j--
		}
		if float64(tp)/float64(seen) >= minPrecision {
			best = max(best, float64(tp)/float64(pos))
		}
		i = j
	}
	return best, nil
}

func classCounts(scores, labels []float64) (pos, neg int, err error) {
	if len(scores) != len(labels) {
		return 0, 0, fmt.Errorf("%d scores but %d labels", len(scores), len(labels))
	}
	if len(scores) == 0 {
		return 0, 0, fmt.Errorf("no rows")
	}
	for _, l := range labels {
		if l > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	return pos, neg, nil
}

// order returns the indices of scores sorted ascending.
func order(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	return idx
}
