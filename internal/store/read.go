package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/posture-dev/posture/internal/inventory"
)

// List returns the committed snapshots, newest first.
func (s *Store) List(ctx context.Context) ([]inventory.Snapshot, error) {
	var out []inventory.Snapshot
	err := s.view(ctx, func(txn *badger.Txn) error {
		return eachSnapshot(ctx, txn, func(snap inventory.Snapshot) bool {
			out = append(out, snap)
			return true
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}

// Get returns the committed snapshot id.
func (s *Store) Get(ctx context.Context, id string) (inventory.Snapshot, error) {
	var snap inventory.Snapshot
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		snap, err = committedSnapshot(txn, id)
		return err
	})
	if err != nil {
		return inventory.Snapshot{}, err
	}
	return snap, nil
}

// Latest returns the newest committed snapshot, ErrNotFound when there is
// none.
func (s *Store) Latest(ctx context.Context) (inventory.Snapshot, error) {
	var snap inventory.Snapshot
	found := false
	err := s.view(ctx, func(txn *badger.Txn) error {
		return eachSnapshot(ctx, txn, func(sn inventory.Snapshot) bool {
			snap, found = sn, true
			return false
		})
	})
	if err != nil {
		return inventory.Snapshot{}, fmt.Errorf("latest snapshot: %w", err)
	}
	if !found {
		return inventory.Snapshot{}, fmt.Errorf("latest snapshot: no committed snapshot: %w", ErrNotFound)
	}
	return snap, nil
}

// Resources returns the resources of a committed snapshot, all of them or
// those of the given kinds, sorted by ID.
func (s *Store) Resources(ctx context.Context, snapshotID string, kinds ...inventory.Kind) ([]inventory.Resource, error) {
	for _, k := range kinds {
		if !k.Valid() {
			return nil, fmt.Errorf("snapshot %s: resources: unknown kind %q", snapshotID, k)
		}
	}
	prefixes := [][]byte{resPrefix(snapshotID)}
	if len(kinds) > 0 {
		prefixes = prefixes[:0]
		for _, k := range slices.Compact(slices.Sorted(slices.Values(kinds))) {
			prefixes = append(prefixes, resKindPrefix(snapshotID, k))
		}
	}
	var out []inventory.Resource
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := committedSnapshot(txn, snapshotID); err != nil {
			return err
		}
		for _, p := range prefixes {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true, PrefetchSize: 100})
			for it.Rewind(); it.Valid(); it.Next() {
				if len(out)%1024 == 0 {
					if err := ctx.Err(); err != nil {
						it.Close()
						return err
					}
				}
				var r inventory.Resource
				if err := decode(it.Item(), &r); err != nil {
					it.Close()
					return err
				}
				out = append(out, r)
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resources: %w", err)
	}
	// Keys are ordered by kind, then id; a stable sort keeps that kind order
	// for an id that (wrongly) appears under two kinds.
	slices.SortStableFunc(out, func(a, b inventory.Resource) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Resource returns one resource of a committed snapshot.
func (s *Store) Resource(ctx context.Context, snapshotID, resourceID string) (inventory.Resource, error) {
	var r inventory.Resource
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := committedSnapshot(txn, snapshotID); err != nil {
			return err
		}
		// The kind is part of the key; trying each kind is a handful of
		// bloom-filtered point reads.
		for _, k := range inventory.Kinds() {
			err := getJSON(txn, resKey(snapshotID, k, resourceID), &r)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			return err
		}
		return fmt.Errorf("snapshot %s: %w", snapshotID, notFound("resource", resourceID))
	})
	if err != nil {
		return inventory.Resource{}, err
	}
	return r, nil
}

// view runs fn in a read transaction of an open store.
func (s *Store) view(ctx context.Context, fn func(*badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.use(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	return s.db.View(fn)
}

// committedSnapshot reads the commit record of id; an uncommitted or
// unknown id is ErrNotFound.
func committedSnapshot(txn *badger.Txn, id string) (inventory.Snapshot, error) {
	var snap inventory.Snapshot
	if !validID(id) {
		return snap, notFound("snapshot", id)
	}
	err := getJSON(txn, snapKey(id), &snap)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return snap, notFound("snapshot", id)
	}
	if err != nil {
		return snap, fmt.Errorf("snapshot %s: %w", id, err)
	}
	return snap, nil
}

// eachSnapshot calls fn with the commit records, newest first, until fn
// returns false.
func eachSnapshot(ctx context.Context, txn *badger.Txn, fn func(inventory.Snapshot) bool) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixSnap, Reverse: true, PrefetchValues: true, PrefetchSize: 16})
	defer it.Close()
	for it.Seek(append(slices.Clone(prefixSnap), 0xff)); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var snap inventory.Snapshot
		if err := decode(it.Item(), &snap); err != nil {
			return err
		}
		if !fn(snap) {
			return nil
		}
	}
	return nil
}

// decode unmarshals an item's JSON value, naming the key when it cannot.
func decode(item *badger.Item, v any) error {
	err := item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
	if err != nil {
		return fmt.Errorf("%w: key %q: %v", ErrCorrupt, item.Key(), err)
	}
	return nil
}
