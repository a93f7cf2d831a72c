// Package remediate turns signals into fix plans: for each fixable signal,
// the exact cloud API calls that remove it, the calls that undo them, the
// same change as CLI lines and a Terraform hint, and its blast radius (what
// else the change touches).
//
// This version only plans. Nothing here calls a cloud: a Plan is data that
// a person reads (Text) and that a later executor may apply behind the gate
// described in DESIGN.md (opt-in, confident score, small blast radius,
// reversible, not protected).
package remediate

import (
	"errors"
	"fmt"
	"sort"

	"github.com/posture-dev/posture/internal/inventory"
)

// Call is one exact cloud API call: the service, the operation and its
// parameters as the API names them ("ec2", "RevokeSecurityGroupIngress",
// {"GroupId": "sg-1", "IpPermissions": […]}). Region is where it must be
// sent; "" only for global services (IAM). S3 bucket-level calls carry the
// bucket's region: the SDK does not follow S3's redirects, so a call sent
// to another region fails.
type Call struct {
	Service   string         `json:"service"`
	Operation string         `json:"operation"`
	Region    string         `json:"region,omitempty"`
	Params    map[string]any `json:"params"`
}

// BlastRadius is what else a plan affects besides the resource it changes.
type BlastRadius struct {
	// Resources are the ids of the resources whose behaviour changes: every
	// instance behind a security group, every instance assuming a role, the
	// user owning a key. Sorted.
	Resources []string `json:"resources,omitempty"`
	Note      string   `json:"note,omitempty"`
}

// Plan is one proposed change to one resource.
type Plan struct {
	// ID is stable across runs: the fix id, the resource id and, for a
	// firewall rule, the rule. Two signals that need the same change yield
	// one plan.
	ID       string             `json:"id"`
	Fix      string             `json:"fix"`
	Signal   inventory.SignalID `json:"signal"`
	Resource string             `json:"resource"` // the resource the calls change
	Title    string             `json:"title"`
	Change   string             `json:"change"` // what changes, in plain words
	// Calls are the exact API calls, in order; empty when the change is
	// one only a person can make (Change says how).
	Calls []Call `json:"calls,omitempty"`
	// Rollback are the exact calls that undo Calls, in order.
	Rollback    []Call      `json:"rollback,omitempty"`
	CLI         []string    `json:"cli,omitempty"`       // Calls as `aws …` command lines
	Terraform   string      `json:"terraform,omitempty"` // the change as a Terraform hint, "" where not meaningful
	BlastRadius BlastRadius `json:"blast_radius"`
	// Reversible is true when Rollback restores the state seen by the scan.
	Reversible bool `json:"reversible"`
	// Automatable is false when a person must decide.
	Automatable bool `json:"automatable"`
	// Why says why the plan is or is not automatable.
	Why string `json:"why"`
	// RiskBefore and RiskAfter are filled by the caller from the model's
	// what-if; remediate leaves them zero.
	RiskBefore float64 `json:"risk_before,omitempty"`
	RiskAfter  float64 `json:"risk_after,omitempty"`
}

// Graph is what planning reads of a snapshot. *features.Graph implements
// it; remediate depends on this small view, not on the features package.
type Graph interface {
	// Resource returns the resource with the given id, nil when absent.
	Resource(id string) *inventory.Resource
	// Resources returns every resource, ordered by id.
	Resources() []*inventory.Resource
	// Out returns the ids id points to through rel, sorted.
	Out(id string, rel inventory.Relation) []string
	// In returns the ids that point to id through rel, sorted.
	In(id string, rel inventory.Relation) []string
}

// Input is what a fix plans from.
type Input struct {
	Graph Graph
}

// Fix is one remediation: the signals it removes and how to plan it.
type Fix struct {
	ID      string
	Cloud   inventory.Cloud
	Signals []inventory.SignalID
	Title   string
	// Plan returns the plans that remove sig. It is only called for a
	// signal of Signals on a resource of Cloud, never for an Unknown one.
	Plan func(in Input, sig inventory.Signal) ([]Plan, error)
}

// Signal ids the catalogue handles, as the features package defines them.
const (
	SigAdminPortInternet  inventory.SignalID = "ports.admin_port_internet"
	SigDBPortInternet     inventory.SignalID = "ports.db_port_internet"
	SigPublicDatabase     inventory.SignalID = "ports.public_database"
	SigPublicBucket       inventory.SignalID = "privileges.public_bucket"
	SigExposedAdminRole   inventory.SignalID = "privileges.exposed_admin_role"
	SigIMDSv1Exposed      inventory.SignalID = "passwords.imdsv1_exposed"
	SigAccessKeyUnused    inventory.SignalID = "passwords.access_key_unused"
	SigAccessKeyOld       inventory.SignalID = "passwords.access_key_old"
	SigWeakPasswordPolicy inventory.SignalID = "passwords.weak_password_policy"
	SigRootAccessKeys     inventory.SignalID = "passwords.root_access_keys"
	SigConsoleWithoutMFA  inventory.SignalID = "passwords.console_without_mfa"
	SigEOLEngine          inventory.SignalID = "patches.eol_engine"
	SigImageAge           inventory.SignalID = "patches.image_age"
)

// Catalogue returns every fix, in the order plans are listed.
func Catalogue() []Fix {
	return []Fix{
		revokePublicIngress(),
		rdsDisablePublicAccess(),
		s3BlockPublicAccess(),
		ec2RequireIMDSv2(),
		iamDeactivateUnusedKey(),
		iamSetPasswordPolicy(),
		iamDeleteRootKeys(),
		iamEnableMFA(),
		iamDetachAdminPolicy(),
		iamRotateKey(),
		rdsUpgradeEngine(),
		ec2ReplaceImage(),
		ssmRunPatchBaseline(),
	}
}

// Plans plans every fixable signal. signals maps a resource id to its
// signals (as features.Detect returns them). Unknown signals, suppressed
// signals (a mutelist rule accepted them), signals no fix handles and
// signals on resources of another cloud yield nothing: a plan several
// signals need stays while one of them is not suppressed. Plans are
// deduplicated by ID — the first signal, in resource-id then signal order,
// names the plan and the blast radii are merged — and ordered by the
// catalogue, then by ID.
//
// A signal that a fix handles but cannot plan (its resource or a fact it
// needs is missing from the snapshot) is an error; the plans that could be
// made are still returned, with every such error joined.
func Plans(in Input, signals map[string][]inventory.Signal) ([]Plan, error) {
	if in.Graph == nil {
		return nil, errors.New("plan fixes: no graph")
	}
	type entry struct {
		fix   Fix
		order int
	}
	bySignal := make(map[inventory.SignalID]entry)
	for i, f := range Catalogue() {
		for _, s := range f.Signals {
			if _, dup := bySignal[s]; !dup {
				bySignal[s] = entry{f, i}
			}
		}
	}
	ids := make([]string, 0, len(signals))
	for id := range signals {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var errs []error
	seen := make(map[string]int) // plan id -> index in out
	var out []Plan
	rank := make(map[string]int) // plan id -> catalogue order
	for _, rid := range ids {
		for _, sig := range signals[rid] {
			if sig.Unknown || sig.Suppressed != nil {
				continue
			}
			e, ok := bySignal[sig.ID]
			if !ok {
				continue
			}
			if sig.Resource == "" {
				sig.Resource = rid
			}
			r := in.Graph.Resource(sig.Resource)
			if r == nil {
				errs = append(errs, fmt.Errorf("plan %s for %s on %s: resource not in snapshot", e.fix.ID, sig.ID, sig.Resource))
				continue
			}
			if r.Cloud != e.fix.Cloud {
				continue
			}
			ps, err := e.fix.Plan(in, sig)
			if err != nil {
				errs = append(errs, fmt.Errorf("plan %s for %s on %s: %w", e.fix.ID, sig.ID, sig.Resource, err))
			}
			for _, p := range ps {
				if i, dup := seen[p.ID]; dup {
					out[i].BlastRadius.Resources = inventory.UniqueSorted(append(out[i].BlastRadius.Resources, p.BlastRadius.Resources...))
					continue
				}
				seen[p.ID] = len(out)
				rank[p.ID] = e.order
				out = append(out, p)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].ID] != rank[out[j].ID] {
			return rank[out[i].ID] < rank[out[j].ID]
		}
		return out[i].ID < out[j].ID
	})
	return out, errors.Join(errs...)
}

// planID joins a fix id, a resource id and, optionally, what inside the
// resource the plan changes.
func planID(fix, resource, part string) string {
	id := fix + "@" + resource
	if part != "" {
		id += "#" + part
	}
	return id
}

// finish fills the fields every plan derives from its calls.
func finish(p Plan) Plan {
	p.CLI = CLI(p.Calls)
	p.BlastRadius.Resources = inventory.UniqueSorted(p.BlastRadius.Resources)
	return p
}

// label is "id (name)", or the id alone when the resource has no name or
// its name is the id.
func label(id string, r *inventory.Resource) string {
	if r != nil && r.Name != "" && r.Name != id {
		return id + " (" + r.Name + ")"
	}
	return id
}
