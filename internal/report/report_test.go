package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

var (
	t0      = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	account = "123456789012"
)

// fixture is a small partial scan: one gap, five scored resources, two of
// them with a signal that could not be checked: one high, one whose low risk
// is unknown, not safe; and two resources the model does not score, a
// firewall open to the internet that protects nothing and an admin group.
// Items and unscored resources are deliberately out of order.
func fixture() Report {
	return Report{
		Tool:      Tool{Name: "posture", Version: "0.1.0-test"},
		Generated: t0.Add(20 * time.Minute),
		Snapshot: inventory.Snapshot{
			ID:        "01JPD4Q8ZK0000000000000000",
			Started:   t0,
			Finished:  t0.Add(3 * time.Minute),
			Status:    inventory.StatusPartial,
			Clouds:    []inventory.Cloud{inventory.AWS},
			Scopes:    []inventory.Scope{{Cloud: inventory.AWS, Account: account, Region: "eu-west-1"}, {Cloud: inventory.AWS, Account: account}},
			Resources: 42,
			Kinds:     map[inventory.Kind]int{inventory.KindInstance: 3, inventory.KindBucket: 1},
			Gaps: []inventory.Gap{{
				Cloud: inventory.AWS, Account: account, Region: "eu-west-1", Service: "iam",
				Operation: "GetPolicyVersion", Resource: "arn:aws:iam::123456789012:policy/ops",
				Reason: inventory.GapAccessDenied, Message: "not authorized to perform iam:GetPolicyVersion",
			}},
		},
		Model: ModelInfo{
			ID: "models/posture-risk-v1.json", Kind: "logreg", SchemaVersion: "1",
			SchemaHash: "9f2c4e1ab37d55e0c8a1", TrainedOn: "bootstrap-simulator v1, 20000 rows",
			Trained: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		},
		// A KEV copy three days old; no EPSS scores stored.
		Feeds: []Feed{{Name: "KEV", Date: t0.AddDate(0, 0, -3)}, {Name: "EPSS"}},
		Items: []Item{
			{
				ID: "arn:aws:s3:::acme-public-assets", Kind: inventory.KindBucket, Cloud: inventory.AWS,
				Account: account, Region: "eu-west-1", Name: "acme-public-assets", NativeType: "AWS::S3::Bucket",
				Risk: 0.41237,
				Signals: []inventory.Signal{{
					ID: "privileges.public_bucket_policy", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
					Title: "Bucket policy allows anyone", Evidence: map[string]string{"statement": "PublicRead", "principal": "*"},
				}},
				Reasons: []inventory.Reason{{Feature: "public_bucket_policy", Signal: "privileges.public_bucket_policy", Text: "bucket policy grants read to anyone", Contribution: 0.8731}},
			},
			{
				ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc123def4567890", Kind: inventory.KindInstance,
				Cloud: inventory.AWS, Account: account, Region: "eu-west-1", Name: "web-1", NativeType: "AWS::EC2::Instance",
				Risk: 0.93456,
				Signals: []inventory.Signal{
					{ID: "ports.admin_port_internet", Pillar: inventory.Ports, Severity: inventory.SevCritical, Title: "SSH open to the internet",
						Evidence: map[string]string{"port": "22", "source": "0.0.0.0/0", "via": "sg-0a1b2c3d"}},
					{ID: "privileges.admin_equivalent", Pillar: inventory.Privileges, Severity: inventory.SevHigh, Title: "Role is admin-equivalent",
						Evidence: map[string]string{"role": "arn:aws:iam::123456789012:role/web"}},
					{ID: "patches.image_age", Pillar: inventory.Patches, Severity: inventory.SevMedium, Title: "Image older than 180 days",
						Evidence: map[string]string{"days": "412"}},
				},
				Reasons: []inventory.Reason{
					{Feature: "admin_port_internet", Signal: "ports.admin_port_internet", Text: "SSH (22) reachable from the whole internet", Contribution: 2.1034},
					{Feature: "role_admin", Signal: "privileges.admin_equivalent", Text: "its role can do anything in the account", Contribution: 1.2571},
					{Feature: "image_age_days", Signal: "patches.image_age", Text: "boot image is 412 days old", Contribution: 0.4012},
				},
			},
			{
				ID: "arn:aws:iam::123456789012:user/ci-deploy", Kind: inventory.KindUser, Cloud: inventory.AWS,
				Account: account, NativeType: "AWS::IAM::User", Name: "ci-deploy",
				Risk: 0.7,
				Signals: []inventory.Signal{
					{ID: "passwords.key_age", Pillar: inventory.Passwords, Severity: inventory.SevMedium, Title: "Access key older than 90 days",
						Evidence: map[string]string{"days": "403", "key": "AKIA…7QXY"}},
					{ID: "privileges.admin_equivalent", Pillar: inventory.Privileges, Severity: inventory.SevHigh, Title: "Policy could not be read",
						Evidence: map[string]string{"policy": "arn:aws:iam::123456789012:policy/ops"}, Unknown: true},
				},
				Reasons: []inventory.Reason{
					{Feature: "key_age_days", Signal: "passwords.key_age", Text: "access key not rotated for 403 days", Contribution: 1.0102},
					{Feature: "policy_unknown", Signal: "privileges.admin_equivalent", Text: "an attached policy could not be read (access denied), so its privileges are unknown", Contribution: 0.6604},
				},
			},
			{
				ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0fff000aaa1112223", Kind: inventory.KindInstance,
				Cloud: inventory.AWS, Account: account, Region: "eu-west-1", NativeType: "AWS::EC2::Instance",
				Risk:    0.0512,
				Reasons: []inventory.Reason{{Feature: "bias", Text: "no risky signals; baseline risk", Contribution: -2.9}},
			},
			{
				ID: "arn:aws:iam::123456789012:role/reports-runner", Kind: inventory.KindRole, Cloud: inventory.AWS,
				Account: account, NativeType: "AWS::IAM::Role", Name: "reports-runner",
				Risk: 0.0731,
				Signals: []inventory.Signal{
					{ID: "privileges.admin_equivalent", Pillar: inventory.Privileges, Severity: inventory.SevHigh, Title: "Policy could not be read",
						Evidence: map[string]string{"policy": "arn:aws:iam::123456789012:policy/ops"}, Unknown: true},
				},
				Reasons: []inventory.Reason{
					{Feature: features.FUnknownData, Text: "Some facts about it could not be read (a gap): unknown, not safe", Contribution: 0.3519},
				},
			},
		},
		Unscored: []Item{
			{
				ID: "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0legacy0open", Kind: inventory.KindFirewall,
				Cloud: inventory.AWS, Account: account, Region: "eu-west-1", Name: "legacy-open", NativeType: "AWS::EC2::SecurityGroup",
				Signals: []inventory.Signal{{
					ID: "ports.open_firewall_unattached", Pillar: inventory.Ports, Severity: inventory.SevLow,
					Title:    "Firewall admits the internet but protects nothing",
					Evidence: map[string]string{"port": "22", "protocol": "tcp", "source": "0.0.0.0/0", "attached_to": "none"},
				}},
			},
			{
				ID: "arn:aws:iam::123456789012:group/admins", Kind: inventory.KindGroup, Cloud: inventory.AWS,
				Account: account, Name: "admins", NativeType: "AWS::IAM::Group",
				Signals: []inventory.Signal{{
					ID: "privileges.admin_equivalent", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
					Title:    "Identity has admin-equivalent permissions",
					Evidence: map[string]string{"policy": "arn:aws:iam::aws:policy/AdministratorAccess"},
				}},
			},
		},
	}
}

func render(t *testing.T, f Format, r Report, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(f, &buf, opts)
	if err != nil {
		t.Fatalf("NewWriter(%q): %v", f, err)
	}
	if err := w.Write(context.Background(), r); err != nil {
		t.Fatalf("Write(%q): %v", f, err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		format Format
		file   string
	}{
		{JSON, "report.json"},
		{Table, "report.txt"},
		{HTML, "report.html"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			got := render(t, tc.format, fixture(), Options{})
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", tc.format, path, diff)
			}
		})
	}
}

func TestHTMLEscapesUntrustedText(t *testing.T) {
	r := fixture()
	const evil = `<script>alert(1)</script>`
	r.Items[0].Name = evil
	r.Items[0].ID = `arn:aws:s3:::"><img src=x onerror=alert(2)>`
	r.Items[0].Signals[0].Evidence["x"] = evil
	r.Items[0].Reasons[0].Text = evil
	r.Snapshot.Gaps[0].Message = evil
	r.Snapshot.ID = evil
	r.Unscored[0].Name = evil
	r.Unscored[0].Signals[0].Evidence["y"] = evil
	out := string(render(t, HTML, r, Options{}))
	// Raw tags would run; the same text escaped is only shown.
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("html output contains a raw %q tag", bad)
		}
	}
	if strings.Contains(out, evil) {
		t.Errorf("html output contains the raw script tag %q", evil)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("html output does not show the escaped name")
	}
}

func TestTableCleansControlCharacters(t *testing.T) {
	r := fixture()
	r.Items[1].Name = "web\x1b[31m-1\n\tevil"
	r.Unscored[1].Name = "legacy\x1b[31m-open"
	out := string(render(t, Table, r, Options{}))
	if strings.Contains(out, "\x1b") {
		t.Errorf("table output contains an escape character:\n%s", out)
	}
	if !strings.Contains(out, "web [31m-1  evil") {
		t.Errorf("table output lost the cleaned name:\n%s", out)
	}
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{{"json", JSON}, {"HTML", HTML}, {" table ", Table}} {
		got, err := ParseFormat(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseFormat("xml")
	if err == nil {
		t.Fatal(`ParseFormat("xml") succeeded; want an error`)
	}
	for _, f := range []string{`"xml"`, "json", "html", "table"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("ParseFormat error %q does not name %s", err, f)
		}
	}
	if _, err := NewWriter("xml", &bytes.Buffer{}, Options{}); err == nil {
		t.Error(`NewWriter("xml") succeeded; want an error`)
	}
	if _, err := NewWriter(JSON, &bytes.Buffer{}, Options{Top: -1}); err == nil {
		t.Error("NewWriter with Top -1 succeeded; want an error")
	}
}

// TestJSONInvariants reads the JSON back as a consumer would.
func TestJSONInvariants(t *testing.T) {
	var doc struct {
		ReportVersion int `json:"report_version"`
		Tool          struct{ Name, Version string }
		Snapshot      struct {
			ID     string
			Status string
			Gaps   []inventory.Gap
		}
		Summary   struct{ Scored, Listed, High, Medium, Low, Unknown int }
		Resources []struct {
			ID      string
			Risk    float64
			Signals []struct {
				ID       string
				Evidence map[string]string
				Unknown  bool
			}
			Reasons []inventory.Reason
		}
	}
	in := fixture()
	if err := json.Unmarshal(render(t, JSON, in, Options{}), &doc); err != nil {
		t.Fatalf("json output does not parse: %v", err)
	}
	if doc.ReportVersion != JSONVersion || doc.Tool.Name != "posture" {
		t.Errorf("report_version %d, tool %q; want %d, posture", doc.ReportVersion, doc.Tool.Name, JSONVersion)
	}
	if doc.Snapshot.Status != "partial" || len(doc.Snapshot.Gaps) != 1 {
		t.Errorf("snapshot status %q with %d gaps; want partial with 1", doc.Snapshot.Status, len(doc.Snapshot.Gaps))
	}
	if got, want := len(doc.Resources), len(in.Items); got != want {
		t.Fatalf("%d resources; want %d", got, want)
	}
	if doc.Summary.Scored != 5 || doc.Summary.High != 2 || doc.Summary.Medium != 1 || doc.Summary.Low != 1 || doc.Summary.Unknown != 1 {
		t.Errorf("summary %+v; want 5 scored: 2 high, 1 medium, 1 low, 1 unknown", doc.Summary)
	}
	unknown := 0
	for i, r := range doc.Resources {
		if r.Risk < 0 || r.Risk > 1 || math.IsNaN(r.Risk) {
			t.Errorf("resource %s: risk %v outside [0,1]", r.ID, r.Risk)
		}
		if r.Risk != math.Round(r.Risk*1e4)/1e4 {
			t.Errorf("resource %s: risk %v not rounded to 4 decimals", r.ID, r.Risk)
		}
		if i > 0 && (r.Risk > doc.Resources[i-1].Risk || r.Risk == doc.Resources[i-1].Risk && r.ID < doc.Resources[i-1].ID) {
			t.Errorf("resources not sorted by risk desc then id at %d: %v after %v", i, r.Risk, doc.Resources[i-1].Risk)
		}
		if r.Signals == nil || r.Reasons == nil {
			t.Errorf("resource %s: signals or reasons is null; want a list", r.ID)
		}
		for _, s := range r.Signals {
			if s.Unknown {
				unknown++
			}
		}
	}
	if unknown != 2 {
		t.Errorf("%d unknown signals; want 2", unknown)
	}
	if doc.Resources[0].Risk != 0.9346 {
		t.Errorf("top risk %v; want 0.9346", doc.Resources[0].Risk)
	}
}

func TestTopAndSort(t *testing.T) {
	r := fixture()
	before := slices.Clone(r.Items)
	var doc struct {
		Summary   struct{ Scored, Listed int }
		Resources []struct{ ID string }
	}
	if err := json.Unmarshal(render(t, JSON, r, Options{Top: 2}), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Scored != 5 || doc.Summary.Listed != 2 || len(doc.Resources) != 2 {
		t.Errorf("top 2: scored %d, listed %d, %d resources; want 5, 2, 2", doc.Summary.Scored, doc.Summary.Listed, len(doc.Resources))
	}
	if diff := cmp.Diff(before, r.Items); diff != "" {
		t.Errorf("Write reordered the caller's items (-before +after):\n%s", diff)
	}

	r.Sort()
	var ids []string
	for _, it := range r.Items {
		ids = append(ids, shortID(it.ID))
	}
	if diff := cmp.Diff([]string{"i-0abc123def4567890", "ci-deploy", "acme-public-assets", "reports-runner", "i-0fff000aaa1112223"}, ids); diff != "" {
		t.Errorf("Sort order (-want +got):\n%s", diff)
	}

	table := string(render(t, Table, r, Options{Top: 1}))
	if !strings.Contains(table, "showing the top 1 of 5") {
		t.Errorf("table with Top 1 does not say it is cut:\n%s", table)
	}
}

func TestWriteRejectsBadRisk(t *testing.T) {
	for _, risk := range []float64{-0.1, 1.5, math.NaN()} {
		r := fixture()
		r.Items[0].Risk = risk
		for _, f := range Formats() {
			w, _ := NewWriter(f, &bytes.Buffer{}, Options{})
			if err := w.Write(context.Background(), r); err == nil {
				t.Errorf("%s: Write with risk %v succeeded; want an error", f, risk)
			}
		}
	}
}

func TestRiskBinMatchesBand(t *testing.T) {
	for _, tc := range []struct {
		risk float64
		want int
	}{{0, 0}, {0.05, 0}, {0.2999, 2}, {0.3, 3}, {0.6999, 6}, {0.7, 7}, {0.95, 9}, {1, 9}} {
		if got := riskBin(tc.risk); got != tc.want {
			t.Errorf("riskBin(%v) = %d; want %d", tc.risk, got, tc.want)
		}
	}
	for n, want := range map[int]int{0: 4, 3: 4, 5: 8, 9: 12, 20: 20, 21: 40, 37: 40, 41: 80, 150: 200, 1234: 2000} {
		if got := niceCeil(n); got != want {
			t.Errorf("niceCeil(%d) = %d; want %d", n, got, want)
		}
	}
}

func TestEmptyReport(t *testing.T) {
	r := Report{Snapshot: inventory.Snapshot{ID: "empty", Status: inventory.StatusComplete}}
	for _, f := range Formats() {
		if out := render(t, f, r, Options{}); len(out) == 0 {
			t.Errorf("%s: empty output", f)
		}
	}
}

// unknownItem is a resource one of whose facts could not be read.
func unknownItem(id string, risk float64) Item {
	return Item{
		ID: id, Kind: inventory.KindInstance, Cloud: inventory.AWS, Account: account, Region: "eu-west-1",
		Risk: risk,
		Signals: []inventory.Signal{{ID: "ports.admin_port_internet", Pillar: inventory.Ports, Severity: inventory.SevCritical,
			Title: "Security groups could not be read", Unknown: true}},
	}
}

// TestUnknownBand: missing data is unknown, never safe. A resource below
// HighRisk with a fact that could not be read is in the unknown band, not
// low or medium, in every format; a high one stays high.
func TestUnknownBand(t *testing.T) {
	low := unknownItem("arn:aws:ec2:eu-west-1:123456789012:instance/i-unknown-low", 0.05)
	high := unknownItem("arn:aws:ec2:eu-west-1:123456789012:instance/i-unknown-high", 0.9)
	medium := unknownItem("arn:aws:ec2:eu-west-1:123456789012:instance/i-unknown-medium", 0.45)
	// Only the unknown_data reason, no Unknown signal.
	byReason := Item{
		ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-unknown-reason", Kind: inventory.KindInstance,
		Cloud: inventory.AWS, Risk: 0.1,
		Reasons: []inventory.Reason{{Feature: features.FUnknownData, Text: "some facts could not be read", Contribution: 0.4}},
	}
	known := Item{ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-known", Kind: inventory.KindInstance, Cloud: inventory.AWS, Risk: 0.05}

	for _, tc := range []struct {
		it   Item
		want string
	}{{low, "unknown"}, {medium, "unknown"}, {byReason, "unknown"}, {high, "high"}, {known, "low"}} {
		if got := itemBand(tc.it); got != tc.want {
			t.Errorf("itemBand(%s, risk %v) = %q; want %q", shortID(tc.it.ID), tc.it.Risk, got, tc.want)
		}
	}

	r := Report{
		Snapshot: inventory.Snapshot{ID: "unknown-band", Status: inventory.StatusPartial, Resources: 3},
		Items:    []Item{low, high, known},
	}
	var doc struct {
		Summary struct{ Scored, High, Medium, Low, Unknown int }
	}
	if err := json.Unmarshal(render(t, JSON, r, Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	want := struct{ Scored, High, Medium, Low, Unknown int }{Scored: 3, High: 1, Low: 1, Unknown: 1}
	if doc.Summary != want {
		t.Errorf("json summary %+v; want %+v (the unknown risk-0.05 item in unknown, not low; the 0.9 one high)", doc.Summary, want)
	}

	page := newHTMLPage(func() Report { r, _ := prepared(r); return r }(), 0)
	bands := map[string]string{}
	for _, row := range page.Rows {
		bands[shortID(row.ID)] = row.Band
	}
	if diff := cmp.Diff(map[string]string{"i-unknown-low": "unknown", "i-unknown-high": "high", "i-known": "low"}, bands); diff != "" {
		t.Errorf("html row bands (-want +got):\n%s", diff)
	}
	html := string(render(t, HTML, r, Options{}))
	if !strings.Contains(html, `<div class="card card-unknown"><div class="card-label">Not fully checked</div><div class="card-value">1</div>`) {
		t.Errorf("html has no not-fully-checked card counting 1")
	}
	if !strings.Contains(html, `<div class="card card-low"><div class="card-label">Low risk</div><div class="card-value">1</div>`) {
		t.Errorf("html low card does not count 1")
	}

	table := string(render(t, Table, r, Options{}))
	for _, want := range []string{"0.05?", "0.90?", "\n? = some facts could not be read: unknown, not safe\n"} {
		if !strings.Contains(table, want) {
			t.Errorf("table does not contain %q:\n%s", want, table)
		}
	}
	for _, line := range strings.Split(table, "\n") {
		if strings.Contains(line, "i-known") && strings.Contains(line, "?") {
			t.Errorf("table marks a resource without unknown facts: %q", line)
		}
	}

	// No unknown facts: no mark, no footer.
	r.Items = []Item{known}
	if table := string(render(t, Table, r, Options{})); strings.Contains(table, "?") {
		t.Errorf("table without unknown facts has a ? mark:\n%s", table)
	}
}

// suppressedFixture is fixture with web-1's SSH signal suppressed by a
// mutelist rule, as internal/assess marks it.
func suppressedFixture() Report {
	r := fixture()
	for i := range r.Items {
		if r.Items[i].Name == "web-1" {
			r.Items[i].Signals[0].Suppressed = &inventory.Suppression{
				Rule: "bastion-ssh", Reason: "web-1 is the bastion; keys only",
				Expires: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
			}
		}
	}
	return r
}

func TestSuppressedGolden(t *testing.T) {
	for _, tc := range []struct {
		format Format
		file   string
	}{
		{JSON, "report_suppressed.json"},
		{Table, "report_suppressed.txt"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			got := render(t, tc.format, suppressedFixture(), Options{})
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run go test -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s output differs from %s (-want +got):\n%s", tc.format, path, diff)
			}
		})
	}
}

// TestSuppressedIsShown: a suppressed signal stays in every format, marked
// with its rule and reason, and leaves the pillar's found count.
func TestSuppressedIsShown(t *testing.T) {
	for _, tc := range []struct {
		format Format
		want   []string
	}{
		{JSON, []string{`"suppressed": {`, `"rule": "bastion-ssh"`, `"reason": "web-1 is the bastion; keys only"`, `"expires": "2026-12-31T00:00:00Z"`}},
		{Table, []string{"0.93*", "mutelist: 1 signal suppressed", "* = some signals are suppressed"}},
		{HTML, []string{`class="badge sev-critical badge-suppressed"`, "suppressed by bastion-ssh: web-1 is the bastion; keys only (until 2026-12-31)", `<span class="suppressed-note">1 suppressed</span>`}},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			out := string(render(t, tc.format, suppressedFixture(), Options{}))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q", w)
				}
			}
			plain := string(render(t, tc.format, fixture(), Options{}))
			if strings.Contains(plain, "bastion-ssh") || strings.Contains(plain, "badge-suppressed\"") || strings.Contains(plain, "mutelist") {
				t.Errorf("a report with nothing suppressed mentions suppression")
			}
		})
	}
	s := summarize(suppressedFixture().Items, suppressedFixture().Unscored)
	var got []pillarCount
	for _, p := range s.Pillars {
		if p.Pillar == inventory.Ports {
			got = append(got, p)
		}
	}
	// The one found is the unscored firewall's.
	if diff := cmp.Diff(got, []pillarCount{{Pillar: inventory.Ports, Title: "Ports", Found: 1, Suppressed: 1}}); diff != "" {
		t.Errorf("ports count (-got +want):\n%s", diff)
	}
}

// TestUnscored: resources the model does not score are listed apart in
// every format, without a risk, limited by Top like the scored ones; their
// signals count by pillar, suppressed ones as suppressed.
func TestUnscored(t *testing.T) {
	for _, tc := range []struct {
		format Format
		top    int
		want   []string
		absent []string
	}{
		{JSON, 0, []string{`"unscored": 2,`, `"unscored": [`, `"id": "ports.open_firewall_unattached"`}, nil},
		{Table, 0, []string{"2 signals on 2 resources the model does not score", "legacy-open  eu-west-1  Firewall admits the internet but protects nothing"}, []string{"unscored resources"}},
		{Table, 1, []string{"2 signals on 2 resources the model does not score", "  iam.group  admins  -  Identity has admin-equivalent permissions", "showing 1 of 2 unscored resources"}, []string{"legacy-open"}},
		{HTML, 0, []string{"Also found (not scored)", `<div class="rname">legacy-open</div>`}, []string{"2 of 2"}},
		{HTML, 1, []string{"Also found (not scored)", "1 of 2 · ", `<div class="rname">admins</div>`}, []string{"legacy-open"}},
	} {
		t.Run(fmt.Sprintf("%s top %d", tc.format, tc.top), func(t *testing.T) {
			out := string(render(t, tc.format, fixture(), Options{Top: tc.top}))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q", a)
				}
			}
			none := fixture()
			none.Unscored = nil
			plain := string(render(t, tc.format, none, Options{Top: tc.top}))
			if strings.Contains(plain, "not score") {
				t.Errorf("a report with nothing unscored mentions it:\n%s", plain)
			}
		})
	}

	var doc struct {
		Summary struct {
			Unscored int
			Signals  map[inventory.Pillar]struct{ Found, Suppressed int }
		}
		Unscored []struct {
			ID      string
			Risk    *float64
			Signals []struct{ ID string }
		}
	}
	r := fixture()
	r.Unscored[0].Signals[0].Suppressed = &inventory.Suppression{Rule: "legacy", Reason: "being deleted"}
	if err := json.Unmarshal(render(t, JSON, r, Options{Top: 1}), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Unscored != 2 || len(doc.Unscored) != 1 || doc.Unscored[0].Risk != nil {
		t.Errorf("top 1: summary.unscored %d, %d listed, risk %v; want 2, 1, none", doc.Summary.Unscored, len(doc.Unscored), doc.Unscored[0].Risk)
	}
	// The suppressed firewall signal sorts the group first and counts as
	// suppressed, not found.
	if got := doc.Unscored[0].ID; got != "arn:aws:iam::123456789012:group/admins" {
		t.Errorf("first unscored %s; want the admin group", got)
	}
	if got, want := doc.Summary.Signals[inventory.Ports], (struct{ Found, Suppressed int }{Found: 1, Suppressed: 1}); got != want {
		t.Errorf("ports %+v; want %+v", got, want)
	}
}
