// Package scan runs collectors and commits what they saw as one snapshot.
// Collection and commit are separate steps so the caller can hold the
// store's lock only for the commit: a scan of a large estate takes long,
// and reports and scores must keep working meanwhile.
package scan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/store"
)

// Options tune a scan.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Collected is what every collector of one scan saw, ready to commit.
type Collected struct {
	Started time.Time
	Clouds  []inventory.Cloud
	*collectors.Result
}

// Collect runs every collector in parallel. A cloud whose collector fails
// becomes a gap when others succeed (the snapshot will be partial); when
// every collector fails, or the context ends, it returns an error and
// there is nothing to commit.
func Collect(ctx context.Context, cs []collectors.Collector, opts Options) (*Collected, error) {
	if len(cs) == 0 {
		return nil, errors.New("scan: no cloud selected (use --aws)")
	}
	opts.defaults()
	started := opts.Now().UTC()

	results := make([]*collectors.Result, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			results[i], errs[i] = c.Collect(ctx)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("scan cancelled, nothing committed: %w", err)
	}

	merged := &collectors.Result{}
	var failed []error
	var clouds []inventory.Cloud
	for i, c := range cs {
		clouds = append(clouds, c.Cloud())
		if errs[i] != nil {
			failed = append(failed, errs[i])
			merged.Gap(inventory.Gap{Cloud: c.Cloud(), Service: "*", Reason: inventory.GapError, Message: errs[i].Error()})
			continue
		}
		merged.Merge(results[i])
	}
	if len(failed) == len(cs) {
		return nil, fmt.Errorf("scan failed, nothing committed: %w", errors.Join(failed...))
	}
	merged.Sort()
	slices.Sort(clouds)
	return &Collected{Started: started, Clouds: clouds, Result: merged}, nil
}

// Commit writes what was collected as one snapshot, visible only once its
// commit record is written; any failure or cancellation leaves the store
// as it was.
func Commit(ctx context.Context, st *store.Store, c *Collected, opts Options) (inventory.Snapshot, error) {
	opts.defaults()
	w, err := st.Begin(ctx, inventory.Snapshot{Started: c.Started, Clouds: c.Clouds, Scopes: c.Scopes})
	if err != nil {
		return inventory.Snapshot{}, err
	}
	defer w.Abort() // a no-op after Commit
	if err := w.Put(ctx, c.Resources...); err != nil {
		return inventory.Snapshot{}, fmt.Errorf("scan: write snapshot %s: %w", w.ID(), err)
	}
	for _, g := range c.Gaps {
		w.AddGap(g)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		return inventory.Snapshot{}, fmt.Errorf("scan: commit snapshot %s: %w", w.ID(), err)
	}
	opts.Logger.Info("snapshot committed", "id", snap.ID, "status", snap.Status, "resources", snap.Resources, "gaps", len(snap.Gaps))
	return snap, nil
}
