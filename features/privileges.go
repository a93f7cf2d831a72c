package features

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// PolicySource is a policy document with the id of the policy it came from.
type PolicySource struct {
	ID  string
	Doc *inventory.PolicyDocument
}

// AdminFinding is the verdict of AdminEquivalent.
type AdminFinding struct {
	Admin       bool     `json:"admin"`
	Policy      string   `json:"policy,omitempty"`    // the policy holding the granting statement
	Statement   string   `json:"statement,omitempty"` // its Sid, or "#n" (0-based) when it has none
	Grant       string   `json:"grant,omitempty"`     // "*", "iam:*", "NotAction iam:*,organizations:*"
	Conditional bool     `json:"conditional,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Representative actions used to decide whether what an admin-shaped Allow
// grants survives the explicit Denies. Escalation: any one of these on "*"
// lets a principal grant itself anything. Broad: what "nearly everything"
// means outside IAM (the shape of PowerUserAccess).
var (
	escalationProbes = []string{
		"iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy",
		"iam:AttachGroupPolicy", "iam:PutGroupPolicy", "iam:CreatePolicyVersion", "iam:AddUserToGroup",
		"iam:UpdateAssumeRolePolicy",
	}
	broadProbes = []string{
		"ec2:RunInstances", "s3:GetObject", "s3:PutBucketPolicy", "kms:Decrypt",
		"lambda:UpdateFunctionCode", "secretsmanager:GetSecretValue", "dynamodb:Scan",
		"rds:ModifyDBInstance", "sts:AssumeRole", "cloudtrail:StopLogging",
	}
)

// maxNarrowNotActions is how many exclusions an Allow NotAction on "*" may
// list and still count as admin-equivalent (PowerUserAccess lists three).
const maxNarrowNotActions = 10

// AdminEquivalent decides whether the union of docs grants admin-equivalent
// permissions: an Allow on every resource whose actions (Action patterns
// such as "*", "iam:*", "iam:Put*" or "iam:*Policy*", or a short NotAction
// list) grant one escalation probe or every broad probe, and that the
// explicit Denies do not cancel.
//
// Conditions are treated conservatively and said so in Notes: a conditional
// Allow counts as granting (Conditional is set), a conditional Deny does not
// count as cancelling, whatever the condition's values. So no condition
// ever removes an admin verdict, and no value needs judging here. A Deny
// scoped to some resources does not cancel either. Permission boundaries
// and organisation SCPs are not modelled.
func AdminEquivalent(docs []PolicySource) AdminFinding {
	var denies []inventory.Statement
	var notes []string
	for _, d := range docs {
		if d.Doc == nil {
			continue
		}
		for i, s := range d.Doc.Statements {
			if s.Effect != inventory.Deny {
				continue
			}
			switch {
			case len(s.Conditions) > 0:
				notes = append(notes, fmt.Sprintf("deny %s in %s has conditions (%s): not counted as cancelling (conservative)",
					stmtName(s, i), d.ID, conditionText(s.Conditions)))
			case !anyAllResources(s.Resources):
				// scoped deny: it leaves the rest of the account granted
			default:
				denies = append(denies, s)
			}
		}
	}
	var conditional *AdminFinding
	var conditionalNote string
	for _, d := range docs {
		if d.Doc == nil {
			continue
		}
		for i, s := range d.Doc.Statements {
			if s.Effect != inventory.Allow {
				continue
			}
			grant, probes := adminShape(s)
			if grant == "" {
				continue
			}
			var survivors []string
			for _, p := range probes {
				if !deniedBy(denies, p) {
					survivors = append(survivors, p)
				}
			}
			if !isAdminSet(survivors) {
				notes = append(notes, fmt.Sprintf("allow %s %s in %s is cancelled by explicit deny", grant, stmtName(s, i), d.ID))
				continue
			}
			f := AdminFinding{Admin: true, Policy: d.ID, Statement: stmtName(s, i), Grant: grant}
			if len(s.NotResources) > 0 {
				notes = append(notes, fmt.Sprintf("allow %s in %s uses NotResource: read as every resource (conservative)", stmtName(s, i), d.ID))
			}
			if len(s.Conditions) == 0 {
				f.Notes = inventory.UniqueSorted(notes)
				return f
			}
			if conditional == nil {
				f.Conditional = true
				conditionalNote = fmt.Sprintf("allow %s %s in %s has conditions (%s): not evaluated, treated as satisfied (conservative)",
					grant, stmtName(s, i), d.ID, conditionText(s.Conditions))
				conditional = &f
			}
		}
	}
	if conditional != nil {
		conditional.Notes = inventory.UniqueSorted(append(notes, conditionalNote))
		return *conditional
	}
	return AdminFinding{Notes: inventory.UniqueSorted(notes)}
}

// adminShape returns how an Allow statement is admin-shaped ("" when it is
// not) and the probe actions it grants. Both Action and NotAction are read
// through the same probes: an Action list grants the probes one of its
// patterns matches ("iam:Put*" grants iam:PutRolePolicy), a NotAction list
// the probes none of its patterns matches.
func adminShape(s inventory.Statement) (string, []string) {
	if !anyAllResources(s.Resources) && len(s.NotResources) == 0 {
		return "", nil
	}
	all := append(append([]string(nil), escalationProbes...), broadProbes...)
	var granted []string
	if len(s.Actions) > 0 {
		var grants []string
		for _, a := range s.Actions {
			matched := false
			for _, p := range all {
				if anyActionMatch([]string{a}, p) {
					granted = append(granted, p)
					matched = true
				}
			}
			if matched {
				grants = append(grants, a)
			}
		}
		granted = inventory.UniqueSorted(granted)
		if !isAdminSet(granted) {
			return "", nil
		}
		return strings.Join(grants, ","), granted
	}
	if len(s.NotActions) == 0 || len(s.NotActions) > maxNarrowNotActions {
		return "", nil
	}
	for _, a := range s.NotActions {
		if a == "*" || a == "*:*" {
			return "", nil
		}
	}
	for _, p := range all {
		if !anyActionMatch(s.NotActions, p) {
			granted = append(granted, p)
		}
	}
	return "NotAction " + strings.Join(s.NotActions, ","), granted
}

// isAdminSet: one escalation action, or every broad action.
func isAdminSet(granted []string) bool {
	for _, p := range escalationProbes {
		if slices.Contains(granted, p) {
			return true
		}
	}
	for _, p := range broadProbes {
		if !slices.Contains(granted, p) {
			return false
		}
	}
	return true
}

func deniedBy(denies []inventory.Statement, action string) bool {
	for _, d := range denies {
		if len(d.Actions) > 0 && anyActionMatch(d.Actions, action) {
			return true
		}
		if len(d.NotActions) > 0 && !anyActionMatch(d.NotActions, action) {
			return true
		}
	}
	return false
}

func stmtName(s inventory.Statement, i int) string {
	if s.Sid != "" {
		return s.Sid
	}
	return fmt.Sprintf("#%d", i)
}

func anyActionMatch(patterns []string, action string) bool {
	for _, p := range patterns {
		if wildcardMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildcardMatch matches IAM-style patterns: '*' any run, '?' one character.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// anyAllResources reports whether a resource list covers every resource:
// "*", or an ARN made only of wildcards ("arn:aws:*:*:*:*").
func anyAllResources(rs []string) bool {
	for _, r := range rs {
		if r == "*" {
			return true
		}
		parts := strings.Split(r, ":")
		if len(parts) < 2 || parts[0] != "arn" || parts[len(parts)-1] != "*" {
			continue
		}
		all := true
		for _, p := range parts[1:] {
			if p != "*" && p != "" && !strings.HasPrefix(p, "aws") {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// principalAdmin evaluates the effective policies of a user, role or group.
// missing lists what could not be read (a policy not in the snapshot, a
// document that could not be parsed, the principal itself).
func (g *Graph) principalAdmin(id string) (f AdminFinding, via string, missing []string) {
	docs, viaOf, missing := g.principalDocs(id)
	f = AdminEquivalent(docs)
	return f, viaOf[f.Policy], missing
}

// principalDocs returns the readable policy documents that apply to a
// principal, the principal or group each is attached through, and what
// could not be read.
func (g *Graph) principalDocs(id string) (docs []PolicySource, viaOf map[string]string, missing []string) {
	p := g.byID[id]
	if p == nil {
		return nil, nil, []string{"principal " + id + " not in snapshot"}
	}
	if p.User == nil && p.Role == nil && p.Group == nil && p.ServiceAccount == nil {
		missing = append(missing, "attributes of "+id+" not collected")
	}
	if p.ServiceAccount != nil && p.ServiceAccount.PermissionsUnknown {
		missing = append(missing, "the grants of "+id+" could not all be read")
	}
	for _, gp := range g.ResourceGaps(id) {
		missing = append(missing, gp.String())
	}
	refs := g.PoliciesOf(id)
	if p.Kind == inventory.KindUser {
		for _, grp := range g.GroupsOf(id) {
			if gr := g.byID[grp]; gr == nil || gr.Group == nil {
				missing = append(missing, "group "+grp+" not in snapshot")
			}
		}
	}
	viaOf = make(map[string]string, len(refs))
	for _, ref := range refs {
		viaOf[ref.ID] = ref.Via
		pol := g.byID[ref.ID]
		switch {
		case pol == nil || pol.Policy == nil:
			missing = append(missing, "policy "+ref.ID+" not in snapshot")
		case pol.Policy.Document == nil:
			missing = append(missing, "policy "+ref.ID+" document not readable")
		default:
			docs = append(docs, PolicySource{ID: ref.ID, Doc: pol.Policy.Document})
		}
	}
	return docs, viaOf, inventory.UniqueSorted(missing)
}

func adminEvidence(f AdminFinding, via string) map[string]string {
	ev := map[string]string{"policy": f.Policy, "statement": f.Statement, "grant": f.Grant}
	if via != "" {
		ev["attached_via"] = via
	}
	if f.Conditional {
		ev["conditional"] = "true"
	}
	if len(f.Notes) > 0 {
		ev["notes"] = strings.Join(f.Notes, "; ")
	}
	return ev
}

func adminEquivalent() Detector {
	d := Detector{
		ID: "privileges.admin_equivalent", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
		CISGCP: []string{"1.5"},
		Title:  "Identity has admin-equivalent permissions",
		CIS:    []string{"1.16"}, Fix: "",
		Kinds: []inventory.Kind{inventory.KindUser, inventory.KindRole, inventory.KindGroup, inventory.KindServiceAccount},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		f, via, missing := g.principalAdmin(r.ID)
		if f.Admin {
			return []inventory.Signal{d.signal(r, adminEvidence(f, via))}
		}
		if len(missing) > 0 {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": strings.Join(missing, "; ")})}
		}
		return nil
	}
	return d
}

func exposedAdminRole() Detector {
	d := Detector{
		ID: "privileges.exposed_admin_role", Pillar: inventory.Privileges, Severity: inventory.SevCritical,
		CISGCP: []string{"4.2"},
		Title:  "Internet-exposed instance or function holds an admin-equivalent role",
		Fix:    "aws.iam.detach_admin_policy",
		Kinds:  []inventory.Kind{inventory.KindInstance, inventory.KindFunction},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		reach, exposure, reachMissing := g.exposureOf(r)
		if reach == NotReachable {
			return nil
		}
		admin, role, f, via, missing := g.adminRoleOf(r)
		switch {
		case admin && reach == Reachable:
			ev := adminEvidence(f, via)
			ev["role"] = role
			exposure(ev)
			return []inventory.Signal{d.signal(r, ev)}
		case admin:
			ev := adminEvidence(f, via)
			ev["role"] = role
			ev["missing"] = reachMissing
			return []inventory.Signal{d.unknown(r, ev)}
		case len(missing) > 0:
			ev := map[string]string{"missing": strings.Join(missing, "; ")}
			if reach == Reachable {
				exposure(ev)
			}
			return []inventory.Signal{d.unknown(r, ev)}
		}
		return nil
	}
	return d
}

// exposureOf says whether r is reachable from the internet: an instance
// through a network path, a function through a URL anyone may invoke.
// exposure adds the evidence of a proven exposure; missing says why an
// unknown one is unknown.
func (g *Graph) exposureOf(r *inventory.Resource) (state Reach, exposure func(ev map[string]string), missing string) {
	if r.Kind == inventory.KindFunction {
		state, missing = functionURLReach(r.Function)
		return state, functionURLEvidence, missing
	}
	reach := g.Reachability(r.ID)
	state, e := reach.Any()
	return state, func(ev map[string]string) { addExposureEvidence(ev, e) }, strings.Join(reach.Missing, "; ")
}

// adminRoleOf returns the first admin-equivalent role the instance or
// function assumes and what could not be checked.
func (g *Graph) adminRoleOf(r *inventory.Resource) (admin bool, role string, f AdminFinding, via string, missing []string) {
	roles := g.RolesOf(r.ID)
	if len(roles) == 0 && r.Instance != nil && r.Instance.InstanceProfile != "" {
		missing = append(missing, "instance profile "+r.Instance.InstanceProfile+" resolves to no role in snapshot")
	}
	if r.Kind == inventory.KindFunction && r.Function == nil {
		missing = append(missing, "function attributes not collected")
	}
	if len(roles) == 0 && r.Function != nil && r.Function.Role != "" {
		missing = append(missing, "function role "+r.Function.Role+" has no assumes edge")
	}
	for _, id := range roles {
		rf, rvia, m := g.principalAdmin(id)
		if rf.Admin {
			return true, id, rf, rvia, nil
		}
		missing = append(missing, m...)
	}
	return false, "", AdminFinding{}, "", inventory.UniqueSorted(missing)
}

// Condition keys that, compared for equality with concrete values, pin a
// bucket policy's principal or network to something other than "anyone"
// (as S3's own "is public" evaluation reads them). Lower case: keys are
// case-insensitive.
var restrictingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceaccount": true,
	"aws:sourceowner": true, "aws:sourceip": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:principalaccount": true, "aws:principalarn": true, "aws:userid": true, "aws:username": true,
	"s3:dataaccesspointaccount": true, "s3:dataaccesspointarn": true,
	// kms:CallerAccount pins a key policy's "*" to callers of one account
	// (AWS-managed keys' policies use it).
	"kms:calleraccount": true,
}

// equalityOperators are the condition operators that, with values free of
// wildcards, admit only the listed values. StringLike and ArnLike count
// only because wildcard values are refused in restricts.
var equalityOperators = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true,
}

// restricts reports whether condition c pins a statement to something
// narrower than anyone: an equality-type operator (no "Not", no "Null", no
// "...IfExists", which passes when the key is absent, no "ForAllValues:",
// which passes when the key has no values) on a restricting key, with
// concrete values only: no '*' or '?' anywhere, and for aws:SourceIp
// (IpAddress) only prefixes that are not internet-wide. Anything else,
// however restrictive it looks, is read as not restricting: public is the
// conservative answer.
func restricts(c inventory.Condition) bool {
	op := strings.TrimPrefix(c.Operator, "ForAnyValue:")
	key := strings.ToLower(strings.TrimSpace(c.Key))
	if !restrictingKeys[key] || len(c.Values) == 0 {
		return false
	}
	if key == "aws:sourceip" {
		if op != "IpAddress" {
			return false
		}
		for _, v := range c.Values {
			if !narrowSourceIP(v) {
				return false
			}
		}
		return true
	}
	if !equalityOperators[op] {
		return false
	}
	for _, v := range c.Values {
		if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "*?") {
			return false
		}
	}
	return true
}

// narrowSourceIP reports whether an aws:SourceIp value admits a bounded
// part of the internet: a valid prefix or address that is not
// internet-wide, and for IPv6 no public prefix shorter than /32 (S3 reads
// those as public).
func narrowSourceIP(v string) bool {
	v = strings.TrimSpace(v)
	p, err := netip.ParsePrefix(v)
	if err != nil {
		a, aerr := netip.ParseAddr(v)
		if aerr != nil {
			return false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if wide, _ := inventory.InternetWide(p.String()); wide {
		return false
	}
	a := p.Masked().Addr()
	if a.Is6() && !a.Is4In6() && p.Bits() < 32 && !a.IsPrivate() {
		return false
	}
	return true
}

func conditionText(cs []inventory.Condition) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "; ")
}

// publicStatement returns the first Allow statement of a resource policy
// that admits anyone, with a note about conditions that were not read as
// restricting.
func publicStatement(doc *inventory.PolicyDocument) (stmt string, s inventory.Statement, note string, ok bool) {
	if doc == nil {
		return "", inventory.Statement{}, "", false
	}
	for i, st := range doc.Statements {
		if st.Effect != inventory.Allow || !publicPrincipal(st) {
			continue
		}
		// Every condition must hold, so one restricting condition is enough.
		if slices.ContainsFunc(st.Conditions, restricts) {
			continue
		}
		if len(st.Conditions) > 0 {
			note = "conditions " + conditionText(st.Conditions) + " do not pin the principal or network to fixed values: read as public (conservative)"
		}
		return stmtName(st, i), st, note, true
	}
	return "", inventory.Statement{}, "", false
}

func publicPrincipal(s inventory.Statement) bool {
	if len(s.NotPrincipals) > 0 {
		return true // everyone except a few
	}
	for _, p := range s.Principals {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "*", "aws:*":
			return true
		}
	}
	return false
}

func publicBucket() Detector {
	d := Detector{
		ID: "privileges.public_bucket", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
		CISGCP:   []string{"5.1"},
		CISAzure: []string{"3.17"},
		Title:    "Bucket is public (policy or ACL, after block public access)",
		CIS:      []string{"2.1.4"}, Fix: "aws.s3.block_public_access",
		Kinds: []inventory.Kind{inventory.KindBucket},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		b := r.Bucket
		if b == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "bucket attributes not collected"})}
		}
		// nil settings mean none configured (S3 answers "no
		// configuration"), the permissive reading; a setting listed in
		// b.Unknown could not be read and is unknown, not "none".
		var eff inventory.BlockPublicAccess
		for _, x := range []*inventory.BlockPublicAccess{b.BlockPublicAccess, b.AccountBlockPublicAccess} {
			if x != nil {
				eff.BlockPublicACLs = eff.BlockPublicACLs || x.BlockPublicACLs
				eff.IgnorePublicACLs = eff.IgnorePublicACLs || x.IgnorePublicACLs
				eff.BlockPublicPolicy = eff.BlockPublicPolicy || x.BlockPublicPolicy
				eff.RestrictPublicBuckets = eff.RestrictPublicBuckets || x.RestrictPublicBuckets
			}
		}
		bpaKnown := b.Known(inventory.BucketBlockPublicAccess) && b.Known(inventory.BucketAccountBlockPublicAccess)
		ev := map[string]string{}
		var unknown []string
		// RestrictPublicBuckets neutralises a public policy.
		if !eff.RestrictPublicBuckets {
			name, st, note, public := publicStatement(b.Policy)
			switch {
			case public && !bpaKnown:
				unknown = append(unknown, "public policy statement "+name+" but block public access unreadable")
			case public:
				ev["policy_statement"] = name
				ev["principal"] = strings.Join(append(append([]string(nil), st.Principals...), st.NotPrincipals...), ",")
				ev["actions"] = strings.Join(append(append([]string(nil), st.Actions...), st.NotActions...), ",")
				if note != "" {
					ev["notes"] = note
				}
			case !b.Known(inventory.BucketPolicy):
				unknown = append(unknown, "bucket policy unreadable")
			}
		}
		// IgnorePublicACLs neutralises public ACL grants.
		if !eff.IgnorePublicACLs {
			switch {
			case len(b.PublicACLGrants) > 0 && !bpaKnown:
				unknown = append(unknown, "public ACL grants but block public access unreadable")
			case len(b.PublicACLGrants) > 0:
				var gs []string
				for _, gr := range b.PublicACLGrants {
					gs = append(gs, gr.Grantee+":"+gr.Permission)
				}
				sort.Strings(gs)
				ev["acl_grants"] = strings.Join(gs, ",")
			case !b.Known(inventory.BucketACL):
				unknown = append(unknown, "bucket ACL unreadable")
			}
		}
		if len(ev) > 0 {
			ev["block_public_access"] = fmt.Sprintf("restrict_public_buckets=%t ignore_public_acls=%t", eff.RestrictPublicBuckets, eff.IgnorePublicACLs)
			return []inventory.Signal{d.signal(r, ev)}
		}
		if len(unknown) > 0 {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": strings.Join(unknown, "; ")})}
		}
		if gaps := g.ResourceGaps(r.ID); len(gaps) > 0 {
			var ms []string
			for _, gp := range gaps {
				ms = append(ms, gp.String())
			}
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": strings.Join(ms, "; ")})}
		}
		return nil
	}
	return d
}

// assumeActions reports whether a trust statement grants a way to assume
// the role (sts:AssumeRole, …WithSAML, …WithWebIdentity, or a wildcard
// covering them).
func assumeActions(s inventory.Statement) bool {
	for _, a := range []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"} {
		if len(s.Actions) > 0 && anyActionMatch(s.Actions, a) {
			return true
		}
		if len(s.NotActions) > 0 && !anyActionMatch(s.NotActions, a) {
			return true
		}
	}
	return false
}

// trustMissing is the Unknown evidence of a role whose trust policy could
// not be read; other clouds' roles have no trust policy and get nil.
func trustMissing(r *inventory.Resource) (map[string]string, bool) {
	if r.Cloud != inventory.AWS {
		return nil, false
	}
	if r.Role == nil || r.Role.Trust == nil {
		return map[string]string{"missing": "trust policy not collected"}, true
	}
	return nil, false
}

func roleAssumableByAnyone() Detector {
	d := Detector{
		ID: "privileges.role_assumable_by_anyone", Pillar: inventory.Privileges, Severity: inventory.SevCritical,
		Title: "Role can be assumed by anyone (trust principal \"*\", or a public web-identity provider without a subject condition)",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindRole},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if ev, missing := trustMissing(r); missing {
			return []inventory.Signal{d.unknown(r, ev)}
		}
		if r.Role == nil || r.Role.Trust == nil {
			return nil
		}
		for i, st := range r.Role.Trust.Statements {
			if st.Effect != inventory.Allow {
				continue
			}
			if provider, key, open := openWebIdentity(st); open {
				return []inventory.Signal{d.signal(r, map[string]string{
					"statement": stmtName(st, i),
					"principal": "Federated:" + provider,
					"provider":  provider,
					"missing_condition": "no StringEquals/StringLike on " + key +
						" with values that pin a subject: anyone with an account at " + provider + " can assume it",
				})}
			}
			if !assumeActions(st) || !publicPrincipal(st) {
				continue
			}
			// One condition pinning the caller's account, organisation or
			// network is enough; anything else is read as anyone.
			if slices.ContainsFunc(st.Conditions, restricts) {
				continue
			}
			ev := map[string]string{
				"statement": stmtName(st, i),
				"principal": strings.Join(append(append([]string(nil), st.Principals...), st.NotPrincipals...), ","),
			}
			if len(st.Conditions) > 0 {
				ev["notes"] = "conditions " + conditionText(st.Conditions) + " do not pin the caller to fixed accounts or networks: read as anyone (conservative)"
			}
			return []inventory.Signal{d.signal(r, ev)}
		}
		return nil
	}
	return d
}

// publicWebIdentityProviders are the OIDC providers at which anyone can
// hold an account (or, for GitHub and GitLab, a repository or project whose
// workflows get tokens), with the condition keys whose equality test pins a
// trust to particular subjects or applications. Providers not listed here
// (an EKS cluster's issuer, a company's own IdP) issue tokens only to their
// own users and are not read as "anyone".
var publicWebIdentityProviders = map[string][]string{
	"token.actions.githubusercontent.com": {"sub"},
	"gitlab.com":                          {"sub"},
	"app.terraform.io":                    {"sub"},
	"accounts.google.com":                 {"sub", "aud"},
	"cognito-identity.amazonaws.com":      {"sub", "aud"},
	"graph.facebook.com":                  {"id", "app_id"},
	"www.amazon.com":                      {"user_id", "app_id"},
}

// webIdentityProvider returns the provider host of a "Federated:" principal,
// "token.actions.githubusercontent.com" for both that name and
// "arn:aws:iam::…:oidc-provider/token.actions.githubusercontent.com".
func webIdentityProvider(p string) (string, bool) {
	v, ok := strings.CutPrefix(strings.TrimSpace(p), "Federated:")
	if !ok {
		return "", false
	}
	if _, after, found := strings.Cut(v, ":oidc-provider/"); found {
		v = after
	}
	return strings.ToLower(strings.TrimSuffix(v, "/")), true
}

// openWebIdentity reports whether trust statement st lets anyone with an
// account at a public web-identity provider assume the role: a
// "Federated:" principal of publicWebIdentityProviders, an action covering
// sts:AssumeRoleWithWebIdentity, and no condition that restricts it. key
// names the condition that would ("token.actions.githubusercontent.com:sub").
func openWebIdentity(st inventory.Statement) (provider, key string, open bool) {
	if len(st.Actions) > 0 && !anyActionMatch(st.Actions, "sts:AssumeRoleWithWebIdentity") ||
		len(st.NotActions) > 0 && anyActionMatch(st.NotActions, "sts:AssumeRoleWithWebIdentity") ||
		len(st.Actions) == 0 && len(st.NotActions) == 0 {
		return "", "", false
	}
	for _, p := range st.Principals {
		prov, ok := webIdentityProvider(p)
		if !ok {
			continue
		}
		claims, public := publicWebIdentityProviders[prov]
		if !public {
			continue
		}
		if slices.ContainsFunc(st.Conditions, restricts) ||
			slices.ContainsFunc(st.Conditions, func(c inventory.Condition) bool { return pinsClaim(c, prov, claims) }) {
			continue
		}
		return prov, prov + ":" + claims[0], true
	}
	return "", "", false
}

// pinsClaim reports whether condition c pins a web-identity claim of
// provider to particular values: StringEquals(IgnoreCase) or StringLike
// (optionally ForAnyValue:, never IfExists, Not or ForAllValues:, which
// pass when the claim is absent) on "<provider>:<claim>", with every value
// naming something: not empty, and with some literal text before its first
// wildcard other than GitHub's "repo:" ("repo:*" and "*" admit anyone).
func pinsClaim(c inventory.Condition, provider string, claims []string) bool {
	op := strings.TrimPrefix(c.Operator, "ForAnyValue:")
	switch op {
	case "StringEquals", "StringEqualsIgnoreCase", "StringLike":
	default:
		return false
	}
	key := strings.ToLower(strings.TrimSpace(c.Key))
	if !slices.ContainsFunc(claims, func(cl string) bool { return key == provider+":"+cl }) || len(c.Values) == 0 {
		return false
	}
	for _, v := range c.Values {
		v = strings.TrimSpace(v)
		literal := v
		if i := strings.IndexAny(v, "*?"); i >= 0 {
			literal = v[:i] // read as a wildcard under StringEquals too (conservative)
		}
		literal = strings.TrimPrefix(strings.TrimPrefix(literal, "repo:"), "project_path:")
		if strings.Trim(literal, ":/ ") == "" {
			return false
		}
	}
	return true
}

// principalAccount returns the AWS account an AWS principal names
// ("AWS:123456789012", "AWS:arn:aws:iam::123456789012:root" or a user or
// role of it), "" for anything else (services, federation, "*").
func principalAccount(p string) string {
	v, ok := strings.CutPrefix(strings.TrimSpace(p), "AWS:")
	if !ok {
		return ""
	}
	if isAccountID(v) {
		return v
	}
	parts := strings.Split(v, ":")
	if len(parts) >= 6 && parts[0] == "arn" && isAccountID(parts[4]) {
		return parts[4]
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func crossAccountTrust() Detector {
	d := Detector{
		ID: "privileges.cross_account_trust", Pillar: inventory.Privileges, Severity: inventory.SevMedium,
		Title: "Role trusts principals of another account",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindRole},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if ev, missing := trustMissing(r); missing {
			return []inventory.Signal{d.unknown(r, ev)}
		}
		if r.Role == nil || r.Role.Trust == nil {
			return nil
		}
		var accounts, stmts []string
		externalID := false
		for i, st := range r.Role.Trust.Statements {
			if st.Effect != inventory.Allow || !assumeActions(st) {
				continue
			}
			found := false
			for _, p := range st.Principals {
				if a := principalAccount(p); a != "" && a != r.Account {
					accounts = append(accounts, a)
					found = true
				}
			}
			if !found {
				continue
			}
			stmts = append(stmts, stmtName(st, i))
			for _, c := range st.Conditions {
				if strings.EqualFold(c.Key, "sts:ExternalId") {
					externalID = true
				}
			}
		}
		if len(accounts) == 0 {
			return nil
		}
		ev := map[string]string{
			"account":   strings.Join(inventory.UniqueSorted(accounts), ","),
			"statement": strings.Join(stmts, ","),
		}
		if externalID {
			ev["external_id"] = "required"
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

// EscalationPattern is a known way for an identity to raise its own
// permissions: holding every one of Actions on every resource is enough.
type EscalationPattern struct {
	Name    string
	Actions []string
}

// EscalationPatterns are the AWS privilege-escalation patterns of
// Rhino Security Labs' "AWS IAM Privilege Escalation – Methods and
// Mitigation" (2018) that need nothing but IAM permissions on "*". Those
// whose single action is also an escalationProbe already make the identity
// admin_equivalent, which privilege_escalation then does not repeat.
// GCP and Azure identities carry synthetic policies whose escalation roles
// (Owner, IAM admin, User Access Administrator …) the collectors already map
// to "iam:*", so they fall under admin_equivalent too.
var EscalationPatterns = []EscalationPattern{
	{"passrole_ec2", []string{"iam:PassRole", "ec2:RunInstances"}},
	{"passrole_lambda", []string{"iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"}},
	{"passrole_cloudformation", []string{"iam:PassRole", "cloudformation:CreateStack"}},
	{"create_policy_version", []string{"iam:CreatePolicyVersion"}},
	{"set_default_policy_version", []string{"iam:SetDefaultPolicyVersion"}},
	{"attach_user_policy", []string{"iam:AttachUserPolicy"}},
	{"attach_role_policy", []string{"iam:AttachRolePolicy"}},
	{"attach_group_policy", []string{"iam:AttachGroupPolicy"}},
	{"put_user_policy", []string{"iam:PutUserPolicy"}},
	{"put_role_policy", []string{"iam:PutRolePolicy"}},
	{"put_group_policy", []string{"iam:PutGroupPolicy"}},
	{"create_access_key", []string{"iam:CreateAccessKey"}},
	{"update_assume_role_policy", []string{"iam:UpdateAssumeRolePolicy"}},
	{"create_login_profile", []string{"iam:CreateLoginProfile"}},
	{"update_login_profile", []string{"iam:UpdateLoginProfile"}},
}

// allowedOnAll returns the first policy and statement of docs that allow
// action on every resource, unless an unconditional Deny on every resource
// cancels it. Conditions are read as in AdminEquivalent: a conditional
// Allow grants (conditional is set), a conditional or resource-scoped Deny
// does not cancel.
func allowedOnAll(docs []PolicySource, action string) (policy, stmt string, conditional, ok bool) {
	var denies []inventory.Statement
	for _, d := range docs {
		for _, s := range d.Doc.Statements {
			if s.Effect == inventory.Deny && len(s.Conditions) == 0 && anyAllResources(s.Resources) {
				denies = append(denies, s)
			}
		}
	}
	if deniedBy(denies, action) {
		return "", "", false, false
	}
	for _, d := range docs {
		for i, s := range d.Doc.Statements {
			if s.Effect != inventory.Allow || (!anyAllResources(s.Resources) && len(s.NotResources) == 0) {
				continue
			}
			grants := (len(s.Actions) > 0 && anyActionMatch(s.Actions, action)) ||
				(len(s.NotActions) > 0 && !anyActionMatch(s.NotActions, action))
			if !grants {
				continue
			}
			if len(s.Conditions) == 0 {
				return d.ID, stmtName(s, i), false, true
			}
			if !ok {
				policy, stmt, conditional, ok = d.ID, stmtName(s, i), true, true
			}
		}
	}
	return policy, stmt, conditional, ok
}

// scopedAllows returns the resource patterns of the Allow statements of
// docs that grant action on some resources only (not "*", no NotResource),
// the policies holding them and whether one has conditions. An
// unconditional Deny on every resource cancels them all; a resource-scoped
// Deny is not subtracted (conservative).
func scopedAllows(docs []PolicySource, action string) (scopes, policies []string, conditional bool) {
	var denies []inventory.Statement
	for _, d := range docs {
		for _, s := range d.Doc.Statements {
			if s.Effect == inventory.Deny && len(s.Conditions) == 0 && anyAllResources(s.Resources) {
				denies = append(denies, s)
			}
		}
	}
	if deniedBy(denies, action) {
		return nil, nil, false
	}
	for _, d := range docs {
		for _, s := range d.Doc.Statements {
			if s.Effect != inventory.Allow || anyAllResources(s.Resources) || len(s.NotResources) > 0 || len(s.Resources) == 0 {
				continue
			}
			grants := (len(s.Actions) > 0 && anyActionMatch(s.Actions, action)) ||
				(len(s.NotActions) > 0 && !anyActionMatch(s.NotActions, action))
			if !grants {
				continue
			}
			scopes = append(scopes, s.Resources...)
			policies = append(policies, d.ID)
			conditional = conditional || len(s.Conditions) > 0
		}
	}
	return inventory.UniqueSorted(scopes), inventory.UniqueSorted(policies), conditional
}

// Actions whose grant on a principal's own user, role, group or attached
// policy lets it raise its own permissions, and actions that, on itself,
// only manage credentials it already has.
var (
	selfEscalationActions = map[string]bool{
		"iam:attachuserpolicy": true, "iam:putuserpolicy": true, "iam:attachrolepolicy": true, "iam:putrolepolicy": true,
		"iam:attachgrouppolicy": true, "iam:putgrouppolicy": true, "iam:createpolicyversion": true, "iam:setdefaultpolicyversion": true,
	}
	selfHarmlessActions = map[string]bool{
		"iam:createaccesskey": true, "iam:createloginprofile": true, "iam:updateloginprofile": true,
	}
)

// coversSelf reports whether resource pattern scope names principal r
// itself, one of its groups or one of the policies attached to it: its own
// ARN (wildcards allowed), or "${aws:username}" for a user.
func (g *Graph) coversSelf(r *inventory.Resource, scope string) bool {
	ls := strings.ToLower(strings.TrimSpace(scope))
	if r.Kind == inventory.KindUser && strings.Contains(ls, "${aws:username}") {
		return true
	}
	targets := []string{r.ID}
	if r.Kind == inventory.KindUser {
		targets = append(targets, g.GroupsOf(r.ID)...)
	}
	for _, ref := range g.PoliciesOf(r.ID) {
		targets = append(targets, ref.ID)
	}
	for _, t := range targets {
		if wildcardMatch(ls, strings.ToLower(t)) {
			return true
		}
	}
	return false
}

// passableRoles judges an iam:PassRole grant scoped to role patterns: the
// roles of the snapshot it matches and the first admin-equivalent one.
// known is false when a pattern matches no role of the snapshot or a
// matched role's permissions could not all be read.
func (g *Graph) passableRoles(scopes []string) (admin string, known bool) {
	known = true
	for _, sc := range scopes {
		ls := strings.ToLower(strings.TrimSpace(sc))
		matched := false
		for _, res := range g.Resources() {
			if res.Kind != inventory.KindRole || !wildcardMatch(ls, strings.ToLower(res.ID)) {
				continue
			}
			matched = true
			f, _, missing := g.principalAdmin(res.ID)
			if f.Admin {
				return res.ID, true
			}
			if len(missing) > 0 {
				known = false
			}
		}
		if !matched {
			known = false
		}
	}
	return "", known
}

// escalationVerdict is how one EscalationPattern stands for a principal.
type escalationVerdict struct {
	escalates, unknown bool
	policies, scopes   []string
	conditional        bool
	passAdmin          string // an admin-equivalent role PassRole may pass
	passKnown          bool   // every passable role was judged
	passScoped         bool
}

// judgeEscalation decides one pattern for principal r. Every action must be
// granted, on "*" or scoped. A scoped grant escalates when it is
// iam:PassRole (the roles it may pass are judged for evidence, the
// compute-create action must be on "*") or a policy-changing action on the
// principal itself; a credential action on itself is harmless; any other
// scoped grant (another user, role or policy, a scoped compute action)
// cannot be judged here and is unknown.
func (g *Graph) judgeEscalation(r *inventory.Resource, docs []PolicySource, p EscalationPattern) escalationVerdict {
	var v escalationVerdict
	harmless := false
	for _, a := range p.Actions {
		pol, _, cond, ok := allowedOnAll(docs, a)
		if ok {
			v.policies = append(v.policies, pol)
			v.conditional = v.conditional || cond
			continue
		}
		scopes, pols, cond := scopedAllows(docs, a)
		if len(scopes) == 0 {
			return escalationVerdict{}
		}
		v.policies = append(v.policies, pols...)
		v.scopes = append(v.scopes, scopes...)
		v.conditional = v.conditional || cond
		la := strings.ToLower(a)
		self := slices.ContainsFunc(scopes, func(sc string) bool { return g.coversSelf(r, sc) })
		allSelf := !slices.ContainsFunc(scopes, func(sc string) bool { return !g.coversSelf(r, sc) })
		switch {
		case la == "iam:passrole":
			v.passScoped = true
			v.passAdmin, v.passKnown = g.passableRoles(scopes)
		case selfEscalationActions[la] && self:
		case selfHarmlessActions[la] && allSelf:
			harmless = true
		default:
			v.unknown = true
		}
	}
	switch {
	case harmless:
		return escalationVerdict{}
	case !v.unknown:
		v.escalates = true
	}
	return v
}

func privilegeEscalation() Detector {
	d := Detector{
		ID: "privileges.privilege_escalation", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
		Title: "Identity can escalate its own privileges (a known IAM escalation pattern)",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindUser, inventory.KindRole, inventory.KindGroup, inventory.KindServiceAccount},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		docs, viaOf, missing := g.principalDocs(r.ID)
		if AdminEquivalent(docs).Admin {
			return nil // admin_equivalent already says worse
		}
		var names, policies, scopes, unknownNames, unknownScopes []string
		conditional, passScoped, passKnown := false, false, true
		passAdmin := ""
		for _, p := range EscalationPatterns {
			v := g.judgeEscalation(r, docs, p)
			switch {
			case v.escalates:
				names = append(names, p.Name)
				policies = append(policies, v.policies...)
				scopes = append(scopes, v.scopes...)
				conditional = conditional || v.conditional
				if v.passScoped {
					passScoped = true
					passKnown = passKnown && v.passKnown
					if passAdmin == "" {
						passAdmin = v.passAdmin
					}
				}
			case v.unknown:
				unknownNames = append(unknownNames, p.Name)
				unknownScopes = append(unknownScopes, v.scopes...)
			}
		}
		if len(names) > 0 {
			ev := map[string]string{"pattern": strings.Join(names, ","), "policy": strings.Join(inventory.UniqueSorted(policies), ",")}
			if len(scopes) > 0 {
				ev["scope"] = strings.Join(inventory.UniqueSorted(scopes), ",")
			}
			if passScoped {
				switch {
				case passAdmin != "":
					ev["passable_admin"] = "true"
					ev["passable_admin_role"] = passAdmin
				case passKnown:
					ev["passable_admin"] = "false"
				default:
					ev["passable_admin"] = "unknown"
				}
			}
			var vias []string
			for _, p := range inventory.UniqueSorted(policies) {
				if v := viaOf[p]; v != "" && v != r.ID {
					vias = append(vias, v)
				}
			}
			if len(vias) > 0 {
				ev["attached_via"] = strings.Join(inventory.UniqueSorted(vias), ",")
			}
			if conditional {
				ev["conditional"] = "true"
				ev["notes"] = "a granting statement has conditions: not evaluated, treated as satisfied (conservative)"
			}
			return []inventory.Signal{d.signal(r, ev)}
		}
		if len(unknownNames) > 0 || len(missing) > 0 {
			ev := map[string]string{}
			if len(unknownNames) > 0 {
				ev["pattern"] = strings.Join(unknownNames, ",")
				ev["scope"] = strings.Join(inventory.UniqueSorted(unknownScopes), ",")
				missing = append(missing, "resource-scoped grants of "+strings.Join(unknownNames, ",")+" not judged (their targets' permissions are not evaluated)")
			}
			ev["missing"] = strings.Join(missing, "; ")
			return []inventory.Signal{d.unknown(r, ev)}
		}
		return nil
	}
	return d
}

// publicResourcePolicy: a queue's or key's resource policy lets anyone
// (any AWS account, or the anonymous public) use it. Buckets have their
// own signal, which also weighs ACLs and block public access.
func publicResourcePolicy() Detector {
	d := Detector{
		ID: "privileges.public_resource_policy", Pillar: inventory.Privileges, Severity: inventory.SevHigh,
		Title: "Queue or key policy lets anyone use it",
		Kinds: []inventory.Kind{inventory.KindQueue, inventory.KindKey},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		var doc *inventory.PolicyDocument
		var unknown bool
		switch {
		case r.Queue != nil:
			doc, unknown = r.Queue.Policy, r.Queue.PolicyUnknown
		case r.Key != nil:
			doc, unknown = r.Key.Policy, r.Key.PolicyUnknown
		default:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": string(r.Kind) + " attributes not collected"})}
		}
		if name, st, note, public := publicStatement(doc); public {
			ev := map[string]string{
				"policy_statement": name,
				"principal":        strings.Join(append(append([]string(nil), st.Principals...), st.NotPrincipals...), ","),
				"actions":          strings.Join(append(append([]string(nil), st.Actions...), st.NotActions...), ","),
			}
			if note != "" {
				ev["notes"] = note
			}
			return []inventory.Signal{d.signal(r, ev)}
		}
		if unknown {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "resource policy could not be read"})}
		}
		return nil
	}
	return d
}
