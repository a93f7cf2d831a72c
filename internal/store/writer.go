package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/posture-dev/posture/internal/inventory"
)

// Writer writes one snapshot. Nothing it writes is visible until Commit
// returns; Abort, a cancelled Commit or a crash leave the store as it was.
// Its methods are safe for concurrent use, so collectors running in
// parallel can share one Writer.
type Writer struct {
	s    *Store
	id   string
	meta inventory.Snapshot

	mu    sync.Mutex
	buf   []kv
	gaps  []inventory.Gap
	state writerState
	err   error // the write that failed; the snapshot can no longer commit
}

type writerState int

const (
	writing writerState = iota
	committed
	aborted
)

type kv struct{ k, v []byte }

// Begin starts a snapshot. It assigns the snapshot's id from Options.Now
// and keeps meta's Started (Now when zero), Clouds and Scopes; the other
// fields are filled in by Commit.
func (s *Store) Begin(ctx context.Context, meta inventory.Snapshot) (*Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	if err := s.use(); err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	defer s.mu.RUnlock()

	now := s.now()
	m := inventory.Snapshot{
		Started: meta.Started,
		Clouds:  slices.Clone(meta.Clouds),
		Scopes:  slices.Clone(meta.Scopes),
	}
	if m.Started.IsZero() {
		m.Started = now
	}
	for range 5 { // a clash needs the same microsecond and the same random suffix
		m.ID = newID(now)
		v, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("begin snapshot: %w", err)
		}
		err = s.db.Update(func(txn *badger.Txn) error {
			for _, k := range [][]byte{snapKey(m.ID), pendKey(m.ID)} {
				if _, err := txn.Get(k); err == nil {
					return errIDTaken
				} else if !errors.Is(err, badger.ErrKeyNotFound) {
					return err
				}
			}
			return txn.Set(pendKey(m.ID), v)
		})
		if errors.Is(err, errIDTaken) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("begin snapshot: %w", err)
		}
		return &Writer{s: s, id: m.ID, meta: m}, nil
	}
	return nil, fmt.Errorf("begin snapshot: %w", errIDTaken)
}

var errIDTaken = errors.New("snapshot id already in use")

// ID is the snapshot's id.
func (w *Writer) ID() string { return w.id }

// Put validates and buffers resources, writing them out in batches of
// Options.BatchSize. If any resource is invalid, none of rs is kept. A
// resource put twice (same kind and id) keeps the last version.
func (w *Writer) Put(ctx context.Context, rs ...inventory.Resource) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("snapshot %s: put: %w", w.id, err)
	}
	entries := make([]kv, 0, len(rs))
	for i := range rs {
		r := &rs[i]
		if err := r.Validate(); err != nil {
			return fmt.Errorf("snapshot %s: put: %w", w.id, err)
		}
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("snapshot %s: put %s: %w", w.id, r.ID, err)
		}
		entries = append(entries, kv{resKey(w.id, r.Kind, r.ID), v})
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return fmt.Errorf("snapshot %s: put: %w", w.id, err)
	}
	w.buf = append(w.buf, entries...)
	if len(w.buf) >= w.s.batchSize {
		if err := w.flush(); err != nil {
			return fmt.Errorf("snapshot %s: put: %w", w.id, err)
		}
	}
	return nil
}

// AddGap records something the scan could not see; a snapshot with gaps
// commits as partial.
func (w *Writer) AddGap(g inventory.Gap) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gaps = append(w.gaps, g)
}

// usable reports why the writer can take no more writes. w.mu is held.
func (w *Writer) usable() error {
	switch {
	case w.state == committed:
		return errors.New("already committed")
	case w.state == aborted:
		return errors.New("aborted")
	case w.err != nil:
		return fmt.Errorf("an earlier write failed: %w", w.err)
	}
	return nil
}

// flush writes the buffer. w.mu is held. A failure is kept in w.err.
func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.s.use(); err != nil {
		w.err = err
		return err
	}
	defer w.s.mu.RUnlock()
	wb := w.s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range w.buf {
		if err := wb.Set(e.k, e.v); err != nil {
			w.err = err
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		w.err = err
		return err
	}
	w.buf = nil
	return nil
}

// Commit writes what is buffered and then the commit record, in one
// transaction with the removal of the pending mark: only then is the
// snapshot listed and does Latest return it. The record has Finished (from
// Options.Now), the resource count per kind, the gaps, and Status partial
// when there are gaps. If ctx is done or a write failed, Commit aborts the
// snapshot instead and returns why.
func (w *Writer) Commit(ctx context.Context) (inventory.Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != writing {
		return inventory.Snapshot{}, fmt.Errorf("commit snapshot %s: %w", w.id, w.usable())
	}
	snap, err := w.commit(ctx)
	if err != nil {
		if aerr := w.abort(); aerr != nil && !errors.Is(err, ErrClosed) {
			err = errors.Join(err, aerr)
		}
		return inventory.Snapshot{}, fmt.Errorf("commit snapshot %s: %w", w.id, err)
	}
	w.state = committed
	return snap, nil
}

func (w *Writer) commit(ctx context.Context) (inventory.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return inventory.Snapshot{}, err
	}
	if w.err != nil {
		return inventory.Snapshot{}, fmt.Errorf("an earlier write failed: %w", w.err)
	}
	if err := w.flush(); err != nil {
		return inventory.Snapshot{}, err
	}
	if err := w.s.use(); err != nil {
		return inventory.Snapshot{}, err
	}
	defer w.s.mu.RUnlock()

	snap := w.meta
	snap.Kinds = map[inventory.Kind]int{}
	snap.Gaps = slices.Clone(w.gaps)
	snap.Status = inventory.StatusComplete
	if len(snap.Gaps) > 0 {
		snap.Status = inventory.StatusPartial
	}
	// Count from the keys rather than from Put calls, so that a resource put
	// twice is counted once.
	prefix := resPrefix(w.id)
	err := w.s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if snap.Resources%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			snap.Kinds[kindOfResKey(it.Item().Key(), len(prefix))]++
			snap.Resources++
		}
		return nil
	})
	if err != nil {
		return inventory.Snapshot{}, err
	}
	if len(snap.Kinds) == 0 {
		snap.Kinds = nil
	}
	snap.Finished = w.s.now().Round(0) // no monotonic reading: the value equals what Get returns
	v, err := json.Marshal(snap)
	if err != nil {
		return inventory.Snapshot{}, err
	}
	if err := ctx.Err(); err != nil {
		return inventory.Snapshot{}, err
	}
	err = w.s.db.Update(func(txn *badger.Txn) error {
		if _, err := txn.Get(pendKey(w.id)); err != nil {
			return fmt.Errorf("pending mark: %w", err)
		}
		if err := txn.Delete(pendKey(w.id)); err != nil {
			return err
		}
		return txn.Set(snapKey(w.id), v)
	})
	if err != nil {
		return inventory.Snapshot{}, err
	}
	// The commit record follows the resources in Badger's log, so a record
	// that survives a power cut implies its resources did.
	if err := w.s.db.Sync(); err != nil {
		return inventory.Snapshot{}, fmt.Errorf("sync: %w", err)
	}
	return snap, nil
}

// Abort drops the buffer and deletes what was written. After Commit it does
// nothing, so `defer w.Abort()` is the way to not leave a scan behind.
// If it fails, the next Open removes the data.
func (w *Writer) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != writing {
		return nil
	}
	if err := w.abort(); err != nil {
		return fmt.Errorf("abort snapshot %s: %w", w.id, err)
	}
	return nil
}

// abort marks the writer aborted and deletes its data. w.mu is held.
func (w *Writer) abort() error {
	w.state = aborted
	w.buf = nil
	if err := w.s.use(); err != nil {
		return err
	}
	defer w.s.mu.RUnlock()
	_, err := w.s.dropSnapshotData(context.Background(), w.id)
	return err
}

// dropSnapshotData deletes everything under data/<id>/ and then the
// pending mark, returning how many data keys it deleted. The caller holds
// s.mu for reading.
func (s *Store) dropSnapshotData(ctx context.Context, id string) (int, error) {
	n, err := s.dropPrefix(ctx, dataPrefix(id))
	if err != nil {
		return n, err
	}
	return n, s.deleteKeys([][]byte{pendKey(id)})
}

// dropPrefix deletes the keys under prefix, a chunk at a time, and returns
// how many it deleted. (badger.DB.DropPrefix would block every other write
// meanwhile.)
func (s *Store) dropPrefix(ctx context.Context, prefix []byte) (int, error) {
	const chunk = 10000
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var keys [][]byte
		err := s.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < chunk; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		if len(keys) == 0 {
			return total, nil
		}
		if err := s.deleteKeys(keys); err != nil {
			return total, err
		}
		total += len(keys)
	}
}

func (s *Store) deleteKeys(keys [][]byte) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, k := range keys {
		if err := wb.Delete(k); err != nil {
			return err
		}
	}
	return wb.Flush()
}
