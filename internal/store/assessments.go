package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/posture-dev/posture/internal/inventory"
)

// StoredAssessment is an inventory.Assessment as the store keeps it: the
// resource by its id (inventory.Assessment carries the whole resource and
// does not serialise it).
type StoredAssessment struct {
	ResourceID string             `json:"resource"`
	Risk       float64            `json:"risk"`
	Signals    []inventory.Signal `json:"signals,omitempty"`
	Reasons    []inventory.Reason `json:"reasons,omitempty"`
}

// assessmentSet is written after a set's entries: without it the set is
// not there.
type assessmentSet struct {
	Model   string    `json:"model"`
	Count   int       `json:"count"`
	Written time.Time `json:"written"`
}

// PutAssessments stores the scores a model gave the resources of a
// committed snapshot, replacing any earlier set of the same snapshot and
// model. Readers see the old set, then no set, then the whole new one;
// never half of one.
func (s *Store) PutAssessments(ctx context.Context, snapshotID, modelID string, as []inventory.Assessment) error {
	if err := s.putAssessments(ctx, snapshotID, modelID, as); err != nil {
		return fmt.Errorf("snapshot %s: put assessments of model %q: %w", snapshotID, modelID, err)
	}
	return nil
}

func (s *Store) putAssessments(ctx context.Context, snapshotID, modelID string, as []inventory.Assessment) error {
	if modelID == "" || strings.ContainsAny(modelID, "/\x00") {
		return errors.New("model id must be non-empty and have no '/'")
	}
	entries := make([]kv, 0, len(as))
	seen := make(map[string]bool, len(as))
	for _, a := range as {
		id := a.Resource.ID
		switch {
		case id == "":
			return errors.New("assessment of a resource without id")
		case seen[id]:
			return fmt.Errorf("resource %s assessed twice", id)
		case math.IsNaN(a.Risk) || a.Risk < 0 || a.Risk > 1:
			return fmt.Errorf("resource %s: risk %v is not a probability", id, a.Risk)
		}
		seen[id] = true
		v, err := json.Marshal(StoredAssessment{ResourceID: id, Risk: a.Risk, Signals: a.Signals, Reasons: a.Reasons})
		if err != nil {
			return fmt.Errorf("resource %s: %w", id, err)
		}
		entries = append(entries, kv{asmEntryKey(snapshotID, modelID, id), v})
	}
	set, err := json.Marshal(assessmentSet{Model: modelID, Count: len(entries), Written: s.now().UTC()})
	if err != nil {
		return err
	}

	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.use(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	// Retain must not remove the snapshot while its data is being written.
	s.maint.Lock()
	defer s.maint.Unlock()

	// Drop the set record first: from here until the new one is written,
	// readers find no set rather than a mix.
	err = s.db.Update(func(txn *badger.Txn) error {
		if _, err := committedSnapshot(txn, snapshotID); err != nil {
			return err
		}
		return txn.Delete(asmSetKey(snapshotID, modelID))
	})
	if err != nil {
		return err
	}
	if _, err := s.dropPrefix(ctx, asmPrefix(snapshotID, modelID)); err != nil {
		return err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i, e := range entries {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := wb.Set(e.k, e.v); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.Set(asmSetKey(snapshotID, modelID), set)
	})
}

// Assessments returns the scores a model gave the resources of a committed
// snapshot, sorted by resource id; ErrNotFound when the snapshot or the set
// is not there.
func (s *Store) Assessments(ctx context.Context, snapshotID, modelID string) ([]StoredAssessment, error) {
	var out []StoredAssessment
	err := s.view(ctx, func(txn *badger.Txn) error {
		if _, err := committedSnapshot(txn, snapshotID); err != nil {
			return err
		}
		if modelID == "" || strings.ContainsAny(modelID, "/\x00") {
			return notFound("assessments of model", modelID)
		}
		var set assessmentSet
		err := getJSON(txn, asmSetKey(snapshotID, modelID), &set)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return notFound("assessments of model", modelID)
		}
		if err != nil {
			return err
		}
		out = make([]StoredAssessment, 0, set.Count)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: asmEntryPrefix(snapshotID, modelID), PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if len(out)%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			var a StoredAssessment
			if err := decode(it.Item(), &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		if len(out) != set.Count {
			return fmt.Errorf("%w: assessments of model %q: %d stored, %d recorded", ErrCorrupt, modelID, len(out), set.Count)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: assessments: %w", snapshotID, err)
	}
	return out, nil
}
