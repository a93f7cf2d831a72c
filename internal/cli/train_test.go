package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/store"
	"github.com/posture-dev/posture/model"
)

// labelledStore commits one snapshot of n instances, the even ones
// internet-exposed with IMDSv1 behind an open security group, and writes
// a label file marking those compromised and the others benign, plus one
// label for an id the snapshot lacks. It returns the store directory and
// the label file.
func labelledStore(t *testing.T, n int, allBenign bool) (dir, labelFile string) {
	t.Helper()
	ctx := context.Background()
	finished := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)
	dir = filepath.Join(t.TempDir(), "store")
	st, err := store.Open(dir, store.Options{Now: func() time.Time { return finished }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const sg = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0open"
	rs := []inventory.Resource{{
		ID: sg, Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1",
		Kind: inventory.KindFirewall, NativeType: "AWS::EC2::SecurityGroup",
		Firewall: &inventory.Firewall{Rules: []inventory.FirewallRule{{
			Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
			Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"},
		}}},
	}}
	var b strings.Builder
	b.WriteString("resource,label,time,source\n")
	for i := range n {
		id := fmt.Sprintf("arn:aws:ec2:eu-west-1:111122223333:instance/i-%04d", i)
		exposed := i%2 == 0
		r := inventory.Resource{
			ID: id, Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1",
			Kind: inventory.KindInstance, NativeType: "AWS::EC2::Instance",
			Instance: &inventory.Instance{State: "running", Metadata: &inventory.Metadata{Enabled: true, TokensRequired: !exposed, HopLimit: 1}},
		}
		label := "benign"
		if exposed {
			r.Edges = []inventory.Edge{{From: id, Relation: inventory.RelProtectedBy, To: sg}}
			r.Instance.PublicIPs, r.Instance.Firewalls = []string{"203.0.113.7"}, []string{sg}
			if !allBenign {
				label = "compromised"
			}
		}
		rs = append(rs, r)
		fmt.Fprintf(&b, "%s,%s,2025-06-%02d,INC-%d\n", id, label, 1+i%28, i)
	}
	b.WriteString("arn:aws:ec2:eu-west-1:111122223333:instance/i-gone,1,2025-06-01,\n")
	w, err := st.Begin(ctx, inventory.Snapshot{Clouds: []inventory.Cloud{inventory.AWS}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, rs...); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	labelFile = filepath.Join(t.TempDir(), "incidents.csv")
	if err := os.WriteFile(labelFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, labelFile
}

func TestTrainEndToEnd(t *testing.T) {
	st, lf := labelledStore(t, 60, false)
	dir := t.TempDir()

	for _, tc := range []struct {
		name       string
		args       []string
		kind       string
		rows       int
		positives  int // binary targets; -1 for soft
		source     string
		notes      []string
		outputWant []string
	}{
		{
			name: "labels alone", args: []string{"--labels", lf}, kind: model.KindMLP, rows: 60, positives: 30,
			source: "labels:incidents.csv",
			notes:  []string{"labels:incidents.csv: 61 labels read, 60 joined (30 compromised, 30 benign) to 1 snapshot(s); not joined: 1 unknown resource in the snapshot in force"},
			outputWant: []string{
				"unknown resource in the snapshot in force: 1\n  " + lf + ":62: arn:aws:ec2:eu-west-1:111122223333:instance/i-gone compromised at 2025-06-01T00:00:00Z",
				"held out ", "ROC-AUC ",
			},
		},
		{
			name: "labels and simulated, a logistic regression", args: []string{"--labels", lf, "--simulate", "300", "--seed", "3", "--kind", "logreg"}, kind: model.KindLogReg, rows: 360, positives: -1,
			source: "labels:incidents.csv + " + model.SimulatorSource,
			notes:  []string{"60 joined (30 compromised, 30 benign)", "300 simulated rows (seed 3) as a prior"},
			outputWant: []string{
				"simulated: 300 rows from " + model.SimulatorSource + ", seed 3",
			},
		},
		{
			name: "simulated mlp", args: []string{"--simulate", "300", "--kind", "mlp"}, kind: model.KindMLP, rows: 300, positives: -1,
			source: model.SimulatorSource,
			notes:  []string{"300 simulated rows (seed 1)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".json")
			args := append([]string{"--store", st, "train", "--out", out}, tc.args...)
			r := run(t, args...)
			if r.code != ExitOK {
				t.Fatalf("train exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
			}
			m, err := model.LoadFile(out)
			if err != nil {
				t.Fatalf("the written model does not load: %v", err)
			}
			p := m.Provenance
			if m.Kind != tc.kind || p.Rows != tc.rows || p.Source != tc.source || p.Seed != seedOf(tc.args) {
				t.Errorf("kind %s, provenance %+v; want kind %s, %d rows from %q", m.Kind, p, tc.kind, tc.rows, tc.source)
			}
			// Labels dated over June 2025 are held out by time: the latest.
			if slices.Contains(tc.args, "--labels") && p.Split != "by time" {
				t.Errorf("split %q with labels, want by time; notes %s", p.Split, p.Notes)
			}
			if tc.positives >= 0 && (p.Targets != model.TargetsBinary || p.Positives != tc.positives) {
				t.Errorf("targets %s with %d positives, want binary with %d", p.Targets, p.Positives, tc.positives)
			}
			if tc.positives < 0 && p.Targets != model.TargetsProbability {
				t.Errorf("targets %s, want %s (simulated soft targets)", p.Targets, model.TargetsProbability)
			}
			// The flags given, in flag-name order.
			if !strings.HasPrefix(p.Command, "posture train --") {
				t.Errorf("command %q, want posture train and its flags", p.Command)
			}
			given := append([]string{"--store", st, "--out", out}, tc.args...)
			for i := 0; i+1 < len(given); i += 2 {
				if pair := given[i] + " " + given[i+1]; !strings.Contains(p.Command, pair) {
					t.Errorf("command %q lacks %q", p.Command, pair)
				}
			}
			for _, n := range tc.notes {
				if !strings.Contains(p.Notes, n) {
					t.Errorf("notes %q lack %q", p.Notes, n)
				}
			}
			for _, w := range append(tc.outputWant, "wrote "+out) {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}

			// The file exists now: refused without --force, and left alone.
			before, _ := os.ReadFile(out)
			again := run(t, args...)
			if again.code != ExitUsage || !strings.Contains(again.errOut, "--out "+out+" exists") {
				t.Errorf("second train exit %d, stderr %q; want %d and a refusal naming %s", again.code, again.errOut, ExitUsage, out)
			}
			if after, _ := os.ReadFile(out); string(after) != string(before) {
				t.Errorf("a refused train changed %s", out)
			}
		})
	}
}

func seedOf(args []string) int64 {
	for i, a := range args {
		if a == "--seed" {
			var s int64
			fmt.Sscan(args[i+1], &s)
			return s
		}
	}
	return 1
}

func TestTrainForceAndJSON(t *testing.T) {
	st, lf := labelledStore(t, 60, false)
	out := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--store", st, "train", "--labels", lf, "--out", out, "--force", "--json")
	if r.code != ExitOK {
		t.Fatalf("train --force exit %d: %s", r.code, r.errOut)
	}
	var res TrainResult
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, r.out)
	}
	if res.Labels == nil || res.Labels.Joined != 60 || res.Labels.Unknown.Count != 1 || res.Out != out || res.Metrics.Rows == 0 {
		t.Errorf("json result %+v: want the join report (60 joined, 1 unknown), metrics and %s", res, out)
	}
	if _, err := model.LoadFile(out); err != nil {
		t.Errorf("--force did not replace %s with a model: %v", out, err)
	}
	matches, _ := filepath.Glob(out + "*.tmp")
	if len(matches) > 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestTrainRefusals(t *testing.T) {
	st, benign := labelledStore(t, 60, true)
	dir := t.TempDir()
	out := filepath.Join(dir, "m.json")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{"train", "--simulate", "100"}, ExitUsage, `required flag(s) "out" not set`},
		{"nothing to train on", []string{"train", "--out", out}, ExitUsage, "give --labels FILE, --simulate N or both"},
		{"bad kind", []string{"train", "--simulate", "100", "--kind", "forest", "--out", out}, ExitUsage, `--kind "forest": want logreg or mlp`},
		{"negative simulate", []string{"train", "--simulate", "-5", "--out", out}, ExitUsage, "--simulate must not be negative"},
		{"out is a directory", []string{"train", "--simulate", "100", "--out", dir, "--force"}, ExitUsage, "is a directory"},
		{"out in a missing directory", []string{"train", "--simulate", "100", "--out", filepath.Join(dir, "no", "m.json")}, ExitUsage, "does not exist"},
		{"one class", []string{"train", "--labels", benign, "--out", out}, ExitError, "joined 0 compromised and 60 benign rows; training on labels alone needs both"},
		{"nothing joins", []string{"--store", filepath.Join(t.TempDir(), "empty"), "train", "--labels", benign, "--simulate", "100", "--out", out}, ExitError, "none of the 61 labels in " + benign + " joined a snapshot"},
		{"malformed labels", []string{"train", "--labels", writeFile(t, "resource,label,time\nr-1,yes,2025-01-01\n"), "--out", out}, ExitError, `bad.csv:2: r-1: label "yes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--store", st}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.errOut, tc.code, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused train wrote %s", out)
			}
		})
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
