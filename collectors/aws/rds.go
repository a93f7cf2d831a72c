package aws

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// rdsAPI is what the rds tables call on an RDS client.
type rdsAPI interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBParameters(context.Context, *rds.DescribeDBParametersInput, ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error)
}

func rdsTables() []table {
	return []table{{Service: "rds", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listDBInstances(ctx, s, out, rds.NewFromConfig(s.Config))
	}}}
}

// listDBInstances lists the region's DB instances. The instances of the
// pages read before a failure are kept; the failure is a gap. Whether each
// requires TLS is read from its DB parameter group (tlsRequired), each
// group once.
func listDBInstances(ctx context.Context, s scope, out *collectors.Result, c rdsAPI) error {
	params := paramReader{c: c, seen: map[[2]string]paramRead{}}
	p := rds.NewDescribeDBInstancesPaginator(c, &rds.DescribeDBInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s.gap(out, "rds", "DescribeDBInstances", "", err)
		}
		for _, db := range page.DBInstances {
			r := dbInstance(s, db)
			if err := readTLS(ctx, s, out, &params, db, &r); err != nil {
				return err
			}
			out.Add(r)
		}
	}
	return nil
}

// readTLS sets r.Database.TLSRequired from the parameter that enforces TLS
// on the instance's engine, read from its first DB parameter group. It
// stays nil (unknown) for engines without such a parameter in a DB
// parameter group, for an instance that names no group, and when the
// group cannot be read: that is a gap naming the database.
func readTLS(ctx context.Context, s scope, out *collectors.Result, params *paramReader, db types.DBInstance, r *inventory.Resource) error {
	name := tlsParameter(aws.ToString(db.Engine))
	if name == "" || len(db.DBParameterGroups) == 0 {
		return nil
	}
	group := aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)
	if group == "" {
		return nil
	}
	v, err := params.get(ctx, group, name)
	if err != nil {
		return s.gap(out, "rds", "DescribeDBParameters", r.ID,
			fmt.Errorf("read %s of DB parameter group %s: %w", name, group, err))
	}
	r.Database.TLSRequired = tlsRequired(r.Database.Engine, r.Database.EngineVersion, v)
	return nil
}

// tlsParameter names the DB parameter that makes an engine refuse
// connections without TLS; "" where none is known at the instance level:
// Aurora sets it in the cluster parameter group, Oracle in an option group
// (the SSL option), and Db2 and RDS Custom are not read.
//
//   - PostgreSQL, SQL Server: rds.force_ssl.
//     https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
//     https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/SQLServer.Concepts.General.SSL.Using.html
//   - MySQL, MariaDB: require_secure_transport.
//     https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html
//     https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mariadb-ssl-connections.require-ssl.html
func tlsParameter(engine string) string {
	switch {
	case engine == "postgres", strings.HasPrefix(engine, "sqlserver-"):
		return "rds.force_ssl"
	case engine == "mysql", engine == "mariadb":
		return "require_secure_transport"
	}
	return ""
}

// tlsRequired reads the value of the engine's TLS parameter (tlsParameter).
// A parameter the group leaves at the engine default, or does not list,
// has the engine's default:
//
//   - PostgreSQL: rds.force_ssl is 1 from major version 15 on, 0 before
//     ("The rds.force_ssl parameter default value is 1 (on) for RDS for
//     PostgreSQL version 15 and later", PostgreSQL.Concepts.General.SSL).
//   - SQL Server: rds.force_ssl is 0 ("By default, the rds.force_ssl
//     parameter is set to 0 (off)", SQLServer.Concepts.General.SSL.Using).
//   - MySQL: require_secure_transport is OFF.
//   - MariaDB: require_secure_transport is OFF up to 11.4 and ON from 11.8;
//     versions before 10.5 lack it, so nothing enforces TLS.
//
// A value that is neither on nor off, or a version that does not parse,
// is unknown (nil).
func tlsRequired(engine, version string, v paramValue) *bool {
	if v.set {
		switch strings.ToLower(strings.TrimSpace(v.value)) {
		case "1", "on", "true":
			return aws.Bool(true)
		case "0", "off", "false":
			return aws.Bool(false)
		}
		return nil
	}
	major, minor, ok := majorMinor(version)
	switch {
	case engine == "postgres":
		if !ok {
			return nil
		}
		return aws.Bool(major >= 15)
	case engine == "mariadb":
		if !ok {
			return nil
		}
		return aws.Bool(major > 11 || major == 11 && minor >= 8)
	case engine == "mysql", strings.HasPrefix(engine, "sqlserver-"):
		return aws.Bool(false)
	}
	return nil
}

// majorMinor reads the first two numbers of an engine version ("16.4",
// "10.6.14", "15.00.4345.5.v1"; "9.6" is 9, 6; a lone "16" is 16, 0).
func majorMinor(version string) (major, minor int, ok bool) {
	parts := strings.SplitN(version, ".", 3)
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return 0, 0, false
	}
	if len(parts) > 1 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, 0, false
		}
	}
	return major, minor, true
}

// paramValue is one parameter of a DB parameter group; set is false when
// the group leaves it at the engine default (no ParameterValue) or does
// not list it.
type paramValue struct {
	value string
	set   bool
}

// paramReader reads single parameters of the DB parameter groups of one
// region, each group and parameter once: instances share groups. A failed
// read is kept too, so a denied group costs one call and each of its
// instances still gets its gap.
type paramReader struct {
	c    rdsAPI
	seen map[[2]string]paramRead // {group, parameter}
}

type paramRead struct {
	v   paramValue
	err error
}

// get reads parameter name of group. It asks for that name alone, and
// still pages through the group and matches the name itself: older API
// references say the parameter-name filter "isn't currently supported".
// It stops at the first page that holds the parameter.
func (p *paramReader) get(ctx context.Context, group, name string) (paramValue, error) {
	key := [2]string{group, name}
	if r, ok := p.seen[key]; ok {
		return r.v, r.err
	}
	v, err := p.read(ctx, group, name)
	p.seen[key] = paramRead{v, err}
	return v, err
}

func (p *paramReader) read(ctx context.Context, group, name string) (paramValue, error) {
	pg := rds.NewDescribeDBParametersPaginator(p.c, &rds.DescribeDBParametersInput{
		DBParameterGroupName: aws.String(group),
		Filters:              []types.Filter{{Name: aws.String("parameter-name"), Values: []string{name}}},
	})
	var v paramValue
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return paramValue{}, err
		}
		i := slices.IndexFunc(page.Parameters, func(x types.Parameter) bool { return aws.ToString(x.ParameterName) == name })
		if i >= 0 {
			if pv := page.Parameters[i].ParameterValue; pv != nil {
				v = paramValue{value: *pv, set: true}
			}
			break
		}
	}
	return v, nil
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
