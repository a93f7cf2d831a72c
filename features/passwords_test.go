package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func key(mut func(*inventory.AccessKey)) inventory.Resource {
	r := res("AKIA1", inventory.KindAccessKey)
	r.AccessKey = &inventory.AccessKey{User: "u-1", Active: true, Created: now.AddDate(0, 0, -30), LastUsed: now.AddDate(0, 0, -1), LastUsedKnown: true}
	if mut != nil {
		mut(r.AccessKey)
	}
	return r
}

func account(mut func(*inventory.AccountInfo)) inventory.Resource {
	r := res("arn:aws:iam::111122223333:root", inventory.KindAccount)
	yes, zero := true, 0
	r.AccountInfo = &inventory.AccountInfo{RootMFA: &yes, RootAccessKeys: &zero, PasswordPolicy: &inventory.PasswordPolicy{
		Present: true, MinLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercase: true, RequireLowercase: true, ReusePrevention: 24}}
	if mut != nil {
		mut(r.AccountInfo)
	}
	return r
}

func TestPasswordSignals(t *testing.T) {
	const root = "arn:aws:iam::111122223333:root"
	one, f := 1, false
	tests := []struct {
		name   string
		estate []inventory.Resource
		target string
		id     inventory.SignalID
		keys   []string
		want   []hit
	}{
		{"console user without mfa", []inventory.Resource{user("u-1", func(u *inventory.User) { u.ConsolePassword = true })}, "u-1",
			"passwords.console_without_mfa", []string{"mfa_devices"}, []hit{{Evidence: map[string]string{"mfa_devices": "0"}}}},
		{"safe twin: console user with mfa", []inventory.Resource{user("u-1", func(u *inventory.User) {
			u.ConsolePassword = true
			u.MFADevices = []inventory.MFADevice{{Serial: "arn:aws:iam::1:mfa/u"}}
		})}, "u-1", "passwords.console_without_mfa", nil, nil},
		{"safe twin: no console password", []inventory.Resource{user("u-1", nil)}, "u-1", "passwords.console_without_mfa", nil, nil},
		{"user attributes missing: unknown", []inventory.Resource{res("u-1", inventory.KindUser)}, "u-1",
			"passwords.console_without_mfa", nil, []hit{{Unknown: true}}},
		{"login profile unreadable: unknown, not 'no console'", []inventory.Resource{user("u-1", func(u *inventory.User) {
			u.Unknown = []inventory.UserSetting{inventory.UserConsolePassword}
		})}, "u-1", "passwords.console_without_mfa", nil, []hit{{Unknown: true}}},
		{"console user, MFA list unreadable: unknown, not 'has MFA'", []inventory.Resource{user("u-1", func(u *inventory.User) {
			u.ConsolePassword = true
			u.Unknown = []inventory.UserSetting{inventory.UserMFADevices}
		})}, "u-1", "passwords.console_without_mfa", nil, []hit{{Unknown: true}}},

		{"active key 200 days old", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -200) })}, "AKIA1",
			"passwords.access_key_old", []string{"days", "user"}, []hit{{Evidence: map[string]string{"days": "200", "user": "u-1"}}}},
		{"safe twin: key 30 days old", []inventory.Resource{key(nil)}, "AKIA1", "passwords.access_key_old", nil, nil},
		{"safe twin: old key inactive", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -200); k.Active = false })}, "AKIA1",
			"passwords.access_key_old", nil, nil},
		{"key creation date missing: unknown", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = zeroTime })}, "AKIA1",
			"passwords.access_key_old", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "key creation date"}}}},

		{"key last used 120 days ago", []inventory.Resource{key(func(k *inventory.AccessKey) {
			k.Created = now.AddDate(0, 0, -400)
			k.LastUsed = now.AddDate(0, 0, -120)
		})}, "AKIA1",
			"passwords.access_key_unused", []string{"days", "last_used"}, []hit{{Evidence: map[string]string{"days": "120", "last_used": "2026-02-01"}}}},
		{"key never used, created 100 days ago", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -100); k.LastUsed = zeroTime })}, "AKIA1",
			"passwords.access_key_unused", []string{"days", "last_used"}, []hit{{Evidence: map[string]string{"days": "100", "last_used": "never"}}}},
		{"safe twin: key used yesterday", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -400) })}, "AKIA1",
			"passwords.access_key_unused", nil, nil},
		{"safe twin: never used but created 10 days ago", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -10); k.LastUsed = zeroTime })}, "AKIA1",
			"passwords.access_key_unused", nil, nil},
		{"last use unknown on an old key: unknown", []inventory.Resource{key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -400); k.LastUsedKnown = false })}, "AKIA1",
			"passwords.access_key_unused", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "key last-used date"}}}},

		{"root has access keys", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.RootAccessKeys = &one })}, root,
			"passwords.root_access_keys", []string{"root_access_keys"}, []hit{{Evidence: map[string]string{"root_access_keys": "1"}}}},
		{"root key seen as a resource", []inventory.Resource{account(nil), key(func(k *inventory.AccessKey) { k.Root = true; k.User = root })}, root,
			"passwords.root_access_keys", []string{"root_access_keys", "keys"}, []hit{{Evidence: map[string]string{"root_access_keys": "1", "keys": "AKIA1"}}}},
		{"safe twin: root has no keys", []inventory.Resource{account(nil)}, root, "passwords.root_access_keys", nil, nil},
		{"root keys unknown", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.RootAccessKeys = nil })}, root,
			"passwords.root_access_keys", nil, []hit{{Unknown: true}}},

		{"root without mfa", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.RootMFA = &f })}, root,
			"passwords.root_without_mfa", nil, []hit{{}}},
		{"safe twin: root with mfa", []inventory.Resource{account(nil)}, root, "passwords.root_without_mfa", nil, nil},
		{"root mfa unknown (no account info)", []inventory.Resource{res(root, inventory.KindAccount)}, root,
			"passwords.root_without_mfa", nil, []hit{{Unknown: true}}},

		{"weak password policy says which", []inventory.Resource{account(func(a *inventory.AccountInfo) {
			a.PasswordPolicy.MinLength = 8
			a.PasswordPolicy.RequireSymbols = false
			a.PasswordPolicy.ReusePrevention = 5
		})}, root, "passwords.weak_password_policy", []string{"weaknesses"},
			[]hit{{Evidence: map[string]string{"weaknesses": "min_length 8 < 14; symbols not required; reuse_prevention 5 < 24"}}}},
		{"absent password policy", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.PasswordPolicy = &inventory.PasswordPolicy{} })}, root,
			"passwords.weak_password_policy", []string{"weaknesses"}, []hit{{Evidence: map[string]string{"weaknesses": "no password policy (cloud default applies)"}}}},
		{"safe twin: strong policy", []inventory.Resource{account(nil)}, root, "passwords.weak_password_policy", nil, nil},
		{"password policy unknown", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.PasswordPolicy = nil })}, root,
			"passwords.weak_password_policy", nil, []hit{{Unknown: true}}},

		{"exposed instance accepts imdsv1", replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Metadata.TokensRequired = false })), "i-1",
			"passwords.imdsv1_exposed", []string{"port", "tokens_required"}, []hit{{Evidence: map[string]string{"port": "22", "tokens_required": "false"}}}},
		{"safe twin: exposed instance requires tokens", publicEstate(), "i-1", "passwords.imdsv1_exposed", nil, nil},
		{"safe twin: imdsv1 on a private instance", replace(replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Metadata.TokensRequired = false })),
			routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)), "i-1", "passwords.imdsv1_exposed", nil, nil},
		{"metadata options unknown on an exposed instance", replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Metadata = nil })), "i-1",
			"passwords.imdsv1_exposed", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "metadata options"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, tt.target, tt.id, tt.keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
