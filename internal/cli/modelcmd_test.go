package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/posture-dev/posture/model"
)

func TestModelEval(t *testing.T) {
	run := func(args ...string) (code int, out, errw string) {
		var o, e bytes.Buffer
		code = Execute(context.Background(), args, &o, &e)
		return code, o.String(), e.String()
	}

	code, out, errw := run("model", "eval", "--simulate", "4000", "--seed", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errw)
	}
	for _, want := range []string{"ROC-AUC [95 % CI]", "model " + defaultModelName, model.BaselineCount, model.BaselineSeverity,
		model.BaselineExposed, "no skill", "reliability of model", "resamples of"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, errw = run("model", "eval", "--simulate", "4000", "--seed", "3", "--json")
	if code != ExitOK {
		t.Fatalf("--json: exit %d: %s", code, errw)
	}
	var c model.Comparison
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	var names []string
	for _, e := range c.Evaluations {
		names = append(names, e.Name)
		if e.Rows != 4000 || e.Resampled != "groups" || e.Resamples == 0 {
			t.Errorf("%s: %d rows, %d resamples of %s; want 4000 rows, resampled by estate", e.Name, e.Rows, e.Resamples, e.Resampled)
		}
	}
	if want := []string{"model " + defaultModelName, model.BaselineCount, model.BaselineSeverity, model.BaselineExposed}; !slices.Equal(names, want) {
		t.Errorf("evaluated %v, want %v", names, want)
	}
	if len(c.Evaluations[0].Reliability) == 0 || c.Evaluations[0].Brier == nil {
		t.Error("the model's evaluation lacks its Brier score or reliability table")
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"kind":`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"model", "eval", "--simulate", "0"}, ExitUsage, "--simulate must be a positive"},
		{[]string{"model", "eval", "--simulate", "x"}, ExitUsage, "invalid argument"},
		{[]string{"model", "eval", "--model", bad, "--simulate", "100"}, ExitError, bad},
		{[]string{"model", "eval", "extra"}, ExitUsage, "unknown command"},
	} {
		code, _, errw := run(tt.args...)
		if code != tt.code || !strings.Contains(errw, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tt.args, code, errw, tt.code, tt.want)
		}
	}
}

// TestModelEvalLabels: the shipped model and the baselines on an
// organisation's own labels, joined to the stored snapshot; --since keeps
// the later ones; --since alone is a usage error.
func TestModelEvalLabels(t *testing.T) {
	st, lf := labelledStore(t, 60, false)
	r := run(t, "--store", st, "model", "eval", "--labels", lf, "--resamples-test-only")
	if r.code != ExitUsage {
		t.Fatalf("an unknown flag: exit %d, want %d", r.code, ExitUsage)
	}
	r = run(t, "--store", st, "model", "eval", "--labels", lf)
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	for _, want := range []string{"labels:incidents.csv", "labels as given", "count of failed checks", "60 joined"} {
		if !strings.Contains(r.out+r.errOut, want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, r.out, r.errOut)
		}
	}
	r = run(t, "--store", st, "model", "eval", "--labels", lf, "--since", "2025-06-15", "--json")
	if r.code != ExitOK {
		t.Fatalf("--since: exit %d: %s", r.code, r.errOut)
	}
	var c struct {
		Evaluations []struct{ Rows int } `json:"evaluations"`
	}
	if err := json.Unmarshal([]byte(r.out), &c); err != nil || len(c.Evaluations) == 0 || c.Evaluations[0].Rows >= 60 || c.Evaluations[0].Rows == 0 {
		t.Errorf("--since 2025-06-15: %v, %+v; want fewer than the 60 joined labels", err, c)
	}
	if r := run(t, "--store", st, "model", "eval", "--labels", lf, "--since", "2030-01-01"); r.code != ExitError {
		t.Errorf("--since after every label: exit %d, want %d", r.code, ExitError)
	}
	if r := run(t, "--store", st, "model", "eval", "--labels", lf, "--simulate", "100"); r.code != ExitUsage {
		t.Errorf("--labels with --simulate: exit %d, want %d", r.code, ExitUsage)
	}
	if r := run(t, "model", "eval", "--since", "2025-06-01"); r.code != ExitUsage {
		t.Errorf("--since without --labels: exit %d, want %d", r.code, ExitUsage)
	}
}
