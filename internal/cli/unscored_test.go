package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/posture-dev/posture/internal/emulator"
)

// TestDemoUnscored: signals on resources the model does not score reach
// the report. The demo's security group "legacy-open" admits the internet
// but protects nothing; it has no risk, so it is listed under "unscored".
func TestDemoUnscored(t *testing.T) {
	const legacyOpen = "sg-0unattached0open0a1"
	serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
		t.Fatalf("scan exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	path := filepath.Join(dir, "report.json")
	if r := run(t, "--store", st, "report", "--format", "json", "--out", path); r.code != ExitOK {
		t.Fatalf("report exit %d: %s", r.code, r.errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary struct {
			Unscored int `json:"unscored"`
		} `json:"summary"`
		Resources []struct {
			ID string `json:"id"`
		} `json:"resources"`
		Unscored []struct {
			ID      string   `json:"id"`
			Name    string   `json:"name"`
			Risk    *float64 `json:"risk"`
			Signals []struct {
				ID string `json:"id"`
			} `json:"signals"`
		} `json:"unscored"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	for _, r := range doc.Resources {
		if strings.HasSuffix(r.ID, legacyOpen) {
			t.Errorf("%s is scored; the model does not score firewalls", r.ID)
		}
	}
	if doc.Summary.Unscored != len(doc.Unscored) {
		t.Errorf("summary.unscored %d, %d listed; want equal without --top", doc.Summary.Unscored, len(doc.Unscored))
	}
	var got []string
	for _, u := range doc.Unscored {
		if !strings.HasSuffix(u.ID, "/"+legacyOpen) {
			continue
		}
		if u.Name != "legacy-open" || u.Risk != nil {
			t.Errorf("%s: name %q, risk %v; want legacy-open without a risk", u.ID, u.Name, u.Risk)
		}
		for _, s := range u.Signals {
			got = append(got, s.ID)
		}
	}
	if !slices.Contains(got, "ports.open_firewall_unattached") {
		t.Errorf("%s signals under unscored: %v; want ports.open_firewall_unattached", legacyOpen, got)
	}

	table := run(t, "--store", st, "report")
	if table.code != ExitOK {
		t.Fatalf("report table exit %d: %s", table.code, table.errOut)
	}
	if !strings.Contains(table.out, "the model does not score") || !strings.Contains(table.out, "legacy-open") {
		t.Errorf("table lacks the unscored section with legacy-open:\n%s", table.out)
	}
}
