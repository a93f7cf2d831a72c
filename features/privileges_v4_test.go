package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

// Review 4, findings 8 and 9: resource-scoped escalation grants and
// web-identity trust open to anyone. Each with a bad case, its safe twin and
// a missing-data case.

func TestScopedEscalation(t *testing.T) {
	const (
		adminARN = "arn:aws:iam::" + acct + ":role/Admin"
		appARN   = "arn:aws:iam::" + acct + ":role/app"
		selfUser = "arn:aws:iam::" + acct + ":user/${aws:username}"
	)
	withUser := func(pols ...string) inventory.Resource {
		return user("u-1", func(u *inventory.User) { u.AttachedPolicies = pols })
	}
	passRole := func(roleARN string, compute ...string) inventory.Resource {
		stmts := []inventory.Statement{allow([]string{"iam:PassRole"}, roleARN)}
		if len(compute) > 0 {
			stmts = append(stmts, allow(compute, "*"))
		}
		return policy("pol-1", stmts...)
	}
	adminRole := role(adminARN, "pol-admin")
	appRole := role(appARN, "pol-read")
	keys := []string{"pattern", "policy", "scope", "passable_admin", "passable_admin_role", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"PassRole on an admin role with RunInstances on *", []inventory.Resource{withUser("pol-1"), passRole(adminARN, "ec2:RunInstances"),
			adminRole, policy("pol-admin", allow([]string{"*"}, "*"))},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_ec2", "policy": "pol-1", "scope": adminARN,
				"passable_admin": "true", "passable_admin_role": adminARN}}}},
		{"PassRole on a wildcard of roles with CreateStack", []inventory.Resource{withUser("pol-1"),
			passRole("arn:aws:iam::"+acct+":role/*", "cloudformation:CreateStack"), adminRole, policy("pol-admin", allow([]string{"*"}, "*"))},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_cloudformation", "policy": "pol-1", "scope": "arn:aws:iam::" + acct + ":role/*",
				"passable_admin": "true", "passable_admin_role": adminARN}}}},
		{"PassRole on a read-only role: reported, not admin", []inventory.Resource{withUser("pol-1"),
			passRole(appARN, "lambda:CreateFunction", "lambda:InvokeFunction"), appRole, policy("pol-read", allow([]string{"s3:GetObject"}, "*"))},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_lambda", "policy": "pol-1", "scope": appARN, "passable_admin": "false"}}}},
		{"safe twin: PassRole scoped to a role, no compute create", []inventory.Resource{withUser("pol-1"), passRole(adminARN, "ec2:Describe*"),
			adminRole, policy("pol-admin", allow([]string{"*"}, "*"))}, nil},
		{"missing data: the passable role is not in the snapshot", []inventory.Resource{withUser("pol-1"), passRole(adminARN, "ec2:RunInstances")},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_ec2", "policy": "pol-1", "scope": adminARN, "passable_admin": "unknown"}}}},
		{"missing data: the passable role's policy is not in the snapshot", []inventory.Resource{withUser("pol-1"), passRole(adminARN, "ec2:RunInstances"), adminRole},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_ec2", "policy": "pol-1", "scope": adminARN, "passable_admin": "unknown"}}}},
		{"scoped compute create cannot be judged: unknown", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:PassRole"}, "*"), allow([]string{"ec2:RunInstances"}, "arn:aws:ec2:*:"+acct+":instance/*"))},
			[]hit{{Unknown: true, Evidence: map[string]string{"pattern": "passrole_ec2", "scope": "arn:aws:ec2:*:" + acct + ":instance/*",
				"missing": "resource-scoped grants of passrole_ec2 not judged (their targets' permissions are not evaluated)"}}}},

		{"AttachUserPolicy on ${aws:username}: self-escalation", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:AttachUserPolicy"}, selfUser))},
			[]hit{{Evidence: map[string]string{"pattern": "attach_user_policy", "policy": "pol-1", "scope": selfUser}}}},
		{"PutUserPolicy on the user's own ARN", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:PutUserPolicy"}, "u-*"))},
			[]hit{{Evidence: map[string]string{"pattern": "put_user_policy", "policy": "pol-1", "scope": "u-*"}}}},
		{"CreatePolicyVersion on a policy attached to itself", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:CreatePolicyVersion"}, "pol-1"))},
			[]hit{{Evidence: map[string]string{"pattern": "create_policy_version", "policy": "pol-1", "scope": "pol-1"}}}},
		{"safe twin: CreateAccessKey and UpdateLoginProfile on itself", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:CreateAccessKey", "iam:UpdateLoginProfile"}, selfUser))}, nil},
		{"safe twin: read-only IAM on itself", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:Get*", "iam:List*"}, selfUser))}, nil},
		{"AttachUserPolicy on another user cannot be judged: unknown", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:AttachUserPolicy"}, "arn:aws:iam::"+acct+":user/alice"))},
			[]hit{{Unknown: true, Evidence: map[string]string{"pattern": "attach_user_policy", "scope": "arn:aws:iam::" + acct + ":user/alice",
				"missing": "resource-scoped grants of attach_user_policy not judged (their targets' permissions are not evaluated)"}}}},
		{"safe twin: self-escalation cancelled by an explicit deny", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:AttachUserPolicy"}, selfUser), deny([]string{"iam:*"}, "*"))}, nil},
		{"missing data: the user's policy is not in the snapshot", []inventory.Resource{withUser("pol-gone")},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "policy pol-gone not in snapshot"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "u-1", "privileges.privilege_escalation", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestWebIdentityTrust(t *testing.T) {
	const gh = "token.actions.githubusercontent.com"
	web := func(principal string, conds ...inventory.Condition) inventory.Statement {
		return inventory.Statement{Effect: inventory.Allow, Principals: []string{principal},
			Actions: []string{"sts:AssumeRoleWithWebIdentity"}, Conditions: conds}
	}
	cond := func(op, key string, vs ...string) inventory.Condition {
		return inventory.Condition{Operator: op, Key: key, Values: vs}
	}
	ghARN := "Federated:arn:aws:iam::" + acct + ":oidc-provider/" + gh
	audOnly := cond("StringEquals", gh+":aud", "sts.amazonaws.com")
	noTrust := role("role-1")
	noTrust.Role.Trust = nil
	keys := []string{"provider", "principal", "missing_condition", "missing"}
	ghOpen := map[string]string{"provider": gh, "principal": "Federated:" + gh,
		"missing_condition": "no StringEquals/StringLike on " + gh + ":sub with values that pin a subject: anyone with an account at " + gh + " can assume it"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"GitHub OIDC with only an aud condition", []inventory.Resource{trustRole("role-1", web(ghARN, audOnly))}, []hit{{Evidence: ghOpen}}},
		{"GitHub OIDC by bare name, no condition", []inventory.Resource{trustRole("role-1", web("Federated:"+gh))}, []hit{{Evidence: ghOpen}}},
		{"GitHub OIDC with sub repo:*", []inventory.Resource{trustRole("role-1", web(ghARN, audOnly, cond("StringLike", gh+":sub", "repo:*")))}, []hit{{Evidence: ghOpen}}},
		{"GitHub OIDC with sub * under StringEquals", []inventory.Resource{trustRole("role-1", web(ghARN, cond("StringEquals", gh+":sub", "*")))}, []hit{{Evidence: ghOpen}}},
		{"GitHub OIDC with sub StringNotEquals", []inventory.Resource{trustRole("role-1", web(ghARN, cond("StringNotEquals", gh+":sub", "repo:evil/x:ref:refs/heads/main")))}, []hit{{Evidence: ghOpen}}},
		{"GitHub OIDC with sub StringLikeIfExists", []inventory.Resource{trustRole("role-1", web(ghARN, cond("StringLikeIfExists", gh+":sub", "repo:org/app:*")))}, []hit{{Evidence: ghOpen}}},
		{"Google without aud or sub", []inventory.Resource{trustRole("role-1", web("Federated:accounts.google.com"))},
			[]hit{{Evidence: map[string]string{"provider": "accounts.google.com", "principal": "Federated:accounts.google.com",
				"missing_condition": "no StringEquals/StringLike on accounts.google.com:sub with values that pin a subject: anyone with an account at accounts.google.com can assume it"}}}},
		{"Cognito with only an amr condition", []inventory.Resource{trustRole("role-1", web("Federated:cognito-identity.amazonaws.com",
			cond("ForAnyValue:StringLike", "cognito-identity.amazonaws.com:amr", "authenticated")))},
			[]hit{{Evidence: map[string]string{"provider": "cognito-identity.amazonaws.com", "principal": "Federated:cognito-identity.amazonaws.com",
				"missing_condition": "no StringEquals/StringLike on cognito-identity.amazonaws.com:sub with values that pin a subject: anyone with an account at cognito-identity.amazonaws.com can assume it"}}}},

		{"safe twin: GitHub sub pinned to a repository and branch", []inventory.Resource{trustRole("role-1",
			web(ghARN, audOnly, cond("StringEquals", gh+":sub", "repo:org/app:ref:refs/heads/main")))}, nil},
		{"safe twin: GitHub sub StringLike on one organisation", []inventory.Resource{trustRole("role-1",
			web(ghARN, audOnly, cond("StringLike", gh+":sub", "repo:org/*")))}, nil},
		{"safe twin: Google pinned by aud", []inventory.Resource{trustRole("role-1",
			web("Federated:accounts.google.com", cond("StringEquals", "accounts.google.com:aud", "1234567890.apps.googleusercontent.com")))}, nil},
		{"safe twin: Cognito pinned to an identity pool", []inventory.Resource{trustRole("role-1",
			web("Federated:cognito-identity.amazonaws.com", cond("StringEquals", "cognito-identity.amazonaws.com:aud", "us-east-1:pool-id")))}, nil},
		{"safe twin: a private EKS issuer is not anyone", []inventory.Resource{trustRole("role-1",
			web("Federated:arn:aws:iam::"+acct+":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"))}, nil},
		{"safe twin: SAML federation is not web identity", []inventory.Resource{trustRole("role-1",
			inventory.Statement{Effect: inventory.Allow, Principals: []string{"Federated:arn:aws:iam::" + acct + ":saml-provider/Okta"},
				Actions: []string{"sts:AssumeRoleWithSAML"}})}, nil},
		{"safe twin: GitHub principal on a Deny", []inventory.Resource{trustRole("role-1",
			inventory.Statement{Effect: inventory.Deny, Principals: []string{ghARN}, Actions: []string{"sts:AssumeRoleWithWebIdentity"}})}, nil},
		{"missing data: trust policy not collected", []inventory.Resource{noTrust},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "trust policy not collected"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "role-1", "privileges.role_assumable_by_anyone", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
