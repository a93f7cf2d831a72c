package features

import (
	"slices"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// Shared fixtures: a small AWS estate with one public instance, built fresh
// for each case so a case can change one setting.

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const acct = "111122223333"

var zeroTime time.Time

func res(id string, k inventory.Kind) inventory.Resource {
	return inventory.Resource{ID: id, Cloud: inventory.AWS, Account: acct, Region: "eu-west-1", Kind: k}
}

func sgRule(proto string, from, to int, sources ...string) inventory.FirewallRule {
	return inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: proto,
		Ports: inventory.PortRange{From: from, To: to}, Sources: sources}
}

func firewall(id string, rules ...inventory.FirewallRule) inventory.Resource {
	r := res(id, inventory.KindFirewall)
	r.Firewall = &inventory.Firewall{NetworkID: "vpc-1", Rules: rules}
	return r
}

func subnet(id string) inventory.Resource {
	r := res(id, inventory.KindSubnet)
	r.Subnet = &inventory.Subnet{NetworkID: "vpc-1", CIDR: "10.0.1.0/24"}
	return r
}

func routeTable(id string, main bool, subnets []string, routes ...inventory.Route) inventory.Resource {
	r := res(id, inventory.KindRouteTable)
	r.RouteTable = &inventory.RouteTable{NetworkID: "vpc-1", Main: main, Subnets: subnets,
		Routes: append([]inventory.Route{{Destination: "10.0.0.0/16", Target: "local", TargetKind: "local"}}, routes...)}
	return r
}

var igwRoute = inventory.Route{Destination: "0.0.0.0/0", Target: "igw-1", TargetKind: "internet_gateway"}
var natRoute = inventory.Route{Destination: "0.0.0.0/0", Target: "nat-1", TargetKind: "nat_gateway"}

func instance(id string, mut func(*inventory.Instance)) inventory.Resource {
	r := res(id, inventory.KindInstance)
	r.Instance = &inventory.Instance{
		State: "running", NetworkID: "vpc-1", SubnetID: "subnet-1",
		PublicIPs: []string{"54.0.0.1"}, PrivateIPs: []string{"10.0.1.5"},
		Firewalls: []string{"sg-1"}, ImageID: "ami-1", ImageCreated: now.AddDate(0, -1, 0),
		Metadata: &inventory.Metadata{Enabled: true, TokensRequired: true, HopLimit: 1},
	}
	if mut != nil {
		mut(r.Instance)
	}
	return r
}

// publicEstate: i-1 has a public IP in subnet-1, whose route table rtb-1
// sends 0.0.0.0/0 to igw-1; sg-1 admits tcp/22 from anywhere.
func publicEstate() []inventory.Resource {
	return []inventory.Resource{
		instance("i-1", nil),
		firewall("sg-1", sgRule("tcp", 22, 22, "0.0.0.0/0")),
		subnet("subnet-1"),
		routeTable("rtb-1", false, []string{"subnet-1"}, igwRoute),
		routeTable("rtb-main", true, nil),
	}
}

// replace swaps the resource with the same id, or appends r.
func replace(rs []inventory.Resource, r inventory.Resource) []inventory.Resource {
	out := append([]inventory.Resource(nil), rs...)
	for i := range out {
		if out[i].ID == r.ID {
			out[i] = r
			return out
		}
	}
	return append(out, r)
}

func without(rs []inventory.Resource, ids ...string) []inventory.Resource {
	var out []inventory.Resource
	for _, r := range rs {
		if !slices.Contains(ids, r.ID) {
			out = append(out, r)
		}
	}
	return out
}

func policy(id string, stmts ...inventory.Statement) inventory.Resource {
	r := res(id, inventory.KindPolicy)
	r.Policy = &inventory.Policy{Managed: true, Document: &inventory.PolicyDocument{Version: "2012-10-17", Statements: stmts}}
	return r
}

func allow(actions []string, resources ...string) inventory.Statement {
	return inventory.Statement{Effect: inventory.Allow, Actions: actions, Resources: resources}
}

func deny(actions []string, resources ...string) inventory.Statement {
	return inventory.Statement{Effect: inventory.Deny, Actions: actions, Resources: resources}
}

// ec2Trust is the trust policy of an instance role.
var ec2Trust = &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Allow,
	Principals: []string{"Service:ec2.amazonaws.com"}, Actions: []string{"sts:AssumeRole"}}}}

func role(id string, policies ...string) inventory.Resource {
	r := res(id, inventory.KindRole)
	r.Role = &inventory.Role{AttachedPolicies: policies, Trust: ec2Trust}
	return r
}

func user(id string, mut func(*inventory.User)) inventory.Resource {
	r := res(id, inventory.KindUser)
	r.User = &inventory.User{Created: now.AddDate(-1, 0, 0)}
	if mut != nil {
		mut(r.User)
	}
	return r
}

// hit is what the detector tests compare: whether a signal is Unknown and
// the evidence keys the case cares about.
type hit struct {
	Unknown  bool
	Evidence map[string]string
}

// detect runs the whole catalogue and keeps signal id's hits on target,
// with only the given evidence keys.
func detect(t *testing.T, rs []inventory.Resource, gaps []inventory.Gap, target string, id inventory.SignalID, keys []string) []hit {
	t.Helper()
	return detectWith(t, rs, gaps, Exploitation{}, target, id, keys)
}

// detectWith is detect with the feeds' view of the estate's CVEs.
func detectWith(t *testing.T, rs []inventory.Resource, gaps []inventory.Gap, x Exploitation, target string, id inventory.SignalID, keys []string) []hit {
	t.Helper()
	g := NewGraph(rs, gaps)
	g.SetExploitation(x)
	if g.Resource(target) == nil {
		t.Fatalf("target %s not in estate", target)
	}
	var out []hit
	for _, s := range Detect(g, now)[target] {
		if s.ID != id {
			continue
		}
		h := hit{Unknown: s.Unknown}
		for _, k := range keys {
			if v, ok := s.Evidence[k]; ok {
				if h.Evidence == nil {
					h.Evidence = map[string]string{}
				}
				h.Evidence[k] = v
			}
		}
		out = append(out, h)
	}
	return out
}
