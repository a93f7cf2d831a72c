package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func doc(stmts ...inventory.Statement) *inventory.PolicyDocument {
	return &inventory.PolicyDocument{Version: "2012-10-17", Statements: stmts}
}

func TestAdminEquivalent(t *testing.T) {
	star := allow([]string{"*"}, "*")
	cond := star
	cond.Sid = "MFA"
	cond.Conditions = []string{"Bool aws:MultiFactorAuthPresent"}
	condDeny := deny([]string{"*"}, "*")
	condDeny.Sid = "OffHours"
	condDeny.Conditions = []string{"DateGreaterThan aws:CurrentTime"}
	notAction := func(n ...string) inventory.Statement {
		return inventory.Statement{Effect: inventory.Allow, NotActions: n, Resources: []string{"*"}}
	}
	tests := []struct {
		name string
		docs []PolicySource
		want AdminFinding
	}{
		{"allow * on *", []PolicySource{{"p1", doc(star)}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*"}},
		{"allow *:* on an all-wildcard arn", []PolicySource{{"p1", doc(allow([]string{"*:*"}, "arn:aws:*:*:*:*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*:*"}},
		{"explicit deny * in another policy wins over allow *", []PolicySource{{"p1", doc(star)}, {"p2", doc(deny([]string{"*"}, "*"))}},
			AdminFinding{Notes: []string{"allow * #0 in p1 is cancelled by explicit deny"}}},
		{"deny iam:* leaves allow * admin (power user shape)", []PolicySource{{"p1", doc(star, deny([]string{"iam:*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*"}},
		{"iam:* on * is admin (can grant itself anything)", []PolicySource{{"p1", doc(allow([]string{"IAM:*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "IAM:*"}},
		{"iam:* cancelled by deny iam:*", []PolicySource{{"p1", doc(allow([]string{"iam:*"}, "*"), deny([]string{"iam:*"}, "*"))}},
			AdminFinding{Notes: []string{"allow iam:* #0 in p1 is cancelled by explicit deny"}}},
		{"iam:* with one escalation path denied stays admin", []PolicySource{{"p1", doc(allow([]string{"iam:*"}, "*"), deny([]string{"iam:Put*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "iam:*"}},
		{"NotAction with a narrow list", []PolicySource{{"p1", doc(notAction("iam:*", "organizations:*", "account:*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "NotAction iam:*,organizations:*,account:*"}},
		{"NotAction with a long list is not admin", []PolicySource{{"p1", doc(notAction("a:*", "b:*", "c:*", "d:*", "e:*", "f:*", "g:*", "h:*", "i:*", "j:*", "k:*"))}},
			AdminFinding{}},
		{"NotAction excluding what matters is not admin", []PolicySource{{"p1", doc(notAction("iam:*", "s3:*"))}},
			AdminFinding{Notes: []string{"allow NotAction iam:*,s3:* #0 in p1 is cancelled by explicit deny"}}},
		{"s3:* is not admin", []PolicySource{{"p1", doc(allow([]string{"s3:*"}, "*"))}}, AdminFinding{}},
		{"* on one bucket is not admin", []PolicySource{{"p1", doc(allow([]string{"*"}, "arn:aws:s3:::b/*"))}}, AdminFinding{}},
		{"deny scoped to some resources does not cancel", []PolicySource{{"p1", doc(star, deny([]string{"*"}, "arn:aws:s3:::b"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*"}},
		{"conditional allow: conservative, noted", []PolicySource{{"p1", doc(cond)}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "MFA", Grant: "*", Conditional: true,
				Notes: []string{"allow * MFA in p1 has conditions (Bool aws:MultiFactorAuthPresent): not evaluated, treated as satisfied (conservative)"}}},
		{"conditional deny does not cancel: conservative, noted", []PolicySource{{"p1", doc(star)}, {"p2", doc(condDeny)}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*",
				Notes: []string{"deny OffHours in p2 has conditions (DateGreaterThan aws:CurrentTime): not counted as cancelling (conservative)"}}},
		{"unconditional grant preferred over conditional one", []PolicySource{{"p1", doc(cond)}, {"p2", doc(star)}},
			AdminFinding{Admin: true, Policy: "p2", Statement: "#0", Grant: "*"}},
		{"nil document ignored", []PolicySource{{"p1", nil}}, AdminFinding{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AdminEquivalent(tt.docs)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("AdminEquivalent (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWildcardMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "iam:putrolepolicy", true},
		{"iam:*", "iam:putrolepolicy", true},
		{"iam:put*", "iam:putrolepolicy", true},
		{"iam:put*policy", "iam:putrolepolicy", true},
		{"iam:?ut*", "iam:putrolepolicy", true},
		{"iam:get*", "iam:putrolepolicy", false},
		{"s3:*", "iam:putrolepolicy", false},
		{"iam:putrolepolicy", "iam:putrolepolicyx", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
				t.Errorf("wildcardMatch(%q, %q) = %t, want %t", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestAdminEquivalentSignal(t *testing.T) {
	admin := policy("pol-admin", allow([]string{"*"}, "*"))
	read := policy("pol-read", allow([]string{"s3:GetObject"}, "*"))
	keys := []string{"policy", "grant", "attached_via", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		target string
		want   []hit
	}{
		{"role with admin policy", []inventory.Resource{role("role-1", "pol-admin"), admin}, "role-1",
			[]hit{{Evidence: map[string]string{"policy": "pol-admin", "grant": "*", "attached_via": "role-1"}}}},
		{"safe twin: role with read policy", []inventory.Resource{role("role-1", "pol-read"), read}, "role-1", nil},
		{"missing policy: unknown", []inventory.Resource{role("role-1", "pol-admin")}, "role-1",
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "policy pol-admin not in snapshot"}}}},
		{"user inherits admin from a group", func() []inventory.Resource {
			grp := res("grp-1", inventory.KindGroup)
			grp.Group = &inventory.Group{AttachedPolicies: []string{"pol-admin"}}
			return []inventory.Resource{user("u-1", func(u *inventory.User) { u.Groups = []string{"grp-1"} }), grp, admin}
		}(), "u-1", []hit{{Evidence: map[string]string{"policy": "pol-admin", "grant": "*", "attached_via": "grp-1"}}}},
		{"group itself", func() []inventory.Resource {
			grp := res("grp-1", inventory.KindGroup)
			grp.Group = &inventory.Group{}
			grp.AddEdge(inventory.RelHasPolicy, "pol-admin")
			return []inventory.Resource{grp, admin}
		}(), "grp-1", []hit{{Evidence: map[string]string{"policy": "pol-admin", "grant": "*", "attached_via": "grp-1"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, tt.target, "privileges.admin_equivalent", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestExposedAdminRole(t *testing.T) {
	withRole := func(rs []inventory.Resource, pol inventory.Resource) []inventory.Resource {
		inst := instance("i-1", nil)
		inst.AddEdge(inventory.RelAssumes, "role-web")
		out := replace(rs, inst)
		out = append(out, role("role-web", pol.ID))
		if pol.Policy != nil {
			out = append(out, pol)
		}
		return out
	}
	admin := policy("pol-admin", allow([]string{"*"}, "*"))
	keys := []string{"role", "policy", "port", "via", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"exposed instance with admin role", withRole(publicEstate(), admin),
			[]hit{{Evidence: map[string]string{"role": "role-web", "policy": "pol-admin", "port": "22", "via": "sg-1"}}}},
		{"safe twin: same instance in a private subnet", withRole(replace(publicEstate(), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)), admin), nil},
		{"safe twin: exposed instance with a read-only role", withRole(publicEstate(), policy("pol-admin", allow([]string{"s3:GetObject"}, "*"))), nil},
		{"missing role policy: unknown", withRole(publicEstate(), res("pol-admin", inventory.KindPolicy)),
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "policy pol-admin not in snapshot", "port": "22", "via": "sg-1"}}}},
		{"admin role, route unknown: unknown", withRole(without(publicEstate(), "subnet-1", "rtb-1"), admin),
			[]hit{{Unknown: true, Evidence: map[string]string{"role": "role-web", "policy": "pol-admin", "missing": "subnet subnet-1 not in snapshot"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", "privileges.exposed_admin_role", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPublicBucket(t *testing.T) {
	bucket := func(mut func(*inventory.Bucket)) []inventory.Resource {
		r := res("arn:aws:s3:::b", inventory.KindBucket)
		r.Bucket = &inventory.Bucket{}
		if mut != nil {
			mut(r.Bucket)
		}
		return []inventory.Resource{r}
	}
	public := inventory.Statement{Sid: "Public", Effect: inventory.Allow, Principals: []string{"*"}, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}}
	awsStar := public
	awsStar.Principals = []string{"AWS:*"}
	vpcOnly := public
	vpcOnly.Conditions = []string{"StringEquals aws:SourceVpce"}
	tls := public
	tls.Conditions = []string{"Bool aws:SecureTransport"}
	allUsers := []inventory.ACLGrant{{Grantee: "AllUsers", Permission: "READ"}}
	keys := []string{"policy_statement", "acl_grants", "notes", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		gaps   []inventory.Gap
		want   []hit
	}{
		{"policy allows *", bucket(func(b *inventory.Bucket) { b.Policy = doc(public) }), nil,
			[]hit{{Evidence: map[string]string{"policy_statement": "Public"}}}},
		{"policy allows AWS:*", bucket(func(b *inventory.Bucket) { b.Policy = doc(awsStar) }), nil,
			[]hit{{Evidence: map[string]string{"policy_statement": "Public"}}}},
		{"safe twin: restricted to a vpc endpoint", bucket(func(b *inventory.Bucket) { b.Policy = doc(vpcOnly) }), nil, nil},
		{"non-restricting condition is still public, noted", bucket(func(b *inventory.Bucket) { b.Policy = doc(tls) }), nil,
			[]hit{{Evidence: map[string]string{"policy_statement": "Public",
				"notes": "conditions Bool aws:SecureTransport do not pin the principal or network: read as public (conservative)"}}}},
		{"safe twin: account RestrictPublicBuckets neutralises the policy", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(public)
			b.AccountBlockPublicAccess = &inventory.BlockPublicAccess{RestrictPublicBuckets: true}
		}), nil, nil},
		{"BlockPublicPolicy alone does not neutralise an existing policy", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(public)
			b.BlockPublicAccess = &inventory.BlockPublicAccess{BlockPublicPolicy: true, IgnorePublicACLs: true}
		}), nil, []hit{{Evidence: map[string]string{"policy_statement": "Public"}}}},
		{"acl grant to AllUsers", bucket(func(b *inventory.Bucket) { b.PublicACLGrants = allUsers }), nil,
			[]hit{{Evidence: map[string]string{"acl_grants": "AllUsers:READ"}}}},
		{"safe twin: bucket IgnorePublicACLs neutralises the acl", bucket(func(b *inventory.Bucket) {
			b.PublicACLGrants = allUsers
			b.BlockPublicAccess = &inventory.BlockPublicAccess{IgnorePublicACLs: true}
		}), nil, nil},
		{"policy unreadable: unknown", bucket(func(b *inventory.Bucket) { b.Unknown = []inventory.BucketSetting{inventory.BucketPolicy} }), nil,
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "bucket policy unreadable"}}}},
		{"policy unreadable but account restricts public buckets", bucket(func(b *inventory.Bucket) {
			b.Unknown = []inventory.BucketSetting{inventory.BucketPolicy}
			b.AccountBlockPublicAccess = &inventory.BlockPublicAccess{RestrictPublicBuckets: true}
		}), nil, nil},
		{"public acl, block public access unreadable: unknown", bucket(func(b *inventory.Bucket) {
			b.PublicACLGrants = allUsers
			b.Unknown = []inventory.BucketSetting{inventory.BucketBlockPublicAccess}
		}), nil, []hit{{Unknown: true, Evidence: map[string]string{"missing": "public ACL grants but block public access unreadable"}}}},
		{"missing attributes: unknown", []inventory.Resource{res("arn:aws:s3:::b", inventory.KindBucket)}, nil,
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "bucket attributes not collected"}}}},
		{"policy unreadable (gap): unknown", bucket(nil),
			[]inventory.Gap{{Cloud: inventory.AWS, Account: acct, Service: "s3", Operation: "GetBucketPolicy", Resource: "arn:aws:s3:::b", Reason: inventory.GapAccessDenied, Message: "denied"}},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "aws/111122223333/s3/GetBucketPolicy/arn:aws:s3:::b: access_denied: denied"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, tt.gaps, "arn:aws:s3:::b", "privileges.public_bucket", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
