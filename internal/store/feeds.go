package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/posture-dev/posture/internal/feeds"
)

// FeedInfo describes the stored copy of a feed.
type FeedInfo struct {
	Source feeds.Source `json:"source"`
	// Version is the publisher's version: KEV's catalogVersion, EPSS's
	// model_version.
	Version string `json:"version"`
	// Date is the publisher's date of this copy: KEV's dateReleased, EPSS's
	// score_date.
	Date time.Time `json:"date"`
	// Count is the number of entries stored.
	Count int `json:"count"`
	// Fetched is when this copy was stored.
	Fetched time.Time `json:"fetched"`
	// Origin is the URL or file it came from.
	Origin string `json:"origin"`
	// Generation names the key range holding the entries.
	Generation string `json:"generation"`
}

// AgeDays is how many whole days old the copy is at now, by its
// publisher's date.
func (f FeedInfo) AgeDays(now time.Time) int {
	return int(now.Sub(f.Date).Hours() / 24)
}

// feedMu serialises feed writes. One process holds a store directory, so
// with this held every pending feed generation found belongs to a writer
// that failed or died.
var feedMu sync.Mutex

// ErrFeedRegressed: a feed copy was refused because it is dated before the
// stored copy or holds fewer than MinFeedShare of its entries — a stale
// mirror, an old file or a cut one. FeedPut.Force stores it anyway.
var ErrFeedRegressed = errors.New("refused")

// MinFeedShare is the share of the stored copy's entries a new copy must
// hold, unless forced: the feeds grow, and a day's churn is far below 10 %.
const MinFeedShare = 0.9

// FeedPut says how PutKEV and PutEPSS treat the stored copy.
type FeedPut struct {
	// Force replaces the stored copy even with one dated before it or
	// holding fewer than MinFeedShare of its entries.
	Force bool
}

// PutKEV stores a KEV catalogue, replacing the stored one. Readers see the
// old catalogue until the new one is complete, then the new one; a failed
// or cancelled PutKEV leaves the old one in place. Unless opts.Force, a
// catalogue dated before the stored one, or with fewer than MinFeedShare of
// its entries, is refused with ErrFeedRegressed and never becomes current.
func (s *Store) PutKEV(ctx context.Context, c *feeds.KEVCatalog, opts FeedPut) (FeedInfo, error) {
	if c == nil || len(c.Entries) == 0 {
		return FeedInfo{}, errors.New("store KEV catalogue: no entries")
	}
	info := FeedInfo{Source: feeds.KEV, Version: c.Version, Date: c.Released, Count: len(c.Entries), Origin: c.Origin}
	return s.putFeed(ctx, info, opts, len(c.Entries), func(i int) (string, any) { return c.Entries[i].CVE, c.Entries[i] })
}

// PutEPSS stores a day of EPSS scores, replacing the stored ones, with the
// same guarantees and refusals as PutKEV. About 300,000 rows take a few
// seconds.
func (s *Store) PutEPSS(ctx context.Context, e *feeds.EPSSScores, opts FeedPut) (FeedInfo, error) {
	if e == nil || len(e.Scores) == 0 {
		return FeedInfo{}, errors.New("store EPSS scores: no scores")
	}
	info := FeedInfo{Source: feeds.EPSS, Version: e.ModelVersion, Date: e.ScoreDate, Count: len(e.Scores), Origin: e.Origin}
	return s.putFeed(ctx, info, opts, len(e.Scores), func(i int) (string, any) {
		sc := e.Scores[i]
		return sc.CVE, epssValue{sc.Score, sc.Percentile}
	})
}

// epssValue is an EPSS row as stored: the CVE is the key.
type epssValue struct {
	Score      float64 `json:"e"`
	Percentile float64 `json:"p"`
}

// regressed refuses next in place of cur unless forced: dated before it,
// or holding fewer than MinFeedShare of its entries.
func regressed(cur, next FeedInfo, opts FeedPut) error {
	if opts.Force || cur.Generation == "" {
		return nil
	}
	if next.Date.Before(cur.Date) {
		return fmt.Errorf("%w: dated %s, before the stored copy dated %s",
			ErrFeedRegressed, next.Date.Format(time.DateOnly), cur.Date.Format(time.DateOnly))
	}
	if float64(next.Count) < MinFeedShare*float64(cur.Count) {
		return fmt.Errorf("%w: %d entries, fewer than %.0f %% of the stored copy's %d (dated %s)",
			ErrFeedRegressed, next.Count, MinFeedShare*100, cur.Count, cur.Date.Format(time.DateOnly))
	}
	return nil
}

func (s *Store) putFeed(ctx context.Context, info FeedInfo, opts FeedPut, n int, row func(int) (cve string, v any)) (FeedInfo, error) {
	out, err := s.putFeedRows(ctx, info, opts, n, row)
	if err != nil {
		return FeedInfo{}, fmt.Errorf("store %s feed %s: %w", info.Source, info.Date.Format(time.DateOnly), err)
	}
	return out, nil
}

func (s *Store) putFeedRows(ctx context.Context, info FeedInfo, opts FeedPut, n int, row func(int) (string, any)) (FeedInfo, error) {
	if err := ctx.Err(); err != nil {
		return FeedInfo{}, err
	}
	if info.Date.IsZero() {
		return FeedInfo{}, errors.New("feed has no date")
	}
	if err := s.use(); err != nil {
		return FeedInfo{}, err
	}
	defer s.mu.RUnlock()
	feedMu.Lock()
	defer feedMu.Unlock()

	src := info.Source
	cur, err := s.collectFeedGenerations(ctx, src)
	if err != nil {
		return FeedInfo{}, fmt.Errorf("remove unfinished copies: %w", err)
	}
	// Refuse early, before writing; the switch checks again, and decides.
	if err := regressed(cur, info, opts); err != nil {
		return FeedInfo{}, err
	}
	info.Fetched = s.now().UTC()
	info.Generation = newID(info.Fetched)
	gen := info.Generation
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(feedPendKey(src, gen), nil) }); err != nil {
		return FeedInfo{}, err
	}
	ok := false
	defer func() {
		if !ok { // best effort; the pending mark lets the next put finish it
			if _, err := s.dropPrefix(context.Background(), feedGenPrefix(src, gen)); err == nil {
				_ = s.deleteKeys([][]byte{feedPendKey(src, gen)})
			}
		}
	}()

	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	seen := make(map[string]bool, n)
	for i := range n {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return FeedInfo{}, err
			}
		}
		cve, v := row(i)
		if !feeds.ValidCVE(cve) {
			return FeedInfo{}, fmt.Errorf("entry %d: %q is not a CVE id", i, cve)
		}
		if seen[cve] {
			return FeedInfo{}, fmt.Errorf("%s listed twice", cve)
		}
		seen[cve] = true
		b, err := json.Marshal(v)
		if err != nil {
			return FeedInfo{}, fmt.Errorf("%s: %w", cve, err)
		}
		if err := wb.Set(feedEntryKey(src, gen, cve), b); err != nil {
			return FeedInfo{}, err
		}
	}
	if err := wb.Flush(); err != nil {
		return FeedInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return FeedInfo{}, err
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		return FeedInfo{}, err
	}
	// The switch: in one transaction the new copy becomes current and the
	// old one becomes pending, so a crash from here on leaves the old
	// entries for the next put to collect.
	var old FeedInfo
	err = s.db.Update(func(txn *badger.Txn) error {
		err := getJSON(txn, feedInfoKey(src), &old)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			old = FeedInfo{}
		case err != nil:
			return err
		}
		if err := regressed(old, info, opts); err != nil {
			return err
		}
		if old.Generation != "" {
			if err := txn.Set(feedPendKey(src, old.Generation), nil); err != nil {
				return err
			}
		}
		if err := txn.Delete(feedPendKey(src, gen)); err != nil {
			return err
		}
		return txn.Set(feedInfoKey(src), infoJSON)
	})
	if err != nil {
		return FeedInfo{}, err
	}
	ok = true
	if old.Generation != "" {
		if _, err := s.dropPrefix(ctx, feedGenPrefix(src, old.Generation)); err != nil {
			s.log.Warn("store: remove the previous feed copy; the next update retries", "feed", src, "generation", old.Generation, "err", err)
			return info, nil
		}
		if err := s.deleteKeys([][]byte{feedPendKey(src, old.Generation)}); err != nil {
			s.log.Warn("store: remove the previous feed copy's mark", "feed", src, "err", err)
		}
	}
	return info, nil
}

// collectFeedGenerations deletes the entries of copies of src left pending
// by a failed or dead writer, and returns the current copy's description
// (zero when none is stored). The caller holds feedMu.
func (s *Store) collectFeedGenerations(ctx context.Context, src feeds.Source) (FeedInfo, error) {
	var gens []string
	var cur FeedInfo
	prefix := feedPendPrefix(src)
	err := s.db.View(func(txn *badger.Txn) error {
		if err := getJSON(txn, feedInfoKey(src), &cur); err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			gens = append(gens, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return FeedInfo{}, err
	}
	for _, g := range gens {
		if g == cur.Generation { // never: the switch clears it; but never delete the current copy
			continue
		}
		n, err := s.dropPrefix(ctx, feedGenPrefix(src, g))
		if err != nil {
			return FeedInfo{}, err
		}
		if err := s.deleteKeys([][]byte{feedPendKey(src, g)}); err != nil {
			return FeedInfo{}, err
		}
		s.log.Info("store: removed unfinished feed copy", "feed", src, "generation", g, "keys", n)
	}
	return cur, nil
}

// FeedInfo describes the stored copy of a feed; ErrNotFound when there is
// none.
func (s *Store) FeedInfo(ctx context.Context, src feeds.Source) (FeedInfo, error) {
	if !slices.Contains(feeds.Sources(), src) {
		return FeedInfo{}, fmt.Errorf("feed %q: unknown feed", src)
	}
	var info FeedInfo
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		info, err = currentFeed(txn, src)
		return err
	})
	if err != nil {
		return FeedInfo{}, fmt.Errorf("%s feed: %w", src, err)
	}
	return info, nil
}

// Feeds describes the stored feeds, in the order of feeds.Sources; a feed
// never stored is absent.
func (s *Store) Feeds(ctx context.Context) ([]FeedInfo, error) {
	var out []FeedInfo
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, src := range feeds.Sources() {
			info, err := currentFeed(txn, src)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	return out, nil
}

// KEV looks the CVEs up in the stored KEV catalogue: the result holds the
// ones it lists, with the catalogue's description. ErrNotFound when no
// catalogue is stored, so a caller can tell "not known exploited" from
// "not known".
func (s *Store) KEV(ctx context.Context, cves ...string) (map[string]feeds.KEVEntry, FeedInfo, error) {
	out := make(map[string]feeds.KEVEntry)
	info, err := s.lookupFeed(ctx, feeds.KEV, cves, func(cve string, item *badger.Item) error {
		var e feeds.KEVEntry
		if err := decode(item, &e); err != nil {
			return err
		}
		out[cve] = e
		return nil
	})
	if err != nil {
		return nil, FeedInfo{}, err
	}
	return out, info, nil
}

// EPSS looks the CVEs up in the stored EPSS scores: the result holds the
// ones scored. ErrNotFound when no scores are stored.
func (s *Store) EPSS(ctx context.Context, cves ...string) (map[string]feeds.EPSSScore, FeedInfo, error) {
	out := make(map[string]feeds.EPSSScore)
	info, err := s.lookupFeed(ctx, feeds.EPSS, cves, func(cve string, item *badger.Item) error {
		var v epssValue
		if err := decode(item, &v); err != nil {
			return err
		}
		out[cve] = feeds.EPSSScore{CVE: cve, Score: v.Score, Percentile: v.Percentile}
		return nil
	})
	if err != nil {
		return nil, FeedInfo{}, err
	}
	return out, info, nil
}

// lookupFeed reads the current copy of src and, in the same transaction,
// one point read per CVE.
func (s *Store) lookupFeed(ctx context.Context, src feeds.Source, cves []string, found func(string, *badger.Item) error) (FeedInfo, error) {
	var info FeedInfo
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		if info, err = currentFeed(txn, src); err != nil {
			return err
		}
		for i, cve := range cves {
			if i%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !feeds.ValidCVE(cve) {
				continue // could not have been stored
			}
			item, err := txn.Get(feedEntryKey(src, info.Generation, cve))
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := found(cve, item); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return FeedInfo{}, fmt.Errorf("look up %s feed: %w", src, err)
	}
	return info, nil
}

func currentFeed(txn *badger.Txn, src feeds.Source) (FeedInfo, error) {
	var info FeedInfo
	err := getJSON(txn, feedInfoKey(src), &info)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return FeedInfo{}, fmt.Errorf("no %s feed stored (run posture feeds update): %w", src, ErrNotFound)
	}
	if err != nil {
		return FeedInfo{}, err
	}
	if info.Generation == "" || !validID(info.Generation) {
		return FeedInfo{}, fmt.Errorf("%w: key %q: no generation", ErrCorrupt, feedInfoKey(src))
	}
	return info, nil
}

// Feed keys; see the package documentation for the layout.
func feedInfoKey(src feeds.Source) []byte { return []byte("feed/" + string(src) + "/info") }
func feedPendPrefix(src feeds.Source) []byte {
	return []byte("feed/" + string(src) + "/pend/")
}
func feedPendKey(src feeds.Source, gen string) []byte {
	return []byte("feed/" + string(src) + "/pend/" + gen)
}
func feedGenPrefix(src feeds.Source, gen string) []byte {
	return []byte("feed/" + string(src) + "/g/" + gen + "/")
}
func feedEntryKey(src feeds.Source, gen, cve string) []byte {
	return []byte("feed/" + string(src) + "/g/" + gen + "/" + cve)
}
