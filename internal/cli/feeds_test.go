package cli

import (
	"bytes"
	"compress/gzip"
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
