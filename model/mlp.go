package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MLPWeights are the parameters of a KindMLP model: one hidden layer of
// Hidden tanh units on the standardised inputs x̂ (see Model), and the raw
// logit
//
//	z = B2 + Σ_h W2[h]·tanh(B1[h] + Σ_j W1[h][j]·x̂[j]).
//
// With W1 and W2 ≥ 0 (Model.NonNegative) and tanh increasing, z is
// non-decreasing in every feature, whatever the biases.
type MLPWeights struct {
	Hidden int         `json:"hidden"`
	W1     [][]float64 `json:"w1"` // Hidden rows of one weight per feature
	B1     []float64   `json:"b1"` // Hidden
	W2     []float64   `json:"w2"` // Hidden
	B2     float64     `json:"b2"`
}

// DefaultHidden is the hidden width TrainOptions.Hidden defaults to.
const DefaultHidden = 16

// mlpLogit is Logit for KindMLP.
func (m *Model) mlpLogit(x []float64) float64 {
	var buf [64]float64 // the standardised inputs, on the stack for schemas up to 64 features
	d := len(m.Mean)
	xs := buf[:0]
	if d > len(buf) {
		xs = make([]float64, 0, d)
	}
	for j, v := range x[:d] {
		xs = append(xs, (v-m.Mean[j])/m.Std[j])
	}
	n := m.MLP
	z := n.B2
	for h, row := range n.W1 {
		// Four running sums: one would wait on each add before the next.
		row = row[:len(xs)]
		var a0, a1, a2, a3 float64
		j := 0
		for ; j+4 <= len(xs); j += 4 {
			a0 += row[j] * xs[j]
			a1 += row[j+1] * xs[j+1]
			a2 += row[j+2] * xs[j+2]
			a3 += row[j+3] * xs[j+3]
		}
		for ; j < len(xs); j++ {
			a0 += row[j] * xs[j]
		}
		z += n.W2[h] * math.Tanh(n.B1[h]+((a0+a1)+(a2+a3)))
	}
	return z
}

func (n *MLPWeights) validate(names []string, nonNeg bool) error {
	d := len(names)
	if n.Hidden < 1 {
		return fmt.Errorf("mlp has %d hidden units, want at least 1", n.Hidden)
	}
	if len(n.W1) != n.Hidden || len(n.B1) != n.Hidden || len(n.W2) != n.Hidden {
		return fmt.Errorf("mlp has %d hidden units but %d rows of w1, %d of b1 and %d of w2", n.Hidden, len(n.W1), len(n.B1), len(n.W2))
	}
	for h, row := range n.W1 {
		if len(row) != d {
			return fmt.Errorf("mlp w1 row %d has %d weights, the model has %d features", h, len(row), d)
		}
		for j, w := range row {
			if !finite(w) || nonNeg && w < 0 {
				return fmt.Errorf("mlp w1 row %d, feature %q has weight %v: want a finite number%s", h, names[j], w, nonNegWant(nonNeg))
			}
		}
		if !finite(n.B1[h]) {
			return fmt.Errorf("mlp b1[%d] is %v", h, n.B1[h])
		}
		if w := n.W2[h]; !finite(w) || nonNeg && w < 0 {
			return fmt.Errorf("mlp w2[%d] is %v: want a finite number%s", h, w, nonNegWant(nonNeg))
		}
	}
	if !finite(n.B2) {
		return fmt.Errorf("mlp b2 is %v", n.B2)
	}
	return nil
}

func (n *MLPWeights) clone() *MLPWeights {
	c := *n
	c.W1 = make([][]float64, len(n.W1))
	for h, row := range n.W1 {
		c.W1[h] = append([]float64(nil), row...)
	}
	c.B1 = append([]float64(nil), n.B1...)
	c.W2 = append([]float64(nil), n.W2...)
	return &c
}

// mlpNetwork builds the MLP's training graph on batches xN (bs × d):
// z = tanh(xN·W1ᵀ + B1)·W2 + B2. The weights start small and uniform from
// a random stream of their own, seeded by seed (so the split and shuffles
// draw the same numbers for both kinds): W1 ~ U(−a, a) with Glorot's
// a = √(6/(d+hidden)), W2 ~ U(−1/√hidden, 1/√hidden), absolute values
// when nonNeg; the biases start at 0.
func mlpNetwork(g *G.ExprGraph, xN *G.Node, d, hidden int, seed int64, nonNeg bool) (z *G.Node, weights, biases G.Nodes, store func(*Model)) {
	init := rand.New(rand.NewPCG(uint64(seed), 0x6d6c70696e6974)) // "mlpinit"
	uniform := func(n int, a float64) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = a * (2*init.Float64() - 1)
			if nonNeg {
				v[i] = math.Abs(v[i])
			}
		}
		return v
	}
	// W1 is held transposed (d × hidden) so a batch multiplies it directly.
	w1 := G.NewMatrix(g, tensor.Float64, G.WithShape(d, hidden), G.WithName("w1"),
		G.WithValue(tensor.New(tensor.WithShape(d, hidden), tensor.WithBacking(uniform(d*hidden, math.Sqrt(6/float64(d+hidden)))))))
	b1 := G.NewMatrix(g, tensor.Float64, G.WithShape(1, hidden), G.WithName("b1"), G.WithInit(G.Zeroes()))
	w2 := G.NewVector(g, tensor.Float64, G.WithShape(hidden), G.WithName("w2"),
		G.WithValue(tensor.New(tensor.WithShape(hidden), tensor.WithBacking(uniform(hidden, 1/math.Sqrt(float64(hidden)))))))
	b2 := G.NewScalar(g, tensor.Float64, G.WithName("b2"), G.WithValue(0.0))

	pre := G.Must(G.BroadcastAdd(G.Must(G.Mul(xN, w1)), b1, nil, []byte{0}))
	z = G.Must(G.Add(G.Must(G.Mul(G.Must(G.Tanh(pre)), w2)), b2))
	store = func(m *Model) {
		wt := w1.Value().Data().([]float64)
		if m.MLP == nil {
			m.MLP = &MLPWeights{Hidden: hidden, W1: make([][]float64, hidden)}
			for h := range m.MLP.W1 {
				m.MLP.W1[h] = make([]float64, d)
			}
		}
		for h := range hidden {
			for j := range d {
				m.MLP.W1[h][j] = wt[j*hidden+h]
			}
		}
		m.MLP.B1 = append(m.MLP.B1[:0], b1.Value().Data().([]float64)...)
		m.MLP.W2 = append(m.MLP.W2[:0], w2.Value().Data().([]float64)...)
		m.MLP.B2 = b2.Value().Data().(float64)
	}
	return z, G.Nodes{w1, w2}, G.Nodes{b1, b2}, store
}
