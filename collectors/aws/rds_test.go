package aws

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestRDSDemo(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	dbs := byNativeType(res.Resources, "AWS::RDS::")
	golden(t, "aws_rds.json", dbs)

	// Three instances in eu-west-1 with the server's page size of 2 take
	// two pages; us-east-1 answers one empty page.
	if n := srv.Requests("rds", "DescribeDBInstances"); n != 3 {
		t.Errorf("DescribeDBInstances was called %d times, want 3 (2 pages in eu-west-1, 1 in us-east-1)", n)
	}
	var names []string
	for _, r := range dbs {
		names = append(names, r.Region+"/"+r.Name)
	}
	if diff := cmp.Diff(names, []string{"eu-west-1/legacy-mysql", "eu-west-1/orders-private", "eu-west-1/orders-public"}); diff != "" {
		t.Errorf("instances (-got +want):\n%s", diff)
	}
	if gaps := gapsOf(res.Gaps, "rds"); len(gaps) != 0 {
		t.Errorf("unexpected rds gaps: %v", gaps)
	}
	// The emulator pages parameters two at a time and ignores the
	// parameter-name filter, as older API versions did: rds.force_ssl of
	// orders-pg11 is on its second page of three, and reading stops there;
	// orders-pg16 and legacy-mysql57 hold theirs on the first page.
	if n := srv.Requests("rds", "DescribeDBParameters"); n != 4 {
		t.Errorf("DescribeDBParameters was called %d times, want 4 (orders-pg11 2 of its 3 pages, the others 1)", n)
	}
	if diff := cmp.Diff(tlsOf(dbs), map[string]*bool{
		"orders-public":  new(false), // rds.force_ssl 0
		"orders-private": new(true),  // rds.force_ssl 1
		"legacy-mysql":   new(false), // require_secure_transport left at its default, OFF
	}); diff != "" {
		t.Errorf("TLSRequired (-got +want):\n%s", diff)
	}
}

// tlsOf maps database names to their TLSRequired.
func tlsOf(rs []inventory.Resource) map[string]*bool {
	m := map[string]*bool{}
	for _, r := range rs {
		if r.Database != nil {
			m[r.Name] = r.Database.TLSRequired
		}
	}
	return m
}

// sharedGroupEstate has two PostgreSQL 15 instances sharing a parameter
// group that leaves rds.force_ssl at its default, on its third page.
var sharedGroupEstate = map[string]string{
	"account.json": `{"id": "111122223333", "caller": "arn:aws:iam::111122223333:user/scanner",
		"regions": [{"name": "us-east-1", "opt_in_status": "opt-in-not-required"}]}`,
	"rds.json": `{
		"db_instances": [
			{"region": "us-east-1", "db_instance_identifier": "a", "db_instance_class": "db.t3.micro", "engine": "postgres",
			 "engine_version": "15.7", "instance_create_time": "2025-01-01T00:00:00Z", "port": 5432,
			 "db_subnet_group": {"name": "g", "vpc_id": "vpc-1", "subnets": []}, "vpc_security_groups": [], "db_parameter_group": "shared-pg15"},
			{"region": "us-east-1", "db_instance_identifier": "b", "db_instance_class": "db.t3.micro", "engine": "postgres",
			 "engine_version": "15.7", "instance_create_time": "2025-01-01T00:00:00Z", "port": 5432,
			 "db_subnet_group": {"name": "g", "vpc_id": "vpc-1", "subnets": []}, "vpc_security_groups": [], "db_parameter_group": "shared-pg15"}
		],
		"db_parameter_groups": [{"region": "us-east-1", "name": "shared-pg15", "family": "postgres15", "parameters": [
			{"name": "a_one", "value": "1"}, {"name": "a_two", "value": "2"},
			{"name": "log_connections", "value": "1"}, {"name": "log_statement", "value": "ddl"},
			{"name": "rds.force_ssl"}, {"name": "ssl", "value": "1"}
		]}]
	}`,
}

// TestRDSParameterPagesOnce reads a parameter on the last page of a group,
// once for the two instances that share the group.
func TestRDSParameterPagesOnce(t *testing.T) {
	res, srv := scanEstate(t, writeEstate(t, sharedGroupEstate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	if n := srv.Requests("rds", "DescribeDBParameters"); n != 3 {
		t.Errorf("DescribeDBParameters was called %d times, want 3 (three pages, once for both instances)", n)
	}
	// Left at the default, which is on from PostgreSQL 15.
	if diff := cmp.Diff(tlsOf(res.Resources), map[string]*bool{"a": new(true), "b": new(true)}); diff != "" {
		t.Errorf("TLSRequired (-got +want):\n%s", diff)
	}
	if gaps := gapsOf(res.Gaps, "rds"); len(gaps) != 0 {
		t.Errorf("unexpected rds gaps: %v", gaps)
	}
}

func TestTLSRequired(t *testing.T) {
	set := func(v string) paramValue { return paramValue{value: v, set: true} }
	tests := []struct {
		engine, version string
		v               paramValue
		want            *bool
	}{
		{"postgres", "11.22", set("0"), new(false)},
		{"postgres", "11.22", set("1"), new(true)},
		{"postgres", "16.4", set("0"), new(false)},
		{"postgres", "14.12", paramValue{}, new(false)}, // default 0 before 15
		{"postgres", "15.7", paramValue{}, new(true)},   // default 1 from 15
		{"postgres", "17", paramValue{}, new(true)},
		{"postgres", "beta", paramValue{}, nil},
		{"postgres", "16.4", set("{SomeFormula}"), nil},
		{"mysql", "8.0.39", set("ON"), new(true)},
		{"mysql", "8.0.39", set("1"), new(true)},
		{"mysql", "8.0.39", set("OFF"), new(false)},
		{"mysql", "5.7.44", paramValue{}, new(false)},
		{"mariadb", "10.11.8", paramValue{}, new(false)},
		{"mariadb", "11.4.3", paramValue{}, new(false)},
		{"mariadb", "11.8.2", paramValue{}, new(true)},
		{"mariadb", "10.4.34", paramValue{}, new(false)}, // no such parameter before 10.5
		{"sqlserver-se", "15.00.4345.5.v1", paramValue{}, new(false)},
		{"sqlserver-ee", "16.00.4125.3.v1", set("1"), new(true)},
		{"oracle-ee", "19.0.0.0.ru-2024-07.rur-2024-07.r1", paramValue{}, nil},
		{"aurora-postgresql", "16.4", paramValue{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.engine+" "+tt.version+" "+tt.v.value, func(t *testing.T) {
			got := tlsRequired(tt.engine, tt.version, tt.v)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("tlsRequired (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRDSFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		dbs    int
		tls    map[string]*bool // by database name
	}{
		{
			name:   "denied in eu-west-1",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBInstances", Region: "eu-west-1", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "rds",
				Operation: "DescribeDBInstances", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBInstances", Region: "eu-west-1", Kind: emulator.FaultThrottle, Times: 2}},
			dbs:    3,
			tls:    map[string]*bool{"orders-public": new(false), "orders-private": new(true), "legacy-mysql": new(false)},
		},
		{
			// Each database is a gap of its own and stays unknown, not safe.
			name:   "parameters denied",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBParameters", Region: "eu-west-1", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{
				{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "rds", Operation: "DescribeDBParameters",
					Resource: "arn:aws:rds:eu-west-1:111122223333:db:legacy-mysql", Reason: inventory.GapAccessDenied},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "rds", Operation: "DescribeDBParameters",
					Resource: "arn:aws:rds:eu-west-1:111122223333:db:orders-private", Reason: inventory.GapAccessDenied},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "rds", Operation: "DescribeDBParameters",
					Resource: "arn:aws:rds:eu-west-1:111122223333:db:orders-public", Reason: inventory.GapAccessDenied},
			},
			dbs: 3,
			tls: map[string]*bool{"orders-public": nil, "orders-private": nil, "legacy-mysql": nil},
		},
		{
			name:   "parameters throttled within retries",
			faults: []emulator.Fault{{Service: "rds", Action: "DescribeDBParameters", Region: "eu-west-1", Kind: emulator.FaultThrottle, Times: 2}},
			dbs:    3,
			tls:    map[string]*bool{"orders-public": new(false), "orders-private": new(true), "legacy-mysql": new(false)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, "demo", emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
			gaps := slices.Clone(gapsOf(res.Gaps, "rds"))
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message = ""
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			dbs := byNativeType(res.Resources, "AWS::RDS::")
			if got := len(dbs); got != tt.dbs {
				t.Errorf("got %d DB instances, want %d", got, tt.dbs)
			}
			if tt.tls == nil {
				tt.tls = map[string]*bool{}
			}
			if diff := cmp.Diff(tlsOf(dbs), tt.tls); diff != "" {
				t.Errorf("TLSRequired (-got +want):\n%s", diff)
			}
		})
	}
}
