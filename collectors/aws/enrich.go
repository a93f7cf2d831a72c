package aws

import (
	"log/slog"
	"sort"
	"sync"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// enrichments hold what AWS's own scanners report about resources that
// other tables collect (Inspector2 findings on instances and functions,
// Systems Manager patch state of instances), by resource id, until every
// table of the account has run: the tables run in parallel, so a scanner's
// table cannot look its resources up as it reads. apply then sets them on
// the resources collected. Safe for concurrent use.
type enrichments struct {
	mu      sync.Mutex
	vulns   map[string]*inventory.Vulnerabilities
	patches map[string]*inventory.PatchCompliance
	// vulnsUnknown are the regions and kinds whose scanner coverage
	// could not be read: a resource of them with no report of its own is
	// marked Vulnerabilities.Unknown, never "not scanned".
	vulnsUnknown map[regionKind]string
	// patchesUnknown are the regions whose managed instances could not be
	// listed: an instance there with no recorded state is marked
	// PatchCompliance.Unknown, never "not managed".
	patchesUnknown map[string]bool
}

// regionKind names the resources of one kind in one region.
type regionKind struct {
	Region string
	Kind   inventory.Kind
}

func newEnrichments() *enrichments {
	return &enrichments{vulns: map[string]*inventory.Vulnerabilities{},
		patches: map[string]*inventory.PatchCompliance{}, vulnsUnknown: map[regionKind]string{}, patchesUnknown: map[string]bool{}}
}

// setVulns records the scanner's report on resource id, replacing an
// earlier one.
func (e *enrichments) setVulns(id string, v *inventory.Vulnerabilities) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vulns[id] = v
}

// unknownVulns marks every resource of kind in region whose report is not
// recorded as unknown to source.
func (e *enrichments) unknownVulns(region string, kind inventory.Kind, source string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vulnsUnknown[regionKind{region, kind}] = source
}

// setPatches records the patch state of instance id.
func (e *enrichments) setPatches(id string, p *inventory.PatchCompliance) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.patches[id] = p
}

// unknownPatches marks every instance of region whose patch state is not
// recorded as unknown.
func (e *enrichments) unknownPatches(region string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.patchesUnknown[region] = true
}

// apply sets what was recorded on the resources of out, by id. Reports
// on resources the scan did not collect (an instance terminated since, a
// region not scanned, a kind posture does not collect) are dropped and
// counted in the log.
func (e *enrichments) apply(out *collectors.Result, log *slog.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	used := map[string]bool{}
	for i := range out.Resources {
		r := &out.Resources[i]
		if r.Kind == inventory.KindInstance || r.Kind == inventory.KindFunction {
			if v, ok := e.vulns[r.ID]; ok {
				r.Vulnerabilities = v
				used["v "+r.ID] = true
			} else if source, ok := e.vulnsUnknown[regionKind{r.Region, r.Kind}]; ok {
				r.Vulnerabilities = &inventory.Vulnerabilities{Source: source, Unknown: true}
			}
		}
		if r.Instance != nil {
			if p, ok := e.patches[r.ID]; ok {
				r.Instance.Patches = p
				used["p "+r.ID] = true
			} else if e.patchesUnknown[r.Region] {
				r.Instance.Patches = &inventory.PatchCompliance{Source: patchSourceSSM, Unknown: true}
			}
		}
	}
	var dropped []string
	for id := range e.vulns {
		if !used["v "+id] {
			dropped = append(dropped, id)
		}
	}
	if len(dropped) > 0 {
		sort.Strings(dropped)
		log.Info("aws scanner findings on resources not collected, dropped", "scanner", inventory.ScannerInspector,
			"resources", len(dropped), "first", dropped[0])
	}
	dropped = dropped[:0]
	for id := range e.patches {
		if !used["p "+id] {
			dropped = append(dropped, id)
		}
	}
	if len(dropped) > 0 {
		sort.Strings(dropped)
		log.Info("aws patch states of instances not collected, dropped", "source", patchSourceSSM,
			"instances", len(dropped), "first", dropped[0])
	}
}
