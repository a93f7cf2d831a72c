package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/emulator/emulatortest"
	"github.com/posture-dev/posture/internal/store"
)

// The demo estate's resources the end-to-end tests reason about.
const (
	web1       = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web1exposed0000001"
	web2IMDSv2 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web2imdsv200000002"
	web3Priv   = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web3private0000003"
	web4Scoped = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web4scoped00000004"
	dbPublic   = "arn:aws:rds:eu-west-1:111122223333:db:orders-public"
	dbPrivate  = "arn:aws:rds:eu-west-1:111122223333:db:orders-private"
	bucketPub  = "arn:aws:s3:::acme-public-assets"
	bucketBPA  = "arn:aws:s3:::acme-public-assets-blocked"
	alice      = "arn:aws:iam::111122223333:user/alice"
	bob        = "arn:aws:iam::111122223333:user/bob"
)

// jsonReport is the part of report.json the tests read.
type jsonReport struct {
	Snapshot struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Gaps   []struct {
			Service, Operation, Reason string
		} `json:"gaps"`
	} `json:"snapshot"`
	Resources []struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Cloud   string  `json:"cloud"`
		Risk    float64 `json:"risk"`
		Signals []struct {
			ID       string            `json:"id"`
			Evidence map[string]string `json:"evidence"`
			Unknown  bool              `json:"unknown"`
		} `json:"signals"`
		Reasons []struct {
			Feature string `json:"feature"`
			Signal  string `json:"signal"`
			Text    string `json:"text"`
		} `json:"reasons"`
	} `json:"resources"`
}

// cliRun is one CLI invocation's outcome.
type cliRun struct {
	code        int
	out, errOut string
}

// run executes the CLI in-process, as the binary would.
func run(t *testing.T, args ...string) cliRun {
	t.Helper()
	var out, errw bytes.Buffer
	code := Execute(context.Background(), args, &out, &errw)
	return cliRun{code: code, out: out.String(), errOut: errw.String()}
}

// serveDemo starts the emulated demo estate and points the AWS SDK at it
// through the standard environment, with dummy credentials.
func serveDemo(t *testing.T, opts emulator.Options) *emulator.Server {
	t.Helper()
	return emulatortest.Serve(t, "demo", opts)
}

func readReport(t *testing.T, path string) jsonReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report.json does not parse: %v", err)
	}
	return r
}

func TestDemoEndToEnd(t *testing.T) {
	srv := serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")

	scan := run(t, "--store", st, "scan", "--aws")
	if scan.code != ExitOK {
		t.Fatalf("scan exit %d\nstdout:\n%s\nstderr:\n%s", scan.code, scan.out, scan.errOut)
	}
	if !strings.Contains(scan.out, "snapshot ") || !strings.Contains(scan.out, "complete: ") {
		t.Errorf("scan summary missing:\n%s", scan.out)
	}
	// The demo's KEV and EPSS extracts, through the download path, as
	// make demo loads them.
	if r := run(t, "--store", st, "feeds", "update", "--kev-url", srv.URL()+emulator.KEVPath, "--epss-url", srv.URL()+emulator.EPSSPath); r.code != ExitOK {
		t.Fatalf("feeds update exit %d: %s", r.code, r.errOut)
	}

	score := run(t, "--store", st, "score", "--top", "10")
	if score.code != ExitOK {
		t.Fatalf("score exit %d: %s", score.code, score.errOut)
	}
	if !strings.Contains(score.out, "web-1") {
		t.Errorf("the ten riskiest should include web-1:\n%s", score.out)
	}

	jsonPath := filepath.Join(dir, "report.json")
	if r := run(t, "--store", st, "report", "--format", "json", "--out", jsonPath); r.code != ExitOK {
		t.Fatalf("report exit %d: %s", r.code, r.errOut)
	}
	htmlPath := filepath.Join(dir, "report.html")
	if r := run(t, "--store", st, "report", "--format", "html", "--out", htmlPath); r.code != ExitOK {
		t.Fatalf("report html exit %d: %s", r.code, r.errOut)
	}
	if b, _ := os.ReadFile(htmlPath); !bytes.Contains(b, []byte("web-1")) {
		t.Error("report.html does not name web-1")
	}

	rep := readReport(t, jsonPath)
	if rep.Snapshot.Status != "complete" {
		t.Errorf("snapshot status %q, want complete; gaps %+v", rep.Snapshot.Status, rep.Snapshot.Gaps)
	}
	risk := map[string]float64{}
	rank := map[string]int{}
	signals := map[string]map[string]bool{}
	reasons := map[string][]string{}
	for i, r := range rep.Resources {
		risk[r.ID], rank[r.ID] = r.Risk, i+1
		signals[r.ID] = map[string]bool{}
		for _, s := range r.Signals {
			signals[r.ID][s.ID] = true
		}
		for _, rs := range r.Reasons {
			reasons[r.ID] = append(reasons[r.ID], rs.Feature)
		}
	}

	t.Run("riskiest", func(t *testing.T) {
		if rank[web1] == 0 || rank[web1] > 3 {
			t.Errorf("web-1 (exposed SSH, IMDSv1, admin role) ranks %d, want top 3", rank[web1])
		}
		for _, want := range []string{"ports.admin_port_internet", "passwords.imdsv1_exposed", "privileges.exposed_admin_role", "patches.image_age"} {
			if !signals[web1][want] {
				t.Errorf("web-1 lacks signal %s; has %v", want, signals[web1])
			}
		}
		if len(reasons[web1]) == 0 {
			t.Error("web-1 has no reasons")
		}
		for _, id := range []string{dbPublic, bucketPub} {
			if rank[id] == 0 || rank[id] > 10 {
				t.Errorf("%s ranks %d, want in the ten riskiest", id, rank[id])
			}
		}
		// A console user without MFA and with an old, unused key ranks
		// above every other user of the account; the data stores web-1's
		// exposed admin role reads rank above her (one exploit of web-1
		// away), her MFA twin is checked below.
		for id, r := range rank {
			if strings.Contains(id, ":user/") && id != alice && r < rank[alice] {
				t.Errorf("user %s ranks %d, above alice (%d)", id, r, rank[alice])
			}
		}
	})

	t.Run("safe twins score lower", func(t *testing.T) {
		for _, c := range []struct{ bad, twin, differs string }{
			{web1, web2IMDSv2, "IMDSv2 required"},
			{web1, web3Priv, "private subnet, no public IP"},
			{web1, web4Scoped, "scoped role instead of admin"},
			{dbPublic, dbPrivate, "not publicly accessible"},
			{bucketPub, bucketBPA, "block public access on"},
			{alice, bob, "MFA and a fresh key"},
		} {
			if risk[c.bad] <= risk[c.twin] {
				t.Errorf("%s scores %.4f, its twin (%s) %.4f: want the twin lower", c.bad, risk[c.bad], c.differs, risk[c.twin])
			}
		}
		if signals[bucketBPA]["privileges.public_bucket"] {
			t.Error("a bucket whose block public access is on is reported public")
		}
		if signals[web3Priv]["ports.admin_port_internet"] {
			t.Error("an instance in a private subnet is reported internet-reachable")
		}
	})

	t.Run("fix plans only", func(t *testing.T) {
		fix := run(t, "--store", st, "fix")
		if fix.code != ExitOK {
			t.Fatalf("fix exit %d: %s", fix.code, fix.errOut)
		}
		for _, want := range []string{"revoke-security-group-ingress", "sg-0ssh0open0000000a1", "modify-instance-metadata-options", "nothing is changed"} {
			if !strings.Contains(fix.out, want) {
				t.Errorf("fix output lacks %q", want)
			}
		}
		js := run(t, "--store", st, "fix", "--json")
		var plans []struct {
			Fix, Resource string
			Calls         []struct{ Service, Operation string }
			RiskBefore    float64 `json:"risk_before"`
			RiskAfter     float64 `json:"risk_after"`
		}
		if err := json.Unmarshal([]byte(js.out), &plans); err != nil {
			t.Fatalf("fix --json: %v\n%s", err, js.out)
		}
		ops := map[string]bool{}
		for i, p := range plans {
			for _, c := range p.Calls {
				ops[c.Service+":"+c.Operation] = true
			}
			if i > 0 && plans[i-1].RiskBefore-plans[i-1].RiskAfter < p.RiskBefore-p.RiskAfter {
				t.Errorf("plans not ranked by predicted risk drop at %d", i)
			}
		}
		for _, want := range []string{"ec2:RevokeSecurityGroupIngress", "ec2:ModifyInstanceMetadataOptions", "rds:ModifyDBInstance", "s3:PutPublicAccessBlock", "iam:UpdateAccountPasswordPolicy"} {
			if !ops[want] {
				t.Errorf("no plan calls %s", want)
			}
		}
	})

	t.Run("snapshots", func(t *testing.T) {
		list := run(t, "--store", st, "snapshots", "list")
		if list.code != ExitOK || strings.Count(list.out, "\n") != 2 {
			t.Errorf("snapshots list exit %d:\n%s", list.code, list.out)
		}
		show := run(t, "--store", st, "snapshots", "show", rep.Snapshot.ID)
		if show.code != ExitOK || !strings.Contains(show.out, "compute.instance") {
			t.Errorf("snapshots show exit %d:\n%s%s", show.code, show.out, show.errOut)
		}
	})
}

func TestScanPartialKeepsLastGood(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	serveDemo(t, emulator.Options{})
	if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
		t.Fatalf("first scan exit %d: %s", r.code, r.errOut)
	}

	serveDemo(t, emulator.Options{Faults: []emulator.Fault{{Service: "ec2", Action: "DescribeSecurityGroups", Region: "eu-west-1", Kind: emulator.FaultDenied}}})
	r := run(t, "--store", st, "scan", "--aws", "--keep", "1")
	if r.code != ExitPartial {
		t.Fatalf("partial scan exit %d, want %d\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "DescribeSecurityGroups") || !strings.Contains(r.errOut, "access_denied") {
		t.Errorf("the gap is not named on stderr:\n%s", r.errOut)
	}
	list := run(t, "--store", st, "snapshots", "list")
	if strings.Count(list.out, "complete") != 1 || strings.Count(list.out, "partial") != 1 {
		t.Errorf("want the partial snapshot beside the last complete one (retention keeps it):\n%s", list.out)
	}
}

func TestBadInput(t *testing.T) {
	t.Run("unreachable endpoint commits nothing", func(t *testing.T) {
		serveDemo(t, emulator.Options{})
		st := filepath.Join(t.TempDir(), "store")
		if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
			t.Fatalf("first scan exit %d: %s", r.code, r.errOut)
		}
		r := run(t, "--store", st, "scan", "--aws", "--endpoint", "http://127.0.0.1:1", "--max-attempts", "1")
		if r.code != ExitError {
			t.Fatalf("exit %d, want %d", r.code, ExitError)
		}
		if !strings.Contains(r.errOut, "127.0.0.1:1") || !strings.Contains(r.errOut, "sts") {
			t.Errorf("error does not name the endpoint and call:\n%s", r.errOut)
		}
		list := run(t, "--store", st, "snapshots", "list")
		if strings.Count(list.out, "complete") != 1 {
			t.Errorf("the earlier snapshot should be intact and alone:\n%s", list.out)
		}
	})

	t.Run("locked store", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "store")
		s, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r := run(t, "--store", dir, "snapshots", "list")
		if r.code != ExitError || !strings.Contains(r.errOut, dir) || !strings.Contains(r.errOut, "locked") {
			t.Errorf("exit %d, stderr %q: want an error naming the locked directory", r.code, r.errOut)
		}
	})

	t.Run("not a store", func(t *testing.T) {
		dir := t.TempDir()
		junk := filepath.Join(dir, "notes.txt")
		if err := os.WriteFile(junk, []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, "--store", dir, "snapshots", "list")
		if r.code != ExitError || !strings.Contains(r.errOut, dir) {
			t.Errorf("exit %d, stderr %q: want an error naming the directory", r.code, r.errOut)
		}
		if b, err := os.ReadFile(junk); err != nil || string(b) != "mine" {
			t.Errorf("the user's file was touched: %q %v", b, err)
		}
	})

	t.Run("wrong model file", func(t *testing.T) {
		serveDemo(t, emulator.Options{})
		dir := t.TempDir()
		st := filepath.Join(dir, "store")
		if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
			t.Fatalf("scan exit %d: %s", r.code, r.errOut)
		}
		bad := filepath.Join(dir, "model.json")
		if err := os.WriteFile(bad, []byte(`{"weights": [1, 2]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, "--store", st, "score", "--model", bad)
		if r.code != ExitError || !strings.Contains(r.errOut, bad) {
			t.Errorf("exit %d, stderr %q: want an error naming the model file", r.code, r.errOut)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"scan"}, {"report", "--format", "xml"}, {"nonsense"}, {"--log-level", "loud", "version"}} {
			if r := run(t, args...); r.code != ExitUsage {
				t.Errorf("%v: exit %d, want %d (%s)", args, r.code, ExitUsage, r.errOut)
			}
		}
	})

	t.Run("no snapshot yet", func(t *testing.T) {
		r := run(t, "--store", filepath.Join(t.TempDir(), "s"), "report")
		if r.code != ExitError || !strings.Contains(r.errOut, "posture scan") {
			t.Errorf("exit %d, stderr %q", r.code, r.errOut)
		}
	})
}

func TestScanCancelledCommitsNothing(t *testing.T) {
	serveDemo(t, emulator.Options{Latency: 50 * time.Millisecond})
	st := filepath.Join(t.TempDir(), "store")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errw bytes.Buffer
	code := Execute(ctx, []string{"--store", st, "scan", "--aws"}, &out, &errw)
	if code == ExitOK {
		t.Fatalf("a scan cancelled midway succeeded:\n%s", out.String())
	}
	list := run(t, "--store", st, "snapshots", "list")
	if strings.Count(list.out, "\n") != 1 {
		t.Errorf("a cancelled scan left a snapshot:\n%s", list.out)
	}
}

func TestScanWaitsForTheStoreLock(t *testing.T) {
	serveDemo(t, emulator.Options{})
	dir := filepath.Join(t.TempDir(), "store")
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Another posture (a report) holds the store while the scan collects,
	// and lets go shortly after.
	released := make(chan struct{})
	go func() {
		time.Sleep(400 * time.Millisecond)
		s.Close()
		close(released)
	}()
	r := run(t, "--store", dir, "scan", "--aws")
	<-released
	if r.code != ExitOK {
		t.Fatalf("scan exit %d: %s", r.code, r.errOut)
	}
}

func TestReportFileAppearsWhole(t *testing.T) {
	serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	if r := run(t, "--store", st, "scan", "--aws"); r.code != ExitOK {
		t.Fatalf("scan exit %d: %s", r.code, r.errOut)
	}
	out := filepath.Join(dir, "report.json")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "--store", st, "report", "--format", "json", "-o", out); r.code != ExitOK {
		t.Fatalf("report exit %d: %s", r.code, r.errOut)
	}
	readReport(t, out) // parses: the old content was replaced whole
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if r := run(t, "--store", st, "report", "--format", "json", "-o", filepath.Join(dir, "missing-dir", "r.json")); r.code != ExitError || !strings.Contains(r.errOut, "missing-dir") {
		t.Errorf("report into a missing directory: exit %d, %q", r.code, r.errOut)
	}
}

func TestScanOrganization(t *testing.T) {
	srv := emulatortest.Serve(t, filepath.Join("..", "..", "collectors", "aws", "testdata", "estates", "org"), emulator.Options{})
	t.Setenv("AWS_ENDPOINT_URL", "") // the endpoint comes from --endpoint below
	st := filepath.Join(t.TempDir(), "store")

	r := run(t, "--store", st, "scan", "--aws", "--organization", "--endpoint", srv.URL())
	// One member lacks the role: its account is a gap, the rest is stored.
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want %d (partial)\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	if !strings.Contains(r.errOut, "333333333333") || !strings.Contains(r.errOut, "AssumeRole") {
		t.Errorf("the account that could not be assumed is not named:\n%s", r.errOut)
	}
	show := run(t, "--store", st, "snapshots", "show", "--json")
	var snap struct {
		Scopes []struct{ Account string }
	}
	if err := json.Unmarshal([]byte(show.out), &snap); err != nil {
		t.Fatal(err)
	}
	accounts := map[string]bool{}
	for _, s := range snap.Scopes {
		accounts[s.Account] = true
	}
	for _, want := range []string{"111111111111", "222222222222"} {
		if !accounts[want] {
			t.Errorf("account %s not scanned; scopes cover %v", want, accounts)
		}
	}
	if r := run(t, "scan", "--aws", "--organization", "--accounts", "1"); r.code != ExitUsage {
		t.Errorf("--organization with --accounts: exit %d, want usage", r.code)
	}
}

// TestSameMisconfigurationSameSignalOnEveryCloud scans one estate holding
// all three clouds into one snapshot and checks that SSH open to the
// internet on a VM with a public address is the same signal on each, and
// absent on each cloud's private twin.
func TestSameMisconfigurationSameSignalOnEveryCloud(t *testing.T) {
	srv := serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	st := filepath.Join(dir, "store")
	r := run(t, "--store", st, "scan", "--aws", "--gcp", "--azure", "--gcp-endpoint", srv.URL(), "--azure-endpoint", srv.URL())
	// The demo's sandbox GCP project has its APIs disabled: partial, named.
	if r.code != ExitPartial || !strings.Contains(r.errOut, "acme-sandbox") {
		t.Fatalf("scan exit %d, want %d with the sandbox project's gaps\n%s%s", r.code, ExitPartial, r.out, r.errOut)
	}
	out := filepath.Join(dir, "report.json")
	if r := run(t, "--store", st, "report", "--format", "json", "-o", out); r.code != ExitOK {
		t.Fatalf("report exit %d: %s", r.code, r.errOut)
	}
	rep := readReport(t, out)
	has := map[string]map[string]bool{} // cloud/name -> signals
	clouds := map[string]bool{}
	for _, res := range rep.Resources {
		key := res.Cloud + "/" + res.Name
		has[key] = map[string]bool{}
		clouds[res.Cloud] = true
		for _, s := range res.Signals {
			if s.Unknown {
				continue // could not be checked: not a detection
			}
			if !strings.HasPrefix(s.ID, "ports.") || s.Evidence["port"] == "22" {
				has[key][s.ID] = true
			}
		}
	}
	for _, c := range []string{"aws", "gcp", "azure"} {
		if !clouds[c] {
			t.Errorf("no %s resources in the one snapshot", c)
		}
	}
	for _, c := range []struct{ exposed, twin string }{
		{"aws/web-1", "aws/web-3-private"},
		{"gcp/gce-web-1", "gcp/gce-web-2-private"},
		{"azure/az-web-1", "azure/az-web-2-private"},
	} {
		if !has[c.exposed]["ports.admin_port_internet"] {
			t.Errorf("%s: SSH open to the internet not detected; signals %v", c.exposed, has[c.exposed])
		}
		if has[c.twin] == nil {
			t.Errorf("%s not scored", c.twin)
		} else if has[c.twin]["ports.admin_port_internet"] {
			t.Errorf("%s (no public address) reported internet-reachable", c.twin)
		}
		// Each exposed VM also holds an admin-equivalent identity (an AWS
		// admin role, the GCP default SA with Editor, an Azure identity
		// with Owner): the same privilege signal on every cloud.
		if !has[c.exposed]["privileges.exposed_admin_role"] {
			t.Errorf("%s: exposed admin identity not detected; signals %v", c.exposed, has[c.exposed])
		}
	}
}

// TestSecretFingerprintsUseTheStoreSalt: the same planted secret has the
// same fingerprint in every snapshot of one store and a different one in
// another store, so a report's fingerprint cannot be checked against a
// guessed secret without the store.
func TestSecretFingerprintsUseTheStoreSalt(t *testing.T) {
	serveDemo(t, emulator.Options{})
	dir := t.TempDir()
	fingerprints := func(st string) []string {
		t.Helper()
		if r := run(t, "--store", st, "scan", "--aws", "--regions", "us-east-1"); r.code != ExitOK {
			t.Fatalf("scan exit %d: %s", r.code, r.errOut)
		}
		out := filepath.Join(dir, "r.json")
		if r := run(t, "--store", st, "report", "--format", "json", "-o", out); r.code != ExitOK {
			t.Fatalf("report exit %d: %s", r.code, r.errOut)
		}
		var fps []string
		for _, res := range readReport(t, out).Resources {
			for _, s := range res.Signals {
				if s.ID == "passwords.secret_in_user_data" && !s.Unknown {
					fps = append(fps, s.Evidence["fingerprint"])
				}
			}
		}
		if len(fps) == 0 {
			t.Fatal("no planted secret detected in the demo's user data")
		}
		return fps
	}
	a := filepath.Join(dir, "a")
	first, again := fingerprints(a), fingerprints(a)
	other := fingerprints(filepath.Join(dir, "b"))
	if strings.Join(first, ",") != strings.Join(again, ",") {
		t.Errorf("fingerprints changed between scans of one store: %v then %v", first, again)
	}
	for _, fp := range first {
		for _, o := range other {
			if fp == o {
				t.Errorf("two stores gave the same fingerprint %s", fp)
			}
		}
	}
}
