package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posture-dev/posture/internal/emulator"
)

// TestMain keeps a developer's own posture config out of the tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "posture-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestConfigFile(t *testing.T) {
	srv := serveDemo(t, emulator.Options{})
	t.Setenv("AWS_ENDPOINT_URL", "") // the endpoint must come from the file
	dir := t.TempDir()
	cfg := filepath.Join(dir, "posture.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("aws:\n  endpoint: " + srv.URL() + "\n  regions: [us-east-1]\ngcp:\n  endpoint: " + srv.URL() + "\n  projects: [acme-prod]\n")
	st := filepath.Join(dir, "store")
	r := run(t, "--store", st, "--config", cfg, "scan", "--aws", "--gcp")
	if r.code != ExitOK {
		t.Fatalf("scan with a config file: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	show := run(t, "--store", st, "snapshots", "show")
	for _, want := range []string{"aws/111122223333/us-east-1", "gcp/acme-prod"} {
		if !strings.Contains(show.out, want) {
			t.Errorf("scope %s missing: the config's regions/projects were not used\n%s", want, show.out)
		}
	}
	if strings.Contains(show.out, "eu-west-1") || strings.Contains(show.out, "acme-sandbox") {
		t.Errorf("scopes outside the config were scanned:\n%s", show.out)
	}

	// A flag on the command line wins over the file.
	r = run(t, "--store", st, "--config", cfg, "scan", "--aws", "--regions", "eu-west-1")
	if r.code != ExitOK {
		t.Fatalf("scan: exit %d: %s", r.code, r.errOut)
	}
	if show := run(t, "--store", st, "snapshots", "show"); !strings.Contains(show.out, "eu-west-1") {
		t.Errorf("--regions did not override the config:\n%s", show.out)
	}

	// A scope on the command line replaces the file's scope for that cloud.
	write("aws:\n  endpoint: " + srv.URL() + "\n  organization: true\n")
	cmd := NewRootCommand(&Global{})
	scanCmd, _, _ := cmd.Find([]string{"scan"})
	if err := scanCmd.ParseFlags([]string{"--accounts", "111122223333"}); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(scanCmd, c, cfg); err != nil {
		t.Fatal(err)
	}
	if f := scanCmd.Flags().Lookup("organization"); f.Value.String() != "false" {
		t.Errorf("the file's organization: true was applied beside --accounts")
	}

	write("aws:\n  endpont: http://127.0.0.1:1\n")
	if r := run(t, "--store", st, "--config", cfg, "scan", "--aws"); r.code != ExitUsage || !strings.Contains(r.errOut, cfg) || !strings.Contains(r.errOut, "endpont") {
		t.Errorf("a misspelt key: exit %d, stderr %q; want a usage error naming the file and key", r.code, r.errOut)
	}
	if r := run(t, "--store", st, "--config", filepath.Join(dir, "missing.yaml"), "scan", "--aws"); r.code != ExitUsage || !strings.Contains(r.errOut, "missing.yaml") {
		t.Errorf("a missing --config file: exit %d, stderr %q", r.code, r.errOut)
	}
}
