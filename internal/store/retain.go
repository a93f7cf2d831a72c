package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/posture-dev/posture/internal/inventory"
)

// Retain deletes every committed snapshot but the newest keep, with their
// resources and assessments, and returns the removed ids, oldest first.
// keep must be at least 1: Retain never empties the store, and it keeps
// the newest complete snapshot even when partial ones are newer. If ctx ends
// midway, the snapshots removed so far are returned with the error; a
// snapshot being removed is already invisible, and Open finishes the job
// if the process dies.
func (s *Store) Retain(ctx context.Context, keep int) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("retain %d snapshots: keep at least 1", keep)
	}
	snaps, err := s.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("retain: %w", err)
	}
	if len(snaps) <= keep {
		return nil, nil
	}
	// The newest complete snapshot is always kept, even past keep: a run of
	// partial scans must never push out the last good one.
	lastGood := ""
	for _, sn := range snaps {
		if sn.Status == inventory.StatusComplete {
			lastGood = sn.ID
			break
		}
	}
	var victims []string
	for _, sn := range snaps[keep:] {
		if sn.ID != lastGood {
			victims = append(victims, sn.ID)
		}
	}
	slices.Reverse(victims)

	if err := s.use(); err != nil {
		return nil, fmt.Errorf("retain: %w", err)
	}
	defer s.mu.RUnlock()
	s.maint.Lock()
	defer s.maint.Unlock()

	var removed []string
	for _, id := range victims {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("retain: %w", err)
		}
		// Hide the snapshot and mark it pending in one transaction, so a
		// crash while its data is deleted leaves garbage Open collects
		// rather than a half snapshot.
		gone := false
		err := s.db.Update(func(txn *badger.Txn) error {
			if _, err := txn.Get(snapKey(id)); errors.Is(err, badger.ErrKeyNotFound) {
				gone = true // removed meanwhile
				return nil
			} else if err != nil {
				return err
			}
			if err := txn.Delete(snapKey(id)); err != nil {
				return err
			}
			return txn.Set(pendKey(id), nil)
		})
		if err != nil {
			return removed, fmt.Errorf("retain: remove snapshot %s: %w", id, err)
		}
		if gone {
			continue
		}
		removed = append(removed, id)
		if _, err := s.dropSnapshotData(ctx, id); err != nil {
			return removed, fmt.Errorf("retain: remove snapshot %s: %w", id, err)
		}
	}
	// Most values live in the LSM tree and go with compaction; large ones
	// live in the value log, which only a GC pass shrinks.
	if err := s.db.RunValueLogGC(0.5); err != nil && !errors.Is(err, badger.ErrNoRewrite) {
		s.log.Warn("store: value log GC", "err", err)
	}
	return removed, nil
}
