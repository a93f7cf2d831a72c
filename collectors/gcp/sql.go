package gcp

import (
	"context"
	"strings"

	sqladmin "google.golang.org/api/sqladmin/v1beta4"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// sqlAPI is what the Cloud SQL table asks of the Cloud SQL Admin API
// (v1beta4).
type sqlAPI interface {
	ListInstances(ctx context.Context, project, pageToken string) (*sqladmin.InstancesListResponse, error)
}

type sqlClient struct{ s *sqladmin.Service }

func (c *sqlClient) ListInstances(ctx context.Context, project, token string) (*sqladmin.InstancesListResponse, error) {
	call := c.s.Instances.List(project).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

// sqlTable lists the project's Cloud SQL instances (instances.list, every
// page). Each is a database named
// //cloudsql.googleapis.com/projects/P/instances/NAME
// (sqladmin.googleapis.com/Instance), with a synthetic firewall
// NAME/authorizedNetworks holding its authorized networks: one ingress
// allow rule on the engine's port from those networks. A public address is
// on Google's edge, not in a subnet of the project (ProviderEndpoint), so
// the authorized networks alone decide who reaches it.
//
// What is mapped:
//   - Engine, EngineVersion from databaseVersion (sqlEngine).
//   - PubliclyAccessible: settings.ipConfiguration.ipv4Enabled with a
//     PRIMARY address in ipAddresses; Endpoint that address, else the
//     PRIVATE one.
//   - TLSRequired: settings.ipConfiguration.sslMode (ENCRYPTED_ONLY and
//     TRUSTED_CLIENT_CERTIFICATE_REQUIRED: required;
//     ALLOW_UNENCRYPTED_AND_ENCRYPTED: not), else the legacy requireSsl;
//     nil when the instance has no ipConfiguration.
//   - AutoMinorUpgrade: true. Cloud SQL has no such switch: Google applies
//     minor version and maintenance updates itself, in the
//     settings.maintenanceWindow if one is set (deny periods postpone them
//     at most 90 days), so there is no way to leave an instance unpatched
//     by configuration.
//   - Encrypted: true. Cloud SQL always encrypts its storage (with Google's
//     keys, or the key of diskEncryptionConfiguration.kmsKeyName).
//   - NetworkID: the VPC of a private address (ipConfiguration.privateNetwork).
//
// A denied or disabled API is a gap of the project.
func sqlTable() table {
	return table{Service: "sqladmin", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		token := ""
		for {
			var page *sqladmin.InstancesListResponse
			err := cl.opts.do(ctx, func() (err error) { page, err = cl.sql.ListInstances(ctx, s.Project, token); return err })
			if err != nil {
				return s.gap(out, "sqladmin", "instances.list", "", err)
			}
			for _, w := range page.Warnings {
				if w.Code == "REGION_UNREACHABLE" {
					out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: s.Project, Service: "sqladmin", Operation: "instances.list",
						Reason: inventory.GapUnreachable, Message: "instances of some regions were not listed: " + w.Message})
				}
			}
			for _, in := range page.Items {
				out.Add(sqlInstance(s, in)...)
			}
			if token = page.NextPageToken; token == "" {
				return nil
			}
		}
	}}
}

// sqlInstance maps one instance to its database and its authorized
// networks firewall.
func sqlInstance(s scope, in *sqladmin.DatabaseInstance) []inventory.Resource {
	project := in.Project
	if project == "" {
		project = s.Project
	}
	id := "//cloudsql.googleapis.com/projects/" + project + "/instances/" + in.Name
	fwID := id + "/authorizedNetworks"
	engine, version := sqlEngine(in.DatabaseVersion)
	db := &inventory.Database{Engine: engine, EngineVersion: version, Port: defaultPort(engine),
		AutoMinorUpgrade: true, Encrypted: true, ProviderEndpoint: true, Firewalls: []string{fwID}}
	var public, private string
	for _, a := range in.IpAddresses {
		switch a.Type {
		case "PRIMARY":
			public = appendFirst(public, a.IpAddress)
		case "PRIVATE":
			private = appendFirst(private, a.IpAddress)
		}
	}
	var labels map[string]string
	var ip *sqladmin.IpConfiguration
	if in.Settings != nil {
		labels, ip = in.Settings.UserLabels, in.Settings.IpConfiguration
	}
	// Without an ipConfiguration, a public address is taken as enabled
	// and its authorized networks as unread: the firewall the database
	// names is left out of the snapshot, so its reach is unknown.
	db.PubliclyAccessible = public != ""
	var fw *inventory.Firewall
	if ip != nil {
		fw = &inventory.Firewall{Rules: []inventory.FirewallRule{}}
		db.PubliclyAccessible = ip.Ipv4Enabled && public != ""
		db.NetworkID = computeName(ip.PrivateNetwork)
		db.TLSRequired = tlsRequired(ip)
		var sources, names []string
		for _, n := range ip.AuthorizedNetworks {
			if n.Value == "" {
				continue
			}
			sources = appendUniq(sources, n.Value)
			if n.Name != "" {
				names = append(names, n.Name+"="+n.Value)
			}
		}
		if len(sources) > 0 {
			fw.Rules = append(fw.Rules, inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow,
				Protocol: inventory.ProtoTCP, Ports: inventory.PortRange{From: db.Port, To: db.Port}, Sources: sources,
				Description: strings.Join(append([]string{"authorized networks"}, names...), " ")})
		}
	}
	db.Endpoint = public
	if db.Endpoint == "" {
		db.Endpoint = private
	}
	r := inventory.Resource{ID: id, Cloud: inventory.GCP, Account: project, Region: in.Region, Kind: inventory.KindDatabase,
		NativeType: "sqladmin.googleapis.com/Instance", Name: in.Name, Tags: tagMap(labels), Database: db}
	r.AddEdge(inventory.RelProtectedBy, fwID)
	if db.NetworkID != "" {
		r.AddEdge(inventory.RelIn, db.NetworkID)
	}
	if fw == nil {
		return []inventory.Resource{r}
	}
	f := inventory.Resource{ID: fwID, Cloud: inventory.GCP, Account: project, Region: in.Region, Kind: inventory.KindFirewall,
		NativeType: "sqladmin.googleapis.com/AuthorizedNetworks", Name: in.Name + " authorized networks", Firewall: fw}
	return []inventory.Resource{r, f}
}

func appendFirst(have, v string) string {
	if have != "" {
		return have
	}
	return v
}

// tlsRequired reads whether the instance refuses unencrypted connections:
// sslMode when set, else the legacy requireSsl.
func tlsRequired(ip *sqladmin.IpConfiguration) *bool {
	v := ip.RequireSsl
	switch ip.SslMode {
	case "ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED":
		v = true
	case "ALLOW_UNENCRYPTED_AND_ENCRYPTED":
		v = false
	}
	return &v
}

// sqlEngine maps a Cloud SQL databaseVersion to the engine and version
// names the features' end-of-life table reads, as RDS writes them:
// POSTGRES_11 is postgres 11, POSTGRES_9_6 postgres 9.6, MYSQL_5_7 mysql
// 5.7, MYSQL_8_0_31 mysql 8.0.31, SQLSERVER_2019_STANDARD
// sqlserver-standard 15 (SQL Server's own major version: 2017 is 14, 2019
// 15, 2022 16; another year stays the year, which no table row matches,
// so it reads as unknown). Anything else is lower-cased whole, with no
// version.
func sqlEngine(v string) (engine, version string) {
	parts := strings.Split(v, "_")
	switch parts[0] {
	case "POSTGRES", "MYSQL":
		return strings.ToLower(parts[0]), strings.Join(parts[1:], ".")
	case "SQLSERVER":
		engine = "sqlserver"
		if len(parts) > 2 {
			engine += "-" + strings.ToLower(strings.Join(parts[2:], "-"))
		}
		if len(parts) > 1 {
			version = parts[1]
			if major, ok := sqlServerMajor[parts[1]]; ok {
				version = major
			}
		}
		return engine, version
	}
	return strings.ToLower(v), ""
}

var sqlServerMajor = map[string]string{"2017": "14", "2019": "15", "2022": "16"}

// defaultPort is the port of an engine: Cloud SQL serves each on its
// standard port.
func defaultPort(engine string) int {
	switch {
	case strings.HasPrefix(engine, "postgres"):
		return 5432
	case strings.HasPrefix(engine, "mysql"):
		return 3306
	case strings.HasPrefix(engine, "sqlserver"):
		return 1433
	}
	return 0
}
