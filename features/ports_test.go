package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestAdminPortInternet(t *testing.T) {
	keys := []string{"port", "source", "breadth", "via", "path", "ports", "missing"}
	path := "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 22 from 0.0.0.0/0"
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"ssh open to the internet on a public instance", publicEstate(),
			[]hit{{Evidence: map[string]string{"port": "22", "source": "0.0.0.0/0", "breadth": "/0", "via": "sg-1", "path": path}}}},
		{"safe twin: sg open on 443 only", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 443, 443, "0.0.0.0/0"))), nil},
		{"safe twin: private subnet", replace(publicEstate(), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)), nil},
		{"rdp and winrm from a wide range", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 3389, 5986, "3.0.0.0/8"))),
			[]hit{
				{Evidence: map[string]string{"port": "3389", "source": "3.0.0.0/8", "breadth": "/8", "via": "sg-1",
					"path": "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 3389-5986 from 3.0.0.0/8"}},
				{Evidence: map[string]string{"port": "5985", "source": "3.0.0.0/8", "breadth": "/8", "via": "sg-1",
					"path": "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 3389-5986 from 3.0.0.0/8"}},
				{Evidence: map[string]string{"port": "5986", "source": "3.0.0.0/8", "breadth": "/8", "via": "sg-1",
					"path": "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 3389-5986 from 3.0.0.0/8"}},
				{Evidence: map[string]string{"port": "5900", "source": "3.0.0.0/8", "breadth": "/8", "via": "sg-1",
					"path": "internet -> igw-1 (rtb-1 0.0.0.0/0) -> subnet-1 -> 54.0.0.1 (i-1) -> sg-1: allow tcp 3389-5986 from 3.0.0.0/8"}},
			}},
		{"udp 22 is not ssh", replace(publicEstate(), firewall("sg-1", sgRule("udp", 22, 22, "0.0.0.0/0"))), nil},
		{"missing route table: unknown", without(publicEstate(), "subnet-1", "rtb-1"),
			[]hit{{Unknown: true, Evidence: map[string]string{"ports": "22", "missing": "subnet subnet-1 not in snapshot"}}}},
		{"missing firewall: unknown", without(publicEstate(), "sg-1"),
			[]hit{{Unknown: true, Evidence: map[string]string{"ports": "22,3389,5985,5986,5900", "missing": "firewall sg-1 not in snapshot"}}}},
		{"open sg attached to nothing: no instance signal",
			append(replace(publicEstate(), firewall("sg-1", sgRule("tcp", 443, 443, "0.0.0.0/0"))), firewall("sg-open", sgRule("tcp", 22, 22, "0.0.0.0/0"))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", "ports.admin_port_internet", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestDBPortInternet(t *testing.T) {
	keys := []string{"port", "via", "ports"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"redis open on a public instance", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 6379, 6379, "0.0.0.0/0"))),
			[]hit{{Evidence: map[string]string{"port": "6379", "via": "sg-1"}}}},
		{"safe twin: redis open to the vpc only", replace(publicEstate(), firewall("sg-1", sgRule("tcp", 6379, 6379, "10.0.0.0/16"))), nil},
		{"missing subnet: unknown", without(replace(publicEstate(), firewall("sg-1", sgRule("tcp", 6379, 6379, "0.0.0.0/0"))), "subnet-1", "rtb-1"),
			[]hit{{Unknown: true, Evidence: map[string]string{"ports": "6379"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", "ports.db_port_internet", keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func database(mut func(*inventory.Database)) inventory.Resource {
	r := res("db-1", inventory.KindDatabase)
	r.Database = &inventory.Database{Engine: "postgres", EngineVersion: "16.3", PubliclyAccessible: true, Port: 5432,
		Firewalls: []string{"sg-db"}, SubnetIDs: []string{"subnet-1"}, NetworkID: "vpc-1", AutoMinorUpgrade: true,
		TLSRequired: new(true)}
	if mut != nil {
		mut(r.Database)
	}
	return r
}

func TestPublicDatabase(t *testing.T) {
	base := append(publicEstate(), database(nil), firewall("sg-db", sgRule("tcp", 5432, 5432, "0.0.0.0/0")))
	keys := []string{"reachable", "port", "via", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		id     inventory.SignalID
		want   []hit
	}{
		{"publicly accessible and reachable", base, "ports.public_database",
			[]hit{{Evidence: map[string]string{"reachable": "reachable", "port": "5432", "via": "sg-db"}}}},
		{"publicly accessible behind a closed sg: still the setting", replace(base, firewall("sg-db", sgRule("tcp", 5432, 5432, "10.0.0.0/16"))), "ports.public_database",
			[]hit{{Evidence: map[string]string{"reachable": "not reachable"}}}},
		{"safe twin: not publicly accessible", replace(base, database(func(d *inventory.Database) { d.PubliclyAccessible = false })), "ports.public_database", nil},
		{"missing attributes: unknown", replace(base, res("db-1", inventory.KindDatabase)), "ports.public_database",
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "database attributes not collected"}}}},
		{"db port path on the database", base, "ports.db_port_internet",
			[]hit{{Evidence: map[string]string{"port": "5432", "via": "sg-db"}}}},
		{"safe twin: sg admits another port", replace(base, firewall("sg-db", sgRule("tcp", 3306, 3306, "0.0.0.0/0"))), "ports.db_port_internet", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "db-1", tt.id, keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
