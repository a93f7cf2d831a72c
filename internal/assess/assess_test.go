package assess

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	const (
		toxic = "arn:aws:ec2:us-east-1:111122223333:instance/i-000015"
		hook  = "arn:aws:lambda:us-east-1:111122223333:function:hook"
	)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rs := syntheticEstate(30)
	// hook: a function anyone may invoke through its URL, running with the
	// admin role.
	fn := inventory.Resource{ID: hook, Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1",
		Kind: inventory.KindFunction, NativeType: "AWS::Lambda::Function",
		Function: &inventory.Function{Runtime: "python3.12", Role: "arn:aws:iam::111122223333:role/admin", URLAuth: inventory.FunctionURLNone}}
	fn.AddEdge(inventory.RelAssumes, fn.Function.Role)
	rs = append(rs, fn)
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
		name    string
		on      string // the resource checked; toxic when ""
		yaml    string
		muted   []inventory.SignalID // on the resource, sorted
		cleared []string             // features 1 without the mutelist, 0 with it
		kept    []string             // features 1 without the mutelist and still 1 with it
		lower   bool                 // the resource's risk drops
		// notHigher: the risk must not rise, but may stay: what the rule
		// clears may carry no weight in the shipped model (with
		// non-negative weights, obtainable_privilege carries the admin
		// role's, and it stays while the role's own signal does).
		notHigher  bool
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
			// imdsv1 has no other feeder; the credential-theft path has
			// one, the exposed admin role, and it is not suppressed.
			name:       "an unsuppressed signal keeps the derived feature it feeds",
			yaml:       "rules:\n  - signal: passwords.imdsv1_exposed\n    resource: " + toxic + "\n    reason: IMDSv2 rollout under way\n",
			muted:      []inventory.SignalID{"passwords.imdsv1_exposed"},
			cleared:    []string{features.FIMDSv1Exposed, features.FIMDSv1},
			kept:       []string{features.FSSRFAdminPath, features.FExposedAdminRole, features.FHoldsAdminRole},
			lower:      true,
			suppressed: 1,
		},
		{
			name:       "the admin role accepted, IMDSv1 not: the path stays",
			yaml:       "rules:\n  - signal: privileges.exposed_admin_role\n    resource: " + toxic + "\n    reason: break-glass host\n",
			muted:      []inventory.SignalID{"privileges.exposed_admin_role"},
			cleared:    []string{features.FExposedAdminRole, features.FHoldsAdminRole},
			kept:       []string{features.FSSRFAdminPath, features.FIMDSv1, features.FIMDSv1Exposed, features.FObtainablePriv},
			notHigher:  true,
			suppressed: 1,
		},
		{
			name:  "every feeder suppressed: the derived feature goes",
			yaml:  "rules:\n  - signal: /passwords\\.imdsv1_exposed|privileges\\.exposed_admin_role/\n    resource: " + toxic + "\n    reason: isolated lab host\n",
			muted: []inventory.SignalID{"passwords.imdsv1_exposed", "privileges.exposed_admin_role"},
			cleared: []string{features.FIMDSv1Exposed, features.FIMDSv1, features.FSSRFAdminPath,
				features.FExposedAdminRole, features.FHoldsAdminRole},
			lower:      true,
			suppressed: 2,
		},
		{
			// The URL is meant to be public; that it runs as admin is not
			// accepted, so the exposed admin role stays.
			name:       "a public function URL accepted: the exposed admin role stays",
			on:         hook,
			yaml:       "rules:\n  - signal: ports.public_function_url\n    resource: " + hook + "\n    reason: a webhook, public by design\n",
			muted:      []inventory.SignalID{"ports.public_function_url"},
			cleared:    []string{features.FInternetExposed},
			kept:       []string{features.FExposedAdminRole, features.FHoldsAdminRole},
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
			on := tc.on
			if on == "" {
				on = toxic
			}
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
			for _, s := range res.Signals[on] {
				if s.Suppressed != nil {
					got = append(got, s.ID)
					if s.Suppressed.Reason == "" {
						t.Errorf("%s suppressed without a reason", s.ID)
					}
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(got, tc.muted); diff != "" {
				t.Errorf("suppressed signals (-got +want):\n%s", diff)
			}
			if len(res.Signals[on]) != len(plain.Signals[on]) {
				t.Errorf("%d signals on %s, want all %d kept", len(res.Signals[on]), on, len(plain.Signals[on]))
			}
			for _, f := range tc.cleared {
				i := features.Current.Index(f)
				if before, after := plain.Vectors[on].Values[i], res.Vectors[on].Values[i]; before != 1 || after != 0 {
					t.Errorf("feature %s: %v before, %v after; want 1 then 0", f, before, after)
				}
			}
			for _, f := range tc.kept {
				i := features.Current.Index(f)
				if before, after := plain.Vectors[on].Values[i], res.Vectors[on].Values[i]; before != 1 || after != 1 {
					t.Errorf("feature %s: %v before, %v after; want 1 kept, an unsuppressed signal still sets it", f, before, after)
				}
			}
			before, after := riskOf(plain, on), riskOf(res, on)
			if tc.lower && after >= before {
				t.Errorf("risk %.4f with the mutelist, %.4f without: want lower", after, before)
			}
			if tc.notHigher && after > before {
				t.Errorf("risk %.4f with the mutelist, %.4f without: want not higher", after, before)
			}
			if !tc.lower && !tc.notHigher && after != before {
				t.Errorf("risk %.4f with the mutelist, %.4f without: want equal", after, before)
			}
			for _, a := range res.Assessments {
				if a.Resource.ID != on {
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

// TestClearSuppressed: what accepting signals clears in one vector, every
// feature starting at 1.
func TestClearSuppressed(t *testing.T) {
	muted := &inventory.Suppression{Rule: "r", Reason: "accepted"}
	sig := func(id inventory.SignalID, unknown bool, s *inventory.Suppression) inventory.Signal {
		return inventory.Signal{ID: id, Unknown: unknown, Suppressed: s}
	}
	for _, tc := range []struct {
		name string
		sigs []inventory.Signal
		want []string // the features cleared, in schema order
	}{
		{"nothing suppressed", []inventory.Signal{sig("passwords.imdsv1_exposed", false, nil)}, nil},
		{"a direct feature", []inventory.Signal{sig("ports.admin_port_internet", false, muted)},
			[]string{features.FAdminPortInternet}},
		{"a second, unsuppressed signal of the same id keeps it",
			[]inventory.Signal{sig("ports.admin_port_internet", false, muted), sig("ports.admin_port_internet", false, nil)}, nil},
		{"an unsuppressed Unknown twin does not: it never set the column",
			[]inventory.Signal{sig("ports.admin_port_internet", false, muted), sig("ports.admin_port_internet", true, nil)},
			[]string{features.FAdminPortInternet}},
		{"one feeder of the theft path suppressed, the other not",
			[]inventory.Signal{sig("passwords.imdsv1_exposed", false, muted), sig("privileges.exposed_admin_role", false, nil)},
			[]string{features.FIMDSv1, features.FIMDSv1Exposed}},
		{"the other feeder Unknown, unsuppressed: the path stays (fail closed)",
			[]inventory.Signal{sig("passwords.imdsv1_exposed", false, muted), sig("privileges.exposed_admin_role", true, nil)},
			[]string{features.FIMDSv1, features.FIMDSv1Exposed}},
		{"both feeders suppressed",
			[]inventory.Signal{sig("passwords.imdsv1_exposed", false, muted), sig("privileges.exposed_admin_role", false, muted)},
			[]string{features.FExposedAdminRole, features.FSSRFAdminPath, features.FHoldsAdminRole, features.FIMDSv1, features.FIMDSv1Exposed}},
		{"a public URL accepted, its admin role not",
			[]inventory.Signal{sig("ports.public_function_url", false, muted), sig("privileges.exposed_admin_role", false, nil)},
			[]string{features.FInternetExposed, features.FExposedDataReach}},
		{"a function's end-of-life runtime", []inventory.Signal{sig("patches.eol_runtime", false, muted)},
			[]string{features.FEOLEngine}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			values := make([]float64, len(features.Current.Features))
			for i := range values {
				values[i] = 1
			}
			clearSuppressed(values, tc.sigs)
			var got []string
			for i, v := range values {
				if v == 0 {
					got = append(got, features.Current.Features[i].Name)
				}
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("cleared (-got +want):\n%s", diff)
			}
		})
	}
}
