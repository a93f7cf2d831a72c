package model

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

func TestBootstrapDeterministicAndShaped(t *testing.T) {
	X1, y1, err := Bootstrap(3000, 42)
	if err != nil {
		t.Fatal(err)
	}
	X2, y2, err := Bootstrap(3000, 42)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(X1, X2); diff != "" {
		t.Errorf("same seed, different rows:\n%s", diff)
	}
	if diff := cmp.Diff(y1, y2); diff != "" {
		t.Errorf("same seed, different labels:\n%s", diff)
	}
	d := len(features.Current.Features)
	age := features.Current.Index(features.FImageAge)
	for i, row := range X1 {
		if len(row) != d {
			t.Fatalf("row %d has %d columns, schema has %d", i, len(row), d)
		}
		for j, v := range row {
			switch name := features.Current.Features[j].Name; {
			case j == age:
				if v < 0 || v > 10 {
					t.Errorf("row %d image age %v outside 0..10 years", i, v)
				}
			case name == features.FMaxEPSS || name == features.FDataReach || name == features.FObtainablePriv:
				if v < 0 || v > 1 {
					t.Errorf("row %d column %s = %v outside 0..1", i, name, v)
				}
			case v != 0 && v != 1:
				t.Errorf("row %d column %s = %v, want 0 or 1", i, features.Current.Features[j].Name, v)
			}
		}
	}
	if _, _, err := Bootstrap(0, 1); err == nil {
		t.Error("Bootstrap(0) succeeded")
	}
}

// TestBootstrapFollowsRates checks published figures come out of the
// simulator: IMDSv2 on 49 % of instances, 14 % of those older than two years.
func TestBootstrapFollowsRates(t *testing.T) {
	X, p, err := bootstrapRisk(40000, 3)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := resolve(features.Current)
	var inst, v1, old, oldV2 float64
	for _, x := range X {
		if x[c.imageAge] == 0 || x[c.unknown] == 1 { // instances with every fact known
			continue
		}
		inst++
		v1 += x[c.imdsv1]
		if x[c.imageAge] > 2 {
			old++
			oldV2 += 1 - x[c.imdsv1]
		}
	}
	if got := 1 - v1/inst; math.Abs(got-rate(rIMDSv2)) > 0.02 {
		t.Errorf("IMDSv2 on %.3f of instances, want %.2f", got, rate(rIMDSv2))
	}
	if got := oldV2 / old; math.Abs(got-rate(rIMDSv2Old)) > 0.03 {
		t.Errorf("IMDSv2 on %.3f of instances older than two years, want %.2f", got, rate(rIMDSv2Old))
	}
	for i, v := range p {
		if v < rate(rBackground) || v > 1 {
			t.Fatalf("row %d risk %v outside [background, 1]", i, v)
		}
	}
}

// TestBootstrapToxicPath checks the simulator's true risk, averaged over
// rows with every fact known, puts each risky configuration above its
// twins without any hand weight: exposed + IMDSv1 + admin role above the
// same with IMDSv2, not exposed, or without the admin role; a reachable
// public database above a private one; a console user without MFA and an
// old key above one with MFA and a new key.
func TestBootstrapToxicPath(t *testing.T) {
	X, p, err := bootstrapRisk(100000, 5)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := resolve(features.Current)
	type group struct{ sum, n float64 }
	g := map[string]*group{}
	add := func(k string, v float64) {
		if g[k] == nil {
			g[k] = &group{}
		}
		g[k].sum += v
		g[k].n++
	}
	for i, x := range X {
		if x[c.unknown] == 1 || x[c.adminPort] == 1 || x[c.imageOld] == 1 {
			continue
		}
		inst := x[c.imageAge] > 0
		switch {
		case inst && x[c.dbPort] == 0:
			add(fmt.Sprintf("instance exposed=%v imdsv1=%v admin=%v", x[c.exposed], x[c.imdsv1], x[c.holdsAdmin]), p[i])
		case x[c.publicDB] == 1 && x[c.exposed] == 1:
			add("public reachable database", p[i])
		case x[c.noMFA] == 1 && x[c.keyOld] == 1 && x[c.keyUnused] == 0 && x[c.adminEq] == 0 && x[c.rootNoMFA] == 0 && x[c.weakPolicy] == 0:
			add("user without MFA, old key", p[i])
		case slices.Max(x) == 0:
			add("all clear (private database, user with MFA and a new key, …)", p[i])
		}
	}
	mean := func(k string) float64 {
		if g[k] == nil || g[k].n == 0 {
			t.Fatalf("no rows for %q", k)
		}
		return g[k].sum / g[k].n
	}
	toxic := "instance exposed=1 imdsv1=1 admin=1"
	for _, tt := range []struct{ risky, twin string }{
		{toxic, "instance exposed=1 imdsv1=0 admin=1"},
		{toxic, "instance exposed=0 imdsv1=1 admin=1"},
		{toxic, "instance exposed=1 imdsv1=1 admin=0"},
		{toxic, "instance exposed=1 imdsv1=0 admin=0"},
		{"public reachable database", "all clear (private database, user with MFA and a new key, …)"},
		{"user without MFA, old key", "all clear (private database, user with MFA and a new key, …)"},
	} {
		r, w := mean(tt.risky), mean(tt.twin)
		t.Logf("%s: %.4f (n=%v); %s: %.4f (n=%v)", tt.risky, r, g[tt.risky].n, tt.twin, w, g[tt.twin].n)
		if r < 2*w {
			t.Errorf("mean true risk: %s %.4f, twin %s %.4f; want at least twice", tt.risky, r, tt.twin, w)
		}
	}
}

func TestBootstrapPMatchesBootstrap(t *testing.T) {
	X1, p, err := BootstrapP(2000, 9)
	if err != nil {
		t.Fatal(err)
	}
	X2, y, err := Bootstrap(2000, 9)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(X1, X2); diff != "" {
		t.Errorf("BootstrapP and Bootstrap drew different rows:\n%s", diff)
	}
	var sp, sy float64
	for i := range p {
		if p[i] < 0 || p[i] > 1 || (y[i] != 0 && y[i] != 1) {
			t.Fatalf("row %d: p %v, label %v", i, p[i], y[i])
		}
		sp += p[i]
		sy += y[i]
	}
	if math.Abs(sp-sy) > 4*math.Sqrt(sp) {
		t.Errorf("labels sum to %v, probabilities to %.1f: labels are not Bernoulli(p)", sy, sp)
	}
}

func TestRatesTable(t *testing.T) {
	seen := map[string]bool{}
	grades := map[string]bool{GradePrimary: true, GradeTrueCopy: true, GradeSecondary: true, GradeComputed: true, GradeAssumption: true}
	for i, r := range Rates() {
		if r.Name == "" || r.Source == "" || !grades[r.Grade] {
			t.Errorf("rate %d %+v: want a name, a source and a known grade", i, r)
		}
		if seen[r.Name] {
			t.Errorf("rate %q listed twice", r.Name)
		}
		seen[r.Name] = true
		if r.Value <= 0 {
			t.Errorf("rate %q = %v, want > 0", r.Name, r.Value)
		}
	}
}
