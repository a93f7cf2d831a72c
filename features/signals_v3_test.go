package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

// The signals of feature schema 3: each with a bad case, its safe twin and
// a missing-data case.

func cluster(cloud inventory.Cloud, mut func(*inventory.Cluster)) inventory.Resource {
	r := res("k8s-1", inventory.KindCluster)
	r.Cloud = cloud
	r.Cluster = &inventory.Cluster{Version: "1.33", PublicEndpoint: true, Endpoint: "203.0.113.9", AuthorizedNetworks: []string{"198.51.100.0/24"}}
	if mut != nil {
		mut(r.Cluster)
	}
	return r
}

func trustRole(id string, stmts ...inventory.Statement) inventory.Resource {
	r := role(id)
	r.Role.Trust = &inventory.PolicyDocument{Statements: stmts}
	return r
}

func trustStmt(principal string, conds ...inventory.Condition) inventory.Statement {
	return inventory.Statement{Effect: inventory.Allow, Principals: []string{principal}, Actions: []string{"sts:AssumeRole"}, Conditions: conds}
}

func TestSchema3Signals(t *testing.T) {
	noTrust := role("role-1")
	noTrust.Role.Trust = nil
	gcpRole := role("role-1")
	gcpRole.Cloud, gcpRole.Role.Trust = inventory.GCP, nil
	unattached := func(rules ...inventory.FirewallRule) []inventory.Resource {
		return []inventory.Resource{firewall("sg-open", rules...)}
	}
	implied := firewall("//compute.googleapis.com/projects/p/global/networks/n/firewalls/implied-deny-ingress", sgRule("all", 0, 0, "0.0.0.0/0"))
	implied.Cloud = inventory.GCP
	withUser := func(pols ...string) inventory.Resource {
		return user("u-1", func(u *inventory.User) { u.AttachedPolicies = pols })
	}
	azureBucket := func(shared *bool) []inventory.Resource {
		b := res("sa-1/blob", inventory.KindBucket)
		b.Cloud = inventory.Azure
		b.Bucket = &inventory.Bucket{SharedKeyAccess: shared}
		return []inventory.Resource{b}
	}
	tests := []struct {
		name   string
		estate []inventory.Resource
		gaps   []inventory.Gap
		target string
		id     inventory.SignalID
		keys   []string
		want   []hit
	}{
		// ports.any_port_internet
		{"all traffic open on a public instance", replace(publicEstate(), firewall("sg-1", sgRule("all", 0, 0, "0.0.0.0/0"))), nil,
			"i-1", "ports.any_port_internet", []string{"port", "protocol", "via"},
			[]hit{{Evidence: map[string]string{"port": "0-65535", "protocol": "all", "via": "sg-1"}}}},
		{"tcp 0-65535 open counts too", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 0, 65535, "0.0.0.0/0"))), nil,
			"i-1", "ports.any_port_internet", []string{"protocol"}, []hit{{Evidence: map[string]string{"protocol": "tcp"}}}},
		{"safe twin: only 22 open", publicEstate(), nil, "i-1", "ports.any_port_internet", nil, nil},
		{"safe twin: all ports open in a private subnet", replace(replace(publicEstate(), firewall("sg-1", sgRule("all", 0, 0, "0.0.0.0/0"))),
			routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)), nil, "i-1", "ports.any_port_internet", nil, nil},
		{"missing firewall: unknown", without(publicEstate(), "sg-1"), nil, "i-1", "ports.any_port_internet", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "firewall sg-1 not in snapshot"}}}},

		// ports.open_firewall_unattached
		{"open group attached to nothing", unattached(sgRule("tcp", 22, 22, "0.0.0.0/0")), nil,
			"sg-open", "ports.open_firewall_unattached", []string{"source", "port", "attached_to"},
			[]hit{{Evidence: map[string]string{"source": "0.0.0.0/0", "port": "22", "attached_to": "none"}}}},
		{"safe twin: the same group on an instance", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 22, 22, "0.0.0.0/0"))), nil,
			"sg-1", "ports.open_firewall_unattached", nil, nil},
		{"safe twin: unattached but closed to the internet", unattached(sgRule("tcp", 22, 22, "10.0.0.0/8")), nil,
			"sg-open", "ports.open_firewall_unattached", nil, nil},
		{"gcp implied deny is not a user's firewall", []inventory.Resource{implied}, nil,
			implied.ID, "ports.open_firewall_unattached", nil, nil},
		{"scope gap: what holds it may be unread", unattached(sgRule("tcp", 22, 22, "0.0.0.0/0")),
			[]inventory.Gap{{Cloud: inventory.AWS, Account: acct, Region: "eu-west-1", Service: "ec2", Reason: inventory.GapAccessDenied, Message: "denied"}},
			"sg-open", "ports.open_firewall_unattached", []string{"attached_to"}, []hit{{Unknown: true, Evidence: map[string]string{"attached_to": "none"}}}},
		{"rules not collected: unknown", []inventory.Resource{res("sg-open", inventory.KindFirewall)}, nil,
			"sg-open", "ports.open_firewall_unattached", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "firewall rules not collected"}}}},

		// ports.public_k8s_api
		{"public endpoint, no authorized networks", []inventory.Resource{cluster(inventory.GCP, func(c *inventory.Cluster) { c.AuthorizedNetworks = nil })}, nil,
			"k8s-1", "ports.public_k8s_api", []string{"authorized_networks"}, []hit{{Evidence: map[string]string{"authorized_networks": "none (anyone)"}}}},
		{"public endpoint, 0.0.0.0/0 authorized (EKS default)", []inventory.Resource{cluster(inventory.AWS, func(c *inventory.Cluster) { c.AuthorizedNetworks = []string{"0.0.0.0/0"} })}, nil,
			"k8s-1", "ports.public_k8s_api", []string{"source"}, []hit{{Evidence: map[string]string{"source": "0.0.0.0/0"}}}},
		{"safe twin: narrow authorized networks", []inventory.Resource{cluster(inventory.Azure, nil)}, nil, "k8s-1", "ports.public_k8s_api", nil, nil},
		{"safe twin: private endpoint", []inventory.Resource{cluster(inventory.GCP, func(c *inventory.Cluster) { c.PublicEndpoint, c.AuthorizedNetworks = false, nil })}, nil,
			"k8s-1", "ports.public_k8s_api", nil, nil},
		{"cluster not collected: unknown", []inventory.Resource{res("k8s-1", inventory.KindCluster)}, nil, "k8s-1", "ports.public_k8s_api", nil, []hit{{Unknown: true}}},

		// privileges.role_assumable_by_anyone
		{"trust principal *", []inventory.Resource{trustRole("role-1", trustStmt("*"))}, nil, "role-1", "privileges.role_assumable_by_anyone",
			[]string{"principal", "statement"}, []hit{{Evidence: map[string]string{"principal": "*", "statement": "#0"}}}},
		{"trust AWS:* with a condition that pins nothing", []inventory.Resource{trustRole("role-1",
			trustStmt("AWS:*", inventory.Condition{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"x"}}))}, nil,
			"role-1", "privileges.role_assumable_by_anyone", []string{"principal"}, []hit{{Evidence: map[string]string{"principal": "AWS:*"}}}},
		{"safe twin: * pinned to the organisation", []inventory.Resource{trustRole("role-1",
			trustStmt("*", inventory.Condition{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-abc"}}))}, nil,
			"role-1", "privileges.role_assumable_by_anyone", nil, nil},
		{"safe twin: service principal", []inventory.Resource{role("role-1")}, nil, "role-1", "privileges.role_assumable_by_anyone", nil, nil},
		{"trust policy not collected: unknown", []inventory.Resource{noTrust}, nil, "role-1", "privileges.role_assumable_by_anyone",
			[]string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "trust policy not collected"}}}},
		{"gcp roles have no trust policy", []inventory.Resource{gcpRole}, nil, "role-1", "privileges.role_assumable_by_anyone", nil, nil},

		// privileges.cross_account_trust
		{"trust of another account's root", []inventory.Resource{trustRole("role-1", trustStmt("AWS:arn:aws:iam::444455556666:root"),
			trustStmt("AWS:777788889999", inventory.Condition{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"x"}}))}, nil,
			"role-1", "privileges.cross_account_trust", []string{"account", "external_id"},
			[]hit{{Evidence: map[string]string{"account": "444455556666,777788889999", "external_id": "required"}}}},
		{"safe twin: own account", []inventory.Resource{trustRole("role-1", trustStmt("AWS:arn:aws:iam::"+acct+":role/ci"))}, nil,
			"role-1", "privileges.cross_account_trust", nil, nil},
		{"cross-account trust: missing trust is unknown", []inventory.Resource{noTrust}, nil, "role-1", "privileges.cross_account_trust", nil, []hit{{Unknown: true}}},

		// privileges.privilege_escalation
		{"PassRole with RunInstances", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:PassRole", "ec2:*"}, "*"))}, nil,
			"u-1", "privileges.privilege_escalation", []string{"pattern", "policy"},
			[]hit{{Evidence: map[string]string{"pattern": "passrole_ec2", "policy": "pol-1"}}}},
		{"CreateAccessKey for anyone, through a group", []inventory.Resource{
			user("u-1", func(u *inventory.User) { u.Groups = []string{"grp-1"} }),
			func() inventory.Resource {
				g := res("grp-1", inventory.KindGroup)
				g.Group = &inventory.Group{AttachedPolicies: []string{"pol-1"}}
				return g
			}(), policy("pol-1", allow([]string{"iam:CreateAccessKey", "iam:UpdateLoginProfile"}, "*"))}, nil,
			"u-1", "privileges.privilege_escalation", []string{"pattern", "attached_via"},
			[]hit{{Evidence: map[string]string{"pattern": "create_access_key,update_login_profile", "attached_via": "grp-1"}}}},
		{"safe twin: PassRole without a compute create", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:PassRole", "ec2:Describe*"}, "*"))}, nil,
			"u-1", "privileges.privilege_escalation", nil, nil},
		{"safe twin: CreateAccessKey scoped to itself", []inventory.Resource{withUser("pol-1"),
			policy("pol-1", allow([]string{"iam:CreateAccessKey"}, "arn:aws:iam::"+acct+":user/${aws:username}"))}, nil,
			"u-1", "privileges.privilege_escalation", nil, nil},
		{"safe twin: explicit deny", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"iam:SetDefaultPolicyVersion"}, "*"),
			deny([]string{"iam:SetDefaultPolicyVersion"}, "*"))}, nil, "u-1", "privileges.privilege_escalation", nil, nil},
		{"admin is reported as admin_equivalent, not here", []inventory.Resource{withUser("pol-1"), policy("pol-1", allow([]string{"*"}, "*"))}, nil,
			"u-1", "privileges.privilege_escalation", nil, nil},
		{"policy missing: unknown", []inventory.Resource{withUser("pol-gone")}, nil, "u-1", "privileges.privilege_escalation",
			[]string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "policy pol-gone not in snapshot"}}}},

		// passwords.db_tls_not_enforced
		{"database accepts plain connections", []inventory.Resource{database(func(d *inventory.Database) { d.TLSRequired = new(false) })}, nil,
			"db-1", "passwords.db_tls_not_enforced", []string{"tls_required"}, []hit{{Evidence: map[string]string{"tls_required": "false"}}}},
		{"safe twin: TLS required", []inventory.Resource{database(nil)}, nil, "db-1", "passwords.db_tls_not_enforced", nil, nil},
		{"TLS setting not read: unknown", []inventory.Resource{database(func(d *inventory.Database) { d.TLSRequired = nil })}, nil,
			"db-1", "passwords.db_tls_not_enforced", nil, []hit{{Unknown: true}}},

		// passwords.storage_shared_key
		{"storage account accepts shared keys", azureBucket(new(true)), nil, "sa-1/blob", "passwords.storage_shared_key",
			[]string{"shared_key_access"}, []hit{{Evidence: map[string]string{"shared_key_access": "true"}}}},
		{"safe twin: shared keys off", azureBucket(new(false)), nil, "sa-1/blob", "passwords.storage_shared_key", nil, nil},
		{"no such setting (S3, GCS): no signal", azureBucket(nil), nil, "sa-1/blob", "passwords.storage_shared_key", nil, nil},

		// patches.eol_kubernetes
		{"EKS 1.29 past standard support", []inventory.Resource{cluster(inventory.AWS, func(c *inventory.Cluster) { c.Version = "1.29" })}, nil,
			"k8s-1", "patches.eol_kubernetes", []string{"end_of_support", "basis"},
			[]hit{{Evidence: map[string]string{"end_of_support": "2025-03-23", "basis": "eks standard support"}}}},
		{"GKE 1.30 past upstream end of life", []inventory.Resource{cluster(inventory.GCP, func(c *inventory.Cluster) { c.Version = "1.30.5-gke.1014001" })}, nil,
			"k8s-1", "patches.eol_kubernetes", []string{"end_of_support", "basis"},
			[]hit{{Evidence: map[string]string{"end_of_support": "2025-06-28", "basis": "upstream end of life (provider date not recorded)"}}}},
		{"safe twin: 1.33", []inventory.Resource{cluster(inventory.AWS, nil)}, nil, "k8s-1", "patches.eol_kubernetes", nil, nil},
		{"newer than the table: supported", []inventory.Resource{cluster(inventory.Azure, func(c *inventory.Cluster) { c.Version = "1.40.1" })}, nil,
			"k8s-1", "patches.eol_kubernetes", nil, nil},
		{"version missing: unknown", []inventory.Resource{cluster(inventory.AWS, func(c *inventory.Cluster) { c.Version = "" })}, nil,
			"k8s-1", "patches.eol_kubernetes", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "cluster version"}}}},
		{"version older than the table: unknown", []inventory.Resource{cluster(inventory.AWS, func(c *inventory.Cluster) { c.Version = "1.19.16" })}, nil,
			"k8s-1", "patches.eol_kubernetes", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "kubernetes version not in the support table"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, tt.gaps, tt.target, tt.id, tt.keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", tt.id, diff)
			}
		})
	}
}

func TestK8sMinor(t *testing.T) {
	for in, want := range map[string]string{"1.29": "1.29", "v1.30.2": "1.30", "1.31.4-gke.1": "1.31", "1.28-eks-1": "1.28", "": "", "latest": ""} {
		if got := K8sMinor(in); got != want {
			t.Errorf("K8sMinor(%q) = %q, want %q", in, got, want)
		}
	}
}
