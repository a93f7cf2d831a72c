// Package collectors defines what every cloud collector provides. Each cloud
// lives in its own subpackage (aws, later gcp, azure, importer) and is
// registered explicitly by the CLI; there is no global registry.
package collectors

import (
	"context"
	"sort"
	"sync"

	"github.com/posture-dev/posture/internal/inventory"
)

// Collector snapshots one cloud's configuration.
type Collector interface {
	Cloud() inventory.Cloud
	// Collect reads every scope it was configured for. What could not be
	// read (denied, throttled past retries, a regional endpoint unreachable)
	// is a Gap in the result, not an error: an error means nothing usable
	// was collected (credentials rejected, the cloud not reachable at all,
	// cancelled) and the scan must not commit.
	Collect(ctx context.Context) (*Result, error)
}

// Result is what a collection saw.
type Result struct {
	mu        sync.Mutex
	Resources []inventory.Resource
	Gaps      []inventory.Gap
	Scopes    []inventory.Scope
}

// Add appends resources; safe for concurrent use.
func (r *Result) Add(rs ...inventory.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Resources = append(r.Resources, rs...)
}

// Gap records a gap; safe for concurrent use.
func (r *Result) Gap(g inventory.Gap) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Gaps = append(r.Gaps, g)
}

// Scope records a scanned scope; safe for concurrent use.
func (r *Result) Scope(s inventory.Scope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Scopes = append(r.Scopes, s)
}

// Merge appends other into r.
func (r *Result) Merge(other *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Resources = append(r.Resources, other.Resources...)
	r.Gaps = append(r.Gaps, other.Gaps...)
	r.Scopes = append(r.Scopes, other.Scopes...)
}

// Sort orders resources, gaps and scopes so output is deterministic.
func (r *Result) Sort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	inventory.SortResources(r.Resources)
	sort.SliceStable(r.Gaps, func(i, j int) bool { return r.Gaps[i].String() < r.Gaps[j].String() })
	sort.Slice(r.Scopes, func(i, j int) bool { return r.Scopes[i].String() < r.Scopes[j].String() })
}
