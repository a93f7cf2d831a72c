package model

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestPredictAndExplain(t *testing.T) {
	m := small()
	s := features.Current
	x := make([]float64, len(s.Features))
	x[s.Index(features.FAdminPortInternet)] = 1
	x[s.Index(features.FIMDSv1Exposed)] = 1
	x[s.Index(features.FScopeGap)] = 1 // lowers risk: not a reason

	if got, want := m.Logit(x), -3+2+1-0.25; math.Abs(got-want) > 1e-12 {
		t.Errorf("Logit = %v, want %v", got, want)
	}
	if got, want := m.Predict(x), 1/(1+math.Exp(0.25)); math.Abs(got-want) > 1e-12 {
		t.Errorf("Predict = %v, want %v", got, want)
	}

	got := m.Explain(x, s, 5)
	want := []inventory.Reason{
		{Feature: features.FAdminPortInternet, Signal: "ports.admin_port_internet", Text: s.Features[s.Index(features.FAdminPortInternet)].Meaning, Contribution: 2},
		{Feature: features.FIMDSv1Exposed, Signal: "passwords.imdsv1_exposed", Text: s.Features[s.Index(features.FIMDSv1Exposed)].Meaning, Contribution: 1},
	}
	if diff := cmp.Diff(got, want, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("Explain (-got +want):\n%s", diff)
	}
	if got := m.Explain(x, s, 1); len(got) != 1 || got[0].Feature != features.FAdminPortInternet {
		t.Errorf("Explain k=1 = %+v, want the admin port only", got)
	}
	// A fact the resource does not have is never a reason, even where its
	// absence is above the training mean's risk (negative weight, mean > 0).
	gap := s.Index(features.FScopeGap)
	m.Mean[gap] = 0.5
	x[gap] = 0
	for _, r := range m.Explain(x, s, 5) {
		if r.Feature == features.FScopeGap {
			t.Errorf("absent feature %s given as a reason: %+v", r.Feature, r)
		}
	}
}

func TestWhatIf(t *testing.T) {
	m := small()
	s := features.Current
	x := make([]float64, len(s.Features))
	a, i := s.Index(features.FAdminPortInternet), s.Index(features.FIMDSv1Exposed)
	x[a], x[i] = 1, 1
	before := m.Predict(x)
	afterA := m.WhatIf(x, []int{a})
	afterBoth := m.WhatIf(x, []int{a, i})
	if !(afterBoth < afterA && afterA < before) {
		t.Errorf("risk before %v, fixing admin port %v, fixing both %v: want strictly falling", before, afterA, afterBoth)
	}
	if x[a] != 1 {
		t.Error("WhatIf changed its input")
	}
	if got, want := afterBoth, 1/(1+math.Exp(3)); math.Abs(got-want) > 1e-12 {
		t.Errorf("fixing both = %v, want %v", got, want)
	}
}
