package aws

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

// govEstate is a small GovCloud account whose database sits in a subnet
// and VPC shared from another account (RAM), behind its own security group.
var govEstate = map[string]string{
	"account.json": `{"id": "222233334444", "caller": "arn:aws-us-gov:iam::222233334444:user/posture-scanner",
		"regions": [{"name": "us-gov-west-1", "opt_in_status": "opt-in-not-required"}]}`,
	"ec2.json": `{"regions": {"us-gov-west-1": {
		"vpcs": [{"vpc_id": "vpc-0gov", "cidr_block": "10.0.0.0/16", "owner_id": "999988887777"}],
		"subnets": [{"subnet_id": "subnet-0gov", "vpc_id": "vpc-0gov", "cidr_block": "10.0.1.0/24",
			"availability_zone": "us-gov-west-1a", "owner_id": "999988887777"}],
		"security_groups": [{"group_id": "sg-0govdb", "group_name": "db", "vpc_id": "vpc-0gov",
			"ip_permissions": [{"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "ip_ranges": ["0.0.0.0/0"]}]}],
		"images": [{"image_id": "ami-0gov", "name": "al2023", "creation_date": "2026-01-01T00:00:00.000Z"}],
		"network_interfaces": [{"network_interface_id": "eni-0gov", "subnet_id": "subnet-0gov",
			"private_ip_addresses": ["10.0.1.10"], "groups": ["sg-0govdb"], "attachment": {"instance_id": "i-0gov", "device_index": 0}}],
		"instances": [{"instance_id": "i-0gov", "instance_type": "t3.micro", "state": "running", "image_id": "ami-0gov",
			"launch_time": "2026-01-02T00:00:00.000Z"}]}}}`,
	"rds.json": `{"db_instances": [{"region": "us-gov-west-1", "db_instance_identifier": "gov-db", "db_instance_class": "db.t3.micro",
		"engine": "postgres", "engine_version": "16.3", "instance_create_time": "2026-01-01T00:00:00Z",
		"publicly_accessible": true, "port": 5432, "auto_minor_version_upgrade": true, "storage_encrypted": true,
		"db_subnet_group": {"name": "gov", "vpc_id": "vpc-0gov", "subnets": [{"id": "subnet-0gov", "availability_zone": "us-gov-west-1a"}]},
		"vpc_security_groups": ["sg-0govdb"]}]}`,
	"iam.json": `{"Users": [{"UserName": "gov-user", "CreateDate": "2024-01-01T00:00:00Z",
			"AttachedPolicyArns": ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"],
			"AccessKeys": [{"AccessKeyId": "AKIAGOV0000000000001", "Status": "Active", "CreateDate": "2024-01-01T00:00:00Z"}]}],
		"Policies": [{"Arn": "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", "CreateDate": "2024-01-01T00:00:00Z",
			"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}}]}`,
	"s3.json": `{"buckets": [{"name": "gov-bucket", "region": "us-gov-west-1", "creation_date": "2024-01-01T00:00:00Z"}]}`,
	"elb.json": `{"load_balancers": [{"region": "us-gov-west-1", "name": "gov-clb", "scheme": "internet-facing", "vpc_id": "vpc-0gov",
		"subnets": [{"id": "subnet-0gov", "availability_zone": "us-gov-west-1a"}], "security_groups": ["sg-0govdb"],
		"listeners": [{"protocol": "TCP", "load_balancer_port": 5432, "instance_protocol": "TCP", "instance_port": 5432}],
		"instances": ["i-0gov"], "created_time": "2024-01-01T00:00:00Z"}]}`,
}

// TestGovCloudPartition: every ARN of a GovCloud scan is in aws-us-gov, and
// the database joins the security group, subnet and VPC EC2 collected,
// the shared ones under their owner's account.
func TestGovCloudPartition(t *testing.T) {
	res, _ := scanEstateIn(t, "us-gov-west-1", writeEstate(t, govEstate), emulator.Options{}, Options{})
	if len(res.Gaps) != 0 {
		t.Errorf("gaps: %v", res.Gaps)
	}
	b, err := json.Marshal(res.Resources)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"arn:aws:`); n > 0 {
		t.Errorf("%d ARNs in the commercial partition in a GovCloud scan:\n%s", n, b)
	}

	const ec2ARN = "arn:aws-us-gov:ec2:us-gov-west-1:"
	sg, subnet, vpc := ec2ARN+"222233334444:security-group/sg-0govdb", ec2ARN+"999988887777:subnet/subnet-0gov", ec2ARN+"999988887777:vpc/vpc-0gov"
	for _, id := range []string{sg, subnet, vpc, ec2ARN + "222233334444:instance/i-0gov"} {
		if resourceByID(res.Resources, id) == nil {
			t.Errorf("%s not collected", id)
		}
	}
	db := resourceByID(res.Resources, "arn:aws-us-gov:rds:us-gov-west-1:222233334444:db:gov-db")
	if db == nil {
		t.Fatal("gov-db not collected")
	}
	want := inventory.Database{Engine: "postgres", EngineVersion: "16.3", PubliclyAccessible: true, AutoMinorUpgrade: true, Encrypted: true,
		Endpoint: db.Database.Endpoint, Port: 5432, NetworkID: vpc, SubnetIDs: []string{subnet}, Firewalls: []string{sg}}
	if diff := cmp.Diff(want, *db.Database); diff != "" {
		t.Errorf("gov-db (-want +got):\n%s", diff)
	}
	wantEdges := []inventory.Edge{
		{From: db.ID, Relation: inventory.RelProtectedBy, To: sg},
		{From: db.ID, Relation: inventory.RelIn, To: subnet},
	}
	if diff := cmp.Diff(wantEdges, db.Edges); diff != "" {
		t.Errorf("gov-db edges (-want +got):\n%s", diff)
	}

	// So does the classic load balancer in the shared subnet.
	clb := resourceByID(res.Resources, "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:222233334444:loadbalancer/gov-clb")
	if clb == nil {
		t.Fatal("gov-clb not collected")
	}
	if l := clb.LoadBalancer; l.NetworkID != vpc || !cmp.Equal(l.SubnetIDs, []string{subnet}) || !cmp.Equal(l.Firewalls, []string{sg}) {
		t.Errorf("gov-clb network %s, subnets %v, firewalls %v; want %s, [%s], [%s]", l.NetworkID, l.SubnetIDs, l.Firewalls, vpc, subnet, sg)
	}

	const iamARN = "arn:aws-us-gov:iam::"
	for _, id := range []string{iamARN + "222233334444:account", iamARN + "222233334444:user/gov-user",
		iamARN + "222233334444:user/gov-user/access-key/AKIAGOV0000000000001", "arn:aws-us-gov:s3:::gov-bucket"} {
		if resourceByID(res.Resources, id) == nil {
			t.Errorf("%s not collected", id)
		}
	}
	if p := resourceByID(res.Resources, iamARN+"aws:policy/ReadOnlyAccess"); p == nil || !p.Policy.AWSManaged {
		t.Errorf("ReadOnlyAccess = %+v, want an AWS managed policy", p)
	}
}

func TestPartitionOf(t *testing.T) {
	tests := []struct{ arn, region, want string }{
		{"arn:aws:iam::111122223333:user/a", "us-gov-west-1", "aws"},
		{"arn:aws-us-gov:sts::111122223333:assumed-role/r/s", "us-east-1", "aws-us-gov"},
		{"arn:aws-cn:iam::111122223333:root", "", "aws-cn"},
		{"", "cn-north-1", "aws-cn"},
		{"not an arn", "us-gov-east-1", "aws-us-gov"},
		{"", "eu-west-1", "aws"},
	}
	for _, tt := range tests {
		if got := partitionOf(tt.arn, tt.region); got != tt.want {
			t.Errorf("partitionOf(%q, %q) = %q, want %q", tt.arn, tt.region, got, tt.want)
		}
	}
}
