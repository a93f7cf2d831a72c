package features

import (
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// ImageMaxAgeDays is the age past which an instance's image is old.
const ImageMaxAgeDays = 180

func imageAge() Detector {
	d := Detector{
		ID: "patches.image_age", Pillar: inventory.Patches, Severity: inventory.SevMedium,
		Title: "Instance image older than 180 days",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		in := r.Instance
		if in == nil || in.ImageCreated.IsZero() {
			ev := map[string]string{"missing": "image creation date"}
			if in != nil && in.ImageID != "" {
				ev["image"] = in.ImageID
			}
			return []inventory.Signal{d.unknown(r, ev)}
		}
		age := days(now, in.ImageCreated)
		if age <= ImageMaxAgeDays {
			return nil
		}
		ev := map[string]string{"days": itoa(age), "image_created": day(in.ImageCreated)}
		if in.ImageID != "" {
			ev["image"] = in.ImageID
		}
		if in.ImageName != "" {
			ev["image_name"] = in.ImageName
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

// EOL is one engine major version's end of life.
type EOL struct {
	Family  string    // "mysql", "postgres", "mariadb", "sqlserver", "oracle"
	Major   string    // as MajorVersion returns it: "5.7", "12", "10.4", "13" (SQL Server 2016)
	Name    string    // for people: "MySQL 5.7", "SQL Server 2016"
	EOL     time.Time // the vendor's end of life (last security fix)
	RDSEnds time.Time // end of RDS standard support, zero where not recorded
	Source  string
}

// EOLTableAsOf is when EOLTable was last checked against its sources. The
// evidence of every eol_engine signal carries it.
var EOLTableAsOf = date("2026-11-23")

// EOLTable lists engine versions with their end of life. A version past
// EOL no longer gets upstream security fixes; paid RDS Extended Support
// may still backport some, which the evidence shows through RDSEnds.
//
// Sources:
//   - MySQL: https://www.mysql.com/support/eol-notice.html and the RDS
//     calendar https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html
//     (8.0 RDS standard support ends 2026-07-31).
//   - PostgreSQL: https://www.postgresql.org/support/versioning/ (12's
//     final release slipped from the planned 2024-11-14 to 2024-11-21).
//   - MariaDB: https://mariadb.org/about/#maintenance-policy and
//     https://endoflife.date/amazon-rds-mariadb for RDS dates.
//   - SQL Server: Microsoft lifecycle, end of extended support
//     (https://learn.microsoft.com/lifecycle/products/?terms=sql%20server).
//   - Oracle: Oracle Lifetime Support Policy; only versions long past
//     extended support are listed, 19c/21c are not (their dates keep
//     moving), so they read as unknown.
var EOLTable = []EOL{
	{"mysql", "5.5", "MySQL 5.5", date("2018-12-31"), time.Time{}, "mysql.com eol notice"},
	{"mysql", "5.6", "MySQL 5.6", date("2021-02-01"), time.Time{}, "mysql.com eol notice"},
	{"mysql", "5.7", "MySQL 5.7", date("2023-10-31"), date("2024-02-29"), "mysql.com eol notice; AWS RDS calendar"},
	{"mysql", "8.0", "MySQL 8.0", date("2026-04-30"), date("2026-07-31"), "mysql.com eol notice; AWS RDS calendar"},
	{"mysql", "8.4", "MySQL 8.4 LTS", date("2032-04-30"), time.Time{}, "mysql.com release policy"},
	{"postgres", "9.5", "PostgreSQL 9.5", date("2021-02-11"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "9.6", "PostgreSQL 9.6", date("2021-11-11"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "10", "PostgreSQL 10", date("2022-11-10"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "11", "PostgreSQL 11", date("2023-11-09"), date("2024-02-29"), "postgresql.org versioning; AWS RDS calendar"},
	{"postgres", "12", "PostgreSQL 12", date("2024-11-21"), date("2025-02-28"), "postgresql.org versioning; AWS RDS calendar"},
	{"postgres", "13", "PostgreSQL 13", date("2025-11-13"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "14", "PostgreSQL 14", date("2026-11-12"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "15", "PostgreSQL 15", date("2027-11-11"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "16", "PostgreSQL 16", date("2028-11-09"), time.Time{}, "postgresql.org versioning"},
	{"postgres", "17", "PostgreSQL 17", date("2029-11-08"), time.Time{}, "postgresql.org versioning"},
	{"mariadb", "10.3", "MariaDB 10.3", date("2023-05-25"), time.Time{}, "mariadb.org maintenance policy"},
	{"mariadb", "10.4", "MariaDB 10.4", date("2024-06-18"), time.Time{}, "mariadb.org maintenance policy"},
	{"mariadb", "10.5", "MariaDB 10.5", date("2025-06-24"), time.Time{}, "mariadb.org maintenance policy"},
	{"mariadb", "10.6", "MariaDB 10.6", date("2026-07-06"), date("2026-08-31"), "mariadb.org; endoflife.date amazon-rds-mariadb"},
	{"mariadb", "10.11", "MariaDB 10.11", date("2028-02-16"), date("2028-02-29"), "mariadb.org; endoflife.date amazon-rds-mariadb"},
	{"mariadb", "11.4", "MariaDB 11.4", date("2029-05-29"), date("2029-05-31"), "mariadb.org; endoflife.date amazon-rds-mariadb"},
	{"sqlserver", "11", "SQL Server 2012", date("2022-07-12"), time.Time{}, "Microsoft lifecycle"},
	{"sqlserver", "12", "SQL Server 2014", date("2024-07-09"), time.Time{}, "Microsoft lifecycle"},
	{"sqlserver", "13", "SQL Server 2016", date("2026-07-14"), time.Time{}, "Microsoft lifecycle"},
	{"sqlserver", "14", "SQL Server 2017", date("2027-10-12"), time.Time{}, "Microsoft lifecycle"},
	{"sqlserver", "15", "SQL Server 2019", date("2030-01-08"), time.Time{}, "Microsoft lifecycle"},
	{"sqlserver", "16", "SQL Server 2022", date("2033-01-11"), time.Time{}, "Microsoft lifecycle"},
	{"oracle", "11.2", "Oracle 11g R2", date("2020-12-31"), time.Time{}, "Oracle lifetime support policy"},
	{"oracle", "12.1", "Oracle 12c R1", date("2022-07-31"), time.Time{}, "Oracle lifetime support policy"},
	{"oracle", "12.2", "Oracle 12c R2", date("2022-03-31"), time.Time{}, "Oracle lifetime support policy"},
	{"oracle", "18", "Oracle 18c", date("2021-06-30"), time.Time{}, "Oracle lifetime support policy"},
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("features: bad date in table: " + s)
	}
	return t
}

// EngineFamily maps an RDS engine name to the family EOLTable uses ("" when
// it has none): aurora-mysql reads as mysql, aurora-postgresql as postgres,
// sqlserver-ee/se/ex/web as sqlserver, oracle-ee/se2/… as oracle.
func EngineFamily(engine string) string {
	e := strings.ToLower(engine)
	switch {
	case e == "mysql" || e == "aurora" || e == "aurora-mysql":
		return "mysql"
	case e == "postgres" || e == "postgresql" || e == "aurora-postgresql":
		return "postgres"
	case e == "mariadb":
		return "mariadb"
	case strings.HasPrefix(e, "sqlserver"):
		return "sqlserver"
	case strings.HasPrefix(e, "oracle"):
		return "oracle"
	}
	return ""
}

// MajorVersion extracts the major version the family names its releases
// by: "5.7" from "5.7.44" or "5.7.mysql_aurora.2.11.2", "12" from "12.17",
// "9.6" from "9.6.24", "13" from SQL Server's "13.00.6300.2.v1", "12.1"
// from Oracle's "12.1.0.2.v20", "19" from "19.0.0.0.ru-2024-01…".
func MajorVersion(family, version string) string {
	parts := strings.Split(strings.TrimSpace(version), ".")
	if len(parts) == 0 || parts[0] == "" {
		return ""
	}
	two := parts[0]
	if len(parts) > 1 {
		two += "." + parts[1]
	}
	switch family {
	case "mysql", "mariadb":
		return two
	case "postgres":
		if parts[0] == "9" {
			return two
		}
		return parts[0]
	case "sqlserver":
		return parts[0]
	case "oracle":
		if parts[0] == "11" || parts[0] == "12" {
			return two
		}
		return parts[0]
	}
	return ""
}

// LookupEOL finds an engine version in EOLTable.
func LookupEOL(engine, version string) (EOL, bool) {
	fam := EngineFamily(engine)
	major := MajorVersion(fam, version)
	for _, e := range EOLTable {
		if e.Family == fam && e.Major == major {
			return e, true
		}
	}
	return EOL{}, false
}

func eolEngine() Detector {
	d := Detector{
		ID: "patches.eol_engine", Pillar: inventory.Patches, Severity: inventory.SevHigh,
		Title: "Database engine version is past its end of life",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		db := r.Database
		if db == nil || db.Engine == "" || db.EngineVersion == "" {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "engine or engine version"})}
		}
		ev := map[string]string{"engine": db.Engine, "version": db.EngineVersion, "table_as_of": day(EOLTableAsOf)}
		e, ok := LookupEOL(db.Engine, db.EngineVersion)
		if !ok {
			ev["missing"] = "engine version not in the end-of-life table"
			return []inventory.Signal{d.unknown(r, ev)}
		}
		if !now.After(e.EOL) {
			return nil
		}
		ev["release"] = e.Name
		ev["eol"] = day(e.EOL)
		ev["days_past_eol"] = itoa(days(now, e.EOL))
		if !e.RDSEnds.IsZero() {
			ev["rds_standard_support_end"] = day(e.RDSEnds)
		}
		ev["source"] = e.Source
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func dbAutoMinorUpgradeOff() Detector {
	d := Detector{
		ID: "patches.db_auto_minor_upgrade_off", Pillar: inventory.Patches, Severity: inventory.SevLow,
		Title: "Database does not apply minor engine upgrades automatically",
		CIS:   []string{"2.3.2"}, Fix: "",
		Kinds: []inventory.Kind{inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if r.Database == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "database attributes not collected"})}
		}
		if r.Database.AutoMinorUpgrade {
			return nil
		}
		return []inventory.Signal{d.signal(r, map[string]string{"auto_minor_upgrade": "false"})}
	}
	return d
}
