package model

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

func TestBaselines(t *testing.T) {
	s := features.Current
	scorers, err := Baselines(s)
	if err != nil {
		t.Fatal(err)
	}
	// Scores are tier·base + count, base one more than the signal columns.
	base := 1.0
	for _, f := range s.Features {
		if f.Signal != "" && f.Unit == "0/1" {
			base++
		}
	}
	vec := func(set ...string) []float64 {
		x := make([]float64, len(s.Features))
		for _, f := range set {
			j := s.Index(f)
			if j < 0 {
				t.Fatalf("schema has no feature %q", f)
			}
			x[j] = 1
		}
		return x
	}
	tests := []struct {
		name string
		x    []float64
		// count, worst severity (0–4), exposed-and-critical (0/1)
		count, worst, flag float64
	}{
		{"nothing set", vec(), 0, 0, 0},
		{"features no signal sets", vec(features.FUnknownData, features.FScopeGap, features.FIMDSv1, features.FHoldsAdminRole, features.FInternetExposed), 0, 0, 0},
		{"high and medium", vec(features.FAdminPortInternet, features.FKeyOld), 2, 3, 0},
		{"medium alone", vec(features.FWeakPasswordPol), 1, 2, 0},
		{"critical, not exposed", vec(features.FRootKeys), 1, 4, 0},
		{"exposed with a critical signal", vec(features.FInternetExposed, features.FExposedAdminRole), 1, 4, 1},
		{"exposed with high signals only", vec(features.FInternetExposed, features.FAdminPortInternet, features.FIMDSv1Exposed), 2, 3, 0},
		{"exposed, critical and high", vec(features.FInternetExposed, features.FKEVCVE, features.FCriticalVuln, features.FImageOld), 3, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []float64
			for _, sc := range scorers {
				got = append(got, sc.Score(tt.x))
			}
			want := []float64{tt.count, tt.worst*base + tt.count, tt.flag*base + tt.count}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("scores (-got +want):\n%s", diff)
			}
		})
	}
	// Values other than 0/1 are not a signal: image_age is in years.
	x := vec()
	x[s.Index(features.FImageAge)] = 3
	x[s.Index(features.FMaxEPSS)] = 0.9
	for _, sc := range scorers {
		if got := sc.Score(x); got != 0 {
			t.Errorf("%s scores image age and EPSS alone %v, want 0", sc.Name, got)
		}
	}
	// Tiers dominate the count: one critical beats three highs.
	crit, highs := vec(features.FRootKeys), vec(features.FAdminPortInternet, features.FDBPortInternet, features.FPublicBucket)
	if sev := scorers[1]; sev.Score(crit) <= sev.Score(highs) {
		t.Errorf("%s: one critical %v does not beat three highs %v", sev.Name, sev.Score(crit), sev.Score(highs))
	}
	for _, sc := range scorers {
		if sc.Probability || sc.Name == "" || sc.Rule == "" {
			t.Errorf("baseline %+v: want a name, a rule and rank-only scores", sc)
		}
	}
}

func TestBaselinesErrors(t *testing.T) {
	noExposure := features.Schema{Version: "t", Features: []features.Feature{
		{Name: features.FAdminPortInternet, Signal: "ports.admin_port_internet", Unit: "0/1"},
	}}
	unknown := features.Schema{Version: "t", Features: []features.Feature{
		{Name: features.FInternetExposed, Unit: "0/1"},
		{Name: "made_up", Signal: "ports.made_up", Unit: "0/1"},
	}}
	for _, tt := range []struct {
		name string
		s    features.Schema
		want string
	}{
		{"no internet_exposed", noExposure, "no internet_exposed"},
		{"signal without a detector", unknown, `"made_up" is set by signal "ports.made_up"`},
		{"no signals", features.Schema{Version: "t"}, "no binary feature"},
	} {
		if _, err := Baselines(tt.s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}
