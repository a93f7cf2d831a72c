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

// TestUnscored: a resource the model does not score but with a signal (an
// open security group attached to nothing) is listed apart, with its
// signals, suppression marks applied as on scored resources.
func TestUnscored(t *testing.T) {
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const loose = "arn:aws:ec2:us-east-1:111122223333:security-group/sg-loose"
	rs := syntheticEstate(3)
	fw := inventory.Resource{ID: loose, Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1",
		Kind: inventory.KindFirewall, NativeType: "AWS::EC2::SecurityGroup", Name: "legacy-open",
		Firewall: &inventory.Firewall{NetworkID: rs[0].ID, Rules: []inventory.FirewallRule{{Direction: inventory.Ingress,
			Action: inventory.Allow, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"}}}}}
	rs = append(rs, fw)

	for _, tc := range []struct {
		name       string
		yaml       string
		suppressed bool
	}{
		{name: "listed"},
		{name: "suppressed stays listed, marked",
			yaml:       "rules:\n  - signal: ports.open_firewall_unattached\n    resource: " + loose + "\n    reason: decommissioning\n",
			suppressed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o Options
			if tc.yaml != "" {
				l, err := suppress.Parse("mute.yaml", []byte(tc.yaml))
				if err != nil {
					t.Fatal(err)
				}
				o = Options{Mutelist: l, MuteAt: now}
			}
			res, err := RunWith(rs, nil, m, now, o)
			if err != nil {
				t.Fatal(err)
			}
			var found *inventory.Signal
			for i, u := range res.Unscored {
				if features.Scorable(u.Resource.Kind) || len(u.Signals) == 0 {
					t.Errorf("unscored %s: kind %s, %d signals; want an unscored kind with signals", u.Resource.ID, u.Resource.Kind, len(u.Signals))
				}
				if i > 0 && res.Unscored[i-1].Resource.ID >= u.Resource.ID {
					t.Errorf("unscored not ordered by id at %d", i)
				}
				for j, s := range u.Signals {
					if u.Resource.ID == loose && s.ID == "ports.open_firewall_unattached" {
						found = &u.Signals[j]
					}
				}
			}
			if found == nil {
				t.Fatalf("%s is not listed unscored with ports.open_firewall_unattached: %+v", loose, res.Unscored)
			}
			if got := found.Suppressed != nil; got != tc.suppressed {
				t.Errorf("suppressed = %v, want %v", got, tc.suppressed)
			}
			if tc.suppressed && res.Suppressed != 1 {
				t.Errorf("Suppressed = %d, want 1", res.Suppressed)
			}
			for _, a := range res.Assessments {
				if a.Resource.ID == loose {
					t.Errorf("%s was scored", loose)
				}
			}
		})
	}
}
