package features

import (
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// dataKinds are the kinds that hold data an attacker reads.
var dataKinds = map[inventory.Kind]bool{
	inventory.KindBucket: true, inventory.KindDatabase: true, inventory.KindQueue: true,
	inventory.KindKey: true, inventory.KindSecret: true,
}

// dataReadActions are, per cloud and data kind, the actions of which any
// one lets an identity read the store's data, or take it over so it can:
//
//   - AWS: s3:GetObject, rds-db:connect (IAM database auth), sqs:ReceiveMessage,
//     kms:Decrypt.
//   - GCP: the predefined roles that read objects or connect to Cloud SQL
//     (bindings are read as statements whose action is the role; owner and
//     editor are wildcards and match).
//   - Azure: listing a storage account's keys (shared-key access to every
//     blob), writing a SQL server (resets its admin password), writing a
//     key vault (rewrites its access policy). Data actions are not
//     collected, so a data-plane-only grant is not seen.
var dataReadActions = map[inventory.Cloud]map[inventory.Kind][]string{
	inventory.AWS: {
		inventory.KindBucket:   {"s3:GetObject"},
		inventory.KindDatabase: {"rds-db:connect"},
		inventory.KindQueue:    {"sqs:ReceiveMessage"},
		inventory.KindKey:      {"kms:Decrypt"},
	},
	inventory.GCP: {
		inventory.KindBucket: {"roles/storage.objectViewer", "roles/storage.objectUser", "roles/storage.objectAdmin",
			"roles/storage.admin", "roles/storage.legacyObjectReader", "roles/storage.legacyBucketOwner"},
		inventory.KindDatabase: {"roles/cloudsql.client", "roles/cloudsql.admin", "roles/cloudsql.editor"},
	},
	inventory.Azure: {
		inventory.KindBucket:   {"Microsoft.Storage/storageAccounts/listKeys/action"},
		inventory.KindDatabase: {"Microsoft.Sql/servers/write"},
		inventory.KindSecret:   {"Microsoft.KeyVault/vaults/write"},
	},
}

// dataIndex is the data reach of every principal of a snapshot, and which
// stores and identities internet-exposed compute can use. Built once, on
// first use.
type dataIndex struct {
	readable       map[string][]string // principal id -> data stores it reads, sorted
	exposedReaders map[string][]string // store id -> exposed instances / functions that read it, sorted
}

func (g *Graph) data() *dataIndex {
	g.dataOnce.Do(func() { g.dataIdx = g.buildDataIndex() })
	return g.dataIdx
}

func (g *Graph) buildDataIndex() *dataIndex {
	idx := &dataIndex{readable: map[string][]string{}, exposedReaders: map[string][]string{}}
	stores := map[string][]*inventory.Resource{} // account -> data stores
	for _, id := range g.order {
		if r := g.byID[id]; dataKinds[r.Kind] {
			stores[r.Account] = append(stores[r.Account], r)
		}
	}
	for _, id := range g.order {
		switch g.byID[id].Kind {
		case inventory.KindUser, inventory.KindRole, inventory.KindServiceAccount:
		default:
			continue
		}
		p := g.byID[id]
		docs, _, _ := g.principalDocs(id)
		var denies []inventory.Statement
		// home is, per policy, the account its "*" stands for: the
		// principal's own on AWS (a policy there grants within its
		// account); on GCP and Azure the project or subscription the
		// binding or role assignment was made in, which may be another
		// than the identity's own.
		home := map[string]string{}
		accounts := []string{p.Account}
		for _, d := range docs {
			home[d.ID] = p.Account
			if pol := g.byID[d.ID]; pol != nil && p.Cloud != inventory.AWS && pol.Account != "" {
				home[d.ID] = pol.Account
				accounts = append(accounts, pol.Account)
			}
			for _, s := range d.Doc.Statements {
				if s.Effect == inventory.Deny && len(s.Conditions) == 0 && anyAllResources(s.Resources) {
					denies = append(denies, s)
				}
			}
		}
		var out []string
		for _, acct := range inventory.UniqueSorted(accounts) {
			for _, st := range stores[acct] {
				if readsStore(docs, denies, st, home) {
					out = append(out, st.ID)
				}
			}
		}
		out = inventory.UniqueSorted(out)
		if len(out) > 0 {
			idx.readable[id] = out
		}
	}
	for _, id := range g.order {
		r := g.byID[id]
		if r.Kind != inventory.KindInstance && r.Kind != inventory.KindFunction {
			continue
		}
		if state, _, _ := g.exposureOf(r); state != Reachable {
			continue
		}
		for _, ident := range g.RolesOf(id) {
			for _, st := range idx.readable[ident] {
				idx.exposedReaders[st] = append(idx.exposedReaders[st], id)
			}
		}
	}
	for k, v := range idx.exposedReaders {
		idx.exposedReaders[k] = inventory.UniqueSorted(v)
	}
	return idx
}

// readsStore reports whether an Allow statement of docs grants one of the
// store's read actions on it, and no unconditional Deny on every resource
// cancels that action. Conditions on an Allow are read as granting and a
// Deny scoped to some resources is not subtracted: the conservative
// reading, as elsewhere.
func readsStore(docs []PolicySource, denies []inventory.Statement, store *inventory.Resource, home map[string]string) bool {
	for _, action := range dataReadActions[store.Cloud][store.Kind] {
		if deniedBy(denies, action) {
			continue
		}
		for _, d := range docs {
			for _, s := range d.Doc.Statements {
				if s.Effect != inventory.Allow {
					continue
				}
				grants := (len(s.Actions) > 0 && anyActionMatch(s.Actions, action)) ||
					(len(s.NotActions) > 0 && !anyActionMatch(s.NotActions, action))
				if grants && coversStore(s, store, home[d.ID]) {
					return true
				}
			}
		}
	}
	return false
}

// coversStore reports whether a statement's resources name the store: a
// wildcard for every resource (of home, the account the policy grants
// in), a GCP
// project or Azure scope that contains it, or an ARN pattern matching it
// or its objects ("arn:aws:s3:::b/*").
func coversStore(s inventory.Statement, store *inventory.Resource, home string) bool {
	if len(s.NotResources) > 0 {
		// A bucket's data is its objects: a NotResource naming only the
		// bucket ("arn:aws:s3:::logs") leaves "logs/*" granted.
		id := strings.ToLower(store.ID)
		if store.Kind == inventory.KindBucket && store.Cloud == inventory.AWS {
			id += "/object"
		}
		for _, p := range s.NotResources {
			if wildcardMatch(strings.ToLower(strings.TrimSpace(p)), id) {
				return false
			}
		}
		return store.Account == home
	}
	for _, p := range s.Resources {
		if matchesStore(p, store, home) {
			return true
		}
	}
	return false
}

// matchesStore reports whether a resource pattern names the store; a
// wildcard for every resource names the stores of home only.
func matchesStore(pattern string, store *inventory.Resource, home string) bool {
	p := strings.ToLower(strings.TrimSpace(pattern))
	id := strings.ToLower(store.ID)
	switch {
	case anyAllResources([]string{p}):
		return store.Account == home
	case strings.HasPrefix(p, "//cloudresourcemanager.googleapis.com/projects/"):
		return strings.TrimPrefix(p, "//cloudresourcemanager.googleapis.com/projects/") == strings.ToLower(store.Account)
	case strings.HasPrefix(p, "/subscriptions/"):
		return id == p || strings.HasPrefix(id, strings.TrimSuffix(p, "/")+"/")
	}
	return wildcardMatch(p, id) || wildcardMatch(p, id+"/object")
}

// IdentitiesOf returns the identities a resource acts as: itself for a
// user, role or service account; the roles or service accounts an
// instance, function or cluster assumes.
func (g *Graph) IdentitiesOf(r *inventory.Resource) []string {
	switch r.Kind {
	case inventory.KindUser, inventory.KindRole, inventory.KindServiceAccount:
		return []string{r.ID}
	}
	return g.RolesOf(r.ID)
}

// DataReach returns the data stores the resource can read through the
// identities it acts as, sorted.
func (g *Graph) DataReach(r *inventory.Resource) []string {
	idx := g.data()
	var out []string
	for _, id := range g.IdentitiesOf(r) {
		out = append(out, idx.readable[id]...)
	}
	return inventory.UniqueSorted(out)
}

// ExposedUsers returns the internet-exposed instances and functions that
// read the data store id through their identity.
func (g *Graph) ExposedUsers(id string) []string {
	return g.data().exposedReaders[id]
}

func exposedDataReach() Detector {
	d := Detector{
		ID: "privileges.exposed_data_reach", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
		Title: "Internet-exposed compute can read data stores through its identity",
		Kinds: []inventory.Kind{inventory.KindInstance, inventory.KindFunction},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		stores := g.DataReach(r)
		if len(stores) == 0 {
			return nil
		}
		state, exposure, missing := g.exposureOf(r)
		switch state {
		case Reachable:
			ev := map[string]string{"stores": listSome(stores), "count": itoa(len(stores)), "identity": strings.Join(g.IdentitiesOf(r), ",")}
			exposure(ev)
			return []inventory.Signal{d.signal(r, ev)}
		case ReachUnknown:
			return []inventory.Signal{d.unknown(r, map[string]string{"stores": listSome(stores), "missing": missing})}
		}
		return nil
	}
	return d
}

// privilegeLevel grades what an identity's signals say it can do: 1 admin
// equivalent, 2/3 a privilege-escalation pattern, 1/3 reads a data store,
// 0 none of these.
func privilegeLevel(g *Graph, identity string, sigs []inventory.Signal) float64 {
	level := 0.0
	if len(g.data().readable[identity]) > 0 {
		level = 1.0 / 3
	}
	for _, s := range sigs {
		if s.Unknown || s.Suppressed != nil {
			continue
		}
		switch s.ID {
		case "privileges.admin_equivalent":
			return 1
		case "privileges.privilege_escalation":
			level = max(level, 2.0/3)
		}
	}
	return level
}
