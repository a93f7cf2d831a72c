package features

import (
	"math"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// Scorable reports whether the model scores resources of kind k: the things
// an attacker targets or uses (instances, functions, databases, buckets,
// users, roles, access keys, the account, Kubernetes clusters). Network
// plumbing (firewalls, networks, subnets, route tables, gateways,
// interfaces) and policies are context: their risk shows on the resources
// they expose or grant. Groups are context too, since
// their members carry the group's permissions as their own.
func Scorable(k inventory.Kind) bool {
	switch k {
	case inventory.KindInstance, inventory.KindDatabase, inventory.KindBucket, inventory.KindUser,
		inventory.KindRole, inventory.KindServiceAccount, inventory.KindAccessKey, inventory.KindAccount, inventory.KindCluster,
		inventory.KindFunction, inventory.KindQueue, inventory.KindKey:
		return true
	}
	return false
}

// Extract writes one Vector per scorable resource of g, ordered by resource
// id, with values in Current's order and units. sigs is what Detect
// returned. A feature backed by a signal is 1 only for a signal that is not
// Unknown; an Unknown signal, or a missing fact the vector needs, sets
// unknown_data instead, so a 0 next to unknown_data=1 means "not known",
// not "safe".
func Extract(g *Graph, sigs map[string][]inventory.Signal, now time.Time) []Vector {
	var out []Vector
	for _, r := range g.Resources() {
		if !Scorable(r.Kind) {
			continue
		}
		out = append(out, extractOne(g, r, sigs, now))
	}
	return out
}

type vectorBuilder struct {
	values  []float64
	unknown bool
}

func (b *vectorBuilder) set(name string, v float64) {
	if i := Current.Index(name); i >= 0 {
		b.values[i] = v
	}
}

func (b *vectorBuilder) flag(name string, on bool) {
	if on {
		b.set(name, 1)
	}
}

// fromSignals sets the feature of signal id from sigs: 1 for a real
// signal, unknown for an Unknown one.
func (b *vectorBuilder) fromSignals(name string, id inventory.SignalID, sigs []inventory.Signal) {
	for _, s := range sigs {
		if s.ID != id {
			continue
		}
		if s.Unknown {
			b.unknown = true
		} else {
			b.set(name, 1)
		}
	}
}

func (b *vectorBuilder) reach(state Reach, name string) {
	switch state {
	case Reachable:
		b.set(name, 1)
	case ReachUnknown:
		b.unknown = true
	}
}

func extractOne(g *Graph, r *inventory.Resource, all map[string][]inventory.Signal, now time.Time) Vector {
	b := &vectorBuilder{values: make([]float64, len(Current.Features))}
	own := all[r.ID]
	for _, s := range own {
		if s.Unknown {
			b.unknown = true
		}
	}
	if len(g.ResourceGaps(r.ID)) > 0 {
		b.unknown = true
	}

	switch r.Kind {
	case inventory.KindInstance:
		if r.Instance == nil {
			b.unknown = true
		}
		state, _ := g.Reachability(r.ID).Any()
		b.reach(state, FInternetExposed)
		b.fromSignals(FAdminPortInternet, "ports.admin_port_internet", own)
		b.fromSignals(FDBPortInternet, "ports.db_port_internet", own)
		b.fromSignals(FExposedAdminRole, "privileges.exposed_admin_role", own)
		admin, _, _, _, missing := g.adminRoleOf(r)
		b.flag(FHoldsAdminRole, admin)
		if !admin && len(missing) > 0 {
			b.unknown = true
		}
		v1, known := imdsv1(r.Instance)
		b.flag(FIMDSv1, v1)
		if !known {
			b.unknown = true
		}
		b.fromSignals(FIMDSv1Exposed, "passwords.imdsv1_exposed", own)
		b.fromSignals(FAnyPortInternet, "ports.any_port_internet", own)
		// The three-fact path (SSRF → IMDSv1 → admin role credentials) is
		// 1 only when all three facts are known to hold. A fact that could
		// not be read has already set unknown_data above (reach, role,
		// metadata), so a 0 here next to unknown_data=1 is "not known".
		b.flag(FSSRFAdminPath, state == Reachable && v1 && known && admin)
		if r.Instance != nil && !r.Instance.ImageCreated.IsZero() {
			d := math.Max(0, math.Min(float64(days(now, r.Instance.ImageCreated)), 3650))
			b.set(FImageAge, d/365)
		} else {
			b.unknown = true
		}
		b.fromSignals(FImageOld, "patches.image_age", own)
		b.fromSignals(FSecretInText, "passwords.secret_in_user_data", own)
		b.vulnerabilities(g, r, own)
		b.fromSignals(FMissingPatches, "patches.missing_security_patches", own)
		b.privilegeContext(g, r, own, all)

	case inventory.KindFunction:
		// A function is exposed through a URL anyone may invoke, and runs
		// with its role as an instance does with its profile's. Its
		// runtime's deprecation sets eol_engine, the schema's end-of-life
		// column.
		state, _ := functionURLReach(r.Function)
		b.reach(state, FInternetExposed)
		b.fromSignals(FExposedAdminRole, "privileges.exposed_admin_role", own)
		admin, _, _, _, missing := g.adminRoleOf(r)
		b.flag(FHoldsAdminRole, admin)
		if !admin && len(missing) > 0 {
			b.unknown = true
		}
		b.fromSignals(FEOLEngine, "patches.eol_runtime", own)
		b.fromSignals(FSecretInText, "passwords.secret_in_user_data", own)
		b.vulnerabilities(g, r, own)
		b.privilegeContext(g, r, own, all)

	case inventory.KindDatabase:
		state, _ := g.Reachability(r.ID).Any()
		b.reach(state, FInternetExposed)
		b.fromSignals(FDBPortInternet, "ports.db_port_internet", own)
		b.fromSignals(FPublicDatabase, "ports.public_database", own)
		b.fromSignals(FEOLEngine, "patches.eol_engine", own)
		b.fromSignals(FDBTLSOff, "passwords.db_tls_not_enforced", own)
		b.flag(FExposedNeighbour, len(g.ExposedUsers(r.ID)) > 0)

	case inventory.KindBucket:
		b.fromSignals(FPublicBucket, "privileges.public_bucket", own)
		if r.Bucket == nil || len(r.Bucket.Unknown) > 0 {
			b.unknown = true
		}
		b.flag(FExposedNeighbour, len(g.ExposedUsers(r.ID)) > 0)

	case inventory.KindQueue, inventory.KindKey:
		b.fromSignals(FPublicResPolicy, "privileges.public_resource_policy", own)
		if r.Queue == nil && r.Key == nil {
			b.unknown = true
		}
		b.flag(FExposedNeighbour, len(g.ExposedUsers(r.ID)) > 0)

	case inventory.KindUser:
		b.fromSignals(FAdminEquivalent, "privileges.admin_equivalent", own)
		b.fromSignals(FPrivEscalation, "privileges.privilege_escalation", own)
		b.fromSignals(FConsoleNoMFA, "passwords.console_without_mfa", own)
		// A user carries its keys' age and idleness: the key is the signal's
		// home, the user is who holds it.
		keySigs := append([]inventory.Signal(nil), own...)
		for _, k := range g.KeysOf(r.ID) {
			keySigs = append(keySigs, all[k]...)
			if g.Resource(k) == nil {
				b.unknown = true
			}
		}
		if r.User == nil || len(r.User.Unknown) > 0 {
			b.unknown = true // its keys, console or MFA could not all be read
		}
		b.fromSignals(FKeyOld, "passwords.access_key_old", keySigs)
		b.fromSignals(FKeyUnused, "passwords.access_key_unused", keySigs)
		b.privilegeContext(g, r, own, all)

	case inventory.KindRole, inventory.KindServiceAccount:
		b.fromSignals(FAdminEquivalent, "privileges.admin_equivalent", own)
		b.fromSignals(FPrivEscalation, "privileges.privilege_escalation", own)
		b.fromSignals(FRoleAnyone, "privileges.role_assumable_by_anyone", own)
		b.privilegeContext(g, r, own, all)

	case inventory.KindCluster:
		if r.Cluster == nil {
			b.unknown = true
		}
		b.fromSignals(FPublicK8sAPI, "ports.public_k8s_api", own)
		b.fromSignals(FEOLKubernetes, "patches.eol_kubernetes", own)
		b.vulnerabilities(g, r, own)
		b.privilegeContext(g, r, own, all)

	case inventory.KindAccessKey:
		b.fromSignals(FKeyOld, "passwords.access_key_old", own)
		b.fromSignals(FKeyUnused, "passwords.access_key_unused", own)

	case inventory.KindAccount:
		b.fromSignals(FRootKeys, "passwords.root_access_keys", own)
		b.fromSignals(FRootNoMFA, "passwords.root_without_mfa", own)
		b.fromSignals(FWeakPasswordPol, "passwords.weak_password_policy", own)
	}

	b.flag(FUnknownData, b.unknown)
	b.flag(FScopeGap, len(g.ScopeGaps(r)) > 0)
	return Vector{Resource: r.ID, Values: b.values}
}

// vulnerabilities sets the scanner-finding features: KEV membership, a
// high EPSS, a critical finding, and the highest EPSS probability. A feed
// that is not in the store leaves max_epss unknown for a resource that has
// findings (its signals are Unknown, which fromSignals reads).
func (b *vectorBuilder) vulnerabilities(g *Graph, r *inventory.Resource, own []inventory.Signal) {
	if r.Kind != inventory.KindCluster {
		b.flag(FNotScanned, r.Vulnerabilities == nil)
	}
	b.fromSignals(FKEVCVE, "patches.known_exploited_cve", own)
	b.fromSignals(FHighEPSS, "patches.high_epss_cve", own)
	b.fromSignals(FCriticalVuln, "patches.critical_vulnerability", own)
	score, _, known := g.MaxEPSS(r)
	if !known {
		b.unknown = true
	}
	b.set(FMaxEPSS, score)
}

// privilegeContext sets what the resource can reach through its
// identities: how many data stores it reads, and the highest privilege
// one of them holds, graded from their own signals.
func (b *vectorBuilder) privilegeContext(g *Graph, r *inventory.Resource, own []inventory.Signal, all map[string][]inventory.Signal) {
	n := len(g.DataReach(r))
	b.set(FDataReach, math.Min(math.Log1p(float64(n))/math.Log1p(100), 1))
	level := 0.0
	for _, id := range g.IdentitiesOf(r) {
		sigs := all[id]
		if id == r.ID {
			sigs = own
		}
		level = max(level, privilegeLevel(g, id, sigs))
	}
	b.set(FObtainablePriv, level)
	b.fromSignals(FExposedDataReach, "privileges.exposed_data_reach", own)
}
