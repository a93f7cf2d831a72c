package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestReachability(t *testing.T) {
	path22 := "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0"
	exp22 := Exposure{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1", Path: path22}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   Reachability
	}{
		{
			name:   "public ip, igw route, sg open on 22: exposed with path",
			estate: publicEstate(),
			want:   Reachability{Exposures: []Exposure{exp22}},
		},
		{
			name:   "private subnet: route table without igw, open sg",
			estate: replace(publicEstate(), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)),
			want:   Reachability{},
		},
		{
			name:   "no public ip",
			estate: replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.PublicIPs = nil })),
			want:   Reachability{},
		},
		{
			name: "main route table fallback",
			estate: replace(replace(publicEstate(),
				routeTable("rtb-1", false, []string{"subnet-9"})),
				routeTable("rtb-main", true, nil, igwRoute)),
			want: Reachability{Exposures: []Exposure{{
				Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1",
				Path: "internet -> igw-1 (rtb-main 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0",
			}}},
		},
		{
			name:   "main route table fallback without igw",
			estate: replace(publicEstate(), routeTable("rtb-1", false, []string{"subnet-9"}, igwRoute)),
			want:   Reachability{},
		},
		{
			name: "explicit association by routes edge",
			estate: func() []inventory.Resource {
				rt := routeTable("rtb-1", false, nil, igwRoute)
				rt.AddEdge(inventory.RelRoutes, "subnet-1")
				return replace(publicEstate(), rt)
			}(),
			want: Reachability{Exposures: []Exposure{exp22}},
		},
		{
			name: "public address on an interface",
			estate: func() []inventory.Resource {
				eni := res("eni-1", inventory.KindInterface)
				eni.Interface = &inventory.Interface{SubnetID: "subnet-1", InstanceID: "i-1", PublicIPs: []string{"34.1.1.1"}, Firewalls: []string{"sg-1"}}
				return replace(replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.PublicIPs = nil })), eni)
			}(),
			want: Reachability{Exposures: []Exposure{{
				Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "34.1.1.1",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 34.1.1.1 (eni-1) -> sg-1: allow tcp 22 from 0.0.0.0/0",
			}}},
		},
		{
			name:   "subnet and its route table missing: unknown, not safe",
			estate: without(publicEstate(), "subnet-1", "rtb-1"),
			want: Reachability{
				Uncertain: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> ? (route of subnet subnet-1 unknown) -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0"}},
				Unknown: true,
				Missing: []string{"subnet subnet-1 not in snapshot"},
			},
		},
		{
			name:   "firewall missing on a public path: every port unknown",
			estate: without(publicEstate(), "sg-1"),
			want:   Reachability{AnyPortUnknown: true, Unknown: true, Missing: []string{"firewall sg-1 not in snapshot"}},
		},
		{
			name:   "firewall missing on a private path: not exposed",
			estate: replace(without(publicEstate(), "sg-1"), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)),
			want:   Reachability{Missing: []string{"firewall sg-1 not in snapshot"}},
		},
		{
			name:   "ipv6 everywhere, broad /8 source recorded with its breadth, private /8 ignored",
			estate: replace(publicEstate(), firewall("sg-1", sgRule("tcp", 443, 443, "::/0", "3.0.0.0/8", "10.0.0.0/8"))),
			want: Reachability{Exposures: []Exposure{
				{Ports: inventory.PortRange{From: 443, To: 443}, Protocol: "tcp", Source: "::/0", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 443 from ::/0"},
				{Ports: inventory.PortRange{From: 443, To: 443}, Protocol: "tcp", Source: "3.0.0.0/8", Breadth: 8, Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 443 from 3.0.0.0/8"},
			}},
		},
		{
			name: "deny with lower priority number wins over a later allow",
			estate: replace(publicEstate(), firewall("sg-1",
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 100, Protocol: "*", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"*"}},
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 200, Protocol: "tcp", Ports: inventory.PortRange{From: 20, To: 25}, Sources: []string{"Internet"}},
			)),
			want: Reachability{Exposures: []Exposure{
				{Ports: inventory.PortRange{From: 20, To: 21}, Protocol: "tcp", Source: "Internet", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 20-21 from Internet"},
				{Ports: inventory.PortRange{From: 23, To: 25}, Protocol: "tcp", Source: "Internet", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 23-25 from Internet"},
			}},
		},
		{
			name: "allow evaluated before a later deny",
			estate: replace(publicEstate(), firewall("sg-1",
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 100, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"}},
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 4096, Protocol: "*", Sources: []string{"*"}},
			)),
			want: Reachability{Exposures: []Exposure{exp22}},
		},
		{
			name: "a deny of part of the internet leaves the rest exposed",
			estate: replace(publicEstate(), firewall("sg-1",
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 100, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"3.0.0.0/8"}},
				inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 200, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"}},
			)),
			want: Reachability{Exposures: []Exposure{exp22}},
		},
		{
			name: "source group of the same account in the snapshot and private sources only",
			estate: append(replace(publicEstate(), firewall("sg-1", inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
				Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"192.168.0.0/16"}, SourceGroups: []string{"sg-2"}})), firewall("sg-2")),
			want: Reachability{},
		},
		{
			name: "source group of another account: unknown, not closed",
			estate: func() []inventory.Resource {
				other := firewall("sg-2")
				other.Account = "999988887777"
				return append(replace(publicEstate(), firewall("sg-1", inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
					Ports: inventory.PortRange{From: 22, To: 22}, SourceGroups: []string{"sg-2"}})), other)
			}(),
			want: Reachability{
				Uncertain: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "sg-2", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from sg-2"}},
				Unknown: true,
				Missing: []string{"sg-1 admits tcp 22 from sg-2, whose addresses are not in the snapshot"},
			},
		},
		{
			name: "source group not in the snapshot: unknown, not closed",
			estate: replace(publicEstate(), firewall("sg-1", inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
				Ports: inventory.PortRange{From: 22, To: 22}, SourceGroups: []string{"arn:aws:ec2:eu-west-1:999988887777:security-group/sg-9"}})),
			want: Reachability{
				Uncertain: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "arn:aws:ec2:eu-west-1:999988887777:security-group/sg-9", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from arn:aws:ec2:eu-west-1:999988887777:security-group/sg-9"}},
				Unknown: true,
				Missing: []string{"sg-1 admits tcp 22 from arn:aws:ec2:eu-west-1:999988887777:security-group/sg-9, whose addresses are not in the snapshot"},
			},
		},
		{
			name:   "prefix list source: unknown, not closed",
			estate: replace(publicEstate(), firewall("sg-1", sgRule("tcp", 22, 22, "pl-0123456789abcdef0"))),
			want: Reachability{
				Uncertain: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "pl-0123456789abcdef0", Via: "sg-1", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from pl-0123456789abcdef0"}},
				Unknown: true,
				Missing: []string{"sg-1 admits tcp 22 from pl-0123456789abcdef0, whose addresses are not in the snapshot"},
			},
		},
		{
			name:   "prefix list source in a private subnet: not exposed",
			estate: replace(replace(publicEstate(), firewall("sg-1", sgRule("tcp", 22, 22, "pl-0123456789abcdef0"))), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)),
			want:   Reachability{},
		},
		{
			name:   "half the internet (0.0.0.0/1) is internet-wide",
			estate: replace(publicEstate(), firewall("sg-1", sgRule("tcp", 22, 22, "0.0.0.0/1"))),
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/1", Breadth: 1, Via: "sg-1", Address: "54.0.0.1",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/1"}}},
		},
		{
			name:   "all protocols, no port range: every port",
			estate: replace(publicEstate(), firewall("sg-1", sgRule("-1", 0, 0, "0.0.0.0/0"))),
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 0, To: 65535}, Protocol: "all", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow all 0-65535 from 0.0.0.0/0"}}},
		},
		{
			name: "open security group attached to nothing: no exposure",
			estate: append(replace(publicEstate(), firewall("sg-1", sgRule("tcp", 443, 443, "10.0.0.0/16"))),
				firewall("sg-open", sgRule("-1", 0, 0, "0.0.0.0/0"))),
			want: Reachability{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, nil).Reachability("i-1")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Reachability(i-1) (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReachabilityPort(t *testing.T) {
	g := NewGraph(replace(publicEstate(), firewall("sg-1", sgRule("tcp", 443, 443, "0.0.0.0/0"))), nil)
	tests := []struct {
		port int
		want Reach
	}{{443, Reachable}, {22, NotReachable}}
	for _, tt := range tests {
		t.Run(itoa(tt.port), func(t *testing.T) {
			got, _ := g.Reachability("i-1").Port("tcp", tt.port)
			if got != tt.want {
				t.Errorf("Port(tcp, %d) = %v, want %v", tt.port, got, tt.want)
			}
		})
	}
}

func TestDatabaseReachability(t *testing.T) {
	db := func(mut func(*inventory.Database)) inventory.Resource {
		r := res("db-1", inventory.KindDatabase)
		r.Database = &inventory.Database{Engine: "postgres", EngineVersion: "16.3", PubliclyAccessible: true, Port: 5432,
			Endpoint: "db-1.x.rds.amazonaws.com", Firewalls: []string{"sg-db"}, SubnetIDs: []string{"subnet-1"}, NetworkID: "vpc-1", AutoMinorUpgrade: true}
		if mut != nil {
			mut(r.Database)
		}
		return r
	}
	base := append(publicEstate(), db(nil), firewall("sg-db", sgRule("tcp", 0, 65535, "0.0.0.0/0")))
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []Exposure
		unk    bool
	}{
		{"public, igw, sg open: exposed on its port only", base, []Exposure{{Ports: inventory.PortRange{From: 5432, To: 5432}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-db",
			Address: "db-1.x.rds.amazonaws.com", Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> db-1.x.rds.amazonaws.com (db-1) -> sg-db: allow tcp 5432 from 0.0.0.0/0"}}, false},
		{"not publicly accessible", replace(base, db(func(d *inventory.Database) { d.PubliclyAccessible = false })), nil, false},
		{"sg does not admit its port", replace(base, firewall("sg-db", sgRule("tcp", 22, 22, "0.0.0.0/0"))), nil, false},
		{"no subnets recorded: unknown", replace(base, db(func(d *inventory.Database) { d.SubnetIDs = nil })), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewGraph(tt.estate, nil).Reachability("db-1")
			if diff := cmp.Diff(r.Exposures, tt.want); diff != "" {
				t.Errorf("Exposures (-got +want):\n%s", diff)
			}
			if r.Unknown != tt.unk {
				t.Errorf("Unknown = %t, want %t", r.Unknown, tt.unk)
			}
		})
	}
}

func TestIdentities(t *testing.T) {
	inst := instance("i-1", func(in *inventory.Instance) { in.InstanceProfile = "arn:aws:iam::1:instance-profile/web" })
	inst.AddEdge(inventory.RelAssumes, "role-a")
	byProfile := instance("i-2", func(in *inventory.Instance) { in.InstanceProfile = "arn:aws:iam::1:instance-profile/web" })
	roleB := role("role-b")
	roleB.Role.InstanceProfiles = []string{"arn:aws:iam::1:instance-profile/web"}
	u := user("u-1", func(u *inventory.User) { u.Groups = []string{"grp-1"}; u.InlinePolicies = []string{"pol-inline"} })
	u.AddEdge(inventory.RelMemberOf, "grp-2")
	u.AddEdge(inventory.RelHasPolicy, "pol-edge")
	g1 := res("grp-1", inventory.KindGroup)
	g1.Group = &inventory.Group{AttachedPolicies: []string{"pol-g1", "pol-edge"}}
	g2 := res("grp-2", inventory.KindGroup)
	g2.Group = &inventory.Group{}
	g2.AddEdge(inventory.RelHasPolicy, "pol-g2")
	g := NewGraph([]inventory.Resource{inst, byProfile, role("role-a", "pol-a"), roleB, u, g1, g2}, nil)

	t.Run("roles by assumes edge", func(t *testing.T) {
		if diff := cmp.Diff(g.RolesOf("i-1"), []string{"role-a"}); diff != "" {
			t.Errorf("RolesOf(i-1) (-got +want):\n%s", diff)
		}
	})
	t.Run("an instance profile without assumes edges resolves to no role", func(t *testing.T) {
		// The collector links profiles to roles (assumes edges); features
		// does not guess a second time.
		if got := g.RolesOf("i-2"); len(got) != 0 {
			t.Errorf("RolesOf(i-2) = %q, want none", got)
		}
		_, _, _, _, missing := g.adminRoleOf(g.Resource("i-2"))
		if diff := cmp.Diff(missing, []string{"instance profile arn:aws:iam::1:instance-profile/web resolves to no role in snapshot"}); diff != "" {
			t.Errorf("adminRoleOf(i-2) missing (-got +want):\n%s", diff)
		}
	})
	t.Run("user policies with groups", func(t *testing.T) {
		want := []PolicyRef{{"pol-edge", "u-1"}, {"pol-g1", "grp-1"}, {"pol-g2", "grp-2"}, {"pol-inline", "u-1"}}
		if diff := cmp.Diff(g.PoliciesOf("u-1"), want); diff != "" {
			t.Errorf("PoliciesOf(u-1) (-got +want):\n%s", diff)
		}
	})
	t.Run("role policies", func(t *testing.T) {
		if diff := cmp.Diff(g.PoliciesOf("role-a"), []PolicyRef{{"pol-a", "role-a"}}); diff != "" {
			t.Errorf("PoliciesOf(role-a) (-got +want):\n%s", diff)
		}
	})
}

// TestReachabilityRouteTableGap: when the route tables of the instance's
// account and region were not all listed (a DescribeRouteTables page
// failed), a subnet without a known explicit association is unknown: its
// association may be on the lost page, so the main table cannot answer.
func TestReachabilityRouteTableGap(t *testing.T) {
	gap := func(account, region string) inventory.Gap {
		return inventory.Gap{Cloud: inventory.AWS, Account: account, Region: region, Service: "ec2", Operation: "DescribeRouteTables",
			Reason: inventory.GapThrottled, Message: "page 2: gave up after retries"}
	}
	// subnet-1's explicit table (routed to the igw) was on the lost page;
	// the main table has no igw route.
	lostAssociation := without(publicEstate(), "rtb-1")
	path := "internet -> ? (route of subnet subnet-1 unknown) -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0"
	uncertain := []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1", Path: path}}
	tests := []struct {
		name   string
		estate []inventory.Resource
		gaps   []inventory.Gap
		want   Reachability
	}{
		{
			name:   "no gap: the main table answers, not reachable",
			estate: lostAssociation,
			want:   Reachability{},
		},
		{
			name:   "gap in the instance's account and region: unknown, not the main table's answer",
			estate: lostAssociation,
			gaps:   []inventory.Gap{gap(acct, "eu-west-1")},
			want: Reachability{Uncertain: uncertain, Unknown: true, Missing: []string{
				"route tables of aws/111122223333/eu-west-1 incompletely listed, so the association of subnet subnet-1 is unknown (aws/111122223333/eu-west-1/ec2/DescribeRouteTables: throttled: page 2: gave up after retries)"}},
		},
		{
			name:   "gap with no account covers every account",
			estate: lostAssociation,
			gaps:   []inventory.Gap{gap("", "eu-west-1")},
			want: Reachability{Uncertain: uncertain, Unknown: true, Missing: []string{
				"route tables of aws/111122223333/eu-west-1 incompletely listed, so the association of subnet subnet-1 is unknown (aws/eu-west-1/ec2/DescribeRouteTables: throttled: page 2: gave up after retries)"}},
		},
		{
			name:   "gap in another region: the main table answers",
			estate: lostAssociation,
			gaps:   []inventory.Gap{gap(acct, "us-east-1")},
			want:   Reachability{},
		},
		{
			name:   "gap in another account: the main table answers",
			estate: lostAssociation,
			gaps:   []inventory.Gap{gap("999988887777", "eu-west-1")},
			want:   Reachability{},
		},
		{
			name:   "gap of another operation: the main table answers",
			estate: lostAssociation,
			gaps:   []inventory.Gap{{Cloud: inventory.AWS, Account: acct, Region: "eu-west-1", Service: "ec2", Operation: "DescribeSubnets", Reason: inventory.GapThrottled, Message: "gave up"}},
			want:   Reachability{},
		},
		{
			name:   "gap, but the subnet's explicit table was read: it answers",
			estate: publicEstate(),
			gaps:   []inventory.Gap{gap(acct, "eu-west-1")},
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-1", Address: "54.0.0.1",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, tt.gaps).Reachability("i-1")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Reachability(i-1) (-got +want):\n%s", diff)
			}
		})
	}
}

// TestReachabilityLayers: Azure evaluates the subnet's NSG, then the NIC's;
// traffic passes only if both admit it. Each NSG keeps its own priority
// order with the default rules (AllowVnetInBound 65000,
// AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500).
func TestReachabilityLayers(t *testing.T) {
	defaults := []inventory.FirewallRule{
		{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 65000, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"VirtualNetwork"}},
		{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 65001, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"AzureLoadBalancer"}},
		{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 65500, Protocol: "all", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"*"}},
	}
	nsg := func(id, layer string, rules ...inventory.FirewallRule) inventory.Resource {
		r := firewall(id, append(rules, defaults...)...)
		r.Firewall.Layer = layer
		return r
	}
	allow := func(prio, port int, src string) inventory.FirewallRule {
		return inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: prio, Protocol: "tcp",
			Ports: inventory.PortRange{From: port, To: port}, Sources: []string{src}}
	}
	deny := func(prio, port int, src string) inventory.FirewallRule {
		r := allow(prio, port, src)
		r.Action = inventory.Deny
		return r
	}
	estate := func(subnetNSG, nicNSG inventory.Resource) []inventory.Resource {
		rs := replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Firewalls = []string{"nsg-subnet", "nsg-nic"} }))
		return append(without(rs, "sg-1"), subnetNSG, nicNSG)
	}
	path := "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> nsg-nic: allow tcp 22 from Internet (also admitted by nsg-subnet)"
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   Reachability
	}{
		{
			name:   "NIC NSG allows 22 but the subnet NSG denies it: not exposed",
			estate: estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet, deny(100, 22, "*")), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet"))),
			want:   Reachability{},
		},
		{
			name:   "both NSGs allow 22 from the internet: exposed",
			estate: estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet, allow(100, 22, "0.0.0.0/0")), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet"))),
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "Internet",
				Via: "nsg-nic", Also: "nsg-subnet", Address: "54.0.0.1", Path: path}}},
		},
		{
			name:   "only the default rules: not exposed",
			estate: estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet), nsg("nsg-nic", inventory.FirewallLayerInterface)),
			want:   Reachability{},
		},
		{
			name:   "subnet NSG with defaults only blocks what the NIC NSG allows",
			estate: estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet"))),
			want:   Reachability{},
		},
		{
			name: "no subnet NSG: the NIC NSG alone decides",
			estate: func() []inventory.Resource {
				rs := replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Firewalls = []string{"nsg-nic"} }))
				return append(without(rs, "sg-1"), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet")))
			}(),
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "Internet",
				Via: "nsg-nic", Address: "54.0.0.1", Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> nsg-nic: allow tcp 22 from Internet"}}},
		},
		{
			name:   "ports intersect across layers",
			estate: estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet, inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Priority: 100, Protocol: "*", Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"*"}}), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet"), deny(90, 3389, "*"))),
			want: Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "Internet",
				Via: "nsg-nic", Also: "nsg-subnet", Address: "54.0.0.1", Path: path}}},
		},
		{
			name:   "subnet NSG missing: what the NIC NSG admits is unknown, not exposed and not safe",
			estate: without(estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet), nsg("nsg-nic", inventory.FirewallLayerInterface, allow(100, 22, "Internet"))), "nsg-subnet"),
			want: Reachability{
				Uncertain: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "Internet", Via: "nsg-nic", Address: "54.0.0.1",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> nsg-nic: allow tcp 22 from Internet"}},
				Unknown: true,
				Missing: []string{"firewall nsg-subnet not in snapshot"},
			},
		},
		{
			name:   "subnet NSG missing, NIC NSG admits nothing from the internet: not exposed",
			estate: without(estate(nsg("nsg-subnet", inventory.FirewallLayerSubnet), nsg("nsg-nic", inventory.FirewallLayerInterface)), "nsg-subnet"),
			want:   Reachability{Missing: []string{"firewall nsg-subnet not in snapshot"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, nil).Reachability("i-1")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Reachability(i-1) (-got +want):\n%s", diff)
			}
		})
	}
}

// TestReachabilityDestinations: an NSG rule for some destinations applies
// only to the endpoints whose private addresses they cover. The reviewer's
// example: priority 100 denies Internet -> 10.0.1.4:22, priority 200 allows
// Internet -> *:22; the VM at 10.0.1.4 is closed, the one at 10.0.1.5
// behind the same NSG is exposed. What cannot be decided keeps the allow
// and ignores the deny.
func TestReachabilityDestinations(t *testing.T) {
	rule := func(action inventory.Action, prio int, dests ...string) inventory.FirewallRule {
		return inventory.FirewallRule{Direction: inventory.Ingress, Action: action, Priority: prio, Protocol: "tcp",
			Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"Internet"}, Destinations: dests}
	}
	estate := func(private []string, rules ...inventory.FirewallRule) []inventory.Resource {
		rs := replace(publicEstate(), instance("i-1", func(in *inventory.Instance) {
			in.Firewalls, in.PrivateIPs = []string{"nsg-1"}, private
		}))
		return append(without(rs, "sg-1"), firewall("nsg-1", rules...))
	}
	exposed := Reachability{Exposures: []Exposure{{Ports: inventory.PortRange{From: 22, To: 22}, Protocol: "tcp", Source: "Internet",
		Via: "nsg-1", Address: "54.0.0.1", Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> nsg-1: allow tcp 22 from Internet"}}}
	example := []inventory.FirewallRule{rule(inventory.Deny, 100, "10.0.1.4"), rule(inventory.Allow, 200, "*")}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   Reachability
	}{
		{"deny for 10.0.1.4, VM at 10.0.1.4: closed", estate([]string{"10.0.1.4"}, example...), Reachability{}},
		{"deny for 10.0.1.4, VM at 10.0.1.5: exposed", estate([]string{"10.0.1.5"}, example...), exposed},
		{"deny for a prefix covering the VM: closed", estate([]string{"10.0.1.5"}, rule(inventory.Deny, 100, "10.0.1.0/24"), rule(inventory.Allow, 200, "*")), Reachability{}},
		{"deny for VirtualNetwork: closed", estate([]string{"10.0.1.5"}, rule(inventory.Deny, 100, "VirtualNetwork"), rule(inventory.Allow, 200, "*")), Reachability{}},
		{"deny, no private address known: ignored, exposed", estate(nil, example...), exposed},
		{"deny for an application security group: undecided, ignored", estate([]string{"10.0.1.4"}, rule(inventory.Deny, 100, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-web"), rule(inventory.Allow, 200, "*")), exposed},
		{"deny covering one of two private addresses: ignored", estate([]string{"10.0.1.4", "10.0.2.4"}, example...), exposed},
		{"allow for another VM only: closed", estate([]string{"10.0.1.5"}, rule(inventory.Allow, 200, "10.0.1.4")), Reachability{}},
		{"allow for an application security group: kept", estate([]string{"10.0.1.5"}, rule(inventory.Allow, 200, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-web")), exposed},
		{"allow for the VM, no private address known: kept", estate(nil, rule(inventory.Allow, 200, "10.0.1.4")), exposed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, nil).Reachability("i-1")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Reachability(i-1) (-got +want):\n%s", diff)
			}
		})
	}
}

// A database on the provider's public edge (a Cloud SQL public address,
// an Azure SQL server) is judged by its firewalls alone: no subnet, no
// route table.
func TestProviderEndpointDatabaseReachability(t *testing.T) {
	const (
		dbID = "//cloudsql.googleapis.com/projects/p/instances/pg"
		fwID = dbID + "/authorizedNetworks"
	)
	db := func(mut func(*inventory.Database)) inventory.Resource {
		r := inventory.Resource{ID: dbID, Cloud: inventory.GCP, Account: "p", Region: "europe-west1", Kind: inventory.KindDatabase}
		r.Database = &inventory.Database{Engine: "postgres", EngineVersion: "11", PubliclyAccessible: true, Port: 5432,
			Endpoint: "34.1.2.3", ProviderEndpoint: true, Firewalls: []string{fwID}}
		if mut != nil {
			mut(r.Database)
		}
		return r
	}
	authorized := func(sources ...string) inventory.Resource {
		r := inventory.Resource{ID: fwID, Cloud: inventory.GCP, Account: "p", Region: "europe-west1", Kind: inventory.KindFirewall}
		r.Firewall = &inventory.Firewall{Rules: []inventory.FirewallRule{sgRule("tcp", 5432, 5432, sources...)}}
		return r
	}
	exposure := func(src string, breadth int) Exposure {
		return Exposure{Ports: inventory.PortRange{From: 5432, To: 5432}, Protocol: "tcp", Source: src, Breadth: breadth, Via: fwID, Address: "34.1.2.3",
			Path: "internet -> provider endpoint 34.1.2.3 (" + dbID + ") -> " + fwID + ": allow tcp 5432 from " + src}
	}
	tests := []struct {
		name    string
		estate  []inventory.Resource
		want    []Exposure
		reach   Reach
		missing []string
	}{
		{"authorized network 0.0.0.0/0: reachable without subnet or route",
			[]inventory.Resource{db(nil), authorized("0.0.0.0/0")}, []Exposure{exposure("0.0.0.0/0", 0)}, Reachable, nil},
		{"a /8 of public space: internet-wide with its breadth",
			[]inventory.Resource{db(nil), authorized("34.0.0.0/8", "203.0.113.7/32")}, []Exposure{exposure("34.0.0.0/8", 8)}, Reachable, nil},
		{"a /32 office address: not internet-wide",
			[]inventory.Resource{db(nil), authorized("203.0.113.7/32")}, nil, NotReachable, nil},
		{"no authorized networks: not reachable",
			[]inventory.Resource{db(nil), authorized()}, nil, NotReachable, nil},
		{"no public address: not reachable",
			[]inventory.Resource{db(func(d *inventory.Database) { d.PubliclyAccessible = false }), authorized("0.0.0.0/0")}, nil, NotReachable, nil},
		{"firewall missing from snapshot: unknown",
			[]inventory.Resource{db(nil)}, nil, ReachUnknown, []string{"firewall " + fwID + " not in snapshot"}},
		{"no firewall recorded: unknown, never safe",
			[]inventory.Resource{db(func(d *inventory.Database) { d.Firewalls = nil })}, nil, ReachUnknown, []string{"no firewall recorded"}},
		{"port unset: the engine's default",
			[]inventory.Resource{db(func(d *inventory.Database) { d.Port = 0 }), authorized("0.0.0.0/0")}, []Exposure{exposure("0.0.0.0/0", 0)}, Reachable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewGraph(tt.estate, nil).Reachability(dbID)
			if diff := cmp.Diff(r.Exposures, tt.want); diff != "" {
				t.Errorf("Exposures (-got +want):\n%s", diff)
			}
			if got, _ := r.Port("tcp", 5432); got != tt.reach {
				t.Errorf("Port(tcp, 5432) = %v, want %v", got, tt.reach)
			}
			if diff := cmp.Diff(r.Missing, tt.missing); diff != "" {
				t.Errorf("Missing (-got +want):\n%s", diff)
			}
		})
	}
}

// lbEstate: i-app has no public address and sits in the private subnet-2
// (its route table sends 0.0.0.0/0 to a NAT gateway); the internet-facing
// ALB lb-1 in the public subnet-1 listens on HTTPS 443, which its sg-alb
// admits from anywhere, and forwards to i-app on 8080, which i-app's
// sg-app admits from sg-alb.
func lbEstate(mut func(*inventory.LoadBalancer)) []inventory.Resource {
	vpc := res("vpc-1", inventory.KindNetwork)
	vpc.Network = &inventory.Network{CIDRs: []string{"10.0.0.0/16"}}
	private := subnet("subnet-2")
	private.Subnet.CIDR = "10.0.2.0/24"
	app := instance("i-app", func(in *inventory.Instance) {
		in.PublicIPs, in.PrivateIPs, in.SubnetID, in.Firewalls = nil, []string{"10.0.2.5"}, "subnet-2", []string{"sg-app"}
	})
	fromALB := sgRule("tcp", 8080, 8080)
	fromALB.SourceGroups = []string{"sg-alb"}
	lb := res("lb-1", inventory.KindLoadBalancer)
	lb.Name = "web-alb"
	lb.LoadBalancer = &inventory.LoadBalancer{Type: "application", Scheme: inventory.SchemeInternetFacing, DNSName: "web-alb.elb",
		Listeners: []inventory.Listener{{Protocol: "HTTPS", Port: 443}}, Firewalls: []string{"sg-alb"},
		SubnetIDs: []string{"subnet-1"}, NetworkID: "vpc-1", Targets: []inventory.LBTarget{{ID: "i-app", Port: 8080, Protocol: "HTTP"}}}
	if mut != nil {
		mut(lb.LoadBalancer)
	}
	for _, t := range lb.LoadBalancer.Targets {
		lb.AddEdge(inventory.RelTargets, t.ID)
	}
	return []inventory.Resource{
		vpc, app, lb, subnet("subnet-1"), private,
		firewall("sg-alb", sgRule("tcp", 443, 443, "0.0.0.0/0")),
		firewall("sg-app", sgRule("tcp", 22, 22, "10.0.0.0/16"), fromALB),
		routeTable("rtb-1", false, []string{"subnet-1"}, igwRoute),
		routeTable("rtb-2", false, []string{"subnet-2"}, natRoute),
		routeTable("rtb-main", true, nil),
	}
}

func TestReachabilityLoadBalancer(t *testing.T) {
	const front = "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listener HTTPS 443 (sg-alb: allow tcp 443 from 0.0.0.0/0)"
	port8080 := inventory.PortRange{From: 8080, To: 8080}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   Reachability
	}{
		{
			name:   "private instance behind a public ALB: exposed on the target port",
			estate: lbEstate(nil),
			want: Reachability{Exposures: []Exposure{{Ports: port8080, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Also: "sg-alb", Address: "web-alb.elb",
				Path: front + " -> i-app tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"}}},
		},
		{
			name:   "behind an internal ALB: not exposed",
			estate: lbEstate(func(l *inventory.LoadBalancer) { l.Scheme = inventory.SchemeInternal }),
			want:   Reachability{},
		},
		{
			name:   "the ALB's security group admits nothing from the internet: not exposed",
			estate: replace(lbEstate(nil), firewall("sg-alb", sgRule("tcp", 443, 443, "10.0.0.0/8"))),
			want:   Reachability{},
		},
		{
			name:   "the ALB's security group admits another port than its listener's: not exposed",
			estate: replace(lbEstate(nil), firewall("sg-alb", sgRule("tcp", 80, 80, "0.0.0.0/0"))),
			want:   Reachability{},
		},
		{
			name:   "the instance's security group admits the target port, but not from the load balancer: not exposed",
			estate: replace(lbEstate(nil), firewall("sg-app", sgRule("tcp", 8080, 8080, "192.168.0.0/16"))),
			want:   Reachability{},
		},
		{
			name:   "the load balancer's subnet is private: not exposed",
			estate: replace(lbEstate(nil), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)),
			want:   Reachability{},
		},
		{
			name: "NLB without security groups, instance admits the VPC: exposed",
			estate: replace(lbEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.Firewalls, l.Listeners = "network", nil, []inventory.Listener{{Protocol: "TCP", Port: 8080}}
			}), firewall("sg-app", sgRule("tcp", 8080, 8080, "10.0.0.0/16"))),
			want: Reachability{Exposures: []Exposure{{Ports: port8080, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Address: "web-alb.elb",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listener TCP 8080 (no security group) -> i-app tcp 8080 (sg-app: allow tcp 8080 from 10.0.0.0/16)"}}},
		},
		{
			name:   "the load balancer's security group is not in the snapshot: unknown, not safe",
			estate: without(lbEstate(nil), "sg-alb"),
			want: Reachability{
				Uncertain: []Exposure{{Ports: port8080, Protocol: "tcp", Source: "*", Via: "sg-app", Address: "web-alb.elb",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listener HTTPS 443 (firewalls unknown) -> i-app tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"}},
				Unknown: true,
				Missing: []string{"firewall sg-alb not in snapshot"},
			},
		},
		{
			name:   "listeners could not be read: unknown, not safe",
			estate: lbEstate(func(l *inventory.LoadBalancer) { l.Listeners, l.ListenersUnknown = nil, true }),
			want: Reachability{
				Uncertain: []Exposure{{Ports: port8080, Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Also: "sg-alb", Address: "web-alb.elb",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listeners unknown (sg-alb: allow tcp 443 from 0.0.0.0/0) -> i-app tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"}},
				Unknown: true,
				Missing: []string{"listeners of load balancer lb-1 could not be read"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, nil).Reachability("i-app")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("reachability (-got +want):\n%s", diff)
			}
		})
	}
}

// TestReachabilityLoadBalancerTargetsUnknown: a load balancer whose
// targets were not all read (target health denied, IP targets, an ALB
// behind an NLB), or a scope whose load balancers were not all listed, may
// forward to an instance of its network: uncertain on the ports the
// instance admits from it, never "not exposed".
func TestReachabilityLoadBalancerTargetsUnknown(t *testing.T) {
	const front = "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listener HTTPS 443 (sg-alb: allow tcp 443 from 0.0.0.0/0) -> ? (targets unknown) -> i-app"
	const why = "targets of load balancer lb-1 not all read (IP or load balancer targets, or a read that failed), so it may forward to i-app"
	unread := func(l *inventory.LoadBalancer) { l.Targets, l.TargetsUnknown = nil, true }
	port := func(p int) inventory.PortRange { return inventory.PortRange{From: p, To: p} }
	// i-app admits 22 from the VPC, which holds the load balancer, and
	// 8080 from its security group.
	uncertain := []Exposure{
		{Ports: port(22), Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Also: "sg-alb", Address: "web-alb.elb",
			Path: front + " tcp 22 (sg-app: allow tcp 22 from 10.0.0.0/16)"},
		{Ports: port(8080), Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Also: "sg-alb", Address: "web-alb.elb",
			Path: front + " tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"},
	}
	lbGap := func(op, region string) inventory.Gap {
		return inventory.Gap{Cloud: inventory.AWS, Account: acct, Region: region, Service: "elasticloadbalancing", Operation: op,
			Reason: inventory.GapAccessDenied, Message: "not authorized"}
	}
	// behindNLB: a public NLB without security groups forwards to the
	// internal ALB lb-1 (an ALB target: its own targets not followed),
	// which forwards to i-app.
	behindNLB := func() []inventory.Resource {
		rs := lbEstate(func(l *inventory.LoadBalancer) { l.Scheme = inventory.SchemeInternal })
		nlb := res("lb-nlb", inventory.KindLoadBalancer)
		nlb.Name = "edge-nlb"
		nlb.LoadBalancer = &inventory.LoadBalancer{Type: "network", Scheme: inventory.SchemeInternetFacing, DNSName: "edge-nlb.elb",
			Listeners: []inventory.Listener{{Protocol: "TCP", Port: 443}}, SubnetIDs: []string{"subnet-1"}, NetworkID: "vpc-1",
			Targets: []inventory.LBTarget{{ID: "lb-1", Port: 443, Protocol: "TCP"}}, TargetsUnknown: true}
		nlb.AddEdge(inventory.RelTargets, "lb-1")
		return append(replace(rs, firewall("sg-app", func() inventory.FirewallRule {
			r := sgRule("tcp", 8080, 8080)
			r.SourceGroups = []string{"sg-alb"}
			return r
		}())), nlb)
	}
	tests := []struct {
		name   string
		estate []inventory.Resource
		gaps   []inventory.Gap
		want   Reachability
	}{
		{
			name:   "target health could not be read: unknown on the ports the instance admits from the load balancer",
			estate: lbEstate(unread),
			want:   Reachability{Uncertain: uncertain, Unknown: true, Missing: []string{why}},
		},
		{
			name: "IP targets besides another instance's: unknown on the ports the instance admits from the load balancer",
			estate: lbEstate(func(l *inventory.LoadBalancer) {
				l.Targets, l.TargetsUnknown = []inventory.LBTarget{{ID: "i-other", Port: 8080, Protocol: "HTTP"}}, true
			}),
			want: Reachability{Uncertain: uncertain, Unknown: true, Missing: []string{why}},
		},
		{
			name:   "targets unknown, but the load balancer is internal: not exposed",
			estate: lbEstate(func(l *inventory.LoadBalancer) { unread(l); l.Scheme = inventory.SchemeInternal }),
			want:   Reachability{},
		},
		{
			name:   "targets unknown, but the load balancer is in another network: not exposed",
			estate: lbEstate(func(l *inventory.LoadBalancer) { unread(l); l.NetworkID = "vpc-2" }),
			want:   Reachability{},
		},
		{
			name:   "an internal ALB behind a public NLB: unknown on the port the instance admits from the ALB",
			estate: behindNLB(),
			want: Reachability{Unknown: true, Missing: []string{"targets of load balancer lb-nlb not all read (IP or load balancer targets, or a read that failed), so it may forward to i-app"},
				Uncertain: []Exposure{{Ports: port(8080), Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Address: "edge-nlb.elb",
					Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer edge-nlb (edge-nlb.elb) listener TCP 443 (no security group) -> ? (targets unknown) -> i-app tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"}}},
		},
		{
			name:   "load balancers of the region could not be listed: unknown on the ports the instance admits",
			estate: without(lbEstate(nil), "lb-1"),
			gaps:   []inventory.Gap{lbGap("DescribeLoadBalancers", "eu-west-1")},
			want: Reachability{Unknown: true,
				Uncertain: []Exposure{
					{Ports: port(22), Protocol: "tcp", Source: "*", Via: "elasticloadbalancing", Path: "internet -> ? (load balancers of aws/111122223333/eu-west-1 not all read) -> i-app tcp 22"},
					{Ports: port(8080), Protocol: "tcp", Source: "*", Via: "elasticloadbalancing", Path: "internet -> ? (load balancers of aws/111122223333/eu-west-1 not all read) -> i-app tcp 8080"},
				},
				Missing: []string{"load balancers of aws/111122223333/eu-west-1 or their targets not all read, so one may forward to i-app (aws/111122223333/eu-west-1/elasticloadbalancing/DescribeLoadBalancers: access_denied: not authorized)"}},
		},
		{
			name:   "target groups could not be listed in another region: not exposed",
			estate: without(lbEstate(nil), "lb-1"),
			gaps:   []inventory.Gap{lbGap("DescribeTargetGroups", "us-east-1")},
			want:   Reachability{},
		},
		{
			name:   "targets read: unchanged, exposed on the target port only",
			estate: lbEstate(nil),
			want: Reachability{Exposures: []Exposure{{Ports: port(8080), Protocol: "tcp", Source: "0.0.0.0/0", Via: "sg-app", Also: "sg-alb", Address: "web-alb.elb",
				Path: "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> load balancer web-alb (web-alb.elb) listener HTTPS 443 (sg-alb: allow tcp 443 from 0.0.0.0/0) -> i-app tcp 8080 (sg-app: allow tcp 8080 from sg-alb)"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewGraph(tt.estate, tt.gaps).Reachability("i-app")
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("reachability (-got +want):\n%s", diff)
			}
		})
	}
}

// TestAdminPortThroughLoadBalancer: the port signals need no change to
// fire through a load balancer.
func TestAdminPortThroughLoadBalancer(t *testing.T) {
	tests := []struct {
		name   string
		estate []inventory.Resource
		keys   []string // evidence compared; port and via when nil
		want   []hit
	}{
		{
			name: "an NLB forwards 22 to a private instance",
			estate: replace(lbEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.Listeners, l.Targets = "network", []inventory.Listener{{Protocol: "TCP", Port: 22}}, []inventory.LBTarget{{ID: "i-app", Port: 22, Protocol: "TCP"}}
			}), firewall("sg-alb", sgRule("tcp", 22, 22, "0.0.0.0/0"))),
			want: []hit{{Evidence: map[string]string{"port": "22", "via": "sg-app"}}},
		},
		{
			name: "an NLB whose target health could not be read, in front of an instance that admits 22 from the VPC: unknown",
			estate: replace(lbEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.Listeners, l.Targets, l.TargetsUnknown = "network", []inventory.Listener{{Protocol: "TCP", Port: 22}}, nil, true
			}), firewall("sg-alb", sgRule("tcp", 22, 22, "0.0.0.0/0"))),
			keys: []string{"ports", "missing"},
			want: []hit{{Unknown: true, Evidence: map[string]string{"ports": "22",
				"missing": "targets of load balancer lb-1 not all read (IP or load balancer targets, or a read that failed), so it may forward to i-app"}}},
		},
		{
			name: "the same behind an internal NLB",
			estate: replace(lbEstate(func(l *inventory.LoadBalancer) {
				l.Type, l.Scheme, l.Listeners, l.Targets = "network", inventory.SchemeInternal, []inventory.Listener{{Protocol: "TCP", Port: 22}}, []inventory.LBTarget{{ID: "i-app", Port: 22, Protocol: "TCP"}}
			}), firewall("sg-alb", sgRule("tcp", 22, 22, "0.0.0.0/0"))),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := tt.keys
			if keys == nil {
				keys = []string{"port", "via"}
			}
			got := detect(t, tt.estate, nil, "i-app", "ports.admin_port_internet", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
