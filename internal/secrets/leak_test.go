package secrets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/collectors"
	awscollector "github.com/posture-dev/posture/collectors/aws"
	gcpcollector "github.com/posture-dev/posture/collectors/gcp"
	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/emulator/emulatortest"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/report"
	"github.com/posture-dev/posture/internal/scan"
	"github.com/posture-dev/posture/internal/store"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

var scanNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// planted are the fake secrets of the demo estate's user data
// (internal/emulator/estates/demo/ec2.json), function environment
// (lambda.json) and instance metadata (gcp/projects/acme-prod.json), or
// the parts of them that must never be
// seen again once collected.
var planted = []string{
	"AKIAIOSFODNN7EXAMPLE",
	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"FakeDemoPassw0rdEXAMPLE",
	"MIIEowIBAAKCAQEAFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEDEMO",
	"ghp_FAKEdemoFAKEdemoFAKEdemoFAKEdemo0000",
	"hunter2",
	"AIzaFAKEdemoFAKEdemoFAKEdemoFAKEdemo000",
	"T00000000/B00000000/FAKEdemoFAKEdemoFAKEdemo",
	"MIIEvQIBADANFAKEDEMOFAKEDEMOFAKEDEMOFAKEDEMO",
	"Xq7-demo-Planted-Pw-9f3Kz2",
}

// wantFound are the findings the demo's planted secrets must yield, by
// instance or function name.
var wantFound = map[string][]string{
	"web-1": {"aws_access_key_id user-data line 4", "aws_secret_access_key user-data line 5", "url_credentials user-data line 6"},
	"app-1": {"private_key user-data line 7", "github_token user-data line 12"},
	"gce-web-1": {"password_assignment metadata startup-script line 3", "google_api_key metadata startup-script line 4",
		"slack_webhook metadata startup-script line 5", "gcp_service_account_key metadata deploy-credentials line 1"},
	"orders-api": {"password_assignment environment DB_PASSWORD"},
}

// TestPlantedSecretsNeverLeak scans the demo estate through the real AWS
// and GCP collectors, commits it to a Badger store, assesses it and
// renders every report format. The planted secrets must be found (as
// passwords.secret_in_user_data signals with their fingerprints), and not
// one of their values may appear in the collected resources, the logs, the
// store's files or any report.
func TestPlantedSecretsNeverLeak(t *testing.T) {
	ctx := context.Background()
	srv := emulatortest.Serve(t, "demo", emulator.Options{})
	t.Setenv("STORAGE_EMULATOR_HOST", "")

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	now := func() time.Time { return scanNow }
	salt := []byte("a store's random salt")
	aws, err := awscollector.New(ctx, awscollector.Options{Now: now, Logger: logger, MaxBackoff: 10 * time.Millisecond, SecretSalt: salt})
	if err != nil {
		t.Fatal(err)
	}
	gcp, err := gcpcollector.New(ctx, gcpcollector.Options{Projects: []string{"acme-prod", "acme-sandbox"}, Endpoint: srv.URL(),
		Now: now, Logger: logger, MaxBackoff: 10 * time.Millisecond, SecretSalt: salt})
	if err != nil {
		t.Fatal(err)
	}
	collected, err := scan.Collect(ctx, []collectors.Collector{aws, gcp}, scan.Options{Now: now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}

	// Found: every planted secret, as a finding of its instance or function.
	got := map[string][]string{}
	var fingerprints []string
	for _, r := range collected.Resources {
		var found []inventory.SecretFinding
		switch {
		case r.Instance != nil:
			found = r.Instance.Secrets
		case r.Function != nil:
			found = r.Function.Secrets
		}
		for _, f := range found {
			got[r.Name] = append(got[r.Name], f.Detector+" "+f.Location)
			fingerprints = append(fingerprints, f.Fingerprint)
		}
	}
	if diff := cmp.Diff(wantFound, got); diff != "" {
		t.Fatalf("secrets found by instance (-want +got):\n%s", diff)
	}

	// Not kept: the collected resources.
	resJSON, err := json.Marshal(collected.Result)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "collected resources", resJSON)

	// Not stored: every file of the Badger directory, after commit and close.
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Now: now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := scan.Commit(ctx, st, collected, scan.Options{Now: now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Resources(ctx, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	storedJSON, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the stored resources", storedJSON)
	// While the store is open its writes sit in Badger's write-ahead log
	// as written; on close they move to tables that Badger compresses
	// (Snappy), where a byte search proves less. So the files are read
	// both ways, and the open read must show the fingerprints: the byte
	// check sees what is stored.
	live := readAll(t, dir)
	noSecrets(t, "the store's files (open)", live)
	for _, f := range fingerprints {
		if !bytes.Contains(live, []byte(f)) {
			t.Errorf("fingerprint %s is not in the store's files: the byte check cannot see what is stored", f)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	noSecrets(t, "the store's files (closed)", readAll(t, dir))

	// Not reported: JSON, HTML and table, with every resource.
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	res, err := assess.Run(stored, snap.Gaps, m, scanNow)
	if err != nil {
		t.Fatal(err)
	}
	rep := report.Report{Tool: report.Tool{Name: "posture", Version: "test"}, Generated: scanNow, Snapshot: snap,
		Model: report.ModelInfo{ID: "default"}}
	for _, a := range res.Assessments {
		rep.Items = append(rep.Items, report.NewItem(a))
	}
	var signals int
	for _, sigs := range res.Signals {
		for _, s := range sigs {
			if s.ID == "passwords.secret_in_user_data" && !s.Unknown {
				signals++
				if !slices.Contains(fingerprints, s.Evidence["fingerprint"]) {
					t.Errorf("signal %+v: fingerprint not among those found", s)
				}
			}
		}
	}
	if signals != len(fingerprints) {
		t.Errorf("%d passwords.secret_in_user_data signals, want %d (one per finding)", signals, len(fingerprints))
	}
	for _, f := range report.Formats() {
		var buf bytes.Buffer
		w, err := report.NewWriter(f, &buf, report.Options{Top: len(rep.Items) + 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, rep); err != nil {
			t.Fatalf("%s report: %v", f, err)
		}
		noSecrets(t, string(f)+" report", buf.Bytes())
		if f == report.JSON && !bytes.Contains(buf.Bytes(), []byte(fingerprints[0])) {
			t.Errorf("json report does not carry the fingerprint %s", fingerprints[0])
		}
	}

	noSecrets(t, "the logs", logs.Bytes())
}

func noSecrets(t *testing.T, where string, b []byte) {
	t.Helper()
	if len(b) == 0 {
		t.Errorf("%s: nothing to check", where)
	}
	for _, s := range planted {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("the planted secret %q is in %s", s, where)
		}
	}
}

// readAll concatenates every file under dir.
func readAll(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}
