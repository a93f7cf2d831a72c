package gcp

import (
	"testing"

	sqladmin "google.golang.org/api/sqladmin/v1beta4"

	"github.com/posture-dev/posture/features"
)

func TestSQLEngine(t *testing.T) {
	for _, c := range []struct{ in, engine, version string }{
		{"POSTGRES_11", "postgres", "11"},
		{"POSTGRES_9_6", "postgres", "9.6"},
		{"MYSQL_5_7", "mysql", "5.7"},
		{"MYSQL_8_0_31", "mysql", "8.0.31"},
		{"SQLSERVER_2019_STANDARD", "sqlserver-standard", "15"},
		{"SQLSERVER_2017_EXPRESS", "sqlserver-express", "14"},
		{"SQLSERVER_2025_ENTERPRISE", "sqlserver-enterprise", "2025"},
		{"SOMETHING_NEW", "something_new", ""},
	} {
		e, v := sqlEngine(c.in)
		if e != c.engine || v != c.version {
			t.Errorf("sqlEngine(%s) = %s %s, want %s %s", c.in, e, v, c.engine, c.version)
		}
	}
	if eol, ok := features.LookupEOL(sqlEngine("SQLSERVER_2019_STANDARD")); !ok || eol.Name != "SQL Server 2019" {
		t.Errorf("SQL Server 2019 not found in the end-of-life table: %+v", eol)
	}
}

// An instance without an ipConfiguration: its public address is taken as
// enabled, and its authorized networks as unread, so its reach is unknown
// rather than closed.
func TestSQLInstanceWithoutIPConfiguration(t *testing.T) {
	rs := sqlInstance(scope{Project: "p"}, &sqladmin.DatabaseInstance{Name: "db", Region: "us-east1", DatabaseVersion: "POSTGRES_15",
		IpAddresses: []*sqladmin.IpMapping{{Type: "PRIMARY", IpAddress: "34.1.1.1"}}})
	if len(rs) != 1 || !rs[0].Database.PubliclyAccessible || rs[0].Database.TLSRequired != nil {
		t.Fatalf("got %+v, want one public database with TLS unknown and no firewall", rs)
	}
	r := features.NewGraph(rs, nil).Reachability(rs[0].ID)
	if got, _ := r.Port("tcp", 5432); got != features.ReachUnknown {
		t.Errorf("reach %v (%+v), want unknown", got, r)
	}
}
