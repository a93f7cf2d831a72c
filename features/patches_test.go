package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestPatchSignals(t *testing.T) {
	db := func(engine, version string) []inventory.Resource {
		return []inventory.Resource{database(func(d *inventory.Database) { d.Engine, d.EngineVersion = engine, version })}
	}
	tests := []struct {
		name   string
		estate []inventory.Resource
		target string
		id     inventory.SignalID
		keys   []string
		want   []hit
	}{
		{"image 400 days old", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.ImageCreated = now.AddDate(0, 0, -400) })}, "i-1",
			"patches.image_age", []string{"days", "image"}, []hit{{Evidence: map[string]string{"days": "400", "image": "ami-1"}}}},
		{"safe twin: image 100 days old", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.ImageCreated = now.AddDate(0, 0, -100) })}, "i-1",
			"patches.image_age", nil, nil},
		{"image date unknown", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.ImageCreated = zeroTime })}, "i-1",
			"patches.image_age", []string{"missing"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "image creation date"}}}},

		{"mysql 5.7 past eol", db("mysql", "5.7.44"), "db-1", "patches.eol_engine", []string{"release", "eol", "rds_standard_support_end"},
			[]hit{{Evidence: map[string]string{"release": "MySQL 5.7", "eol": "2023-10-31", "rds_standard_support_end": "2024-02-29"}}}},
		{"aurora mysql 2 past the end of aurora standard support", db("aurora-mysql", "5.7.mysql_aurora.2.11.2"), "db-1", "patches.eol_engine", []string{"release", "eol", "source"},
			[]hit{{Evidence: map[string]string{"release": "Aurora MySQL 2 (MySQL 5.7 compatible)", "eol": "2024-10-31", "source": "AWS Aurora MySQL release calendar"}}}},
		{"mysql 8.0 past eol", db("mysql", "8.0.35"), "db-1", "patches.eol_engine", []string{"release"},
			[]hit{{Evidence: map[string]string{"release": "MySQL 8.0"}}}},
		{"safe twin: aurora mysql 3 (mysql 8.0 compatible) is still supported", db("aurora-mysql", "8.0.mysql_aurora.3.05.2"), "db-1", "patches.eol_engine", nil, nil},
		{"old aurora mysql 1 version string", db("aurora", "5.6.10a"), "db-1", "patches.eol_engine", []string{"release"},
			[]hit{{Evidence: map[string]string{"release": "Aurora MySQL 1 (MySQL 5.6 compatible)"}}}},
		{"aurora mysql version not understood: unknown", db("aurora-mysql", "9.9.mysql_aurora.9.01.0"), "db-1", "patches.eol_engine", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "engine version not in the end-of-life table"}}}},
		{"aurora postgresql 13 past the end of aurora standard support", db("aurora-postgresql", "13.12"), "db-1", "patches.eol_engine", []string{"release", "eol"},
			[]hit{{Evidence: map[string]string{"release": "Aurora PostgreSQL 13", "eol": "2026-02-28"}}}},
		{"safe twin: aurora postgresql 16", db("aurora-postgresql", "16.4"), "db-1", "patches.eol_engine", nil, nil},
		{"neptune is outside the table's scope: no signal", db("neptune", "1.2.1.0"), "db-1", "patches.eol_engine", nil, nil},
		{"documentdb is outside the table's scope: no signal", db("docdb", "5.0.0"), "db-1", "patches.eol_engine", nil, nil},
		{"azure sql database is evergreen: no signal", db("azure-sql", "12.0"), "db-1", "patches.eol_engine", nil, nil},
		{"unknown engine: unknown", db("db2-se", "11.5.9.0.sb00000000.r1"), "db-1", "patches.eol_engine", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "engine version not in the end-of-life table"}}}},
		{"postgres 11 past eol", db("postgres", "11.22"), "db-1", "patches.eol_engine", []string{"release", "days_past_eol"},
			[]hit{{Evidence: map[string]string{"release": "PostgreSQL 11", "days_past_eol": "935"}}}},
		{"sql server 2014 past eol", db("sqlserver-se", "12.00.6449.1.v1"), "db-1", "patches.eol_engine", []string{"release"},
			[]hit{{Evidence: map[string]string{"release": "SQL Server 2014"}}}},
		{"safe twin: postgres 16", db("postgres", "16.3"), "db-1", "patches.eol_engine", nil, nil},
		{"safe twin: mysql 8.4", db("mysql", "8.4.3"), "db-1", "patches.eol_engine", nil, nil},
		{"version not in the table: unknown", db("postgres", "99.1"), "db-1", "patches.eol_engine", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "engine version not in the end-of-life table"}}}},
		{"engine version missing: unknown", db("postgres", ""), "db-1", "patches.eol_engine", nil, []hit{{Unknown: true}}},

		{"auto minor upgrade off", []inventory.Resource{database(func(d *inventory.Database) { d.AutoMinorUpgrade = false })}, "db-1",
			"patches.db_auto_minor_upgrade_off", nil, []hit{{}}},
		{"safe twin: auto minor upgrade on", []inventory.Resource{database(nil)}, "db-1", "patches.db_auto_minor_upgrade_off", nil, nil},
		{"database attributes missing: unknown", []inventory.Resource{res("db-1", inventory.KindDatabase)}, "db-1",
			"patches.db_auto_minor_upgrade_off", nil, []hit{{Unknown: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, tt.target, tt.id, tt.keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestEOLTable(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range EOLTable {
		k := e.Family + "/" + e.Major
		if seen[k] {
			t.Errorf("EOLTable lists %s twice", k)
		}
		seen[k] = true
		if e.EOL.IsZero() || e.Name == "" || e.Source == "" {
			t.Errorf("EOLTable entry %s lacks a date, name or source", k)
		}
		if e.EOL.After(EOLTableAsOf.AddDate(10, 0, 0)) {
			t.Errorf("EOLTable entry %s ends implausibly late: %s", k, day(e.EOL))
		}
	}
}
