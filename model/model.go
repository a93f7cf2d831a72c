// Package model is posture's risk model: a logistic regression or a small
// MLP trained with gorgonia, Platt-calibrated, with per-feature
// explanations, a versioned file format, evaluation metrics and a
// bootstrap data generator (the attack simulator's first, per-resource
// version).
//
// gorgonia is used only in this package, and only while training: scoring a
// resource is plain Go arithmetic on the stored weights.
package model

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
)

// Model kinds.
const (
	KindLogReg = "logreg" // logistic regression: Weights, Bias
	KindMLP    = "mlp"    // one hidden tanh layer: MLP (Weights and Bias unused)
)

// Model is a trained, calibrated model over a feature schema.
//
// On standardised inputs x̂[i] = (x[i]−Mean[i])/Std[i], the raw logit z of
// a KindLogReg model is Bias + Σ Weights[i]·x̂[i]; that of a KindMLP model
// is given by MLP (see MLPWeights), with Weights empty and Bias 0. The
// risk is the calibrated probability sigmoid(A·z + B).
type Model struct {
	Kind          string      `json:"kind"`
	SchemaVersion string      `json:"schema_version"`
	SchemaHash    string      `json:"schema_hash"`
	FeatureNames  []string    `json:"feature_names"`
	Weights       []float64   `json:"weights"`       // on standardised inputs; KindLogReg only
	Bias          float64     `json:"bias"`          // KindLogReg only
	MLP           *MLPWeights `json:"mlp,omitempty"` // KindMLP only
	Mean          []float64   `json:"mean"`
	Std           []float64   `json:"std"` // 1 where a feature was constant in training
	// NonNegative: every weight was held at or above 0 in training (for
	// an MLP, W1 and W2; biases are free), so the logit is non-decreasing
	// in every feature: fixing or accepting a signal never makes a
	// resource look riskier.
	NonNegative bool        `json:"non_negative,omitempty"`
	Calibration Calibration `json:"calibration"`
	Provenance  Provenance  `json:"provenance"`
	Metrics     Metrics     `json:"metrics"`
}

// Calibration holds Platt scaling: p = sigmoid(A·z + B) for raw logit z.
type Calibration struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Provenance says what the model was trained on and how.
type Provenance struct {
	Source    string    `json:"source"` // "bootstrap-simulator v1", "labels:<store>", …
	Rows      int       `json:"rows"`
	Positives int       `json:"positives"`
	Seed      int64     `json:"seed"`
	Trained   time.Time `json:"trained"`
	Command   string    `json:"command,omitempty"`
	Notes     string    `json:"notes,omitempty"`
	// Targets is TargetsBinary (Positives counts the rows labelled 1) or
	// TargetsProbability (soft targets; Positives is 0 and MeanTarget is
	// the mean probability over all rows).
	Targets    string  `json:"targets,omitempty"`
	MeanTarget float64 `json:"mean_target,omitempty"`
	PosWeight  float64 `json:"pos_weight,omitempty"` // weight of a positive in the training loss
	// Split says how held-out rows were chosen: "random", "stratified"
	// or "by group" (whole estates or snapshots).
	Split string `json:"split,omitempty"`
}

// Metrics are measured on held-out rows that took no part in fitting,
// early stopping or calibration. ROCAUC, PRAUC, Brier, BaseRate and the
// baseline use binary labels: the targets themselves, or for soft targets
// one Bernoulli draw per row from a random stream of its own.
type Metrics struct {
	Rows     int     `json:"rows"`
	ROCAUC   float64 `json:"roc_auc"`
	PRAUC    float64 `json:"pr_auc"` // average precision
	Brier    float64 `json:"brier"`
	BaseRate float64 `json:"base_rate"`
	// BaselineROCAUC ranks by the count of binary features set (a "number
	// of failed checks" baseline) on the same rows.
	BaselineROCAUC float64 `json:"baseline_roc_auc"`
	Epochs         int     `json:"epochs"`               // epochs run before early stopping
	BestEpoch      int     `json:"best_epoch,omitempty"` // the epoch whose weights were kept

	// Soft targets only: the predictions against the targets p.
	MeanTarget    float64 `json:"mean_target,omitempty"`     // mean p on the test rows
	TargetMAE     float64 `json:"target_mae,omitempty"`      // mean |risk − p|
	TargetLogLoss float64 `json:"target_log_loss,omitempty"` // mean −[p·ln risk + (1−p)·ln(1−risk)]
	TargetEntropy float64 `json:"target_entropy,omitempty"`  // the same with risk = p: the floor TargetLogLoss could reach
	OracleROCAUC  float64 `json:"oracle_roc_auc,omitempty"`  // ROC-AUC of p itself on the drawn labels: the ceiling
}

// Logit returns the raw, uncalibrated log-odds for x (in FeatureNames order).
func (m *Model) Logit(x []float64) float64 {
	if m.Kind == KindMLP {
		return m.mlpLogit(x)
	}
	z := m.Bias
	for i, w := range m.Weights {
		z += w * (x[i] - m.Mean[i]) / m.Std[i]
	}
	return z
}

// Predict returns the calibrated probability of attack for x.
func (m *Model) Predict(x []float64) float64 {
	return sigmoid(m.Calibration.A*m.Logit(x) + m.Calibration.B)
}

// WhatIf returns the risk of x with the features at featureIdx set to 0, as
// if the signals behind them were fixed. Derived features are not
// recomputed here: features.Schema.ClearedBy gives the positions a fix
// clears, derived path features included.
func (m *Model) WhatIf(x []float64, featureIdx []int) float64 {
	fixed := slices.Clone(x)
	for _, i := range featureIdx {
		if i >= 0 && i < len(fixed) {
			fixed[i] = 0
		}
	}
	return m.Predict(fixed)
}

// Explain returns up to k facts of x that raise its risk the most, largest
// first. The contribution of fact i is in the calibrated log-odds,
// A·(Logit(x) − Logit(x with x_i = 0)): how much the fact adds against the
// same resource without it, everything else kept. For a logistic
// regression that is A·w_i·x_i/std_i, and the contributions add up; for an
// MLP each is exact on its own but they need not add up (two facts that
// each open the same path share it). Only features present in x (x_i > 0)
// with a positive effect are reasons. Text and Signal come from schema;
// features missing from it are named as they are.
func (m *Model) Explain(x []float64, schema features.Schema, k int) []inventory.Reason {
	var out []inventory.Reason
	var without []float64 // x with one feature cleared, for an MLP
	var z float64
	if m.Kind == KindMLP {
		without, z = slices.Clone(x), m.Logit(x)
	}
	for i := range m.FeatureNames {
		// A reason is a fact the resource has: its contribution is
		// measured against the same resource without it (x = 0), not
		// against the training mean, so absent facts never become reasons.
		if x[i] <= 0 {
			continue
		}
		var c float64
		if m.Kind == KindMLP {
			without[i] = 0
			c = m.Calibration.A * (z - m.Logit(without))
			without[i] = x[i]
		} else {
			// The occlusion difference in closed form (the means cancel).
			c = m.Calibration.A * m.Weights[i] * x[i] / m.Std[i]
		}
		if c <= 0 {
			continue
		}
		r := inventory.Reason{Feature: m.FeatureNames[i], Text: m.FeatureNames[i], Contribution: c}
		if j := schema.Index(m.FeatureNames[i]); j >= 0 {
			r.Signal = schema.Features[j].Signal
			r.Text = schema.Features[j].Meaning
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Contribution > out[b].Contribution })
	if k >= 0 && len(out) > k {
		out = out[:k]
	}
	return out
}

// Check returns an error unless the model was trained on schema s.
func (m *Model) Check(s features.Schema) error {
	if m.SchemaVersion != s.Version || m.SchemaHash != s.Hash() || !slices.Equal(m.FeatureNames, s.Names()) {
		return fmt.Errorf("%w: model was trained on feature schema version %q (hash %s, %d features) but this posture extracts version %q (hash %s, %d features); retrain the model with posture train",
			ErrSchemaMismatch, m.SchemaVersion, m.SchemaHash, len(m.FeatureNames), s.Version, s.Hash(), len(s.Features))
	}
	return nil
}

// validate checks the model's internal consistency after loading.
func (m *Model) validate() error {
	d := len(m.FeatureNames)
	if d == 0 {
		return fmt.Errorf("model has no features")
	}
	if len(m.Mean) != d || len(m.Std) != d {
		return fmt.Errorf("model has %d feature names but %d means and %d stds", d, len(m.Mean), len(m.Std))
	}
	for i := range d {
		if !finite(m.Mean[i]) || !finite(m.Std[i]) || m.Std[i] <= 0 {
			return fmt.Errorf("feature %q has mean %v, std %v: want finite numbers and std > 0", m.FeatureNames[i], m.Mean[i], m.Std[i])
		}
	}
	if !finite(m.Calibration.A) || !finite(m.Calibration.B) {
		return fmt.Errorf("model has a non-finite calibration (a %v, b %v)", m.Calibration.A, m.Calibration.B)
	}
	if m.NonNegative && m.Calibration.A < 0 {
		return fmt.Errorf("model is marked non_negative but its calibration slope is %v: want ≥ 0, or fixing a signal could raise the risk", m.Calibration.A)
	}
	switch m.Kind {
	case KindLogReg:
		if m.MLP != nil {
			return fmt.Errorf("%s model carries MLP weights", m.Kind)
		}
		if len(m.Weights) != d {
			return fmt.Errorf("model has %d feature names but %d weights", d, len(m.Weights))
		}
		for i, w := range m.Weights {
			if !finite(w) || m.NonNegative && w < 0 {
				return fmt.Errorf("feature %q has weight %v: want a finite number%s", m.FeatureNames[i], w, nonNegWant(m.NonNegative))
			}
		}
		if !finite(m.Bias) {
			return fmt.Errorf("model has bias %v", m.Bias)
		}
	case KindMLP:
		if len(m.Weights) != 0 || m.Bias != 0 {
			return fmt.Errorf("%s model has %d logistic-regression weights and bias %v, want none (its weights are under \"mlp\")", m.Kind, len(m.Weights), m.Bias)
		}
		if m.MLP == nil {
			return fmt.Errorf("%s model has no \"mlp\" weights", m.Kind)
		}
		return m.MLP.validate(m.FeatureNames, m.NonNegative)
	default:
		return fmt.Errorf("model kind is %q, this posture knows %q and %q", m.Kind, KindLogReg, KindMLP)
	}
	return nil
}

func nonNegWant(nonNeg bool) string {
	if nonNeg {
		return " ≥ 0 (the model is marked non_negative)"
	}
	return ""
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
