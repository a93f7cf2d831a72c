package features

import (
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// KeyMaxAgeDays is the age past which an active access key is old, and the
// idle time past which it is unused (CIS 1.12, 1.14).
const KeyMaxAgeDays = 90

// Password policy thresholds (CIS 1.8 length, 1.9 reuse).
const (
	MinPasswordLength = 14
	MinReusePrevent   = 24
)

func consoleWithoutMFA() Detector {
	d := Detector{
		ID: "passwords.console_without_mfa", Pillar: inventory.Passwords, Severity: inventory.SevHigh,
		Title: "Console user has no MFA device",
		CIS:   []string{"1.10"}, Fix: "aws.iam.enable_user_mfa",
		Kinds: []inventory.Kind{inventory.KindUser},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		u := r.User
		if u == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "user attributes not collected"})}
		}
		// Fail closed: a console password or MFA list that could not be
		// read is unknown, never "no console" or "has MFA".
		switch {
		case !u.Known(inventory.UserConsolePassword) && len(u.MFADevices) == 0:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "console password (login profile) could not be read"})}
		case u.ConsolePassword && !u.Known(inventory.UserMFADevices):
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "MFA devices could not be read"})}
		}
		if !u.ConsolePassword || len(u.MFADevices) > 0 {
			return nil
		}
		ev := map[string]string{"console_password": "true", "mfa_devices": "0"}
		if !u.PasswordLastUsed.IsZero() {
			ev["password_last_used"] = day(u.PasswordLastUsed)
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func keyEvidence(k *inventory.AccessKey) map[string]string {
	ev := map[string]string{}
	if k.User != "" {
		ev["user"] = k.User
	}
	if !k.Created.IsZero() {
		ev["created"] = day(k.Created)
	}
	return ev
}

func accessKeyOld() Detector {
	d := Detector{
		ID: "passwords.access_key_old", Pillar: inventory.Passwords, Severity: inventory.SevMedium,
		CISGCP: []string{"1.7"},
		Title:  "Active access key older than 90 days",
		CIS:    []string{"1.14"}, Fix: "aws.iam.rotate_access_key",
		Kinds: []inventory.Kind{inventory.KindAccessKey},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		k := r.AccessKey
		switch {
		case k == nil:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "access key attributes not collected"})}
		case !k.Active:
			return nil
		case k.Created.IsZero():
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "key creation date"})}
		}
		age := days(now, k.Created)
		if age <= KeyMaxAgeDays {
			return nil
		}
		ev := keyEvidence(k)
		ev["days"] = itoa(age)
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func accessKeyUnused() Detector {
	d := Detector{
		ID: "passwords.access_key_unused", Pillar: inventory.Passwords, Severity: inventory.SevMedium,
		Title: "Active access key unused for 90 days",
		CIS:   []string{"1.12"}, Fix: "aws.iam.deactivate_unused_key",
		Kinds: []inventory.Kind{inventory.KindAccessKey},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		k := r.AccessKey
		if k == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "access key attributes not collected"})}
		}
		if !k.Active {
			return nil
		}
		ev := keyEvidence(k)
		switch {
		case !k.LastUsedKnown:
			if !k.Created.IsZero() && days(now, k.Created) <= KeyMaxAgeDays {
				return nil // too young to be unused for 90 days
			}
			ev["missing"] = "key last-used date"
			return []inventory.Signal{d.unknown(r, ev)}
		case !k.LastUsed.IsZero():
			idle := days(now, k.LastUsed)
			if idle <= KeyMaxAgeDays {
				return nil
			}
			ev["last_used"] = day(k.LastUsed)
			ev["days"] = itoa(idle)
			return []inventory.Signal{d.signal(r, ev)}
		case k.Created.IsZero():
			ev["last_used"] = "never"
			ev["missing"] = "key creation date"
			return []inventory.Signal{d.unknown(r, ev)}
		}
		age := days(now, k.Created)
		if age <= KeyMaxAgeDays {
			return nil
		}
		ev["last_used"] = "never"
		ev["days"] = itoa(age)
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func rootAccessKeys() Detector {
	d := Detector{
		ID: "passwords.root_access_keys", Pillar: inventory.Passwords, Severity: inventory.SevCritical,
		Title: "Account root user has access keys",
		CIS:   []string{"1.4"}, Fix: "aws.iam.delete_root_access_keys",
		Kinds: []inventory.Kind{inventory.KindAccount},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		// Root keys seen as resources count whatever the summary says.
		var keys []string
		for _, x := range g.Resources() {
			if x.Kind == inventory.KindAccessKey && x.Account == r.Account && x.Cloud == r.Cloud &&
				x.AccessKey != nil && x.AccessKey.Root && x.AccessKey.Active {
				keys = append(keys, x.ID)
			}
		}
		var n *int
		if r.AccountInfo != nil {
			n = r.AccountInfo.RootAccessKeys
		}
		switch {
		case len(keys) > 0:
			return []inventory.Signal{d.signal(r, map[string]string{"root_access_keys": itoa(max(len(keys), deref(n))), "keys": strings.Join(keys, ",")})}
		case n == nil:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "root access key count"})}
		case *n > 0:
			return []inventory.Signal{d.signal(r, map[string]string{"root_access_keys": itoa(*n)})}
		}
		return nil
	}
	return d
}

func deref(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func rootWithoutMFA() Detector {
	d := Detector{
		ID: "passwords.root_without_mfa", Pillar: inventory.Passwords, Severity: inventory.SevCritical,
		Title: "Account root user has no MFA",
		CIS:   []string{"1.5"}, Fix: "",
		Kinds: []inventory.Kind{inventory.KindAccount},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if r.AccountInfo == nil || r.AccountInfo.RootMFA == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "root MFA status"})}
		}
		if *r.AccountInfo.RootMFA {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{"root_mfa": "false"})}
	}
	return d
}

// PasswordPolicyWeaknesses lists what a password policy lacks against CIS
// 1.8/1.9 and the usual complexity switches; nil when it is strong.
func PasswordPolicyWeaknesses(p inventory.PasswordPolicy) []string {
	if !p.Present {
		return []string{"no password policy (cloud default applies)"}
	}
	var w []string
	if p.MinLength < MinPasswordLength {
		w = append(w, "min_length "+itoa(p.MinLength)+" < "+itoa(MinPasswordLength))
	}
	for _, c := range []struct {
		ok   bool
		name string
	}{
		{p.RequireSymbols, "symbols"}, {p.RequireNumbers, "numbers"},
		{p.RequireUppercase, "uppercase"}, {p.RequireLowercase, "lowercase"},
	} {
		if !c.ok {
			w = append(w, c.name+" not required")
		}
	}
	if p.ReusePrevention < MinReusePrevent {
		w = append(w, "reuse_prevention "+itoa(p.ReusePrevention)+" < "+itoa(MinReusePrevent))
	}
	return w
}

func weakPasswordPolicy() Detector {
	d := Detector{
		ID: "passwords.weak_password_policy", Pillar: inventory.Passwords, Severity: inventory.SevMedium,
		Title: "Account password policy is missing or weak",
		CIS:   []string{"1.8", "1.9"}, Fix: "aws.iam.set_password_policy",
		Kinds: []inventory.Kind{inventory.KindAccount},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if r.AccountInfo == nil || r.AccountInfo.PasswordPolicy == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "password policy"})}
		}
		w := PasswordPolicyWeaknesses(*r.AccountInfo.PasswordPolicy)
		if len(w) == 0 {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{"weaknesses": strings.Join(w, "; ")})}
	}
	return d
}

// imdsv1 reports whether an instance's metadata service accepts IMDSv1;
// known is false when the settings were not collected.
func imdsv1(in *inventory.Instance) (v1, known bool) {
	if in == nil || in.Metadata == nil {
		return false, false
	}
	return in.Metadata.Enabled && !in.Metadata.TokensRequired, true
}

func imdsv1Exposed() Detector {
	d := Detector{
		ID: "passwords.imdsv1_exposed", Pillar: inventory.Passwords, Severity: inventory.SevHigh,
		Title: "Internet-exposed instance accepts IMDSv1",
		CIS:   []string{"5.6"}, Fix: "aws.ec2.require_imdsv2",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		reach := g.Reachability(r.ID)
		state, e := reach.Any()
		if state == NotReachable {
			return nil
		}
		v1, known := imdsv1(r.Instance)
		if known && !v1 {
			return nil
		}
		ev := map[string]string{}
		if state == Reachable {
			addExposureEvidence(ev, e)
			ev["exposed_ports"] = exposedPorts(reach.Exposures)
		} else {
			ev["missing"] = strings.Join(reach.Missing, "; ")
		}
		if !known {
			ev["missing"] = strings.TrimPrefix(ev["missing"]+"; metadata options", "; ")
			return []inventory.Signal{d.unknown(r, ev)}
		}
		ev["tokens_required"] = "false"
		if state == ReachUnknown {
			return []inventory.Signal{d.unknown(r, ev)}
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func dbTLSNotEnforced() Detector {
	d := Detector{
		ID: "passwords.db_tls_not_enforced", Pillar: inventory.Passwords, Severity: inventory.SevMedium,
		CISGCP: []string{"6.4"},
		Title:  "Database accepts connections without TLS",
		Fix:    "",
		Kinds:  []inventory.Kind{inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		db := r.Database
		if db == nil || db.TLSRequired == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "whether the database requires TLS"})}
		}
		if *db.TLSRequired {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{"tls_required": "false", "engine": db.Engine})}
	}
	return d
}

func storageSharedKey() Detector {
	d := Detector{
		ID: "passwords.storage_shared_key", Pillar: inventory.Passwords, Severity: inventory.SevMedium,
		Title: "Storage account accepts shared keys and SAS tokens",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindBucket},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		// Only clouds with the concept (Azure storage accounts) set the
		// field; nil means "no such setting", not unknown.
		if r.Bucket == nil || r.Bucket.SharedKeyAccess == nil || !*r.Bucket.SharedKeyAccess {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{"shared_key_access": "true"})}
	}
	return d
}
