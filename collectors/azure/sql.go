package azure

import (
	"context"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/sql/armsql"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// sqlTables lists what Microsoft.Sql contributes: each logical SQL server
// is one database resource, standing for the databases it holds, which
// share its endpoint, network access and firewall. A server is reached
// through Azure's public endpoint (<name>.database.windows.net), not
// through a subnet of the customer's network (Database.ProviderEndpoint),
// and only while its public network access is not Disabled; then its
// firewall rules alone decide who gets in. They become one synthetic
// firewall, "<server id>/firewallRules", holding one allow rule on 1433
// per rule; a server whose rules could not be listed keeps the firewall's
// id without the firewall, so its exposure is unknown, never safe.
func sqlTables() []table {
	return []table{{Service: "sql", List: collectSQL}}
}

// sqlServerPort is the port of every Azure SQL Database server.
const sqlServerPort = 1433

// sqlAzureServices is the source of the rule "AllowAllWindowsAzureIps"
// (0.0.0.0–0.0.0.0): every address of Azure's services, other tenants'
// included (the AzureCloud service tag). It is not the internet, but it is
// broad, and its addresses are not in the snapshot: reachability reads it
// as unresolved.
const sqlAzureServices = "AzureServices"

func collectSQL(ctx context.Context, s scope, out *collectors.Result) error {
	servers, err := armsql.NewServersClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return s.gap(out, "sql", "Servers.List", "", err)
	}
	rules, err := armsql.NewFirewallRulesClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return s.gap(out, "sql", "FirewallRules.ListByServer", "", err)
	}
	var list []*armsql.Server
	if err := each(ctx, servers.NewListPager(nil), func(page armsql.ServersClientListResponse) {
		list = append(list, page.Value...)
	}); err != nil {
		if gerr := s.gap(out, "sql", "Servers.List", "", err); gerr != nil {
			return gerr
		}
	}
	for _, srv := range list {
		if srv == nil || srv.ID == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		r := sqlServer(s, srv)
		out.Add(r)
		fw := s.resource(*srv.ID+"/firewallRules", inventory.KindFirewall, "Microsoft.Sql/servers/firewallRules",
			srv.Name, srv.Location, nil)
		fw.Name = deref(srv.Name) + " firewall rules"
		fw.Firewall = &inventory.Firewall{Rules: []inventory.FirewallRule{}}
		err := each(ctx, rules.NewListByServerPager(segment(*srv.ID, "resourceGroups"), deref(srv.Name), nil),
			func(page armsql.FirewallRulesClientListByServerResponse) {
				for _, rule := range page.Value {
					if rule != nil && rule.Properties != nil {
						fw.Firewall.Rules = append(fw.Firewall.Rules, sqlFirewallRule(rule))
					}
				}
			})
		if err != nil {
			if gerr := s.gap(out, "sql", "FirewallRules.ListByServer", *srv.ID, err); gerr != nil {
				return gerr
			}
			continue
		}
		out.Add(fw)
	}
	return nil
}

// sqlServer maps a logical server. Its version ("12.0") is the server's
// API generation, not a SQL Server release: Azure SQL Database is kept
// patched by Microsoft, so minor upgrades are always applied; transparent
// data encryption is per database and not read (Encrypted false).
func sqlServer(s scope, srv *armsql.Server) inventory.Resource {
	r := s.resource(*srv.ID, inventory.KindDatabase, "Microsoft.Sql/servers", srv.Name, srv.Location, srv.Tags)
	db := &inventory.Database{Engine: "azure-sql", Port: sqlServerPort, ProviderEndpoint: true,
		AutoMinorUpgrade: true, PubliclyAccessible: true, Firewalls: []string{*srv.ID + "/firewallRules"}}
	if p := srv.Properties; p != nil {
		db.EngineVersion = deref(p.Version)
		db.Endpoint = deref(p.FullyQualifiedDomainName)
		// Unset on older servers: public access is on.
		db.PubliclyAccessible = !strings.EqualFold(string(deref(p.PublicNetworkAccess)), string(armsql.ServerNetworkAccessFlagDisabled))
		// A minimal TLS version ("1.2") is enforced; without one ("" or
		// "None") the API does not say: unknown.
		if v := deref(p.MinimalTLSVersion); v != "" && !strings.EqualFold(v, "None") {
			tls := true
			db.TLSRequired = &tls
		}
	}
	r.Database = db
	r.AddEdge(inventory.RelProtectedBy, *srv.ID+"/firewallRules")
	return r
}

// sqlFirewallRule turns one server firewall rule, an IPv4 address range,
// into an allow rule on 1433 whose sources are the range's CIDR blocks.
// 0.0.0.0–0.0.0.0 is the "allow Azure services" switch (sqlAzureServices).
// A range that cannot be read is kept as written: an unresolved source,
// never a closed one.
func sqlFirewallRule(rule *armsql.FirewallRule) inventory.FirewallRule {
	start, end := deref(rule.Properties.StartIPAddress), deref(rule.Properties.EndIPAddress)
	fr := inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: inventory.ProtoTCP,
		Ports:       inventory.PortRange{From: sqlServerPort, To: sqlServerPort},
		Description: strings.TrimSpace(deref(rule.Name) + " " + start + "-" + end)}
	if start == "0.0.0.0" && end == "0.0.0.0" {
		fr.Sources = []string{sqlAzureServices}
		fr.Description += ": every Azure service's address, other tenants' included (service tag AzureCloud); not internet-wide"
		return fr
	}
	from, err1 := netip.ParseAddr(start)
	to, err2 := netip.ParseAddr(end)
	if err1 != nil || err2 != nil || from.Is4() != to.Is4() || to.Less(from) {
		fr.Sources = []string{start + "-" + end}
		return fr
	}
	fr.Sources = rangeCIDRs(from, to)
	return fr
}

// rangeCIDRs covers the inclusive address range from–to with the fewest
// CIDR blocks, in order: 0.0.0.0–255.255.255.255 is "0.0.0.0/0",
// 10.0.0.0–10.0.0.255 is "10.0.0.0/24".
func rangeCIDRs(from, to netip.Addr) []string {
	var out []string
	bits := from.BitLen()
	for {
		// The largest block that starts at from and ends at or before to.
		n := bits
		for n > 0 {
			p, err := from.Prefix(n - 1)
			if err != nil || p.Addr() != from || lastAddr(p).Compare(to) > 0 {
				break
			}
			n--
		}
		p := netip.PrefixFrom(from, n)
		out = append(out, p.String())
		last := lastAddr(p)
		if last.Compare(to) >= 0 {
			return out
		}
		from = last.Next()
	}
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
