package assess

import (
	"fmt"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

// syntheticEstate builds n instances in one VPC, half of them in a public
// subnet, each with its own security group (a third open to SSH from
// anywhere), IMDSv1 on every other one and an admin role on every fifth,
// plus the network plumbing and IAM they refer to.
func syntheticEstate(n int) []inventory.Resource {
	const acct, region = "111122223333", "us-east-1"
	arn := func(kind, id string) string { return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", region, acct, kind, id) }
	base := func(id string, k inventory.Kind, nt string) inventory.Resource {
		return inventory.Resource{ID: id, Cloud: inventory.AWS, Account: acct, Region: region, Kind: k, NativeType: nt}
	}
	vpc, igw := arn("vpc", "vpc-1"), arn("internet-gateway", "igw-1")
	pub, priv := arn("subnet", "subnet-pub"), arn("subnet", "subnet-priv")
	rs := []inventory.Resource{}
	r := base(vpc, inventory.KindNetwork, "AWS::EC2::VPC")
	r.Network = &inventory.Network{CIDRs: []string{"10.0.0.0/16"}}
	rs = append(rs, r)
	r = base(igw, inventory.KindGateway, "AWS::EC2::InternetGateway")
	r.Gateway = &inventory.Gateway{Type: "internet", Networks: []string{vpc}}
	rs = append(rs, r)
	for _, s := range []string{pub, priv} {
		r = base(s, inventory.KindSubnet, "AWS::EC2::Subnet")
		r.Subnet = &inventory.Subnet{NetworkID: vpc}
		rs = append(rs, r)
	}
	r = base(arn("route-table", "rtb-pub"), inventory.KindRouteTable, "AWS::EC2::RouteTable")
	r.RouteTable = &inventory.RouteTable{NetworkID: vpc, Subnets: []string{pub}, Routes: []inventory.Route{
		{Destination: "10.0.0.0/16", Target: "local", TargetKind: "local"},
		{Destination: "0.0.0.0/0", Target: igw, TargetKind: "internet_gateway"}}}
	rs = append(rs, r)
	r = base(arn("route-table", "rtb-main"), inventory.KindRouteTable, "AWS::EC2::RouteTable")
	r.RouteTable = &inventory.RouteTable{NetworkID: vpc, Main: true, Routes: []inventory.Route{{Destination: "10.0.0.0/16", Target: "local", TargetKind: "local"}}}
	rs = append(rs, r)

	adminPolicy := "arn:aws:iam::aws:policy/AdministratorAccess"
	r = inventory.Resource{ID: adminPolicy, Cloud: inventory.AWS, Account: acct, Kind: inventory.KindPolicy, NativeType: "AWS::IAM::ManagedPolicy",
		Policy: &inventory.Policy{Managed: true, AWSManaged: true, Document: &inventory.PolicyDocument{Statements: []inventory.Statement{
			{Effect: inventory.Allow, Actions: []string{"*"}, Resources: []string{"*"}}}}}}
	rs = append(rs, r)
	adminRole := "arn:aws:iam::" + acct + ":role/admin"
	profile := "arn:aws:iam::" + acct + ":instance-profile/admin"
	r = inventory.Resource{ID: adminRole, Cloud: inventory.AWS, Account: acct, Kind: inventory.KindRole, NativeType: "AWS::IAM::Role",
		Role: &inventory.Role{AttachedPolicies: []string{adminPolicy}, InstanceProfiles: []string{profile}}}
	r.AddEdge(inventory.RelHasPolicy, adminPolicy)
	rs = append(rs, r)

	old := time.Date(2023, 1, 10, 0, 0, 0, 0, time.UTC)
	for i := range n {
		sg := arn("security-group", fmt.Sprintf("sg-%06d", i))
		r = base(sg, inventory.KindFirewall, "AWS::EC2::SecurityGroup")
		src := "10.0.0.0/16"
		if i%3 == 0 {
			src = "0.0.0.0/0"
		}
		r.Firewall = &inventory.Firewall{NetworkID: vpc, Rules: []inventory.FirewallRule{
			{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{src}}}}
		rs = append(rs, r)

		id := arn("instance", fmt.Sprintf("i-%06d", i))
		r = base(id, inventory.KindInstance, "AWS::EC2::Instance")
		in := &inventory.Instance{State: "running", NetworkID: vpc, SubnetID: priv, Firewalls: []string{sg},
			ImageID: "ami-1", ImageCreated: old, Metadata: &inventory.Metadata{Enabled: true, TokensRequired: i%2 == 0}}
		if i%2 == 1 {
			in.SubnetID = pub
			in.PublicIPs = []string{fmt.Sprintf("203.0.%d.%d", (i/250)%250, i%250)}
		}
		if i%5 == 0 {
			in.InstanceProfile = profile
			r.AddEdge(inventory.RelAssumes, adminRole)
		}
		r.Instance = in
		r.AddEdge(inventory.RelIn, in.SubnetID)
		r.AddEdge(inventory.RelProtectedBy, sg)
		rs = append(rs, r)
	}
	return rs
}

// BenchmarkAssess measures graph, signals, features and scoring together;
// resources/s is the throughput of `posture score` once the snapshot is read.
func BenchmarkAssess(b *testing.B) {
	m, err := model.Load(models.Default())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{1_000, 10_000} {
		rs := syntheticEstate(n)
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Run(rs, nil, m, now); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rs))*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
		})
	}
}

func TestSyntheticEstateScores(t *testing.T) {
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(syntheticEstate(30), nil, m, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// Exposed (odd index, open to the world every third) with IMDSv1 (odd)
	// and the admin role (every fifth): i-000015 is the toxic one.
	top := res.Assessments[0].Resource.ID
	if top != "arn:aws:ec2:us-east-1:111122223333:instance/i-000015" {
		t.Errorf("riskiest is %s, want the exposed IMDSv1 admin instance i-000015", top)
	}
	if len(res.Signals[top]) == 0 {
		t.Errorf("riskiest resource has no signals")
	}
}
