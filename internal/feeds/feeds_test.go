package feeds_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/feeds"
)

// sharedData holds real copies of the feeds, outside the repository.
var sharedData = filepath.Join("..", "..", "..", "shared", "data")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var wantKEV = &feeds.KEVCatalog{
	Version:  "2025.08.20",
	Released: time.Date(2025, 8, 20, 15, 2, 11, 332600000, time.UTC),
	Entries: []feeds.KEVEntry{
		{CVE: "CVE-2021-44228", Vendor: "Apache", Product: "Log4j2", Name: "Apache Log4j2 Remote Code Execution Vulnerability",
			DateAdded: day("2021-12-10"), DueDate: day("2021-12-24"), RansomwareUse: "Known"},
		{CVE: "CVE-2023-4966", Vendor: "Citrix", Product: "NetScaler ADC and NetScaler Gateway",
			Name:      "Citrix NetScaler ADC and NetScaler Gateway Buffer Overflow Vulnerability",
			DateAdded: day("2023-10-18"), DueDate: day("2023-11-08"), RansomwareUse: "Known"},
		{CVE: "CVE-2025-48384", Vendor: "Git", Product: "Git", Name: "Git Link Following Vulnerability",
			DateAdded: day("2025-08-20"), DueDate: day("2025-09-10"), RansomwareUse: "Unknown"},
	},
}

var wantEPSS = &feeds.EPSSScores{
	ModelVersion: "v2025.03.14",
	ScoreDate:    time.Date(2025, 8, 21, 12, 55, 0, 0, time.UTC),
	Scores: []feeds.EPSSScore{
		{CVE: "CVE-1999-0001", Score: 0.01454, Percentile: 0.80132},
		{CVE: "CVE-2021-44228", Score: 0.94358, Percentile: 0.99957},
		{CVE: "CVE-2023-4966", Score: 0.94232, Percentile: 0.99934},
		{CVE: "CVE-2025-48384", Score: 0.00383, Percentile: 0.58751},
		{CVE: "CVE-2025-99999", Score: 0, Percentile: 0},
	},
}

func TestParse(t *testing.T) {
	kev := readTestdata(t, "kev.json")
	epss := readTestdata(t, "epss.csv")
	epssGzipped := *wantEPSS
	epssGzipped.Gzipped = true
	tests := []struct {
		name string
		in   []byte
		want feeds.Feed
	}{
		{"kev", kev, wantKEV},
		{"kev gzipped", gz(t, kev), wantKEV},
		{"epss", epss, wantEPSS},
		{"epss gzipped", gz(t, epss), &epssGzipped},
		{"epss with CRLF and a byte order mark", append([]byte("\xef\xbb\xbf"), bytes.ReplaceAll(epss, []byte("\n"), []byte("\r\n"))...), wantEPSS},
		{"epss with an ISO 8601 offset", bytes.Replace(epss, []byte("2025-08-21T12:55:00Z"), []byte("2025-08-21T12:55:00+0000"), 1), wantEPSS},
		{"epss, metadata in another order", bytes.Replace(epss, []byte("#model_version:v2025.03.14,score_date:2025-08-21T12:55:00Z"),
			[]byte("#score_date:2025-08-21T12:55:00Z,model_version:v2025.03.14"), 1), wantEPSS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feeds.Parse(bytes.NewReader(tt.in), 0)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Parse (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	kev := string(readTestdata(t, "kev.json"))
	epss := string(readTestdata(t, "epss.csv"))
	truncated := gz(t, []byte(epss))
	truncated = truncated[:len(truncated)-6] // loses part of the CRC and length trailer
	epssGz := gz(t, []byte(epss))
	tests := []struct {
		name    string
		in      string
		max     int64
		wantErr string
	}{
		{"empty", "", 0, "empty file"},
		{"an HTML error page", "<html><body>Service Unavailable</body></html>", 0, "neither a KEV catalogue"},
		{"other JSON", `{"data": []}`, 0, "not a KEV catalogue"},
		{"KEV cut short", kev[:len(kev)/2], 0, "KEV catalogue: unexpected end of JSON input"},
		{"KEV count disagrees", strings.Replace(kev, `"count": 3`, `"count": 4`, 1), 0, "count says 4, 3 vulnerabilities listed"},
		{"KEV no entries", `{"catalogVersion": "2025.01.01", "dateReleased": "2025-01-01T00:00:00Z", "count": 0, "vulnerabilities": []}`, 0, "no vulnerabilities"},
		{"KEV no date", strings.Replace(kev, `"dateReleased": "2025-08-20T15:02:11.3326Z",`, ``, 1), 0, "dateReleased"},
		{"KEV bad CVE id", strings.Replace(kev, `"CVE-2023-4966"`, `"CVE-2023-4966/../x"`, 1), 0, `cveID "CVE-2023-4966/../x" is not a CVE id`},
		{"KEV listed twice", strings.Replace(kev, `"CVE-2023-4966"`, `"CVE-2021-44228"`, 1), 0, "CVE-2021-44228 listed twice"},
		{"KEV bad dateAdded", strings.Replace(kev, `"2023-10-18"`, `"18/10/2023"`, 1), 0, `dateAdded "18/10/2023"`},
		{"EPSS without its dated line", strings.SplitN(epss, "\n", 2)[1], 0, "want the \"#model_version"},
		{"EPSS without score_date", strings.Replace(epss, ",score_date:2025-08-21T12:55:00Z", "", 1), 0, "has no score_date"},
		{"EPSS other header", strings.Replace(epss, "cve,epss,percentile", "cve,score,percentile", 1), 0, `header "cve,score,percentile"`},
		{"EPSS score out of range", strings.Replace(epss, "0.94358", "1.5", 1), 0, "line 4: CVE-2021-44228: epss \"1.5\""},
		{"EPSS not a number", strings.Replace(epss, "0.94358", "NaN", 1), 0, "want numbers in [0, 1]"},
		{"EPSS short row", strings.Replace(epss, "CVE-2023-4966,0.94232,0.99934", "CVE-2023-4966,0.94232", 1), 0, "wrong number of fields"},
		{"EPSS listed twice", strings.Replace(epss, "CVE-2023-4966", "CVE-2021-44228", 1), 0, "line 5: CVE-2021-44228 listed twice"},
		{"EPSS no rows", "#model_version:v2025.03.14,score_date:2025-08-21T12:55:00Z\ncve,epss,percentile\n", 0, "no scores"},
		{"truncated gzip", string(truncated), 0, "gunzip: unexpected EOF"},
		{"gzip of garbage", "\x1f\x8bnot really", 0, "gunzip"},
		{"over the size limit", epss, 100, "larger than the size limit of 100 bytes"},
		{"over the size limit once gunzipped", string(epssGz), int64(len(epssGz)), "gunzip: larger than the size limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feeds.Parse(strings.NewReader(tt.in), tt.max)
			if err == nil {
				t.Fatalf("Parse = %d entries of %s, want an error containing %q", got.Len(), got.Source(), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	gzPath := filepath.Join(dir, "epss_scores-2025-08-21.csv.gz")
	if err := os.WriteFile(gzPath, gz(t, readTestdata(t, "epss.csv")), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		source  feeds.Source
		n       int
		wantErr string
	}{
		{path: filepath.Join("testdata", "kev.json"), source: feeds.KEV, n: 3},
		{path: filepath.Join("testdata", "epss.csv"), source: feeds.EPSS, n: 5},
		{path: gzPath, source: feeds.EPSS, n: 5},
		{path: filepath.Join(dir, "missing.json"), wantErr: "missing.json: no such file"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			f, err := feeds.ReadFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadFile error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := struct {
				Source feeds.Source
				N      int
				Origin string
			}{f.Source(), f.Len(), origin(f)}
			want := struct {
				Source feeds.Source
				N      int
				Origin string
			}{tt.source, tt.n, tt.path}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("ReadFile (-got +want):\n%s", diff)
			}
		})
	}
}

func origin(f feeds.Feed) string {
	switch f := f.(type) {
	case *feeds.KEVCatalog:
		return f.Origin
	case *feeds.EPSSScores:
		return f.Origin
	}
	return ""
}

// TestRealKEV parses the real catalogue kept beside the repository.
func TestRealKEV(t *testing.T) {
	path := filepath.Join(sharedData, "known_exploited_vulnerabilities.json")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no real KEV catalogue at %s: %v", path, err)
	}
	f, err := feeds.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := f.(*feeds.KEVCatalog)
	if !ok {
		t.Fatalf("ReadFile(%s) = %s feed, want kev", path, f.Source())
	}
	if len(c.Entries) < 1000 || c.Version == "" || c.Released.IsZero() {
		t.Errorf("catalogue %q released %v: %d entries; want a dated catalogue of over 1000", c.Version, c.Released, len(c.Entries))
	}
	ransomware := 0
	for _, e := range c.Entries {
		if e.DateAdded.IsZero() || e.Vendor == "" || e.Product == "" {
			t.Errorf("%s: incomplete entry %+v", e.CVE, e)
		}
		if e.RansomwareUse != "Known" && e.RansomwareUse != "Unknown" {
			t.Errorf("%s: knownRansomwareCampaignUse %q", e.CVE, e.RansomwareUse)
		}
		if e.KnownRansomware() {
			ransomware++
		}
	}
	if ransomware == 0 || ransomware == len(c.Entries) {
		t.Errorf("%d of %d entries known to be used by ransomware; want some, not all", ransomware, len(c.Entries))
	}
}

// TestRealEPSSRows parses real EPSS scores: the CVE, EPSS and EPSS
// Percentile columns of kev_epss_cvss.csv, written out as an EPSS daily
// file (that file carries no score date of its own).
func TestRealEPSSRows(t *testing.T) {
	path := filepath.Join(sharedData, "kev_epss_cvss.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("no real EPSS rows at %s: %v", path, err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var buf bytes.Buffer
	buf.WriteString("#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z\ncve,epss,percentile\n")
	want := map[string]feeds.EPSSScore{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cve, e, p := rec[col["CVE"]], rec[col["EPSS"]], rec[col["EPSS Percentile"]]
		if e == "" || p == "" {
			continue
		}
		fmt.Fprintf(&buf, "%s,%s,%s\n", cve, e, p)
		var s feeds.EPSSScore
		if _, err := fmt.Sscanf(e+" "+p, "%g %g", &s.Score, &s.Percentile); err != nil {
			t.Fatalf("%s: %v", cve, err)
		}
		s.CVE = cve
		want[cve] = s
	}
	got, err := feeds.Parse(bytes.NewReader(gz(t, buf.Bytes())), 0)
	if err != nil {
		t.Fatal(err)
	}
	scores := got.(*feeds.EPSSScores).Scores
	if len(scores) < 1000 {
		t.Fatalf("%d scores parsed, want over 1000", len(scores))
	}
	gotMap := map[string]feeds.EPSSScore{}
	for _, s := range scores {
		gotMap[s.CVE] = s
	}
	if diff := cmp.Diff(gotMap, want); diff != "" {
		t.Errorf("parsed scores (-got +want):\n%s", diff)
	}
}

// TestPlausible: a plain EPSS CSV must carry its model_version and at
// least MinEPSSRows rows; gzipped files and KEV catalogues prove
// themselves whole.
func TestPlausible(t *testing.T) {
	many := func(n int, version string, gzipped bool) *feeds.EPSSScores {
		e := &feeds.EPSSScores{ModelVersion: version, ScoreDate: day("2025-08-21"), Gzipped: gzipped, Scores: make([]feeds.EPSSScore, n)}
		for i := range n {
			e.Scores[i] = feeds.EPSSScore{CVE: fmt.Sprintf("CVE-2020-%d", 10000+i)}
		}
		return e
	}
	tests := []struct {
		name    string
		feed    feeds.Feed
		wantErr string
	}{
		{"kev", wantKEV, ""},
		{"small gzipped epss", many(5, "v2025.03.14", true), ""},
		{"plain epss at the floor", many(feeds.MinEPSSRows, "v2025.03.14", false), ""},
		{"plain epss under the floor", many(feeds.MinEPSSRows-1, "v2025.03.14", false), "EPSS CSV 2025-08-21: 999 rows, fewer than the 1000"},
		{"plain epss without model_version", many(feeds.MinEPSSRows, "", false), "has no model_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := feeds.Plausible(tt.feed)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Plausible = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Plausible = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidCVE(t *testing.T) {
	for id, want := range map[string]bool{
		"CVE-2021-44228": true, "CVE-1999-0001": true, "CVE-2024-1234567": true,
		"": false, "cve-2021-44228": false, "CVE-2021-123": false, "CVE-2021-44228/x": false, "GHSA-xxxx": false,
	} {
		if got := feeds.ValidCVE(id); got != want {
			t.Errorf("ValidCVE(%q) = %v, want %v", id, got, want)
		}
	}
}
