package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// feedFixture reads a feed fixture of internal/feeds.
func feedFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "feeds", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFeedsUpdateKeepsGoodCopy downloads both feeds from a server on
// 127.0.0.1, then fails each later download in a different way: the stored
// copies stay.
func TestFeedsUpdateKeepsGoodCopy(t *testing.T) {
	kev := feedFixture(t, "kev.json")
	epssGz := gzipped(t, feedFixture(t, "epss.csv"))
	newer := gzipped(t, bytes.ReplaceAll(feedFixture(t, "epss.csv"), []byte("2025-08-21"), []byte("2025-08-22")))
	var mode atomic.Value
	mode.Store("ok")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch m := mode.Load().(string); {
		case m == "500":
			http.Error(w, "unavailable", http.StatusInternalServerError)
		case r.URL.Path == "/kev.json":
			_, _ = w.Write(kev)
		case m == "truncated":
			_, _ = w.Write(newer[:len(newer)-10])
		case m == "newer":
			_, _ = w.Write(newer)
		default:
			_, _ = w.Write(epssGz)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	update := []string{"--store", dir, "feeds", "update", "--kev-url", srv.URL + "/kev.json", "--epss-url", srv.URL + "/epss.csv.gz"}
	show := func() string {
		t.Helper()
		r := run(t, "--store", dir, "feeds", "show")
		if r.code != ExitOK {
			t.Fatalf("feeds show: exit %d: %s", r.code, r.errOut)
		}
		// Ages and fetch times depend on today; column widths on them.
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(r.out), "\n") {
			l = strings.Join(strings.Fields(l), " ")
			l = regexp.MustCompile(` \d+d `).ReplaceAllString(l, " Nd ")
			lines = append(lines, regexp.MustCompile(`\d{4}-\d\d-\d\dT\S+`).ReplaceAllString(l, "FETCHED"))
		}
		return strings.Join(lines, "\n")
	}

	if got := show(); !strings.Contains(got, "kev - - - 0 - not stored") || !strings.Contains(got, "not stored: run posture feeds update") {
		t.Errorf("feeds show of an empty store:\n%s", got)
	}
	r := run(t, update...)
	if r.code != ExitOK {
		t.Fatalf("feeds update: exit %d: %s", r.code, r.errOut)
	}
	wantOut := "kev 2025.08.20 dated 2025-08-20: 3 entries from " + srv.URL + "/kev.json\n" +
		"epss v2025.03.14 dated 2025-08-21: 5 entries from " + srv.URL + "/epss.csv.gz\n"
	if r.out != wantOut {
		t.Errorf("feeds update printed:\n%s\nwant:\n%s", r.out, wantOut)
	}
	good := show()
	for _, want := range []string{
		"kev 2025.08.20 2025-08-20 Nd 3 FETCHED " + srv.URL + "/kev.json",
		"epss v2025.03.14 2025-08-21 Nd 5 FETCHED " + srv.URL + "/epss.csv.gz",
	} {
		if !strings.Contains(good, want) {
			t.Errorf("feeds show lacks %q:\n%s", want, good)
		}
	}

	for _, tt := range []struct{ mode, wantErr string }{
		{"500", "HTTP 500 Internal Server Error"},
		{"truncated", "download epss feed from " + srv.URL + "/epss.csv.gz: gunzip: unexpected EOF"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			mode.Store(tt.mode)
			r := run(t, update...)
			if r.code != ExitError || !strings.Contains(r.errOut, tt.wantErr) || !strings.Contains(r.errOut, "stored copy of a feed that failed is kept") {
				t.Errorf("feeds update: exit %d, stderr %q; want exit 1 naming %q", r.code, r.errOut, tt.wantErr)
			}
			if got := show(); got != good {
				t.Errorf("after a failed update, feeds show:\n%s\nwant the old copies:\n%s", got, good)
			}
		})
	}

	mode.Store("newer")
	if r := run(t, update...); r.code != ExitOK {
		t.Fatalf("feeds update: exit %d: %s", r.code, r.errOut)
	}
	if got := show(); !strings.Contains(got, "epss v2025.03.14 2025-08-22") {
		t.Errorf("after a good update, feeds show:\n%s\nwant the 2025-08-22 scores", got)
	}
}

func TestFeedsUpdateFrom(t *testing.T) {
	dir := t.TempDir()
	files := t.TempDir()
	epssPath := filepath.Join(files, "epss_scores-2025-08-21.csv.gz")
	if err := os.WriteFile(epssPath, gzipped(t, feedFixture(t, "epss.csv")), 0o600); err != nil {
		t.Fatal(err)
	}
	kevPath := filepath.Join("..", "feeds", "testdata", "kev.json")

	r := run(t, "--store", dir, "feeds", "update", "--from", epssPath, "--from", kevPath, "--kev-url", "http://127.0.0.1:1/never-asked")
	if r.code != ExitOK {
		t.Fatalf("feeds update --from: exit %d: %s", r.code, r.errOut)
	}
	want := "epss v2025.03.14 dated 2025-08-21: 5 entries from " + epssPath + "\n" +
		"kev 2025.08.20 dated 2025-08-20: 3 entries from " + kevPath + "\n"
	if r.out != want {
		t.Errorf("feeds update --from printed:\n%s\nwant:\n%s", r.out, want)
	}

	r = run(t, "--store", dir, "feeds", "show", "--json")
	if r.code != ExitOK || !strings.Contains(r.out, `"source": "kev"`) || !strings.Contains(r.out, `"count": 5`) {
		t.Errorf("feeds show --json: exit %d:\n%s", r.code, r.out)
	}

	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"two KEV files", []string{"--from", kevPath, "--from", kevPath}, ExitUsage, "both hold the kev feed"},
		{"missing file", []string{"--from", filepath.Join(files, "nope.json")}, ExitError, "nope.json: no such file"},
		{"not a feed", []string{"--from", filepath.Join("..", "..", "go.mod")}, ExitError, "neither a KEV catalogue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--store", dir, "feeds", "update"}, tt.args...)...)
			if r.code != tt.wantCode || !strings.Contains(r.errOut, tt.wantErr) {
				t.Errorf("feeds update: exit %d, stderr %q; want exit %d naming %q", r.code, r.errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// kevVariant rewrites the KEV fixture: its release date, and only its
// first n vulnerabilities (all when n is 0).
func kevVariant(t *testing.T, released string, n int) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(feedFixture(t, "kev.json"), &c); err != nil {
		t.Fatal(err)
	}
	c["dateReleased"] = released
	if n > 0 {
		c["vulnerabilities"] = c["vulnerabilities"].([]any)[:n]
		c["count"] = n
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFeedsUpdateRefusesWorse: an older or much smaller copy, or a plain
// EPSS CSV too small to be whole, is refused with the reason and the way to
// override; the stored copy stays. --force stores it. Plain http to a host
// other than loopback is refused before any request.
func TestFeedsUpdateRefusesWorse(t *testing.T) {
	dir := t.TempDir()
	files := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kev := write("kev.json", feedFixture(t, "kev.json"))
	older := write("kev-older.json", kevVariant(t, "2025-08-19T10:00:00Z", 0))
	smaller := write("kev-smaller.json", kevVariant(t, "2025-08-21T10:00:00Z", 2))
	plainEPSS := write("epss.csv", feedFixture(t, "epss.csv"))
	show := func() string {
		t.Helper()
		r := run(t, "--store", dir, "feeds", "show", "--json")
		if r.code != ExitOK {
			t.Fatalf("feeds show: exit %d: %s", r.code, r.errOut)
		}
		return regexp.MustCompile(`"fetched": "[^"]*"|"generation": "[^"]*"`).ReplaceAllString(r.out, "")
	}
	if r := run(t, "--store", dir, "feeds", "update", "--from", kev); r.code != ExitOK {
		t.Fatalf("feeds update: exit %d: %s", r.code, r.errOut)
	}
	stored := show()

	for _, tt := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"older", []string{"--from", older}, "store kev feed 2025-08-19: refused: dated 2025-08-19, before the stored copy dated 2025-08-20, from " + older + "; give --force to store it anyway"},
		{"much smaller", []string{"--from", smaller}, "refused: 2 entries, fewer than 90 % of the stored copy's 3 (dated 2025-08-20), from " + smaller + "; give --force"},
		{"plain EPSS CSV of 5 rows", []string{"--from", plainEPSS}, "epss from " + plainEPSS + ": EPSS CSV 2025-08-21: 5 rows, fewer than the 1000 a whole daily file has at least (about 300,000), and an uncompressed file has no checksum: it may be cut short; give --force to store it anyway"},
		{"http elsewhere", []string{"--kev-url", "http://feeds.example.invalid/kev.json", "--epss-url", "http://feeds.example.invalid/epss.csv.gz"},
			"download kev feed from http://feeds.example.invalid/kev.json: plain http to a host other than loopback: want https (--insecure allows http)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, append([]string{"--store", dir, "feeds", "update"}, tt.args...)...)
			if r.code != ExitError || !strings.Contains(r.errOut, tt.wantErr) {
				t.Errorf("feeds update: exit %d, stderr %q; want exit 1 naming %q", r.code, r.errOut, tt.wantErr)
			}
			if got := show(); got != stored {
				t.Errorf("after a refused update, feeds show --json:\n%s\nwant the stored copies:\n%s", got, stored)
			}
		})
	}

	for _, tt := range []struct {
		name    string
		from    string
		wantOut string
	}{
		{"older, forced", older, "kev 2025.08.20 dated 2025-08-19: 3 entries from " + older + "\n" +
			"  note: forced: this copy is older than the one it replaced (dated 2025-08-20)\n"},
		{"plain EPSS CSV, forced", plainEPSS, "epss v2025.03.14 dated 2025-08-21: 5 entries from " + plainEPSS + "\n"},
		{"much smaller, forced", smaller, "kev 2025.08.20 dated 2025-08-21: 2 entries from " + smaller + "\n" +
			"  note: forced: this copy has 2 entries, the one it replaced 3\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, "--store", dir, "feeds", "update", "--force", "--from", tt.from)
			if r.code != ExitOK || r.out != tt.wantOut {
				t.Errorf("feeds update --force: exit %d, stderr %q, printed:\n%s\nwant:\n%s", r.code, r.errOut, r.out, tt.wantOut)
			}
		})
	}
}
