package model

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaWorks proves gorgonia builds, differentiates and runs on this
// Go toolchain: d/dw sum(x*w) = x.
func TestGorgoniaWorks(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2, 3}))))
	w := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithBacking([]float64{0.5, 0.5, 0.5}))))
	y := G.Must(G.Sum(G.Must(G.HadamardProd(x, w))))
	if _, err := G.Grad(y, w); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got, want := y.Value().Data().(float64), 3.0; got != want {
		t.Errorf("sum = %v, want %v", got, want)
	}
	gv, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	got := gv.Data().([]float64)
	for i, want := range []float64{1, 2, 3} {
		if got[i] != want {
			t.Errorf("grad[%d] = %v, want %v", i, got[i], want)
		}
	}
}
