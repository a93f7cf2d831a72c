package suppress

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

const (
	web1 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web1"
	web2 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web2"
	db1  = "arn:aws:rds:eu-west-1:444455556666:db:orders"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func target(sig inventory.SignalID, res, account, region string, tags map[string]string) Target {
	return Target{Signal: sig, Resource: res, Account: account, Region: region, Tags: tags}
}

func TestMatch(t *testing.T) {
	web1SSH := target("ports.admin_port_internet", web1, "111122223333", "us-east-1", map[string]string{"role": "bastion", "env": "prod"})
	web2SSH := target("ports.admin_port_internet", web2, "111122223333", "us-east-1", map[string]string{"env": "prod"})
	web1IMDS := target("passwords.imdsv1_exposed", web1, "111122223333", "us-east-1", map[string]string{"role": "bastion", "env": "prod"})
	dbPublic := target("ports.public_database", db1, "444455556666", "eu-west-1", nil)

	for _, tc := range []struct {
		name    string
		yaml    string
		targets []Target
		want    []string // the matching rule's label per target, "" for none
	}{
		{
			name: "exact signal and resource",
			yaml: `rules:
  - signal: ports.admin_port_internet
    resource: ` + web1 + `
    reason: bastion`,
			targets: []Target{web1SSH, web2SSH, web1IMDS},
			want:    []string{"rule 1", "", ""},
		},
		{
			name: "signal regex, whole value",
			yaml: `rules:
  - name: all ports on web-1
    signal: /ports\..*/
    resource: ` + web1 + `
    reason: bastion
  - name: partial regex is anchored
    signal: /imdsv1/
    reason: never matches a longer id`,
			targets: []Target{web1SSH, web1IMDS, web2SSH},
			want:    []string{"all ports on web-1", "", ""},
		},
		{
			name: "resource regex",
			yaml: `rules:
  - resource: /arn:aws:ec2:.*:instance\/i-0web[12]/
    reason: web tier`,
			targets: []Target{web1SSH, web2SSH, web1IMDS, dbPublic},
			want:    []string{"rule 1", "rule 1", "rule 1", ""},
		},
		{
			name: "account and region AND'ed",
			yaml: `rules:
  - account: "111122223333"
    region: eu-west-1
    reason: no such pair in the targets
  - account: "444455556666"
    region: /eu-.*/
    reason: the analytics account in Europe`,
			targets: []Target{web1SSH, dbPublic},
			want:    []string{"", "rule 2"},
		},
		{
			name: "every tag must match",
			yaml: `rules:
  - tags: {role: bastion, env: prod}
    reason: bastions
  - tags: {env: /prod|stage/, team: web}
    reason: no team tag on any target`,
			targets: []Target{web1SSH, web2SSH, dbPublic},
			want:    []string{"rule 1", "", ""},
		},
		{
			name: "rules OR'ed, first match named",
			yaml: `rules:
  - name: db
    signal: ports.public_database
    reason: a public read replica by design
  - name: web-2
    resource: ` + web2 + `
    reason: decommissioned next week
  - name: all ssh
    signal: ports.admin_port_internet
    reason: later rules still match what earlier ones do not`,
			targets: []Target{dbPublic, web2SSH, web1SSH, web1IMDS},
			want:    []string{"db", "web-2", "all ssh", ""},
		},
		{
			name: "expiry: a past date does not apply, a future one does",
			yaml: `rules:
  - name: expired
    signal: ports.admin_port_internet
    reason: old exception
    expires: 2026-06-15
  - name: live
    signal: passwords.imdsv1_exposed
    reason: migration to IMDSv2 under way
    expires: 2026-06-16
  - name: live to the second
    signal: ports.public_database
    reason: until noon and a second
    expires: 2026-06-15T12:00:01Z`,
			targets: []Target{web1SSH, web1IMDS, dbPublic},
			want:    []string{"", "live", "live to the second"},
		},
		{
			name: "an unknown signal matches only a rule that opts in",
			yaml: `rules:
  - name: known only
    signal: ports.admin_port_internet
    resource: ` + web1 + `
    reason: bastion SSH is fine
  - name: unknown too
    signal: ports.admin_port_internet
    resource: ` + web2 + `
    reason: managed elsewhere
    unknown: true
  - name: explicit false
    signal: ports.public_database
    reason: replica by design
    unknown: false`,
			targets: func() []Target {
				u1, u2, udb := web1SSH, web2SSH, dbPublic
				u1.Unknown, u2.Unknown, udb.Unknown = true, true, true
				return []Target{web1SSH, u1, web2SSH, u2, dbPublic, udb}
			}(),
			want: []string{"known only", "", "unknown too", "unknown too", "explicit false", ""},
		},
		{
			name:    "unresolved resource: account, region and tags never match",
			yaml:    "rules:\n  - account: /.*/\n    reason: any account\n  - resource: " + web1 + "\n    reason: by id",
			targets: []Target{{Signal: "ports.admin_port_internet", Resource: web1, Unresolved: true}, {Signal: "x", Resource: web2, Unresolved: true}},
			want:    []string{"rule 2", ""},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse("mute.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range tc.targets {
				label := ""
				if r := l.Match(tg, now); r != nil {
					label = r.Label()
				}
				got = append(got, label)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("matches (-got +want):\n%s", diff)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	l, err := Parse("mute.yaml", []byte(`rules:
  - name: old
    signal: ports.admin_port_internet
    reason: r
    expires: 2026-01-01
  - signal: patches.image_age
    reason: r
    expires: 2026-06-15
  - signal: patches.eol_engine
    reason: r
    expires: 2027-01-01
  - signal: patches.eol_engine
    reason: r
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range l.Expired(now) {
		got = append(got, r.Label()+" "+r.Expires.Format(time.DateOnly))
	}
	if diff := cmp.Diff(got, []string{"old 2026-01-01", "rule 2 2026-06-15"}); diff != "" {
		t.Errorf("expired (-got +want):\n%s", diff)
	}
}

func TestApply(t *testing.T) {
	l, err := Parse("mute.yaml", []byte(`rules:
  - name: bastion
    signal: ports.admin_port_internet
    tags: {role: bastion}
    reason: SSH is its job
    expires: 2027-01-01
  - name: web-2 unreadable firewall
    signal: ports.admin_port_internet
    resource: `+web2+`
    reason: the group is managed elsewhere; its rules are reviewed there
    unknown: true
  - name: unused
    signal: patches.eol_engine
    reason: matches nothing here
`))
	if err != nil {
		t.Fatal(err)
	}
	resources := map[string]*inventory.Resource{
		web1: {ID: web1, Account: "111122223333", Region: "us-east-1", Tags: map[string]string{"role": "bastion"}},
		web2: {ID: web2, Account: "111122223333", Region: "us-east-1"},
	}
	sigs := map[string][]inventory.Signal{
		web1: {
			{ID: "ports.admin_port_internet", Resource: web1},
			{ID: "ports.admin_port_internet", Resource: web1, Unknown: true}, // another path could not be read
			{ID: "patches.image_age", Resource: web1},
		},
		web2: {{ID: "ports.admin_port_internet", Resource: web2, Unknown: true}},
	}
	n := l.Apply(sigs, func(id string) *inventory.Resource { return resources[id] }, now)
	if diff := cmp.Diff(n, Applied{1, 1, 0}); diff != "" {
		t.Errorf("Apply counts per rule (-got +want):\n%s", diff)
	}
	if n.Total() != 2 {
		t.Errorf("Total() = %d, want 2", n.Total())
	}
	want := map[string][]inventory.Signal{
		web1: {
			{ID: "ports.admin_port_internet", Resource: web1, Suppressed: &inventory.Suppression{
				Rule: "bastion", Reason: "SSH is its job", Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}},
			{ID: "ports.admin_port_internet", Resource: web1, Unknown: true}, // the bastion rule does not opt in
			{ID: "patches.image_age", Resource: web1},
		},
		web2: {{ID: "ports.admin_port_internet", Resource: web2, Unknown: true, Suppressed: &inventory.Suppression{
			Rule: "web-2 unreadable firewall", Reason: "the group is managed elsewhere; its rules are reviewed there"}}},
	}
	if diff := cmp.Diff(sigs, want); diff != "" {
		t.Errorf("signals (-got +want):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"yaml syntax", "rules:\n  - signal: [a\n", []string{"mutelist mute.yaml", "yaml"}},
		{"not a mapping", "- signal: x\n  reason: r\n", []string{"mutelist mute.yaml: line 1", `"rules"`}},
		{"unknown top-level key", "rule:\n  - signal: x\n", []string{"line 1", `unknown key "rule"`}},
		{"rules not a list", "rules: {signal: x}\n", []string{"line 1", "rules must be a list"}},
		{"rule not a mapping", "rules:\n  - ports.admin_port_internet\n", []string{"rule 1 (line 2)", "must be a mapping"}},
		{"unknown key", "rules:\n  - signal: x\n    reason: r\n  - signal: y\n    resorce: z\n    reason: r\n",
			[]string{"mutelist mute.yaml: rule 2 (line 5)", `unknown key "resorce"`}},
		{"missing reason", "rules:\n  - signal: x\n", []string{"rule 1 (line 2)", "reason is required"}},
		{"empty reason", "rules:\n  - signal: x\n    reason: \"  \"\n", []string{"rule 1 (line 3)", "reason must be a non-empty value"}},
		{"no matcher", "rules:\n  - name: everything\n    reason: r\n", []string{"rule 1 (line 2)", "at least one of signal"}},
		{"empty field", "rules:\n  - signal: x\n    resource:\n    reason: r\n", []string{"rule 1 (line 3)", "resource must be a non-empty value"}},
		{"invalid regex", "rules:\n  - resource: /i-0web[/\n    reason: r\n", []string{"rule 1 (line 2)", "resource: regular expression /i-0web[/"}},
		{"empty regex", "rules:\n  - signal: //\n    reason: r\n", []string{"rule 1 (line 2)", "empty regular expression"}},
		{"invalid tag regex", "rules:\n  - tags: {env: /(prod/}\n    reason: r\n", []string{"rule 1 (line 2)", `tag "env": regular expression`}},
		{"empty tags", "rules:\n  - tags: {}\n    reason: r\n", []string{"rule 1 (line 2)", "tags must be a non-empty mapping"}},
		{"bad expiry", "rules:\n  - signal: x\n    reason: r\n    expires: next year\n", []string{"rule 1 (line 4)", `expires "next year"`}},
		{"unknown not a bool", "rules:\n  - signal: x\n    reason: r\n    unknown: yes please\n", []string{"rule 1 (line 4)", "unknown must be true or false"}},
		{"unknown quoted", "rules:\n  - signal: x\n    reason: r\n    unknown: \"true\"\n", []string{"rule 1 (line 4)", "unknown must be true or false"}},
		{"unknown alone is no matcher", "rules:\n  - unknown: true\n    reason: r\n", []string{"rule 1 (line 2)", "at least one of signal"}},
		{"duplicate key", "rules:\n  - signal: x\n    signal: y\n    reason: r\n", []string{"rule 1 (line 3)", "signal given twice"}},
		{"every problem reported", "rules:\n  - signal: x\n  - reason: r\n", []string{"rule 1 (line 2): reason is required", "rule 2 (line 3): a rule needs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("mute.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	l, err := Parse("mute.yaml", []byte(`rules:
  - signal: ports.admin_port_internet
    tags: {role: bastion}
    reason: scoped by signal, no warning
  - name: sandbox
    tags: {env: sandbox, team: /web|api/}
    reason: sandbox is rebuilt weekly
  - account: "444455556666"
    reason: the analytics account
  - region: /ap-.*/
    resource: /.*i-0old.*/
    reason: old hosts in Asia
  - resource: `+web1+`
    reason: one resource by id, no warning
`))
	if err != nil {
		t.Fatal(err)
	}
	got := l.Warnings()
	want := []string{
		"mutelist mute.yaml: rule 2 (sandbox) (line 5) suppresses every signal of tags env=sandbox,team=/web|api/, critical ones included; anyone who can tag a resource can mute its findings; add signal: to name what it accepts",
		`mutelist mute.yaml: rule 3 (line 8) suppresses every signal of account 444455556666, critical ones included; add signal: to name what it accepts`,
		`mutelist mute.yaml: rule 4 (line 10) suppresses every signal of resource /.*i-0old.*/, region /ap-.*/, critical ones included; add signal: to name what it accepts`,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("warnings (-got +want):\n%s", diff)
	}
	var none *List
	if got := none.Warnings(); got != nil {
		t.Errorf("nil list warns %v", got)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, body := range []string{"", "# nothing muted yet\n", "rules:\n", "rules: []\n"} {
		l, err := Parse("mute.yaml", []byte(body))
		if err != nil {
			t.Errorf("%q: %v", body, err)
			continue
		}
		if len(l.Rules) != 0 {
			t.Errorf("%q: %d rules, want none", body, len(l.Rules))
		}
	}
}

func TestCheckSignals(t *testing.T) {
	l, err := Parse("mute.yaml", []byte(`rules:
  - signal: ports.admin_port_internet
    reason: r
  - signal: ports.admin_port_internt
    reason: a typo
  - signal: /ports\..*/
    reason: regexes are not checked
`))
	if err != nil {
		t.Fatal(err)
	}
	known := func(id inventory.SignalID) bool { return id == "ports.admin_port_internet" }
	err = l.CheckSignals(known)
	if err == nil || !strings.Contains(err.Error(), "rule 2 (line 4)") || strings.Contains(err.Error(), "rule 1") || strings.Contains(err.Error(), "rule 3") {
		t.Errorf("got %v, want an error naming rule 2 only", err)
	}
}

func TestLoad(t *testing.T) {
	l, err := Load(filepath.Join("testdata", "mutelist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rules) == 0 {
		t.Fatal("no rules in testdata/mutelist.yaml")
	}
	if _, err := Load(filepath.Join("testdata", "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: got %v, want an error naming it", err)
	}
}
