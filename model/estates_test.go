package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

func TestSimulate(t *testing.T) {
	d1, err := Simulate(5000, 3)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Simulate(5000, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d1, d2); diff != "" {
		t.Fatalf("same seed, different estates:\n%s", diff)
	}
	if err := d1.Check(); err != nil || d1.Len() != 5000 {
		t.Fatalf("dataset: %v, %d rows", err, d1.Len())
	}
	// Estates are contiguous and sized minEstate..maxEstate (the last may
	// be cut short).
	sizes := map[string]int{}
	var order []string
	for i, g := range d1.Group {
		if sizes[g] == 0 {
			if i > 0 && d1.Group[i-1] == g {
				t.Fatalf("estate %s is not contiguous", g)
			}
			order = append(order, g)
		}
		sizes[g]++
	}
	for i, g := range order[:len(order)-1] {
		if sizes[g] < minEstate || sizes[g] > maxEstate {
			t.Errorf("estate %d (%s) has %d resources", i, g, sizes[g])
		}
	}

	// A store an exposed instance reads carries that instance's risk: on
	// average far above the stores no one exposed reads.
	c, _ := resolve(features.Current)
	var with, without []float64
	for i, x := range d1.X {
		if x[c.publicBucket] == 1 || x[c.publicDB] == 1 || x[c.exposed] == 1 {
			continue
		}
		if x[c.exposedNeighbour] == 1 {
			with = append(with, d1.Y[i])
		} else if isStore(x, c) {
			without = append(without, d1.Y[i])
		}
	}
	if len(with) == 0 || len(without) == 0 {
		t.Fatalf("%d stores with an exposed reader, %d without", len(with), len(without))
	}
	if mw, mo := mean(with), mean(without); mw < 5*mo {
		t.Errorf("mean p of stores with an exposed reader %.4f, without %.4f: want the path to show", mw, mo)
	}
	t.Logf("%d estates; %d private stores read by an exposed instance (mean p %.4f), %d not (%.4f)",
		len(order), len(with), mean(with), len(without), mean(without))
}

// isStore guesses a bucket or database row from its columns: no instance,
// identity or account column set, and not an access-key or queue row.
func isStore(x []float64, c cols) bool {
	for _, j := range []int{c.imageAge, c.imdsv1, c.keyOld, c.noMFA, c.rootNoMFA, c.weakPolicy, c.publicResPolicy, c.adminEq, c.notScanned} {
		if x[j] != 0 {
			return false
		}
	}
	return true
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
