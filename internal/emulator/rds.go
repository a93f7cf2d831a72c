package emulator

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RDSEstate is rds.json: the account's DB instances and DB parameter
// groups, in every region.
type RDSEstate struct {
	DBInstances       []RDSInstance       `json:"db_instances"`
	DBParameterGroups []RDSParameterGroup `json:"db_parameter_groups,omitempty"`
}

// RDSParameterGroup is one DB parameter group of a region, with the
// parameters DescribeDBParameters lists (a few, not the hundreds of a
// real group).
type RDSParameterGroup struct {
	Region     string         `json:"region"`
	Name       string         `json:"name"`
	Family     string         `json:"family"` // "postgres16", "mysql5.7"
	Parameters []RDSParameter `json:"parameters"`
}

// RDSParameter is one parameter of a group. A nil Value is a parameter
// left at the engine's default: the API then sends no ParameterValue.
type RDSParameter struct {
	Name   string  `json:"name"`
	Value  *string `json:"value,omitempty"`
	Source string  `json:"source,omitempty"` // user, system or engine-default; default "engine-default" without a value, "user" with one
}

// RDSInstance is one DB instance.
type RDSInstance struct {
	Region                  string         `json:"region"`
	DBInstanceIdentifier    string         `json:"db_instance_identifier"`
	DBInstanceClass         string         `json:"db_instance_class"`
	Engine                  string         `json:"engine"`
	EngineVersion           string         `json:"engine_version"`
	DBInstanceStatus        string         `json:"db_instance_status,omitempty"` // default "available"
	InstanceCreateTime      time.Time      `json:"instance_create_time"`
	PubliclyAccessible      bool           `json:"publicly_accessible"`
	Port                    int            `json:"port"`
	AutoMinorVersionUpgrade bool           `json:"auto_minor_version_upgrade"`
	StorageEncrypted        bool           `json:"storage_encrypted"`
	KmsKeyID                string         `json:"kms_key_id,omitempty"`
	AvailabilityZone        string         `json:"availability_zone,omitempty"`
	DBSubnetGroup           RDSSubnetGroup `json:"db_subnet_group"`
	// DBParameterGroup names the instance's DB parameter group, one of
	// RDSEstate.DBParameterGroups of its region; "" lists none.
	DBParameterGroup  string            `json:"db_parameter_group,omitempty"`
	VpcSecurityGroups []string          `json:"vpc_security_groups"` // sg ids
	Tags              map[string]string `json:"tags,omitempty"`
}

// RDSSubnetGroup is the DB subnet group of an instance.
type RDSSubnetGroup struct {
	Name    string      `json:"name"`
	VpcID   string      `json:"vpc_id"`
	Subnets []RDSSubnet `json:"subnets"`
}

// RDSSubnet is one subnet of a DB subnet group.
type RDSSubnet struct {
	ID               string `json:"id"`
	AvailabilityZone string `json:"availability_zone"`
}

// serveRDS answers DescribeDBInstances and DescribeDBParameters for the
// request's region.
func serveRDS(e *Estate, r *request, server int) (any, error) {
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	switch r.Action {
	case "DescribeDBInstances":
		return serveDBInstances(e, r, server)
	case "DescribeDBParameters":
		return serveDBParameters(e, r, server)
	}
	return nil, errorf(400, "InvalidAction", "emulator: rds action %q not served", r.Action)
}

// serveDBInstances answers DescribeDBInstances, paginated with MaxRecords
// and Marker.
func serveDBInstances(e *Estate, r *request, server int) (any, error) {
	if _, ok := r.Params["Filters.Filter.1.Name"]; ok {
		return nil, errorf(400, "InvalidParameterValue", "emulator: DescribeDBInstances filters are not served")
	}
	var dbs []RDSInstance
	for _, db := range e.AWS.RDS.DBInstances {
		if db.Region == r.Region && (r.Get("DBInstanceIdentifier") == "" || r.Get("DBInstanceIdentifier") == db.DBInstanceIdentifier) {
			dbs = append(dbs, db)
		}
	}
	if id := r.Get("DBInstanceIdentifier"); id != "" && len(dbs) == 0 {
		return nil, errorf(404, "DBInstanceNotFound", "DBInstance %s not found.", id)
	}
	slices.SortFunc(dbs, func(a, b RDSInstance) int {
		return strings.Compare(a.DBInstanceIdentifier, b.DBInstanceIdentifier)
	})
	from, to, next, err := page(len(dbs), r.Get("Marker"), pageSize(r, server))
	if err != nil {
		return nil, err
	}
	type resp struct {
		XMLName xml.Name `xml:"http://rds.amazonaws.com/doc/2014-10-31/ DescribeDBInstancesResponse"`
		Result  struct {
			DBInstances []rdsInstanceXML `xml:"DBInstances>DBInstance"`
			Marker      string           `xml:",omitempty"`
		} `xml:"DescribeDBInstancesResult"`
		Metadata struct {
			RequestId string
		} `xml:"ResponseMetadata"`
	}
	var v resp
	v.Result.Marker = next
	v.Metadata.RequestId = "emulated"
	for _, db := range dbs[from:to] {
		v.Result.DBInstances = append(v.Result.DBInstances, rdsInstanceOf(e.AWS.Account.partition(), e.AWS.Account.ID, db))
	}
	return v, nil
}

// serveDBParameters answers DescribeDBParameters for one parameter group of
// the region, its parameters in name order, paginated with MaxRecords and
// Marker; Source narrows them to one source.
//
// A parameter-name filter is accepted and not applied. The current API
// reference supports it, older ones (boto3 1.34's) say Filters "isn't
// currently supported", so a client must not count on it: it finds its
// parameter by paging through the group, and the emulator makes it do so.
// Other filter names are refused.
func serveDBParameters(e *Estate, r *request, server int) (any, error) {
	name := r.Get("DBParameterGroupName")
	if name == "" {
		return nil, errorf(400, "MissingParameter", "The request must contain the parameter DBParameterGroupName")
	}
	for i := 1; ; i++ {
		f := r.Get(fmt.Sprintf("Filters.Filter.%d.Name", i))
		if f == "" {
			break
		}
		if f != "parameter-name" {
			return nil, errorf(400, "InvalidParameterValue", "Unrecognized filter name: %s", f)
		}
	}
	var group *RDSParameterGroup
	for i, g := range e.AWS.RDS.DBParameterGroups {
		if g.Region == r.Region && g.Name == name {
			group = &e.AWS.RDS.DBParameterGroups[i]
			break
		}
	}
	if group == nil {
		return nil, errorf(404, "DBParameterGroupNotFound", "DBParameterGroup not found: %s", name)
	}
	source := r.Get("Source")
	var ps []rdsParameterXML
	for _, p := range group.Parameters {
		x := rdsParameterXML{ParameterName: p.Name, ParameterValue: p.Value, Source: p.Source,
			ApplyType: "dynamic", DataType: "string", IsModifiable: true}
		if x.Source == "" {
			x.Source = "engine-default"
			if p.Value != nil {
				x.Source = "user"
			}
		}
		if source == "" || source == x.Source {
			ps = append(ps, x)
		}
	}
	slices.SortFunc(ps, func(a, b rdsParameterXML) int { return strings.Compare(a.ParameterName, b.ParameterName) })
	from, to, next, err := page(len(ps), r.Get("Marker"), pageSize(r, server))
	if err != nil {
		return nil, err
	}
	type resp struct {
		XMLName xml.Name `xml:"http://rds.amazonaws.com/doc/2014-10-31/ DescribeDBParametersResponse"`
		Result  struct {
			Parameters []rdsParameterXML `xml:"Parameters>Parameter"`
			Marker     string            `xml:",omitempty"`
		} `xml:"DescribeDBParametersResult"`
		Metadata struct {
			RequestId string
		} `xml:"ResponseMetadata"`
	}
	var v resp
	v.Result.Parameters = ps[from:to]
	v.Result.Marker = next
	v.Metadata.RequestId = "emulated"
	return v, nil
}

// rdsParameterXML is a Parameter element, in the API's names.
type rdsParameterXML struct {
	ParameterName  string
	ParameterValue *string `xml:",omitempty"`
	Source         string
	ApplyType      string
	DataType       string
	IsModifiable   bool
}

// rdsInstanceXML is a DBInstance element, in the API's names.
type rdsInstanceXML struct {
	DBInstanceIdentifier string
	DBInstanceArn        string
	DBInstanceClass      string
	Engine               string
	EngineVersion        string
	DBInstanceStatus     string
	InstanceCreateTime   string
	Endpoint             struct {
		Address      string
		Port         int
		HostedZoneId string
	}
	AvailabilityZone        string `xml:",omitempty"`
	PubliclyAccessible      bool
	AutoMinorVersionUpgrade bool
	StorageEncrypted        bool
	KmsKeyId                string `xml:",omitempty"`
	DBSubnetGroup           struct {
		DBSubnetGroupName        string
		DBSubnetGroupDescription string
		VpcId                    string
		SubnetGroupStatus        string
		Subnets                  []rdsSubnetXML `xml:"Subnets>Subnet"`
	}
	VpcSecurityGroups []rdsSGXML  `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
	DBParameterGroups []rdsPGXML  `xml:"DBParameterGroups>DBParameterGroup"`
	TagList           []rdsTagXML `xml:"TagList>Tag"`
}

type rdsPGXML struct {
	DBParameterGroupName string
	ParameterApplyStatus string
}

type rdsSubnetXML struct {
	SubnetIdentifier       string
	SubnetAvailabilityZone struct{ Name string }
	SubnetStatus           string
}

type rdsSGXML struct {
	VpcSecurityGroupId string
	Status             string
}

type rdsTagXML struct {
	Key   string
	Value string
}

func rdsInstanceOf(partition, account string, db RDSInstance) rdsInstanceXML {
	x := rdsInstanceXML{
		DBInstanceIdentifier:    db.DBInstanceIdentifier,
		DBInstanceArn:           fmt.Sprintf("arn:%s:rds:%s:%s:db:%s", partition, db.Region, account, db.DBInstanceIdentifier),
		DBInstanceClass:         db.DBInstanceClass,
		Engine:                  db.Engine,
		EngineVersion:           db.EngineVersion,
		DBInstanceStatus:        db.DBInstanceStatus,
		InstanceCreateTime:      db.InstanceCreateTime.UTC().Format(time.RFC3339),
		AvailabilityZone:        db.AvailabilityZone,
		PubliclyAccessible:      db.PubliclyAccessible,
		AutoMinorVersionUpgrade: db.AutoMinorVersionUpgrade,
		StorageEncrypted:        db.StorageEncrypted,
		KmsKeyId:                db.KmsKeyID,
	}
	if x.DBInstanceStatus == "" {
		x.DBInstanceStatus = "available"
	}
	x.Endpoint.Address = fmt.Sprintf("%s.cemulated0000.%s.rds.amazonaws.com", db.DBInstanceIdentifier, db.Region)
	x.Endpoint.Port = db.Port
	x.Endpoint.HostedZoneId = "Z29XKXDKYMONMX"
	g := db.DBSubnetGroup
	x.DBSubnetGroup.DBSubnetGroupName = g.Name
	x.DBSubnetGroup.DBSubnetGroupDescription = g.Name
	x.DBSubnetGroup.VpcId = g.VpcID
	x.DBSubnetGroup.SubnetGroupStatus = "Complete"
	for _, s := range g.Subnets {
		sx := rdsSubnetXML{SubnetIdentifier: s.ID, SubnetStatus: "Active"}
		sx.SubnetAvailabilityZone.Name = s.AvailabilityZone
		x.DBSubnetGroup.Subnets = append(x.DBSubnetGroup.Subnets, sx)
	}
	for _, sg := range db.VpcSecurityGroups {
		x.VpcSecurityGroups = append(x.VpcSecurityGroups, rdsSGXML{VpcSecurityGroupId: sg, Status: "active"})
	}
	if db.DBParameterGroup != "" {
		x.DBParameterGroups = []rdsPGXML{{DBParameterGroupName: db.DBParameterGroup, ParameterApplyStatus: "in-sync"}}
	}
	keys := make([]string, 0, len(db.Tags))
	for k := range db.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		x.TagList = append(x.TagList, rdsTagXML{Key: k, Value: db.Tags[k]})
	}
	return x
}
