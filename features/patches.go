package features

import (
	"slices"
	"strconv"
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
		Fix:   "aws.ec2.replace_old_image",
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
	Family  string    // "mysql", "postgres", "mariadb", "sqlserver", "oracle", "aurora-mysql", "aurora-postgresql"
	Major   string    // as MajorVersion returns it: "5.7", "12", "10.4", "13" (SQL Server 2016), "3" (Aurora MySQL 3)
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
// Scope: the relational engines of RDS and Aurora. Aurora has its own rows,
// because AWS, not the community, is its vendor: Aurora MySQL 3 is
// compatible with MySQL 8.0 but supported well past MySQL 8.0's end of
// life, so its EOL is the end of Aurora standard support. Engines that
// DescribeDBInstances also returns but that are not relational RDS engines
// (Neptune, DocumentDB) are outside the table's scope and get no eol_engine
// signal at all (see outOfEOLScope); an in-scope engine version missing
// from the table is unknown.
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
//   - Aurora MySQL and Aurora PostgreSQL: the Aurora release calendars,
//     "Aurora end of standard support date"
//     (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraMySQLReleaseNotes/AuroraMySQL.release-calendars.html,
//     https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurora-postgresql-release-calendar.html).
//     Aurora MySQL majors are 1 (MySQL 5.6), 2 (5.7) and 3 (8.0).
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
	{"aurora-mysql", "1", "Aurora MySQL 1 (MySQL 5.6 compatible)", date("2023-02-28"), date("2023-02-28"), "AWS Aurora MySQL release calendar"},
	{"aurora-mysql", "2", "Aurora MySQL 2 (MySQL 5.7 compatible)", date("2024-10-31"), date("2024-10-31"), "AWS Aurora MySQL release calendar"},
	{"aurora-mysql", "3", "Aurora MySQL 3 (MySQL 8.0 compatible)", date("2028-04-30"), date("2028-04-30"), "AWS Aurora MySQL release calendar"},
	{"aurora-postgresql", "9.6", "Aurora PostgreSQL 9.6", date("2022-01-31"), date("2022-01-31"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "10", "Aurora PostgreSQL 10", date("2023-01-31"), date("2023-01-31"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "11", "Aurora PostgreSQL 11", date("2024-02-29"), date("2024-02-29"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "12", "Aurora PostgreSQL 12", date("2025-02-28"), date("2025-02-28"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "13", "Aurora PostgreSQL 13", date("2026-02-28"), date("2026-02-28"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "14", "Aurora PostgreSQL 14", date("2027-02-28"), date("2027-02-28"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "15", "Aurora PostgreSQL 15", date("2028-02-29"), date("2028-02-29"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "16", "Aurora PostgreSQL 16", date("2029-02-28"), date("2029-02-28"), "AWS Aurora PostgreSQL release calendar"},
	{"aurora-postgresql", "17", "Aurora PostgreSQL 17", date("2030-02-28"), date("2030-02-28"), "AWS Aurora PostgreSQL release calendar"},
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("features: bad date in table: " + s)
	}
	return t
}

// EngineFamily maps an RDS engine name to the family EOLTable uses ("" when
// it has none): aurora and aurora-mysql read as aurora-mysql,
// aurora-postgresql stays itself (Aurora has its own support calendar),
// sqlserver-ee/se/ex/web and custom-sqlserver-… as sqlserver, oracle-ee/
// se2/… and custom-oracle-… as oracle.
func EngineFamily(engine string) string {
	e := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(engine)), "custom-")
	switch {
	case e == "aurora" || e == "aurora-mysql":
		return "aurora-mysql"
	case e == "aurora-postgresql":
		return "aurora-postgresql"
	case e == "mysql":
		return "mysql"
	case e == "postgres" || e == "postgresql":
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

// outOfEOLScope reports whether an engine is one DescribeDBInstances
// returns but EOLTable does not cover by design: Neptune and DocumentDB
// (docdb), which are not relational RDS engines and follow their own
// calendars. Such databases get no eol_engine signal, rather than an
// unknown that no table update could ever resolve.
func outOfEOLScope(engine string) bool {
	e := strings.ToLower(strings.TrimSpace(engine))
	// Azure SQL Database is evergreen: Microsoft patches the engine and its
	// "12.0" is the logical server's API version, not a SQL Server release.
	return e == "neptune" || e == "docdb" || strings.HasPrefix(e, "docdb-") || e == "azure-sql"
}

// auroraMySQLMajor maps the community version an old Aurora MySQL version
// string starts with to its Aurora major.
var auroraMySQLMajor = map[string]string{"5.6": "1", "5.7": "2", "8.0": "3"}

// MajorVersion extracts the major version the family names its releases
// by: "5.7" from "5.7.44", "12" from "12.17", "9.6" from "9.6.24", "13"
// from SQL Server's "13.00.6300.2.v1", "12.1" from Oracle's
// "12.1.0.2.v20", "19" from "19.0.0.0.ru-2024-01…". For Aurora MySQL it is
// the Aurora major: "3" from "8.0.mysql_aurora.3.05.2", "2" from
// "5.7.mysql_aurora.2.11.2", and from the community prefix of older
// strings ("5.6.10a" is 1).
func MajorVersion(family, version string) string {
	v := strings.TrimSpace(version)
	parts := strings.Split(v, ".")
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
	case "aurora-mysql":
		if _, rest, ok := strings.Cut(v, ".mysql_aurora."); ok {
			major, _, _ := strings.Cut(rest, ".")
			return major
		}
		return auroraMySQLMajor[two]
	case "postgres", "aurora-postgresql":
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
		Fix:   "aws.rds.upgrade_engine",
		Kinds: []inventory.Kind{inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		db := r.Database
		if db != nil && outOfEOLScope(db.Engine) {
			return nil // not an engine the end-of-life table covers
		}
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

// K8sRelease is one Kubernetes minor version with its end of support:
// upstream's end of life and, where recorded, the end of the managed
// providers' standard support (zero where not recorded; the upstream date
// is then used and the evidence says so).
type K8sRelease struct {
	Minor    string // "1.29"
	Upstream time.Time
	EKS      time.Time
	GKE      time.Time
	AKS      time.Time
}

// K8sTableAsOf is when K8sTable was last checked against its sources.
var K8sTableAsOf = date("2026-11-23")

// K8sTable lists Kubernetes minor versions and their end of support.
//
// Sources:
//   - upstream: https://kubernetes.io/releases/ ("End of Life" of each
//     minor; the patch-release calendar) — one year of patches plus two
//     months of upgrade window per minor since 1.19.
//   - EKS: "Amazon EKS Kubernetes release calendar", end of standard
//     support (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html);
//     extended support (paid, 12 more months) is not counted as supported.
//     1.34 and 1.35 checked against endoflife.date/amazon-eks on
//     2026-11-23.
//   - GKE and AKS: not recorded here yet (their calendars move with each
//     release channel); the upstream date stands in, which can flag a
//     version the provider still patches for a few weeks more.
var K8sTable = []K8sRelease{
	{"1.23", date("2023-02-28"), date("2023-10-11"), time.Time{}, time.Time{}},
	{"1.24", date("2023-07-28"), date("2024-01-31"), time.Time{}, time.Time{}},
	{"1.25", date("2023-10-28"), date("2024-05-01"), time.Time{}, time.Time{}},
	{"1.26", date("2024-02-28"), date("2024-06-11"), time.Time{}, time.Time{}},
	{"1.27", date("2024-06-28"), date("2024-07-24"), time.Time{}, time.Time{}},
	{"1.28", date("2024-10-28"), date("2024-11-26"), time.Time{}, time.Time{}},
	{"1.29", date("2025-02-28"), date("2025-03-23"), time.Time{}, time.Time{}},
	{"1.30", date("2025-06-28"), date("2025-07-23"), time.Time{}, time.Time{}},
	{"1.31", date("2025-10-28"), date("2025-11-26"), time.Time{}, time.Time{}},
	{"1.32", date("2026-02-28"), date("2026-03-23"), time.Time{}, time.Time{}},
	{"1.33", date("2026-06-28"), date("2026-07-29"), time.Time{}, time.Time{}},
	{"1.34", date("2026-10-27"), date("2026-12-02"), time.Time{}, time.Time{}},
	{"1.35", date("2027-02-28"), date("2027-03-27"), time.Time{}, time.Time{}},
}

// K8sMinor extracts "1.29" from "1.29", "v1.29.4", "1.29.4-gke.1043002" or
// "1.29.7-eks-a18cd3a"; "" when the version has no minor.
func K8sMinor(version string) string {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" {
		return ""
	}
	minor, _, _ := strings.Cut(parts[1], "-")
	if minor == "" {
		return ""
	}
	return parts[0] + "." + minor
}

// K8sEndOfSupport returns when a cluster of cloud on version leaves
// standard support, and whose date that is ("eks", "upstream" …).
func K8sEndOfSupport(cloud inventory.Cloud, version string) (end time.Time, basis string, ok bool) {
	minor := K8sMinor(version)
	for _, rel := range K8sTable {
		if rel.Minor != minor {
			continue
		}
		provider, name := time.Time{}, ""
		switch cloud {
		case inventory.AWS:
			provider, name = rel.EKS, "eks standard support"
		case inventory.GCP:
			provider, name = rel.GKE, "gke standard support"
		case inventory.Azure:
			provider, name = rel.AKS, "aks standard support"
		}
		if !provider.IsZero() {
			return provider, name, true
		}
		return rel.Upstream, "upstream end of life (provider date not recorded)", true
	}
	return time.Time{}, "", false
}

func eolKubernetes() Detector {
	d := Detector{
		ID: "patches.eol_kubernetes", Pillar: inventory.Patches, Severity: inventory.SevHigh,
		Title: "Kubernetes version is past its end of standard support",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindCluster},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		if r.Cluster == nil || r.Cluster.Version == "" {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "cluster version"})}
		}
		ev := map[string]string{"version": r.Cluster.Version, "table_as_of": day(K8sTableAsOf)}
		end, basis, ok := K8sEndOfSupport(r.Cloud, r.Cluster.Version)
		if !ok && newerThanK8sTable(r.Cluster.Version) {
			return nil // released after the table: still supported
		}
		if !ok {
			ev["missing"] = "kubernetes version not in the support table"
			return []inventory.Signal{d.unknown(r, ev)}
		}
		if !now.After(end) {
			return nil
		}
		ev["end_of_support"] = day(end)
		ev["basis"] = basis
		ev["days_past_end"] = itoa(days(now, end))
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

// newerThanK8sTable reports whether version is a minor newer than every
// row of K8sTable.
func newerThanK8sTable(version string) bool {
	maj, min, ok := minorNumbers(K8sMinor(version))
	if !ok {
		return false
	}
	lmaj, lmin, _ := minorNumbers(K8sTable[len(K8sTable)-1].Minor)
	return maj > lmaj || (maj == lmaj && min > lmin)
}

func minorNumbers(minor string) (int, int, bool) {
	a, b, ok := strings.Cut(minor, ".")
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	return x, y, ok && err1 == nil && err2 == nil
}

// Runtime is one AWS Lambda managed runtime with the date Lambda deprecates
// it: from then on Lambda applies no security patches to it (end of
// support phase 1; creating, then updating, functions on it is blocked
// later, but existing functions keep running).
type Runtime struct {
	ID         string // the runtime identifier: "python3.8", "nodejs16.x", "java8" (Amazon Linux 1)
	Name       string // for people: "Python 3.8"
	Deprecated time.Time
}

// RuntimeTableAsOf is when RuntimeTable was last checked against its
// source. The evidence of every eol_runtime signal carries it.
var RuntimeTableAsOf = date("2026-11-23")

// RuntimeTable lists Lambda runtimes with their deprecation dates.
//
// Source: "Lambda runtimes", the supported and deprecated runtime tables
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html), and
// the runtime support policy
// (https://docs.aws.amazon.com/lambda/latest/dg/runtime-support-policy.html).
// Dates still ahead of RuntimeTableAsOf are AWS's projected deprecation
// dates, which AWS has moved before (python3.9 went from 2025-10-31 to
// 2025-12-15); the Amazon Linux 2 based runtimes (java8.al2, java11,
// java17, python3.10, python3.11, provided.al2) end with Amazon Linux 2 on
// 2026-06-30. Container-image functions have no managed runtime and are
// outside the table. A runtime identifier missing from the table is
// unknown, unless it is a newer version of a language the table lists
// (newerThanRuntimeTable): a runtime released after the table is
// supported.
var RuntimeTable = []Runtime{
	{"nodejs", "Node.js 0.10", date("2016-10-31")},
	{"nodejs4.3", "Node.js 4.3", date("2020-03-05")},
	{"nodejs4.3-edge", "Node.js 4.3 edge", date("2020-03-05")},
	{"nodejs6.10", "Node.js 6.10", date("2019-08-12")},
	{"nodejs8.10", "Node.js 8.10", date("2020-03-06")},
	{"nodejs10.x", "Node.js 10", date("2021-07-30")},
	{"nodejs12.x", "Node.js 12", date("2023-03-31")},
	{"nodejs14.x", "Node.js 14", date("2023-12-04")},
	{"nodejs16.x", "Node.js 16", date("2024-06-12")},
	{"nodejs18.x", "Node.js 18", date("2025-09-01")},
	{"nodejs20.x", "Node.js 20", date("2026-04-30")},
	{"nodejs22.x", "Node.js 22", date("2027-04-30")},
	{"nodejs24.x", "Node.js 24", date("2028-04-30")},
	{"python2.7", "Python 2.7", date("2021-07-15")},
	{"python3.6", "Python 3.6", date("2022-07-18")},
	{"python3.7", "Python 3.7", date("2023-12-04")},
	{"python3.8", "Python 3.8", date("2024-10-14")},
	{"python3.9", "Python 3.9", date("2025-12-15")},
	{"python3.10", "Python 3.10", date("2026-06-30")},
	{"python3.11", "Python 3.11", date("2026-06-30")},
	{"python3.12", "Python 3.12", date("2028-10-31")},
	{"python3.13", "Python 3.13", date("2029-06-30")},
	{"python3.14", "Python 3.14", date("2029-06-30")},
	{"java8", "Java 8 (Amazon Linux 1)", date("2024-01-08")},
	{"java8.al2", "Java 8 (Amazon Linux 2)", date("2026-06-30")},
	{"java11", "Java 11", date("2026-06-30")},
	{"java17", "Java 17", date("2026-06-30")},
	{"java21", "Java 21", date("2029-06-30")},
	{"java25", "Java 25", date("2029-06-30")},
	{"dotnetcore1.0", ".NET Core 1.0", date("2019-07-27")},
	{"dotnetcore2.0", ".NET Core 2.0", date("2019-05-30")},
	{"dotnetcore2.1", ".NET Core 2.1", date("2022-01-05")},
	{"dotnetcore3.1", ".NET Core 3.1", date("2023-04-03")},
	{"dotnet5.0", ".NET 5", date("2022-05-10")},
	{"dotnet6", ".NET 6", date("2024-11-12")},
	{"dotnet7", ".NET 7", date("2024-05-14")},
	{"dotnet8", ".NET 8", date("2026-11-10")},
	{"dotnet10", ".NET 10", date("2028-11-14")},
	{"ruby2.5", "Ruby 2.5", date("2021-07-30")},
	{"ruby2.7", "Ruby 2.7", date("2023-11-27")},
	{"ruby3.2", "Ruby 3.2", date("2026-03-31")},
	{"ruby3.3", "Ruby 3.3", date("2027-03-31")},
	{"ruby3.4", "Ruby 3.4", date("2028-03-31")},
	{"go1.x", "Go 1.x (Amazon Linux 1)", date("2024-01-08")},
	{"provided", "OS-only runtime (Amazon Linux 1)", date("2024-01-08")},
	{"provided.al2", "OS-only runtime (Amazon Linux 2)", date("2026-06-30")},
	{"provided.al2023", "OS-only runtime (Amazon Linux 2023)", date("2029-06-30")},
}

// LookupRuntime finds a runtime identifier in RuntimeTable.
func LookupRuntime(id string) (Runtime, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, rt := range RuntimeTable {
		if rt.ID == id {
			return rt, true
		}
	}
	return Runtime{}, false
}

// runtimeVersion splits a versioned runtime identifier into its language
// and version numbers: "python3.13" is python [3 13], "nodejs26.x" is
// nodejs [26], "java27" is java [27], "dotnet12" is dotnet [12],
// "ruby3.5" is ruby [3 5]. Identifiers with a platform suffix
// ("java8.al2"), Go and OS-only runtimes do not split.
func runtimeVersion(id string) (lang string, version []int, ok bool) {
	id = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(id)), ".x")
	for _, l := range []string{"python", "nodejs", "java", "dotnetcore", "dotnet", "ruby"} {
		rest, found := strings.CutPrefix(id, l)
		if !found || rest == "" {
			continue
		}
		for _, p := range strings.Split(rest, ".") {
			n, err := strconv.Atoi(p)
			if err != nil {
				return "", nil, false
			}
			version = append(version, n)
		}
		return l, version, true
	}
	return "", nil, false
}

// newerThanRuntimeTable reports whether id is a version of a language in
// RuntimeTable newer than every version of it the table lists: a runtime
// Lambda released after the table was checked, so still supported.
func newerThanRuntimeTable(id string) bool {
	lang, v, ok := runtimeVersion(id)
	if !ok {
		return false
	}
	var newest []int
	for _, rt := range RuntimeTable {
		if l, tv, ok := runtimeVersion(rt.ID); ok && l == lang && slices.Compare(tv, newest) > 0 {
			newest = tv
		}
	}
	return newest != nil && slices.Compare(v, newest) > 0
}

func eolRuntime() Detector {
	d := Detector{
		ID: "patches.eol_runtime", Pillar: inventory.Patches, Severity: inventory.SevHigh,
		Title: "Function runtime is past its deprecation date",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindFunction},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal {
		fn := r.Function
		if fn == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "function attributes not collected"})}
		}
		if fn.Runtime == "" {
			if fn.PackageType == inventory.FunctionPackageImage {
				return nil // a container image: no managed runtime to deprecate
			}
			return []inventory.Signal{d.unknown(r, map[string]string{"package_type": orDash(fn.PackageType),
				"missing": "runtime not recorded for a function that is not a container image"})}
		}
		ev := map[string]string{"runtime": fn.Runtime, "table_as_of": day(RuntimeTableAsOf)}
		rt, ok := LookupRuntime(fn.Runtime)
		if !ok && newerThanRuntimeTable(fn.Runtime) {
			return nil // released after the table: still supported
		}
		if !ok {
			ev["missing"] = "runtime not in the deprecation table"
			return []inventory.Signal{d.unknown(r, ev)}
		}
		if !now.After(rt.Deprecated) {
			return nil
		}
		ev["release"] = rt.Name
		ev["deprecated"] = day(rt.Deprecated)
		ev["days_past_deprecation"] = itoa(days(now, rt.Deprecated))
		ev["source"] = "AWS Lambda runtimes"
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}
