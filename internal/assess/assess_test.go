package assess

import (
	"testing"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/suppress"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

func TestMutelist(t *testing.T) {
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	const toxic = "arn:aws:ec2:us-east-1:111122223333:instance/i-000015"
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rs := syntheticEstate(30)
	plain, err := Run(rs, nil, m, now)
	if err != nil {
		t.Fatal(err)
	}
	riskOf := func(res *Result, id string) float64 {
		for _, a := range res.Assessments {
			if a.Resource.ID == id {
				return a.Risk
			}
		}
		t.Fatalf("%s not assessed", id)
		return 0
	}

	for _, tc := range []struct {
		name       string
		yaml       string
		muted      []inventory.SignalID // on toxic
		cleared    []string             // features zeroed on toxic
		lower      bool                 // toxic's risk drops
		suppressed int
	}{
		{
			name:       "admin port on one instance",
			yaml:       "rules:\n  - signal: ports.admin_port_internet\n    resource: " + toxic + "\n    reason: bastion\n",
			muted:      []inventory.SignalID{"ports.admin_port_internet"},
			cleared:    []string{features.FAdminPortInternet},
			lower:      true,
			suppressed: 1,
		},
		{
			name:       "a derived feature goes with the signal that sets it",
			yaml:       "rules:\n  - signal: passwords.imdsv1_exposed\n    resource: " + toxic + "\n    reason: IMDSv2 rollout under way\n",
			muted:      []inventory.SignalID{"passwords.imdsv1_exposed"},
			cleared:    []string{features.FIMDSv1Exposed, features.FIMDSv1, features.FSSRFAdminPath},
			lower:      true,
			suppressed: 1,
		},
		{
			name: "expired rule changes nothing",
			yaml: "rules:\n  - signal: ports.admin_port_internet\n    resource: " + toxic + "\n    reason: bastion\n    expires: 2026-10-01\n",
		},
		{
			name: "rule for another account changes nothing",
			yaml: "rules:\n  - signal: ports.admin_port_internet\n    account: \"999999999999\"\n    reason: other account\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := suppress.Parse("mute.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			res, err := RunWith(rs, nil, m, now, Options{Mutelist: l, MuteAt: now})
			if err != nil {
				t.Fatal(err)
			}
			if res.Suppressed != tc.suppressed {
				t.Errorf("Suppressed = %d, want %d", res.Suppressed, tc.suppressed)
			}
			var got []inventory.SignalID
			for _, s := range res.Signals[toxic] {
				if s.Suppressed != nil {
					got = append(got, s.ID)
					if s.Suppressed.Reason == "" {
						t.Errorf("%s suppressed without a reason", s.ID)
					}
				}
			}
			if len(got) != len(tc.muted) || (len(got) > 0 && got[0] != tc.muted[0]) {
				t.Errorf("suppressed signals %v, want %v", got, tc.muted)
			}
			if len(res.Signals[toxic]) != len(plain.Signals[toxic]) {
				t.Errorf("%d signals on %s, want all %d kept", len(res.Signals[toxic]), toxic, len(plain.Signals[toxic]))
			}
			for _, f := range tc.cleared {
				i := features.Current.Index(f)
				if before, after := plain.Vectors[toxic].Values[i], res.Vectors[toxic].Values[i]; before != 1 || after != 0 {
					t.Errorf("feature %s: %v before, %v after; want 1 then 0", f, before, after)
				}
			}
			before, after := riskOf(plain, toxic), riskOf(res, toxic)
			if tc.lower && after >= before {
				t.Errorf("risk %.4f with the mutelist, %.4f without: want lower", after, before)
			}
			if !tc.lower && after != before {
				t.Errorf("risk %.4f with the mutelist, %.4f without: want equal", after, before)
			}
			for _, a := range res.Assessments {
				if a.Resource.ID != toxic {
					continue
				}
				for _, r := range a.Reasons {
					for _, mu := range tc.muted {
						if r.Signal == mu {
							t.Errorf("a reason names the suppressed signal %s: %+v", mu, r)
						}
					}
				}
			}
		})
	}
}
