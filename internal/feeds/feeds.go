// Package feeds reads the public exploitation feeds posture keeps in its
// store: the CISA Known Exploited Vulnerabilities catalogue (JSON) and the
// FIRST EPSS daily scores (CSV, usually gzipped). It parses and validates a
// whole feed before anyone stores it, so a truncated or damaged download is
// an error rather than a smaller feed. It downloads with net/http only and
// knows nothing of the store.
package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Source names a feed.
type Source string

// The feeds posture knows.
const (
	KEV  Source = "kev"  // CISA Known Exploited Vulnerabilities catalogue
	EPSS Source = "epss" // FIRST Exploit Prediction Scoring System daily scores
)

// Sources lists the feeds in display order.
func Sources() []Source { return []Source{KEV, EPSS} }

// Official download locations. CISA publishes the catalogue at a fixed
// address; FIRST's EPSS data page links the daily file on
// epss.empiricalsecurity.com (which redirects "current" to the dated file;
// the older epss.cyentia.com host mirrors it).
const (
	DefaultKEVURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)

// Feed is a parsed feed: a *KEVCatalog or an *EPSSScores.
type Feed interface {
	Source() Source
	// Dated is the date the publisher gives this copy.
	Dated() time.Time
	// Len is the number of entries.
	Len() int
}

// KEVCatalog is one copy of the CISA KEV catalogue.
type KEVCatalog struct {
	// Version is the catalogue's catalogVersion, e.g. "2025.08.25".
	Version string
	// Released is its dateReleased.
	Released time.Time
	Entries  []KEVEntry
	// Origin is the URL or file it was read from.
	Origin string
}

// KEVEntry is one known exploited vulnerability.
type KEVEntry struct {
	CVE     string `json:"cve"`
	Vendor  string `json:"vendor"`  // vendorProject
	Product string `json:"product"` // product
	Name    string `json:"name"`    // vulnerabilityName
	// DateAdded is the day CISA added it to the catalogue (UTC midnight).
	DateAdded time.Time `json:"date_added"`
	// DueDate is the remediation deadline for US federal agencies.
	DueDate time.Time `json:"due_date,omitzero"`
	// RansomwareUse is knownRansomwareCampaignUse verbatim: "Known" or
	// "Unknown".
	RansomwareUse string `json:"ransomware_use"`
}

// KnownRansomware reports whether CISA knows the vulnerability to be used
// in ransomware campaigns.
func (e KEVEntry) KnownRansomware() bool { return strings.EqualFold(e.RansomwareUse, "Known") }

// Source implements Feed.
func (*KEVCatalog) Source() Source { return KEV }

// Dated implements Feed.
func (c *KEVCatalog) Dated() time.Time { return c.Released }

// Len implements Feed.
func (c *KEVCatalog) Len() int { return len(c.Entries) }

// EPSSScores is one day of EPSS scores.
type EPSSScores struct {
	// ModelVersion is the file's model_version, e.g. "v2025.03.14".
	ModelVersion string
	// ScoreDate is the file's score_date.
	ScoreDate time.Time
	Scores    []EPSSScore
	// Origin is the URL or file it was read from.
	Origin string
	// Gzipped: it was read from a gzip stream, whose length and checksum
	// prove it whole. A plain CSV cut at a row boundary parses; see
	// Plausible.
	Gzipped bool
}

// EPSSScore is one CVE's probability of exploitation activity in the next
// 30 days and its percentile among all scored CVEs, both in [0, 1].
type EPSSScore struct {
	CVE        string  `json:"cve"`
	Score      float64 `json:"epss"`
	Percentile float64 `json:"percentile"`
}

// Source implements Feed.
func (*EPSSScores) Source() Source { return EPSS }

// Dated implements Feed.
func (e *EPSSScores) Dated() time.Time { return e.ScoreDate }

// Len implements Feed.
func (e *EPSSScores) Len() int { return len(e.Scores) }

// DefaultMaxBytes bounds a feed's size, compressed and uncompressed: the
// KEV catalogue is about 1.5 MB and the EPSS CSV about 10 MB uncompressed.
const DefaultMaxBytes = 256 << 20

// ErrTooLarge: a feed exceeds the size limit.
var ErrTooLarge = errors.New("larger than the size limit")

var cveRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)

// ValidCVE reports whether id is a CVE id ("CVE-2021-44228").
func ValidCVE(id string) bool { return cveRE.MatchString(id) }

// ReadFile reads a feed file, gzipped or not, and tells which feed it is by
// its content; origin is the path.
func ReadFile(path string) (Feed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	defer f.Close()
	feed, err := Parse(f, DefaultMaxBytes)
	if err != nil {
		return nil, fmt.Errorf("read feed %s: %w", path, err)
	}
	setOrigin(feed, path)
	return feed, nil
}

func setOrigin(f Feed, origin string) {
	switch f := f.(type) {
	case *KEVCatalog:
		f.Origin = origin
	case *EPSSScores:
		f.Origin = origin
	}
}

// Parse reads a whole feed from r, gunzipping it when it starts with the
// gzip magic, and parses it as whichever feed its content is: a JSON
// object with catalogVersion and vulnerabilities is KEV; a CSV whose first
// line is "#model_version:…,score_date:…" followed by the header
// "cve,epss,percentile" is EPSS. It reads at most max bytes, compressed and
// uncompressed, and reads r to its end, so a truncated gzip stream fails its
// length and checksum test.
func Parse(r io.Reader, max int64) (Feed, error) {
	b, err := readAll(r, max)
	if err != nil {
		return nil, err
	}
	gzipped := false
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		b, err = readAll(zr, max)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		gzipped = true
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	head := bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(head) == 0:
		return nil, errors.New("empty file")
	case head[0] == '{':
		c, err := ParseKEV(head)
		if err != nil {
			return nil, err
		}
		return c, nil
	case head[0] == '#' || bytes.HasPrefix(bytes.ToLower(head), []byte("cve,")):
		e, err := ParseEPSS(head)
		if err != nil {
			return nil, err
		}
		e.Gzipped = gzipped
		return e, nil
	default:
		return nil, fmt.Errorf("neither a KEV catalogue (JSON) nor an EPSS CSV: starts with %q", firstBytes(head, 40))
	}
}

func readAll(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxBytes
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

func firstBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// kevJSON is the catalogue as CISA writes it
// (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json).
type kevJSON struct {
	Title           string `json:"title"`
	CatalogVersion  string `json:"catalogVersion"`
	DateReleased    string `json:"dateReleased"`
	Count           *int   `json:"count"`
	Vulnerabilities []struct {
		CVEID                      string `json:"cveID"`
		VendorProject              string `json:"vendorProject"`
		Product                    string `json:"product"`
		VulnerabilityName          string `json:"vulnerabilityName"`
		DateAdded                  string `json:"dateAdded"`
		DueDate                    string `json:"dueDate"`
		KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

// ParseKEV parses the KEV catalogue JSON. It refuses a catalogue without a
// version, a release date or entries, one whose count disagrees with its
// entries, and entries with a malformed CVE id or date, or listed twice.
func ParseKEV(b []byte) (*KEVCatalog, error) {
	var raw kevJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("KEV catalogue: %w", err)
	}
	if raw.CatalogVersion == "" || raw.Vulnerabilities == nil {
		return nil, errors.New("KEV catalogue: no catalogVersion or vulnerabilities: not a KEV catalogue")
	}
	released, err := parseTime(raw.DateReleased)
	if err != nil {
		return nil, fmt.Errorf("KEV catalogue %s: dateReleased: %w", raw.CatalogVersion, err)
	}
	if len(raw.Vulnerabilities) == 0 {
		return nil, fmt.Errorf("KEV catalogue %s: no vulnerabilities", raw.CatalogVersion)
	}
	if raw.Count != nil && *raw.Count != len(raw.Vulnerabilities) {
		return nil, fmt.Errorf("KEV catalogue %s: count says %d, %d vulnerabilities listed", raw.CatalogVersion, *raw.Count, len(raw.Vulnerabilities))
	}
	c := &KEVCatalog{Version: raw.CatalogVersion, Released: released, Entries: make([]KEVEntry, 0, len(raw.Vulnerabilities))}
	seen := make(map[string]bool, len(raw.Vulnerabilities))
	for i, v := range raw.Vulnerabilities {
		cve := strings.TrimSpace(v.CVEID)
		if !ValidCVE(cve) {
			return nil, fmt.Errorf("KEV catalogue %s: vulnerability %d: cveID %q is not a CVE id", raw.CatalogVersion, i, v.CVEID)
		}
		if seen[cve] {
			return nil, fmt.Errorf("KEV catalogue %s: %s listed twice", raw.CatalogVersion, cve)
		}
		seen[cve] = true
		added, err := time.Parse(time.DateOnly, v.DateAdded)
		if err != nil {
			return nil, fmt.Errorf("KEV catalogue %s: %s: dateAdded %q: want YYYY-MM-DD", raw.CatalogVersion, cve, v.DateAdded)
		}
		var due time.Time
		if v.DueDate != "" {
			if due, err = time.Parse(time.DateOnly, v.DueDate); err != nil {
				return nil, fmt.Errorf("KEV catalogue %s: %s: dueDate %q: want YYYY-MM-DD", raw.CatalogVersion, cve, v.DueDate)
			}
		}
		c.Entries = append(c.Entries, KEVEntry{
			CVE: cve, Vendor: v.VendorProject, Product: v.Product, Name: v.VulnerabilityName,
			DateAdded: added, DueDate: due, RansomwareUse: v.KnownRansomwareCampaignUse,
		})
	}
	return c, nil
}

// parseTime reads the dates the feeds use: RFC 3339 with or without
// fractional seconds, ISO 8601 with a "+0000" offset (older EPSS files), a
// bare date.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}

// ParseEPSS parses an EPSS daily CSV:
//
//	#model_version:v2025.03.14,score_date:2025-08-25T00:00:00Z
//	cve,epss,percentile
//	CVE-1999-0001,0.0046,0.7385
//
// A file without the dated first line is refused: posture keeps feeds
// dated. So are malformed rows, scores outside [0, 1] and a CVE listed
// twice.
func ParseEPSS(b []byte) (*EPSSScores, error) {
	br := bufio.NewReader(bytes.NewReader(b))
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("EPSS CSV: %w", err)
	}
	first = strings.TrimSpace(first)
	if !strings.HasPrefix(first, "#") {
		return nil, fmt.Errorf("EPSS CSV: first line %q: want the \"#model_version:…,score_date:…\" comment (files before 2022 lack it and are not accepted)", firstBytes([]byte(first), 60))
	}
	e := &EPSSScores{}
	for _, part := range strings.Split(strings.TrimPrefix(first, "#"), ",") {
		k, v, _ := strings.Cut(part, ":")
		switch strings.TrimSpace(k) {
		case "model_version":
			e.ModelVersion = strings.TrimSpace(v)
		case "score_date":
			t, err := parseTime(v)
			if err != nil {
				return nil, fmt.Errorf("EPSS CSV: score_date: %w", err)
			}
			e.ScoreDate = t
		}
	}
	if e.ScoreDate.IsZero() {
		return nil, fmt.Errorf("EPSS CSV: first line %q has no score_date", firstBytes([]byte(first), 80))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("EPSS CSV: header: %w", err)
	}
	if got := strings.ToLower(strings.Join(header, ",")); got != "cve,epss,percentile" {
		return nil, fmt.Errorf("EPSS CSV: header %q: want cve,epss,percentile", got)
	}
	// About 30 bytes a row: one allocation for the whole file.
	e.Scores = make([]EPSSScore, 0, len(b)/30)
	seen := make(map[string]bool, len(b)/30)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("EPSS CSV %s: %w", e.ScoreDate.Format(time.DateOnly), err)
		}
		line, _ := cr.FieldPos(0)
		line++ // the comment line was read before the CSV reader started
		cve := strings.TrimSpace(rec[0])
		if !ValidCVE(cve) {
			return nil, fmt.Errorf("EPSS CSV %s: line %d: %q is not a CVE id", e.ScoreDate.Format(time.DateOnly), line, rec[0])
		}
		if seen[cve] {
			return nil, fmt.Errorf("EPSS CSV %s: line %d: %s listed twice", e.ScoreDate.Format(time.DateOnly), line, cve)
		}
		seen[cve] = true
		score, err1 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		pct, err2 := strconv.ParseFloat(strings.TrimSpace(rec[2]), 64)
		if err1 != nil || err2 != nil || !unit(score) || !unit(pct) {
			return nil, fmt.Errorf("EPSS CSV %s: line %d: %s: epss %q, percentile %q: want numbers in [0, 1]", e.ScoreDate.Format(time.DateOnly), line, cve, rec[1], rec[2])
		}
		e.Scores = append(e.Scores, EPSSScore{CVE: cve, Score: score, Percentile: pct})
	}
	if len(e.Scores) == 0 {
		return nil, fmt.Errorf("EPSS CSV %s: no scores", e.ScoreDate.Format(time.DateOnly))
	}
	return e, nil
}

// MinEPSSRows is the fewest rows Plausible accepts in an EPSS CSV that was
// not gzipped. A whole daily file scores every published CVE, about 300,000
// rows; a plain file cut at a row boundary parses cleanly, so this floor is
// what tells a cut one.
const MinEPSSRows = 1000

// Plausible reports whether a parsed feed looks whole beyond what parsing
// proves. A KEV catalogue carries its count and a gzipped EPSS file its
// length and checksum, so both pass. A plain EPSS CSV needs its
// model_version and at least MinEPSSRows rows. Callers let a user override
// it (posture feeds update --force) for a deliberately small file.
func Plausible(f Feed) error {
	e, ok := f.(*EPSSScores)
	if !ok || e.Gzipped {
		return nil
	}
	day := e.ScoreDate.Format(time.DateOnly)
	if e.ModelVersion == "" {
		return fmt.Errorf("EPSS CSV %s: first line has no model_version: not a whole FIRST file", day)
	}
	if len(e.Scores) < MinEPSSRows {
		return fmt.Errorf("EPSS CSV %s: %d rows, fewer than the %d a whole daily file has at least (about 300,000), and an uncompressed file has no checksum: it may be cut short", day, len(e.Scores), MinEPSSRows)
	}
	return nil
}

func unit(f float64) bool { return f >= 0 && f <= 1 } // false for NaN
