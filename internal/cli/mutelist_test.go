package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posture-dev/posture/internal/emulator"
)

const (
	sshOpenSG = "sg-0ssh0open0000000a1" // shared by web-1, web-2, web-3, web-4 and the bastion
	bastion   = "arn:aws:ec2:us-east-1:111122223333:instance/i-0bastion00000000005"
)

// suppressedReport is the part of report.json the mutelist test reads.
type suppressedReport struct {
	Summary struct {
		Signals map[string]struct{ Found, Suppressed int } `json:"signals"`
	} `json:"summary"`
	Resources []struct {
		ID      string  `json:"id"`
		Risk    float64 `json:"risk"`
		Signals []struct {
			ID         string `json:"id"`
			Unknown    bool   `json:"unknown"`
			Suppressed *struct {
				Rule, Reason, Expires string
			} `json:"suppressed"`
		} `json:"signals"`
		Reasons []struct {
			Signal string `json:"signal"`
		} `json:"reasons"`
	} `json:"resources"`
}

func TestMutelist(t *testing.T) {
	serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
		t.Fatalf("scan exit %d: %s", r.code, r.errOut)
	}
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	report := func(args ...string) (suppressedReport, cliRun) {
		t.Helper()
		r := run(t, append([]string{"--store", st, "report", "--format", "json"}, args...)...)
		if r.code != ExitOK {
			t.Fatalf("report %v: exit %d: %s", args, r.code, r.errOut)
		}
		var doc suppressedReport
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("report json: %v", err)
		}
		return doc, r
	}
	// revokesSSHGroup reports whether fix --json plans to revoke a rule of
	// the shared SSH group.
	revokesSSHGroup := func(args ...string) bool {
		t.Helper()
		r := run(t, append([]string{"--store", st, "fix", "--json"}, args...)...)
		if r.code != ExitOK {
			t.Fatalf("fix %v: exit %d: %s", args, r.code, r.errOut)
		}
		var plans []struct{ Fix, Signal, Resource string }
		if err := json.Unmarshal([]byte(r.out), &plans); err != nil {
			t.Fatalf("fix --json: %v\n%s", err, r.out)
		}
		for _, p := range plans {
			if p.Fix == "aws.ec2.revoke_public_ingress" && strings.Contains(p.Resource, sshOpenSG) {
				return true
			}
		}
		return false
	}
	riskOf := func(doc suppressedReport, id string) float64 {
		for _, r := range doc.Resources {
			if r.ID == id {
				return r.Risk
			}
		}
		t.Fatalf("%s not in the report", id)
		return 0
	}

	plain, _ := report()
	if !revokesSSHGroup() {
		t.Fatalf("without a mutelist, fix plans no revoke on %s", sshOpenSG)
	}

	web1Only := write("web1.yaml", `rules:
  - name: web-1 ssh
    signal: ports.admin_port_internet
    resource: `+web1+`
    reason: SSH on web-1 is accepted for the migration
    expires: 2999-01-01
`)

	t.Run("suppressed signal shown, marked, not scored", func(t *testing.T) {
		doc, r := report("--mutelist", web1Only)
		if r.errOut != "" {
			t.Errorf("stderr: %s", r.errOut)
		}
		found := false
		for _, res := range doc.Resources {
			for _, s := range res.Signals {
				if s.Suppressed == nil {
					continue
				}
				if res.ID != web1 || s.ID != "ports.admin_port_internet" {
					t.Errorf("%s on %s is suppressed; the rule names only web-1's SSH", s.ID, res.ID)
					continue
				}
				found = true
				if s.Suppressed.Rule != "web-1 ssh" || s.Suppressed.Reason != "SSH on web-1 is accepted for the migration" || s.Suppressed.Expires != "2999-01-01T00:00:00Z" {
					t.Errorf("suppressed = %+v", *s.Suppressed)
				}
			}
			if res.ID == web1 {
				for _, rs := range res.Reasons {
					if rs.Signal == "ports.admin_port_internet" {
						t.Error("a reason of web-1's risk is the suppressed signal")
					}
				}
			}
		}
		if !found {
			t.Fatal("web-1's ports.admin_port_internet is missing or not marked suppressed")
		}
		if before, after := riskOf(plain, web1), riskOf(doc, web1); after >= before {
			t.Errorf("web-1's risk is %.4f with the mutelist, %.4f without: want lower", after, before)
		}
		if before, after := riskOf(plain, web2IMDSv2), riskOf(doc, web2IMDSv2); after != before {
			t.Errorf("web-2's risk changed (%.4f -> %.4f); the rule names only web-1", before, after)
		}
		if got := doc.Summary.Signals["ports"]; got.Suppressed != 1 || got.Found != plain.Summary.Signals["ports"].Found-1 {
			t.Errorf("ports summary %+v, want 1 suppressed and one fewer found than %+v", got, plain.Summary.Signals["ports"])
		}
		for _, format := range []string{"table", "html"} {
			out := run(t, "--store", st, "report", "--format", format, "--top", "0", "--mutelist", web1Only)
			if out.code != ExitOK || !strings.Contains(out.out, "suppressed") {
				t.Errorf("%s report (exit %d) does not mark the suppressed signal", format, out.code)
			}
		}
	})

	t.Run("a shared group's plan stays while an unsuppressed signal needs it", func(t *testing.T) {
		if !revokesSSHGroup("--mutelist", web1Only) {
			t.Errorf("suppressing web-1's SSH removed the revoke on %s that web-2, web-4 and the bastion still need", sshOpenSG)
		}
		allButBastion := write("web.yaml", `rules:
  - signal: ports.admin_port_internet
    resource: /arn:aws:ec2:us-east-1:111122223333:instance\/i-0web.*/
    reason: the web tier's SSH is accepted
`)
		if !revokesSSHGroup("--mutelist", allButBastion) {
			t.Errorf("the bastion's SSH is not suppressed, yet the revoke on %s is gone", sshOpenSG)
		}
		everyone := write("all.yaml", `rules:
  - signal: ports.admin_port_internet
    resource: /arn:aws:ec2:us-east-1:111122223333:instance\/i-0web.*/
    reason: the web tier's SSH is accepted
  - signal: ports.admin_port_internet
    resource: `+bastion+`
    reason: SSH is the bastion's job
`)
		if revokesSSHGroup("--mutelist", everyone) {
			t.Errorf("every signal needing the revoke on %s is suppressed, yet fix still plans it", sshOpenSG)
		}
		text := run(t, "--store", st, "fix", "--mutelist", everyone)
		if !strings.Contains(text.out, "suppressed by the mutelist") {
			t.Errorf("fix does not say signals were suppressed:\n%s", text.out)
		}
	})

	t.Run("expired rule suppresses nothing and is reported", func(t *testing.T) {
		expired := write("expired.yaml", `rules:
  - name: old exception
    signal: ports.admin_port_internet
    resource: `+web1+`
    reason: accepted until 2001
    expires: 2001-01-01
`)
		doc, r := report("--mutelist", expired)
		if !strings.Contains(r.errOut, "old exception") || !strings.Contains(r.errOut, "expired") || !strings.Contains(r.errOut, expired) {
			t.Errorf("stderr does not report the expired rule:\n%s", r.errOut)
		}
		if riskOf(doc, web1) != riskOf(plain, web1) {
			t.Errorf("an expired rule changed web-1's risk")
		}
		if !revokesSSHGroup("--mutelist", expired) {
			t.Errorf("an expired rule removed a plan")
		}
	})

	t.Run("bad mutelist is a usage error naming file and rule", func(t *testing.T) {
		for _, tc := range []struct{ name, body, want string }{
			{"missing reason", "rules:\n  - signal: ports.admin_port_internet\n", "rule 1 (line 2): reason is required"},
			{"invalid regex", "rules:\n  - resource: /i-0web[/\n    reason: r\n", "rule 1 (line 2): resource: regular expression"},
			{"unknown key", "rules:\n  - signal: ports.admin_port_internet\n    reason: r\n    acount: \"1\"\n", `rule 1 (line 4): unknown key "acount"`},
			{"unknown signal", "rules:\n  - signal: ports.admin_port_internt\n    reason: typo\n", `rule 1 (line 2): signal "ports.admin_port_internt" is not a known signal id`},
		} {
			p := write("bad.yaml", tc.body)
			for _, cmd := range []string{"report", "score", "fix"} {
				r := run(t, "--store", st, cmd, "--mutelist", p)
				if r.code != ExitUsage || !strings.Contains(r.errOut, p) || !strings.Contains(r.errOut, tc.want) {
					t.Errorf("%s, %s: exit %d, stderr %q; want %d naming %s and %q", tc.name, cmd, r.code, r.errOut, ExitUsage, p, tc.want)
				}
			}
		}
		if r := run(t, "--store", st, "report", "--mutelist", filepath.Join(dir, "none.yaml")); r.code != ExitUsage || !strings.Contains(r.errOut, "none.yaml") {
			t.Errorf("missing mutelist: exit %d, stderr %q", r.code, r.errOut)
		}
	})

	t.Run("config file's mutelist, relative to the config", func(t *testing.T) {
		cfg := write("posture.yaml", "mutelist: web1.yaml\n")
		withCfg := run(t, "--store", st, "--config", cfg, "report", "--format", "json")
		if withCfg.code != ExitOK || !strings.Contains(withCfg.out, `"rule": "web-1 ssh"`) {
			t.Errorf("the config's mutelist was not applied: exit %d %s", withCfg.code, withCfg.errOut)
		}
		override := write("none.yaml", "rules: []\n")
		withFlag := run(t, "--store", st, "--config", cfg, "report", "--format", "json", "--mutelist", override)
		if withFlag.code != ExitOK || strings.Contains(withFlag.out, `"rule": "web-1 ssh"`) {
			t.Errorf("--mutelist did not win over the config: exit %d %s", withFlag.code, withFlag.errOut)
		}
	})
}

// TestMutelistScope: a rule without signal that selects by account or tags
// is applied but warned about on stderr; --log-level info prints how many
// signals each rule suppressed; an unknown signal (its security groups
// could not be read) is suppressed only by a rule with unknown: true.
func TestMutelistScope(t *testing.T) {
	serveDemo(t, emulator.Options{Faults: []emulator.Fault{{Service: "ec2", Action: "DescribeSecurityGroups", Region: "us-east-1", Kind: emulator.FaultDenied}}})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitPartial {
		t.Fatalf("scan exit %d, want %d (security groups denied): %s", r.code, ExitPartial, r.errOut)
	}
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// web1Unknown returns web-1's ports.admin_port_internet signals as
	// (unknown, suppressed) pairs.
	web1Unknown := func(doc suppressedReport) (unknown, suppressed int) {
		for _, res := range doc.Resources {
			if res.ID != web1 {
				continue
			}
			for _, s := range res.Signals {
				if s.ID != "ports.admin_port_internet" || !s.Unknown {
					continue
				}
				unknown++
				if s.Suppressed != nil {
					suppressed++
				}
			}
		}
		return unknown, suppressed
	}
	report := func(args ...string) (suppressedReport, cliRun) {
		t.Helper()
		r := run(t, append([]string{"--store", st, "report", "--format", "json"}, args...)...)
		if r.code != ExitOK {
			t.Fatalf("report %v: exit %d: %s", args, r.code, r.errOut)
		}
		var doc suppressedReport
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("report json: %v", err)
		}
		return doc, r
	}

	for _, tc := range []struct {
		name          string
		rule          string
		wantSuppUnk   bool   // web-1's unknown admin-port signal is suppressed
		wantWarning   string // on stderr by default; "" for none
		wantInfoCount string // in the --log-level info line for rule 1
	}{
		{
			name:          "an unknown signal is not suppressed by default",
			rule:          "  - name: web-1 ssh\n    signal: ports.admin_port_internet\n    resource: " + web1 + "\n    reason: SSH is accepted\n",
			wantInfoCount: "suppressed=0",
		},
		{
			name:          "unknown: true opts in",
			rule:          "  - name: web-1 ssh\n    signal: ports.admin_port_internet\n    resource: " + web1 + "\n    reason: SSH is accepted, even unchecked\n    unknown: true\n",
			wantSuppUnk:   true,
			wantInfoCount: "suppressed=1",
		},
		{
			name:          "a rule without signal is applied and warned about",
			rule:          "  - account: \"111122223333\"\n    reason: the whole account is a lab\n",
			wantWarning:   "rule 1 (line 2) suppresses every signal of account 111122223333",
			wantInfoCount: `rule="rule 1" line=2 suppressed=`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write("mute.yaml", "rules:\n"+tc.rule)
			doc, r := report("--mutelist", p)
			unk, supp := web1Unknown(doc)
			if unk == 0 {
				t.Fatalf("no unknown ports.admin_port_internet on web-1 with its security groups unreadable")
			}
			if got := supp > 0; got != tc.wantSuppUnk {
				t.Errorf("web-1's unknown admin-port signal suppressed: %v, want %v", got, tc.wantSuppUnk)
			}
			if tc.wantWarning == "" && r.errOut != "" {
				t.Errorf("stderr: %s", r.errOut)
			}
			if tc.wantWarning != "" && (!strings.Contains(r.errOut, tc.wantWarning) || !strings.Contains(r.errOut, p)) {
				t.Errorf("stderr does not warn %q naming %s:\n%s", tc.wantWarning, p, r.errOut)
			}
			info := run(t, "--store", st, "--log-level", "info", "report", "--format", "json", "--mutelist", p)
			if info.code != ExitOK || !strings.Contains(info.errOut, "mutelist rule applied") || !strings.Contains(info.errOut, tc.wantInfoCount) {
				t.Errorf("--log-level info: exit %d, stderr lacks the rule's count %q:\n%s", info.code, tc.wantInfoCount, info.errOut)
			}
		})
	}
}
