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
	cond.Conditions = []inventory.Condition{{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}}}
	condDeny := deny([]string{"*"}, "*")
	condDeny.Sid = "OffHours"
	condDeny.Conditions = []inventory.Condition{{Operator: "DateGreaterThan", Key: "aws:CurrentTime", Values: []string{"2026-01-01T18:00:00Z"}}}
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
		{"wildcard escalation actions on * are admin", []PolicySource{{"p1", doc(allow([]string{"s3:GetObject", "iam:Put*", "iam:Attach*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "s3:GetObject,iam:Put*,iam:Attach*"}},
		{"iam:*Policy* on * is admin", []PolicySource{{"p1", doc(allow([]string{"iam:*Policy*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "iam:*Policy*"}},
		{"iam:?ttach* on * is admin", []PolicySource{{"p1", doc(allow([]string{"iam:?ttach*"}, "*"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "iam:?ttach*"}},
		{"iam:Put* cancelled by deny iam:Put*", []PolicySource{{"p1", doc(allow([]string{"iam:Put*"}, "*"), deny([]string{"iam:Put*"}, "*"))}},
			AdminFinding{Notes: []string{"allow iam:Put* #0 in p1 is cancelled by explicit deny"}}},
		{"safe twin: read-only iam wildcards are not admin", []PolicySource{{"p1", doc(allow([]string{"iam:Get*", "iam:List*"}, "*"))}}, AdminFinding{}},
		{"safe twin: iam:Put* on one role is not admin", []PolicySource{{"p1", doc(allow([]string{"iam:Put*"}, "arn:aws:iam::111122223333:role/x"))}}, AdminFinding{}},
		{"* on one bucket is not admin", []PolicySource{{"p1", doc(allow([]string{"*"}, "arn:aws:s3:::b/*"))}}, AdminFinding{}},
		{"deny scoped to some resources does not cancel", []PolicySource{{"p1", doc(star, deny([]string{"*"}, "arn:aws:s3:::b"))}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*"}},
		{"conditional allow: conservative, noted", []PolicySource{{"p1", doc(cond)}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "MFA", Grant: "*", Conditional: true,
				Notes: []string{"allow * MFA in p1 has conditions (Bool aws:MultiFactorAuthPresent [\"true\"]): not evaluated, treated as satisfied (conservative)"}}},
		{"conditional deny does not cancel: conservative, noted", []PolicySource{{"p1", doc(star)}, {"p2", doc(condDeny)}},
			AdminFinding{Admin: true, Policy: "p1", Statement: "#0", Grant: "*",
				Notes: []string{"deny OffHours in p2 has conditions (DateGreaterThan aws:CurrentTime [\"2026-01-01T18:00:00Z\"]): not counted as cancelling (conservative)"}}},
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
	withCond := func(cs ...inventory.Condition) inventory.Statement {
		st := public
		st.Conditions = cs
		return st
	}
	cond := func(op, key string, values ...string) inventory.Condition {
		return inventory.Condition{Operator: op, Key: key, Values: values}
	}
	vpcOnly := withCond(cond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"))
	tls := withCond(cond("Bool", "aws:SecureTransport", "true"))
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
		{"SourceIp 0.0.0.0/0 does not restrict", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("IpAddress", "aws:SourceIp", "0.0.0.0/0")))
		}), nil, []hit{{Evidence: map[string]string{"policy_statement": "Public",
			"notes": `conditions IpAddress aws:SourceIp ["0.0.0.0/0"] do not pin the principal or network to fixed values: read as public (conservative)`}}}},
		{"safe twin: SourceIp of one office range", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("IpAddress", "aws:SourceIp", "203.0.113.0/24")))
		}), nil, nil},
		{"StringLike PrincipalOrgID * does not restrict", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("StringLike", "aws:PrincipalOrgID", "*")))
		}), nil, []hit{{Evidence: map[string]string{"policy_statement": "Public",
			"notes": `conditions StringLike aws:PrincipalOrgID ["*"] do not pin the principal or network to fixed values: read as public (conservative)`}}}},
		{"safe twin: StringEquals PrincipalOrgID of one organisation", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("StringEquals", "aws:PrincipalOrgID", "o-abc123")))
		}), nil, nil},
		{"ArnLike SourceArn * does not restrict", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("ArnLike", "aws:SourceArn", "*")))
		}), nil, []hit{{Evidence: map[string]string{"policy_statement": "Public",
			"notes": `conditions ArnLike aws:SourceArn ["*"] do not pin the principal or network to fixed values: read as public (conservative)`}}}},
		{"safe twin: ArnEquals SourceArn of one distribution", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("ArnEquals", "aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE")))
		}), nil, nil},
		{"Null SourceVpce false does not restrict", bucket(func(b *inventory.Bucket) {
			b.Policy = doc(withCond(cond("Null", "aws:SourceVpce", "false")))
		}), nil, []hit{{Evidence: map[string]string{"policy_statement": "Public",
			"notes": `conditions Null aws:SourceVpce ["false"] do not pin the principal or network to fixed values: read as public (conservative)`}}}},
		{"non-restricting condition is still public, noted", bucket(func(b *inventory.Bucket) { b.Policy = doc(tls) }), nil,
			[]hit{{Evidence: map[string]string{"policy_statement": "Public",
				"notes": `conditions Bool aws:SecureTransport ["true"] do not pin the principal or network to fixed values: read as public (conservative)`}}}},
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

// TestPublicBucketConditions: a condition hides a public statement only
// when it pins a restricting key to concrete values with an equality
// operator. Each public case has a restricting twin.
func TestPublicBucketConditions(t *testing.T) {
	cond := func(op, key string, values ...string) inventory.Condition {
		return inventory.Condition{Operator: op, Key: key, Values: values}
	}
	tests := []struct {
		name   string
		conds  []inventory.Condition
		public bool
	}{
		{"IpAddress aws:SourceIp 0.0.0.0/0", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "0.0.0.0/0")}, true},
		{"twin: IpAddress aws:SourceIp of an office range", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "203.0.113.0/24")}, false},
		{"IpAddress aws:SourceIp with one wide prefix among narrow ones", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "203.0.113.0/24", "0.0.0.0/1")}, true},
		{"IpAddress aws:SourceIp ::/0", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "::/0")}, true},
		{"IpAddress aws:SourceIp broad ipv6 /16 (S3 reads it public)", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "2001::/16")}, true},
		{"twin: IpAddress aws:SourceIp one address", []inventory.Condition{cond("IpAddress", "aws:SourceIp", "198.51.100.7")}, false},
		{"NotIpAddress aws:SourceIp", []inventory.Condition{cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")}, true},

		{"StringLike aws:PrincipalOrgID *", []inventory.Condition{cond("StringLike", "aws:PrincipalOrgID", "*")}, true},
		{"twin: StringEquals aws:PrincipalOrgID o-abc123", []inventory.Condition{cond("StringEquals", "aws:PrincipalOrgID", "o-abc123")}, false},
		{"twin: StringLike aws:PrincipalOrgID without wildcards", []inventory.Condition{cond("StringLike", "aws:PrincipalOrgID", "o-abc123")}, false},
		{"StringEquals aws:PrincipalOrgID with a ? value", []inventory.Condition{cond("StringEquals", "aws:PrincipalOrgID", "o-abc12?")}, true},

		{"ArnLike aws:SourceArn *", []inventory.Condition{cond("ArnLike", "aws:SourceArn", "*")}, true},
		{"ArnLike aws:SourceArn with a wildcard account", []inventory.Condition{cond("ArnLike", "aws:SourceArn", "arn:aws:cloudfront::*:distribution/*")}, true},
		{"twin: ArnLike aws:SourceArn one distribution", []inventory.Condition{cond("ArnLike", "aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE")}, false},
		{"twin: ArnEquals aws:SourceArn one distribution", []inventory.Condition{cond("ArnEquals", "aws:SourceArn", "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE")}, false},

		{"Null aws:SourceVpce false", []inventory.Condition{cond("Null", "aws:SourceVpce", "false")}, true},
		{"twin: StringEquals aws:SourceVpce one endpoint", []inventory.Condition{cond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d")}, false},
		{"StringEqualsIfExists aws:SourceVpce (passes when absent)", []inventory.Condition{cond("StringEqualsIfExists", "aws:SourceVpce", "vpce-1a2b3c4d")}, true},
		{"ForAllValues:StringEquals aws:PrincipalOrgPaths (passes when empty)", []inventory.Condition{cond("ForAllValues:StringEquals", "aws:PrincipalOrgPaths", "o-a/r-b/ou-c/")}, true},
		{"twin: ForAnyValue:StringEquals aws:PrincipalOrgPaths", []inventory.Condition{cond("ForAnyValue:StringEquals", "aws:PrincipalOrgPaths", "o-a/r-b/ou-c/")}, false},
		{"StringNotEquals aws:SourceAccount", []inventory.Condition{cond("StringNotEquals", "aws:SourceAccount", "111122223333")}, true},
		{"StringEquals on a key that restricts nothing", []inventory.Condition{cond("StringEquals", "s3:prefix", "public/")}, true},
		{"twin: key names are case-insensitive", []inventory.Condition{cond("StringEquals", "AWS:SOURCEACCOUNT", "111122223333")}, false},
		{"one restricting condition among others is enough", []inventory.Condition{cond("Bool", "aws:SecureTransport", "true"), cond("StringEquals", "aws:SourceVpc", "vpc-1")}, false},
		{"no values", []inventory.Condition{cond("StringEquals", "aws:SourceVpc")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := inventory.Statement{Sid: "Public", Effect: inventory.Allow, Principals: []string{"*"}, Actions: []string{"s3:GetObject"},
				Resources: []string{"arn:aws:s3:::b/*"}, Conditions: tt.conds}
			_, _, note, got := publicStatement(doc(st))
			if got != tt.public {
				t.Errorf("publicStatement public = %t, want %t", got, tt.public)
			}
			if got && note == "" {
				t.Errorf("a public statement with conditions has no note")
			}
		})
	}
}
