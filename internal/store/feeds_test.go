package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/store"
)

func kevCatalog(version string, cves ...string) *feeds.KEVCatalog {
	c := &feeds.KEVCatalog{Version: version, Released: time.Date(2025, 8, 20, 15, 2, 11, 0, time.UTC), Origin: "kev.json"}
	for i, cve := range cves {
		c.Entries = append(c.Entries, feeds.KEVEntry{
			CVE: cve, Vendor: "Apache", Product: "Log4j2", Name: "Log4j2 RCE",
			DateAdded: time.Date(2021, 12, 10+i, 0, 0, 0, 0, time.UTC), RansomwareUse: "Known",
		})
	}
	return c
}

// epssScores makes n scores for CVE-2020-10000 … upward.
func epssScores(date time.Time, n int, score float64) *feeds.EPSSScores {
	e := &feeds.EPSSScores{ModelVersion: "v2025.03.14", ScoreDate: date, Origin: "epss.csv.gz", Scores: make([]feeds.EPSSScore, n)}
	for i := range n {
		e.Scores[i] = feeds.EPSSScore{CVE: fmt.Sprintf("CVE-2020-%d", 10000+i), Score: score, Percentile: float64(i) / float64(n)}
	}
	return e
}

func TestKEVPutAndLookUp(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})

	if _, _, err := s.KEV(ctx, "CVE-2021-44228"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("KEV before any catalogue: err = %v, want ErrNotFound", err)
	}
	info, err := s.PutKEV(ctx, kevCatalog("2025.08.20", "CVE-2021-44228", "CVE-2023-4966"), store.FeedPut{})
	if err != nil {
		t.Fatal(err)
	}
	wantInfo := store.FeedInfo{Source: feeds.KEV, Version: "2025.08.20", Date: time.Date(2025, 8, 20, 15, 2, 11, 0, time.UTC),
		Count: 2, Fetched: t0.Add(time.Second), Origin: "kev.json", Generation: info.Generation}
	if diff := cmp.Diff(info, wantInfo); diff != "" {
		t.Errorf("PutKEV info (-got +want):\n%s", diff)
	}
	got, gotInfo, err := s.KEV(ctx, "CVE-2021-44228", "CVE-1999-0001", "not-a-cve")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]feeds.KEVEntry{"CVE-2021-44228": kevCatalog("", "CVE-2021-44228").Entries[0]}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("KEV (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(gotInfo, wantInfo); diff != "" {
		t.Errorf("KEV info (-got +want):\n%s", diff)
	}
	fi, err := s.FeedInfo(ctx, feeds.KEV)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fi, wantInfo); diff != "" {
		t.Errorf("FeedInfo (-got +want):\n%s", diff)
	}
	if _, err := s.FeedInfo(ctx, feeds.EPSS); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FeedInfo(epss) err = %v, want ErrNotFound", err)
	}
	if _, err := s.FeedInfo(ctx, "kev/../x"); err == nil {
		t.Errorf("FeedInfo of an unknown feed: no error")
	}
}

func TestFeedReplace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{})
	d1 := time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC)
	if _, err := s.PutEPSS(ctx, epssScores(d1, 5000, 0.1), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	// The new day scores fewer CVEs: the ones it drops must go.
	d2 := d1.AddDate(0, 0, 1)
	if _, err := s.PutEPSS(ctx, epssScores(d2, 4500, 0.2), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{})
	got, info, err := s.EPSS(ctx, "CVE-2020-10000", "CVE-2020-14499", "CVE-2020-14500", "CVE-2020-14999")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]feeds.EPSSScore{
		"CVE-2020-10000": {CVE: "CVE-2020-10000", Score: 0.2, Percentile: 0},
		"CVE-2020-14499": {CVE: "CVE-2020-14499", Score: 0.2, Percentile: 4499.0 / 4500},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("EPSS after replacing (-got +want):\n%s", diff)
	}
	if !info.Date.Equal(d2) || info.Count != 4500 {
		t.Errorf("EPSS info = %s, %d entries; want %s, 4500", info.Date, info.Count, d2)
	}
}

// TestFeedReplaceFailsKeepsOld: a put that fails — a cancelled context, an
// empty or malformed feed, a copy older or much smaller than the stored
// one — leaves the stored copy whole and current.
func TestFeedReplaceFailsKeepsOld(t *testing.T) {
	d1 := time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	dup := epssScores(d1.AddDate(0, 0, 1), 2000, 0.9)
	dup.Scores[1999].CVE = dup.Scores[0].CVE
	bad := epssScores(d1.AddDate(0, 0, 1), 2000, 0.9)
	bad.Scores[5].CVE = "CVE-2020-10005/../../snap/x"
	tests := []struct {
		name    string
		ctx     context.Context
		feed    *feeds.EPSSScores
		wantErr string
	}{
		{"cancelled", cancelled, epssScores(d1.AddDate(0, 0, 1), 2000, 0.9), "context canceled"},
		{"cancelled after the rows are written", &countdownCtx{Context: context.Background(), n: 2}, epssScores(d1.AddDate(0, 0, 1), 2000, 0.9), "context canceled"},
		{"empty", context.Background(), &feeds.EPSSScores{ScoreDate: d1}, "no scores"},
		{"undated", context.Background(), epssScores(time.Time{}, 10, 0.9), "feed has no date"},
		{"listed twice", context.Background(), dup, "CVE-2020-10000 listed twice"},
		{"bad id", context.Background(), bad, "is not a CVE id"},
		{"older", context.Background(), epssScores(d1.AddDate(0, 0, -1), 2000, 0.9),
			"store epss feed 2025-08-19: refused: dated 2025-08-19, before the stored copy dated 2025-08-20"},
		{"much smaller", context.Background(), epssScores(d1.AddDate(0, 0, 1), 1799, 0.9),
			"store epss feed 2025-08-21: refused: 1799 entries, fewer than 90 % of the stored copy's 2000 (dated 2025-08-20)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, t.TempDir(), store.Options{})
			before, err := s.PutEPSS(ctx, epssScores(d1, 2000, 0.1), store.FeedPut{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutEPSS(tt.ctx, tt.feed, store.FeedPut{}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("PutEPSS error = %v, want %q", err, tt.wantErr)
			}
			got, info, err := s.EPSS(ctx, "CVE-2020-10000", "CVE-2020-11999")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(info, before); diff != "" {
				t.Errorf("EPSS info after a failed put (-got +want):\n%s", diff)
			}
			if len(got) != 2 || got["CVE-2020-10000"].Score != 0.1 {
				t.Errorf("EPSS after a failed put = %v, want the old scores of 0.1", got)
			}
			// The next put succeeds and collects what the failed one left.
			if _, err := s.PutEPSS(ctx, epssScores(d1.AddDate(0, 0, 2), 2000, 0.3), store.FeedPut{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFeedPutForce: a copy dated before the stored one, or much smaller,
// is refused with ErrFeedRegressed; forced, it replaces it. A copy of the
// same date, or with exactly 90 % of the entries, needs no force.
func TestFeedPutForce(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	d1 := time.Date(2025, 8, 20, 0, 0, 0, 0, time.UTC)
	if _, err := s.PutEPSS(ctx, epssScores(d1, 1000, 0.1), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutKEV(ctx, kevCatalog("2025.08.20", "CVE-2021-44228"), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	older := kevCatalog("2025.08.19", "CVE-2021-44228", "CVE-2023-4966")
	older.Released = older.Released.AddDate(0, 0, -1)
	steps := []struct {
		name      string
		put       func(store.FeedPut) (store.FeedInfo, error)
		force     bool
		wantRefus bool
		wantDate  time.Time
		wantCount int
	}{
		{"same day, 90 %", func(o store.FeedPut) (store.FeedInfo, error) { return s.PutEPSS(ctx, epssScores(d1, 900, 0.2), o) }, false, false, d1, 900},
		{"older", func(o store.FeedPut) (store.FeedInfo, error) {
			return s.PutEPSS(ctx, epssScores(d1.AddDate(0, 0, -3), 900, 0.3), o)
		}, false, true, d1, 900},
		{"older, forced", func(o store.FeedPut) (store.FeedInfo, error) {
			return s.PutEPSS(ctx, epssScores(d1.AddDate(0, 0, -3), 900, 0.3), o)
		}, true, false, d1.AddDate(0, 0, -3), 900},
		{"tiny", func(o store.FeedPut) (store.FeedInfo, error) { return s.PutEPSS(ctx, epssScores(d1, 5, 0.4), o) }, false, true, d1.AddDate(0, 0, -3), 900},
		{"tiny, forced", func(o store.FeedPut) (store.FeedInfo, error) { return s.PutEPSS(ctx, epssScores(d1, 5, 0.4), o) }, true, false, d1, 5},
		{"older KEV", func(o store.FeedPut) (store.FeedInfo, error) { return s.PutKEV(ctx, older, o) }, false, true, time.Time{}, 0},
		{"older KEV, forced", func(o store.FeedPut) (store.FeedInfo, error) { return s.PutKEV(ctx, older, o) }, true, false, older.Released, 2},
	}
	for _, st := range steps {
		_, err := st.put(store.FeedPut{Force: st.force})
		if got := errors.Is(err, store.ErrFeedRegressed); got != st.wantRefus {
			t.Fatalf("%s: err = %v; want refused %v", st.name, err, st.wantRefus)
		}
		if !st.wantRefus && err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.wantCount == 0 {
			continue
		}
		src := feeds.EPSS
		if strings.Contains(st.name, "KEV") {
			src = feeds.KEV
		}
		info, err := s.FeedInfo(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(info.Date.Format(time.DateOnly), " ", info.Count), fmt.Sprint(st.wantDate.Format(time.DateOnly), " ", st.wantCount); got != want {
			t.Errorf("%s: stored copy %s, want %s", st.name, got, want)
		}
	}
	// A refused copy's rows never became current: only the forced 5 remain.
	got, _, err := s.EPSS(ctx, "CVE-2020-10000", "CVE-2020-10005", "CVE-2020-10899")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["CVE-2020-10000"].Score != 0.4 {
		t.Errorf("EPSS after the forced put = %v, want only CVE-2020-10000 at 0.4", got)
	}
}

// countdownCtx is cancelled once Err has been asked n times: it stops a
// put between writing its rows and switching to them.
type countdownCtx struct {
	context.Context
	n int
}

func (c *countdownCtx) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

func TestFeeds(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	if got, err := s.Feeds(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Feeds of an empty store = %v, %v; want none", got, err)
	}
	d := time.Date(2025, 8, 21, 0, 0, 0, 0, time.UTC)
	if _, err := s.PutEPSS(ctx, epssScores(d, 3, 0.5), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutKEV(ctx, kevCatalog("2025.08.20", "CVE-2021-44228"), store.FeedPut{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sources []feeds.Source
	for _, f := range got {
		sources = append(sources, f.Source)
	}
	if diff := cmp.Diff(sources, []feeds.Source{feeds.KEV, feeds.EPSS}); diff != "" {
		t.Errorf("Feeds (-got +want):\n%s", diff)
	}
	if age := got[1].AgeDays(d.Add(49 * time.Hour)); age != 2 {
		t.Errorf("AgeDays = %d, want 2", age)
	}
}

// TestRealKEVStored stores the real catalogue and finds Log4Shell in it.
func TestRealKEVStored(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "data", "known_exploited_vulnerabilities.json")
	f, err := feeds.ReadFile(path)
	if err != nil {
		t.Skipf("no real KEV catalogue: %v", err)
	}
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	c := f.(*feeds.KEVCatalog)
	info, err := s.PutKEV(ctx, c, store.FeedPut{})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := s.KEV(ctx, "CVE-2021-44228", "CVE-1999-0001")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := got["CVE-2021-44228"]
	if info.Count != len(c.Entries) || len(got) != 1 || !ok || e.Vendor != "Apache" || !e.KnownRansomware() || e.DateAdded.Format(time.DateOnly) != "2021-12-10" {
		t.Errorf("real KEV: stored %d of %d; lookup = %+v; want Log4Shell (Apache, ransomware, added 2021-12-10) only", info.Count, len(c.Entries), got)
	}
}

// BenchmarkPutEPSS stores a full day of EPSS scores.
func BenchmarkPutEPSS(b *testing.B) {
	ctx := context.Background()
	s := openStore(b, b.TempDir(), store.Options{})
	e := epssScores(time.Date(2025, 8, 21, 0, 0, 0, 0, time.UTC), 300_000, 0.5)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.PutEPSS(ctx, e, store.FeedPut{}); err != nil {
			b.Fatal(err)
		}
	}
}
