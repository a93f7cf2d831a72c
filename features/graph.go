// Package features turns a snapshot's resources into 4P signals and feature
// vectors. It builds a graph of the resources (who is in which subnet,
// protected by which firewall, assumes which role), computes internet
// reachability as a path through that graph, evaluates IAM policies, runs the
// signal catalogue and writes one vector per scorable resource in the order
// of the declared Schema.
//
// Missing data is never safe: a fact that could not be checked yields an
// Unknown signal and the unknown_data feature, not silence.
package features

import (
	"sort"
	"sync"

	"github.com/posture-dev/posture/internal/inventory"
)

// Graph indexes a snapshot's resources by id and their edges in both
// directions. It is immutable once built (SetExploitation, called before the
// graph is shared, aside) and safe for concurrent readers.
type Graph struct {
	byID  map[string]*inventory.Resource
	order []string // resource ids, sorted
	out   map[string]map[inventory.Relation][]string
	in    map[string]map[inventory.Relation][]string
	gaps  []inventory.Gap
	reach map[string]Reachability // instances and databases, computed once

	// Indexes of attribute references, so lookups stay linear in the
	// snapshot's size.
	keysByUser        map[string][]string // user id -> access keys naming it
	ifacesByInstance  map[string][]string // instance id -> interfaces naming it
	tableBySubnet     map[string]string   // subnet id -> explicitly associated route table
	mainTable         map[string]string   // network id -> main route table
	firewallUsers     map[string][]string // firewall id -> resources naming it in their attributes
	lbsTargetsUnknown []string            // load balancers whose targets were not all read, sorted

	exploits Exploitation // the feeds' view of the snapshot's CVEs

	dataOnce sync.Once
	dataIdx  *dataIndex // data reach, built on first use
}

// NewGraph indexes rs and gaps. Resources are copied (their attribute
// pointers are shared, not deep-copied); a later duplicate id replaces an
// earlier one. Edges are taken from each resource's Edges; an edge whose From
// is empty is read as coming from its resource.
func NewGraph(rs []inventory.Resource, gaps []inventory.Gap) *Graph {
	g := &Graph{
		byID:  make(map[string]*inventory.Resource, len(rs)),
		out:   make(map[string]map[inventory.Relation][]string),
		in:    make(map[string]map[inventory.Relation][]string),
		gaps:  append([]inventory.Gap(nil), gaps...),
		reach: make(map[string]Reachability),

		keysByUser:       make(map[string][]string),
		ifacesByInstance: make(map[string][]string),
		tableBySubnet:    make(map[string]string),
		mainTable:        make(map[string]string),
		firewallUsers:    make(map[string][]string),
	}
	for i := range rs {
		r := rs[i]
		if _, dup := g.byID[r.ID]; !dup {
			g.order = append(g.order, r.ID)
		}
		g.byID[r.ID] = &r
	}
	sort.Strings(g.order)
	seen := make(map[inventory.Edge]bool)
	for _, id := range g.order {
		for _, e := range g.byID[id].Edges {
			if e.From == "" {
				e.From = id
			}
			if e.To == "" || seen[e] {
				continue
			}
			seen[e] = true
			addEdge(g.out, e.From, e.Relation, e.To)
			addEdge(g.in, e.To, e.Relation, e.From)
		}
	}
	for _, m := range []map[string]map[inventory.Relation][]string{g.out, g.in} {
		for _, byRel := range m {
			for _, ids := range byRel {
				sort.Strings(ids)
			}
		}
	}
	g.indexAttributes()
	for _, id := range g.order {
		switch r := g.byID[id]; r.Kind {
		case inventory.KindInstance:
			g.reach[id] = g.instanceReach(r)
		case inventory.KindDatabase:
			g.reach[id] = g.databaseReach(r)
		}
	}
	return g
}

// indexAttributes indexes references held in typed attributes. Resources
// are visited in id order, so "first" is deterministic.
func (g *Graph) indexAttributes() {
	for _, id := range g.order {
		r := g.byID[id]
		var fws []string
		switch {
		case r.Instance != nil:
			fws = r.Instance.Firewalls
		case r.Interface != nil:
			fws = r.Interface.Firewalls
		case r.Database != nil:
			fws = r.Database.Firewalls
		}
		for _, fw := range fws {
			g.firewallUsers[fw] = append(g.firewallUsers[fw], id)
		}
		switch {
		case r.Kind == inventory.KindAccessKey && r.AccessKey != nil && r.AccessKey.User != "":
			g.keysByUser[r.AccessKey.User] = append(g.keysByUser[r.AccessKey.User], id)
		case r.Kind == inventory.KindInterface && r.Interface != nil && r.Interface.InstanceID != "":
			g.ifacesByInstance[r.Interface.InstanceID] = append(g.ifacesByInstance[r.Interface.InstanceID], id)
		case r.Kind == inventory.KindLoadBalancer && r.LoadBalancer != nil && r.LoadBalancer.TargetsUnknown:
			g.lbsTargetsUnknown = append(g.lbsTargetsUnknown, id)
		case r.Kind == inventory.KindRouteTable && r.RouteTable != nil:
			for _, sn := range append(append([]string(nil), r.RouteTable.Subnets...), g.out[id][inventory.RelRoutes]...) {
				if _, ok := g.tableBySubnet[sn]; !ok {
					g.tableBySubnet[sn] = id
				}
			}
			if _, ok := g.mainTable[r.RouteTable.NetworkID]; !ok && r.RouteTable.Main && r.RouteTable.NetworkID != "" {
				g.mainTable[r.RouteTable.NetworkID] = id
			}
		}
	}
}

func addEdge(m map[string]map[inventory.Relation][]string, from string, rel inventory.Relation, to string) {
	byRel := m[from]
	if byRel == nil {
		byRel = make(map[inventory.Relation][]string)
		m[from] = byRel
	}
	byRel[rel] = append(byRel[rel], to)
}

// Resource returns the resource with the given id, or nil when the snapshot
// does not hold it.
func (g *Graph) Resource(id string) *inventory.Resource { return g.byID[id] }

// Resources returns every resource, ordered by id.
func (g *Graph) Resources() []*inventory.Resource {
	out := make([]*inventory.Resource, len(g.order))
	for i, id := range g.order {
		out[i] = g.byID[id]
	}
	return out
}

// Out returns the ids that id points to through rel, sorted.
func (g *Graph) Out(id string, rel inventory.Relation) []string {
	return append([]string(nil), g.out[id][rel]...)
}

// In returns the ids that point to id through rel, sorted.
func (g *Graph) In(id string, rel inventory.Relation) []string {
	return append([]string(nil), g.in[id][rel]...)
}

// Gaps returns the snapshot's gaps.
func (g *Graph) Gaps() []inventory.Gap { return append([]inventory.Gap(nil), g.gaps...) }

// ScopeGaps returns the gaps that cover r's scope: same cloud, same account
// (or a gap with no account, which covers them all) and either no region
// (a global service) or r's region. Gaps about one resource's detail (with
// a Resource) do not cover a scope; ResourceGaps returns those.
func (g *Graph) ScopeGaps(r *inventory.Resource) []inventory.Gap {
	var out []inventory.Gap
	for _, gp := range g.gaps {
		if gp.Cloud != r.Cloud || gp.Resource != "" {
			continue
		}
		if gp.Account != "" && gp.Account != r.Account {
			continue
		}
		if gp.Region != "" && gp.Region != r.Region {
			continue
		}
		out = append(out, gp)
	}
	return out
}

// ResourceGaps returns the gaps that name r itself (a detail of r that
// could not be read).
func (g *Graph) ResourceGaps(id string) []inventory.Gap {
	var out []inventory.Gap
	for _, gp := range g.gaps {
		if gp.Resource == id {
			out = append(out, gp)
		}
	}
	return out
}

// RolesOf returns the ids of the roles an instance assumes: the targets of
// its assumes edges. Collectors resolve an instance's profile to those
// edges (the one place that links them); an instance whose profile
// resolved to no edge has roles that are unknown, which callers report.
// The ids may name roles that are not in the snapshot; callers must treat
// those as unknown.
func (g *Graph) RolesOf(instanceID string) []string {
	return g.Out(instanceID, inventory.RelAssumes)
}

// PolicyRef is one policy that applies to a principal, and how.
type PolicyRef struct {
	ID  string `json:"id"`  // the policy resource id
	Via string `json:"via"` // the principal itself, or the group it inherits from
}

// GroupsOf returns the groups a user belongs to, from its member_of edges
// and its Groups attribute, sorted and without duplicates.
func (g *Graph) GroupsOf(userID string) []string {
	groups := g.Out(userID, inventory.RelMemberOf)
	if r := g.byID[userID]; r != nil && r.User != nil {
		groups = append(groups, r.User.Groups...)
	}
	return inventory.UniqueSorted(groups)
}

// PoliciesOf returns the policies that apply to a user, role or group: its
// has_policy edges, its attached and inline policy ids and, for a user,
// those of its groups. Sorted by policy id; a policy reached twice keeps the
// principal's own path.
func (g *Graph) PoliciesOf(principalID string) []PolicyRef {
	seen := make(map[string]string)
	add := func(via string) {
		ids := g.Out(via, inventory.RelHasPolicy)
		if r := g.byID[via]; r != nil {
			switch {
			case r.User != nil:
				ids = append(ids, r.User.AttachedPolicies...)
				ids = append(ids, r.User.InlinePolicies...)
			case r.Role != nil:
				ids = append(ids, r.Role.AttachedPolicies...)
				ids = append(ids, r.Role.InlinePolicies...)
			case r.Group != nil:
				ids = append(ids, r.Group.AttachedPolicies...)
				ids = append(ids, r.Group.InlinePolicies...)
			}
		}
		for _, id := range ids {
			if _, ok := seen[id]; !ok && id != "" {
				seen[id] = via
			}
		}
	}
	add(principalID)
	if r := g.byID[principalID]; r != nil && r.Kind == inventory.KindUser {
		for _, grp := range g.GroupsOf(principalID) {
			add(grp)
		}
	}
	out := make([]PolicyRef, 0, len(seen))
	for id, via := range seen {
		out = append(out, PolicyRef{ID: id, Via: via})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// KeysOf returns the access keys of a user: its has_key edges and the keys
// whose User names it.
func (g *Graph) KeysOf(userID string) []string {
	return inventory.UniqueSorted(append(g.Out(userID, inventory.RelHasKey), g.keysByUser[userID]...))
}

// FirewallUsers returns the resources a firewall protects: those with a
// protected_by edge to it and those naming it in their attributes
// (instances, interfaces, databases), sorted and without duplicates.
func (g *Graph) FirewallUsers(firewallID string) []string {
	return inventory.UniqueSorted(append(g.In(firewallID, inventory.RelProtectedBy), g.firewallUsers[firewallID]...))
}
