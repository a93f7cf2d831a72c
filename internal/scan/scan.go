// Package scan runs collectors and commits what they saw as one snapshot.
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

// Run collects every cloud in parallel and commits one snapshot. A cloud
// whose collector fails becomes a gap when others succeed (the snapshot is
// partial); when every collector fails, nothing is committed and the last
// good snapshot stays latest. Cancellation never commits.
func Run(ctx context.Context, st *store.Store, cs []collectors.Collector, opts Options) (inventory.Snapshot, error) {
	if len(cs) == 0 {
		return inventory.Snapshot{}, errors.New("scan: no cloud selected (use --aws)")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
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
		return inventory.Snapshot{}, fmt.Errorf("scan cancelled, nothing committed: %w", err)
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
		return inventory.Snapshot{}, fmt.Errorf("scan failed, nothing committed: %w", errors.Join(failed...))
	}
	merged.Sort()
	slices.Sort(clouds)

	w, err := st.Begin(ctx, inventory.Snapshot{Started: started, Clouds: clouds, Scopes: merged.Scopes})
	if err != nil {
		return inventory.Snapshot{}, err
	}
	if err := w.Put(ctx, merged.Resources...); err != nil {
		_ = w.Abort()
		return inventory.Snapshot{}, fmt.Errorf("scan: write snapshot %s: %w", w.ID(), err)
	}
	for _, g := range merged.Gaps {
		w.AddGap(g)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		return inventory.Snapshot{}, fmt.Errorf("scan: commit snapshot %s: %w", w.ID(), err)
	}
	opts.Logger.Info("snapshot committed", "id", snap.ID, "status", snap.Status, "resources", snap.Resources, "gaps", len(snap.Gaps))
	return snap, nil
}
