package model

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

// smallMLP returns a hand-made non-negative MLP over features.Current:
// unit 0 fires on an exposed admin port, unit 1 on the IMDSv1 path, and
// unit 2 saturates once either is present.
func smallMLP() *Model {
	s := features.Current
	d := len(s.Features)
	m := small()
	m.Kind, m.Weights, m.Bias, m.NonNegative = KindMLP, nil, 0, true
	a, i := s.Index(features.FAdminPortInternet), s.Index(features.FIMDSv1Exposed)
	n := &MLPWeights{Hidden: 3, W1: make([][]float64, 3), B1: []float64{-0.5, -0.5, 0.3}, W2: []float64{1.5, 1, 2}, B2: -4}
	for h := range n.W1 {
		n.W1[h] = make([]float64, d)
	}
	n.W1[0][a] = 1
	n.W1[1][i] = 0.1 + 0.2 // a float that needs all its digits
	n.W1[2][a], n.W1[2][i] = 3, 3
	m.MLP = n
	return m
}

func TestMLPLogit(t *testing.T) {
	m := smallMLP()
	s := features.Current
	x := make([]float64, len(s.Features))
	x[s.Index(features.FAdminPortInternet)] = 1
	want := -4 + 1.5*math.Tanh(0.5) + 1*math.Tanh(-0.5) + 2*math.Tanh(3.3)
	if got := m.Logit(x); math.Abs(got-want) > 1e-12 {
		t.Errorf("Logit = %v, want %v", got, want)
	}
	if got, want := m.Predict(x), sigmoid(want); math.Abs(got-want) > 1e-12 {
		t.Errorf("Predict = %v, want %v", got, want)
	}
}

// TestMLPBeatsLogReg trains both kinds on the same simulator rows with the
// same seed and TrainDefault's options: the simulator combines attack
// vectors as 1 − Π(1 − p_i), which log-odds cannot add up to, and the MLP
// gets closer to its probabilities. (40k rows: LR 0.04404, MLP 0.04321,
// floor 0.04124.)
func TestMLPBeatsLogReg(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models on 40k rows")
	}
	X, p, err := BootstrapP(40000, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Metrics{}
	for _, kind := range []string{KindLogReg, KindMLP} {
		m, err := Train(context.Background(), X, p, TrainOptions{Kind: kind, Seed: 1, NonNegative: true, Now: fixedNow})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		got[kind] = m.Metrics
		t.Logf("%s: target log-loss %.5f (floor %.5f), MAE %.5f, ROC-AUC %.4f (oracle %.4f), epochs %d",
			kind, m.Metrics.TargetLogLoss, m.Metrics.TargetEntropy, m.Metrics.TargetMAE, m.Metrics.ROCAUC, m.Metrics.OracleROCAUC, m.Metrics.Epochs)
	}
	lr, mlp := got[KindLogReg], got[KindMLP]
	if mlp.TargetLogLoss >= lr.TargetLogLoss {
		t.Errorf("MLP target log-loss %.5f, logistic regression %.5f: want the MLP lower", mlp.TargetLogLoss, lr.TargetLogLoss)
	}
	if mlp.TargetMAE >= lr.TargetMAE {
		t.Errorf("MLP mean |risk − p| %.5f, logistic regression %.5f: want the MLP lower", mlp.TargetMAE, lr.TargetMAE)
	}
}

func trainMLP(t *testing.T, seed int64) *Model {
	t.Helper()
	X, p := syntheticP(3000, 7)
	m, err := Train(context.Background(), X, p, TrainOptions{Kind: KindMLP, Hidden: 4, Seed: seed, NonNegative: true, MaxEpochs: 8, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTrainMLPDeterministic(t *testing.T) {
	m1, m2 := trainMLP(t, 3), trainMLP(t, 3)
	if diff := cmp.Diff(m1, m2); diff != "" {
		t.Errorf("same data and seed gave different MLPs (-first +second):\n%s", diff)
	}
	if m1.Kind != KindMLP || m1.MLP == nil || m1.MLP.Hidden != 4 || len(m1.Weights) != 0 || m1.Bias != 0 {
		t.Errorf("trained model kind %q, mlp %v, %d LR weights, bias %v: want an MLP with 4 hidden units only", m1.Kind, m1.MLP != nil, len(m1.Weights), m1.Bias)
	}
	if err := m1.validate(); err != nil {
		t.Errorf("trained MLP does not validate: %v", err)
	}
	if m3 := trainMLP(t, 4); cmp.Equal(m1.MLP, m3.MLP) {
		t.Error("seeds 3 and 4 gave the same MLP weights")
	}
	if m1.Metrics.ROCAUC < 0.7 {
		t.Errorf("held-out ROC-AUC %.3f, want ≥ 0.7", m1.Metrics.ROCAUC)
	}
}

func TestTrainRejectsUnknownKind(t *testing.T) {
	X, p := syntheticP(200, 1)
	_, err := Train(context.Background(), X, p, TrainOptions{Kind: "forest"})
	if err == nil || !strings.Contains(err.Error(), `"forest"`) {
		t.Errorf("Train with kind forest: error %v, want one naming the kind", err)
	}
}

func TestMLPFileRoundTrip(t *testing.T) {
	for name, want := range map[string]*Model{"hand-made": smallMLP(), "trained": trainMLP(t, 3)} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mlp.json")
			if err := want.SaveFile(path); err != nil {
				t.Fatal(err)
			}
			got, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("round trip changed the model (-got +want):\n%s", diff)
			}
		})
	}
}

// TestMLPNonNegativeIsMonotone: with W1, W2 ≥ 0 and A > 0, clearing any
// feature of any vector never raises the risk (up to rounding, 1e-12).
func TestMLPNonNegativeIsMonotone(t *testing.T) {
	s := features.Current
	rng := rand.New(rand.NewPCG(5, 6))
	for name, m := range map[string]*Model{"hand-made": smallMLP(), "trained": trainMLP(t, 3)} {
		t.Run(name, func(t *testing.T) {
			if m.Calibration.A <= 0 {
				t.Fatalf("calibration slope %v, want > 0", m.Calibration.A)
			}
			for range 500 {
				x := make([]float64, len(s.Features))
				for j, f := range s.Features {
					if rng.Float64() < 0.3 {
						x[j] = 1
						if f.Unit != "0/1" {
							x[j] = rng.Float64()
						}
					}
				}
				before := m.Predict(x)
				for j := range x {
					if x[j] == 0 {
						continue
					}
					if after := m.WhatIf(x, []int{j}); after > before+1e-12 {
						t.Fatalf("clearing %s raised the risk from %.15f to %.15f (x = %v)", s.Features[j].Name, before, after, x)
					}
				}
			}
		})
	}
}

func TestExplainIsOcclusion(t *testing.T) {
	s := features.Current
	rng := rand.New(rand.NewPCG(8, 9))
	lr := small()
	lr.Mean[s.Index(features.FAdminPortInternet)] = 0.3 // the mean cancels out of a contribution
	for name, m := range map[string]*Model{"logreg": lr, "hand-made mlp": smallMLP(), "trained mlp": trainMLP(t, 3)} {
		t.Run(name, func(t *testing.T) {
			for range 200 {
				x := make([]float64, len(s.Features))
				for j := range x {
					if rng.Float64() < 0.3 {
						x[j] = rng.Float64()
					}
				}
				x[s.Index(features.FAdminPortInternet)], x[s.Index(features.FIMDSv1Exposed)] = 1, 1
				all := m.Explain(x, s, -1)
				var sum float64
				for k, r := range all {
					j := s.Index(r.Feature)
					without := slices.Clone(x)
					without[j] = 0
					want := m.Calibration.A * (m.Logit(x) - m.Logit(without))
					if math.Abs(r.Contribution-want) > 1e-9 || r.Contribution <= 0 || x[j] <= 0 {
						t.Fatalf("%s: contribution %v with x = %v, want %v > 0 for a present feature", r.Feature, r.Contribution, x[j], want)
					}
					if k > 0 && r.Contribution > all[k-1].Contribution {
						t.Fatalf("reasons out of order: %s %v after %s %v", r.Feature, r.Contribution, all[k-1].Feature, all[k-1].Contribution)
					}
					if r.Text != s.Features[j].Meaning || r.Signal != s.Features[j].Signal {
						t.Fatalf("%s: text %q signal %q, want the schema's", r.Feature, r.Text, r.Signal)
					}
					sum += r.Contribution
				}
				if len(all) == 0 {
					t.Fatalf("no reasons for x = %v", x)
				}
				if top := m.Explain(x, s, 2); !cmp.Equal(top, all[:min(2, len(all))]) {
					t.Fatalf("Explain k=2 = %+v, want the first two of %+v", top, all)
				}
				if m.Kind != KindLogReg {
					continue
				}
				// A logistic regression's contributions add up: together
				// they are the drop from clearing every fact with a
				// positive weight.
				cleared := slices.Clone(x)
				for j, w := range m.Weights {
					if w > 0 {
						cleared[j] = 0
					}
				}
				if want := m.Calibration.A * (m.Logit(x) - m.Logit(cleared)); math.Abs(sum-want) > 1e-9 {
					t.Fatalf("contributions sum to %v, want %v", sum, want)
				}
			}
		})
	}
}

func TestLoadRejectsBadMLP(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(m *Model)
		wantMsg string
	}{
		{"unknown kind", func(m *Model) { m.Kind = "forest" }, `model kind is "forest"`},
		{"no weights", func(m *Model) { m.MLP = nil }, `no "mlp" weights`},
		{"short w1 row", func(m *Model) { m.MLP.W1[1] = m.MLP.W1[1][:5] }, "w1 row 1 has 5 weights, the model has"},
		{"hidden disagrees", func(m *Model) { m.MLP.Hidden = 4 }, "4 hidden units but 3 rows of w1"},
		{"short b1", func(m *Model) { m.MLP.B1 = m.MLP.B1[:2] }, "2 of b1"},
		{"no hidden units", func(m *Model) { m.MLP = &MLPWeights{} }, "0 hidden units"},
		{"negative w1 in a non-negative model", func(m *Model) { m.MLP.W1[2][0] = -0.1 }, "w1 row 2, feature"},
		{"negative w2 in a non-negative model", func(m *Model) { m.MLP.W2[1] = -1 }, "w2[1] is -1"},
		{"negative calibration slope in a non-negative model", func(m *Model) { m.Calibration.A = -1 }, "calibration slope"},
		{"logistic weights too", func(m *Model) { m.Weights = make([]float64, len(m.FeatureNames)) }, "logistic-regression weights"},
		{"logreg carrying an mlp", func(m *Model) { m.Kind = KindLogReg; m.Weights = make([]float64, len(m.FeatureNames)) }, "carries MLP weights"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smallMLP()
			tt.mutate(m)
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := m.SaveFile(path); err != nil { // Save signs what it is given
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded, want an error")
			}
			for _, s := range []string{path, tt.wantMsg} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}

	t.Run("tampered", func(t *testing.T) {
		good := saved(t, smallMLP())
		bad := bytes.Replace(good, []byte(`"b2": -4`), []byte(`"b2": 4`), 1)
		if bytes.Equal(bad, good) {
			t.Fatal("the file has no b2 to tamper with")
		}
		path := filepath.Join(dir, "tampered.json")
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFile(path); !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), path) {
			t.Errorf("tampered MLP: error %v, want a checksum error naming %s", err, path)
		}
	})
}
