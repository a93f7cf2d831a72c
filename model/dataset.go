package model

import (
	"fmt"
	"time"
)

// Dataset is rows to train or evaluate on: feature vectors in a schema's
// order with their targets, and what keeps related rows together when the
// data is split.
type Dataset struct {
	X [][]float64
	// Y is a 0/1 label per row (an organisation's outcomes), or the
	// probability p of compromise (simulated soft targets).
	Y []float64
	// Group names where a row comes from: the simulated estate, or the
	// snapshot a label was joined to. A split keeps a group whole, so no
	// estate is both trained and tested on. Empty: every row its own.
	Group []string
	// Time is when a label was observed; zero for simulated rows. Labelled
	// data is split by time: the latest rows are held out.
	Time []time.Time
	// Source says what the rows are, for provenance: "bootstrap simulator
	// v2 (…)", "labels:incidents.csv".
	Source string
}

// Len is the number of rows.
func (d Dataset) Len() int { return len(d.X) }

// Check reports rows whose parts disagree in length.
func (d Dataset) Check() error {
	n := len(d.X)
	if len(d.Y) != n {
		return fmt.Errorf("dataset %s: %d rows, %d targets", d.Source, n, len(d.Y))
	}
	if d.Group != nil && len(d.Group) != n {
		return fmt.Errorf("dataset %s: %d rows, %d groups", d.Source, n, len(d.Group))
	}
	if d.Time != nil && len(d.Time) != n {
		return fmt.Errorf("dataset %s: %d rows, %d times", d.Source, n, len(d.Time))
	}
	return nil
}
