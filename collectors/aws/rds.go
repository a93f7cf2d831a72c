package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// rdsAPI is what the rds tables call on an RDS client.
type rdsAPI interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

func rdsTables() []table {
	return []table{{Service: "rds", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listDBInstances(ctx, s, out, rds.NewFromConfig(s.Config))
	}}}
}

// listDBInstances lists the region's DB instances. The instances of the
// pages read before a failure are kept; the failure is a gap.
func listDBInstances(ctx context.Context, s scope, out *collectors.Result, c rdsAPI) error {
	p := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.gap(out, "rds", "DescribeDBInstances", "", err)
		}
		for _, db := range page.DBInstances {
			out.Add(dbInstance(s, db))
		}
	}
	return nil
}

// dbInstance normalizes one DB instance. Security groups, subnets and the
// VPC are referred to by their EC2 ARNs, so they join the EC2 resources.
func dbInstance(s scope, db types.DBInstance) inventory.Resource {
	name := aws.ToString(db.DBInstanceIdentifier)
	id := aws.ToString(db.DBInstanceArn)
	if id == "" {
		id = s.arn("rds", s.Region, s.Account, "db:"+name)
	}
	// The scanned account owns them unless shared from another one (RAM):
	// link then puts in the owner EC2 reported.
	ec2ARN := func(kind, rid string) string {
		return s.arn("ec2", s.Region, s.Account, kind+"/"+rid)
	}
	d := &inventory.Database{
		Engine:             aws.ToString(db.Engine),
		EngineVersion:      aws.ToString(db.EngineVersion),
		PubliclyAccessible: aws.ToBool(db.PubliclyAccessible),
		AutoMinorUpgrade:   aws.ToBool(db.AutoMinorVersionUpgrade),
		Encrypted:          aws.ToBool(db.StorageEncrypted),
	}
	if ep := db.Endpoint; ep != nil {
		d.Endpoint = aws.ToString(ep.Address)
		d.Port = int(aws.ToInt32(ep.Port))
	}
	r := inventory.Resource{ID: id, Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Kind: inventory.KindDatabase, NativeType: "AWS::RDS::DBInstance", Name: name, Database: d,
		Tags: tagMap(db.TagList, func(t types.Tag) (*string, *string) { return t.Key, t.Value })}
	for _, sg := range db.VpcSecurityGroups {
		if sgID := aws.ToString(sg.VpcSecurityGroupId); sgID != "" {
			arn := ec2ARN("security-group", sgID)
			d.Firewalls = append(d.Firewalls, arn)
			r.AddEdge(inventory.RelProtectedBy, arn)
		}
	}
	if g := db.DBSubnetGroup; g != nil {
		if vpc := aws.ToString(g.VpcId); vpc != "" {
			d.NetworkID = ec2ARN("vpc", vpc)
		}
		for _, sn := range g.Subnets {
			if snID := aws.ToString(sn.SubnetIdentifier); snID != "" {
				arn := ec2ARN("subnet", snID)
				d.SubnetIDs = append(d.SubnetIDs, arn)
				r.AddEdge(inventory.RelIn, arn)
			}
		}
	}
	return r
}
