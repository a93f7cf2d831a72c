package features

import (
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// AdminPorts are remote administration ports: SSH, RDP, WinRM (HTTP and
// HTTPS), VNC. The list is inventory.AdminPorts, shared with remediate.
var AdminPorts = inventory.AdminPorts

// DBPorts are database and cache ports. The list is inventory.DBPorts,
// shared with remediate.
var DBPorts = inventory.DBPorts

// defaultDBPort is the engine's default port, for a database whose port was
// not collected; 0 when the engine is not known.
func defaultDBPort(engine string) int {
	e := strings.ToLower(engine)
	switch {
	case strings.Contains(e, "postgres"):
		return 5432
	case strings.Contains(e, "mysql"), strings.Contains(e, "mariadb"):
		return 3306
	case strings.HasPrefix(e, "sqlserver"):
		return 1433
	case strings.HasPrefix(e, "oracle"):
		return 1521
	case strings.HasPrefix(e, "db2"):
		return 50000
	}
	return 0
}

func addExposureEvidence(ev map[string]string, e Exposure) {
	if e.Via == "" {
		return
	}
	ev["port"] = portString(e.Ports)
	ev["protocol"] = e.Protocol
	ev["source"] = e.Source
	ev["breadth"] = "/" + itoa(e.Breadth)
	ev["via"] = e.Via
	if e.Address != "" {
		ev["address"] = e.Address
	}
	if e.Path != "" {
		ev["path"] = e.Path
	}
}

// portSignals reports each of ports that is reachable over TCP, one signal
// per port; when none is but some are unknown, one Unknown signal.
func portSignals(d Detector, g *Graph, r *inventory.Resource, ports []int) []inventory.Signal {
	reach := g.Reachability(r.ID)
	var out []inventory.Signal
	var unknown []string
	for _, p := range ports {
		state, e := reach.Port("tcp", p)
		switch state {
		case Reachable:
			ev := map[string]string{}
			addExposureEvidence(ev, e)
			ev["port"] = itoa(p)
			ev["rule_ports"] = portString(e.Ports)
			out = append(out, d.signal(r, ev))
		case ReachUnknown:
			unknown = append(unknown, itoa(p))
		}
	}
	if len(out) > 0 || len(unknown) == 0 {
		return out
	}
	ev := map[string]string{"ports": strings.Join(unknown, ","), "missing": strings.Join(reach.Missing, "; ")}
	return []inventory.Signal{d.unknown(r, ev)}
}

func adminPortInternet() Detector {
	d := Detector{
		ID: "ports.admin_port_internet", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		CISGCP:   []string{"3.6", "3.7"},
		CISAzure: []string{"6.1", "6.2"},
		Title:    "Admin port (SSH, RDP, WinRM, VNC) reachable from the internet",
		CIS:      []string{"5.2", "5.3"}, Fix: "aws.ec2.revoke_public_ingress",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		return portSignals(d, g, r, AdminPorts)
	}
	return d
}

func dbPortInternet() Detector {
	d := Detector{
		ID: "ports.db_port_internet", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		Title: "Database or cache port reachable from the internet",
		Fix:   "aws.ec2.revoke_public_ingress",
		Kinds: []inventory.Kind{inventory.KindInstance, inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		ports := DBPorts
		if r.Kind == inventory.KindDatabase && r.Database != nil {
			// A managed database listens on its own port only.
			p := r.Database.Port
			if p == 0 {
				p = defaultDBPort(r.Database.Engine)
			}
			if p > 0 {
				ports = []int{p}
			}
		}
		return portSignals(d, g, r, ports)
	}
	return d
}

func publicDatabase() Detector {
	d := Detector{
		ID: "ports.public_database", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		CISGCP:   []string{"6.5", "6.6"},
		CISAzure: []string{"4.1.2"},
		Title:    "Managed database is publicly accessible",
		CIS:      []string{"2.3.3"}, Fix: "aws.rds.disable_public_access",
		Kinds: []inventory.Kind{inventory.KindDatabase},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		db := r.Database
		if db == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "database attributes not collected"})}
		}
		if !db.PubliclyAccessible {
			return nil
		}
		reach := g.Reachability(r.ID)
		state, e := reach.Any()
		ev := map[string]string{"publicly_accessible": "true", "reachable": state.String()}
		if db.Endpoint != "" {
			ev["endpoint"] = db.Endpoint
		}
		if state == Reachable {
			addExposureEvidence(ev, e)
		}
		if len(reach.Missing) > 0 {
			ev["missing"] = strings.Join(reach.Missing, "; ")
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

// exposedPorts lists the distinct port ranges of es, for evidence.
func exposedPorts(es []Exposure) string {
	var ps []string
	for _, e := range es {
		ps = append(ps, e.Protocol+"/"+portString(e.Ports))
	}
	return strings.Join(inventory.UniqueSorted(ps), ",")
}

// everyPort reports whether an exposure admits every port: protocol "all",
// or a range from 0 or 1 up to 65535.
func everyPort(e Exposure) bool {
	return e.Protocol == "all" || (e.Ports.From <= 1 && e.Ports.To >= 65535)
}

func anyPortInternet() Detector {
	d := Detector{
		ID: "ports.any_port_internet", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		Title: "Every port reachable from the internet (an allow-all rule)",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		reach := g.Reachability(r.ID)
		if e, ok := broadest(reach.Exposures, everyPort); ok {
			ev := map[string]string{}
			addExposureEvidence(ev, e)
			return []inventory.Signal{d.signal(r, ev)}
		}
		e, uncertain := broadest(reach.Uncertain, everyPort)
		if !uncertain && !reach.AnyPortUnknown {
			return nil
		}
		ev := map[string]string{"missing": strings.Join(reach.Missing, "; ")}
		if uncertain {
			addExposureEvidence(ev, e)
		}
		return []inventory.Signal{d.unknown(r, ev)}
	}
	return d
}

// internetIngress returns the first ingress allow rule of fw admitting an
// internet-wide source, with that source.
func internetIngress(fw *inventory.Firewall) (inventory.FirewallRule, string, bool) {
	for _, rule := range fw.Rules {
		if rule.Direction != inventory.Ingress || rule.Action != inventory.Allow {
			continue
		}
		for _, src := range rule.Sources {
			if wide, _ := inventory.InternetWide(src); wide {
				return rule, src, true
			}
		}
	}
	return inventory.FirewallRule{}, "", false
}

// synthetic reports firewalls a collector writes to stand for a cloud's
// built-in behaviour rather than a user's rule (GCP's implied
// deny-ingress): they protect every network and are never "attached".
func synthetic(r *inventory.Resource) bool {
	return r.Cloud == inventory.GCP && strings.HasSuffix(r.ID, "/firewalls/implied-deny-ingress")
}

func openFirewallUnattached() Detector {
	d := Detector{
		ID: "ports.open_firewall_unattached", Pillar: inventory.Ports, Severity: inventory.SevLow,
		Title: "Firewall admits the internet but protects nothing",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindFirewall},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		if synthetic(r) {
			return nil
		}
		if r.Firewall == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "firewall rules not collected"})}
		}
		rule, src, open := internetIngress(r.Firewall)
		if !open {
			return nil
		}
		if users := g.FirewallUsers(r.ID); len(users) > 0 {
			return nil
		}
		ev := map[string]string{"source": src, "protocol": rule.Protocol, "port": portString(normPorts(rule.Ports)), "attached_to": "none"}
		// What would hold it may be in a scope the scan could not read.
		if gaps := g.ScopeGaps(r); len(gaps) > 0 {
			var ms []string
			for _, gp := range gaps {
				ms = append(ms, gp.String())
			}
			ev["missing"] = strings.Join(ms, "; ")
			return []inventory.Signal{d.unknown(r, ev)}
		}
		return []inventory.Signal{d.signal(r, ev)}
	}
	return d
}

func publicK8sAPI() Detector {
	d := Detector{
		ID: "ports.public_k8s_api", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		Title: "Kubernetes API server reachable from the whole internet",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindCluster},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		c := r.Cluster
		if c == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "cluster attributes not collected"})}
		}
		if !c.PublicEndpoint {
			return nil
		}
		ev := map[string]string{"public_endpoint": "true"}
		if c.Endpoint != "" {
			ev["endpoint"] = c.Endpoint
		}
		if len(c.AuthorizedNetworks) == 0 {
			ev["authorized_networks"] = "none (anyone)"
			return []inventory.Signal{d.signal(r, ev)}
		}
		for _, n := range c.AuthorizedNetworks {
			if wide, _ := inventory.InternetWide(n); wide {
				ev["authorized_networks"] = strings.Join(c.AuthorizedNetworks, ",")
				ev["source"] = n
				return []inventory.Signal{d.signal(r, ev)}
			}
		}
		return nil
	}
	return d
}

// functionURLReach says whether anyone on the internet can invoke a
// function through its URL: auth type NONE is reachable, AWS_IAM or no URL
// is not, and a URL configuration that could not be read (or an auth type
// not understood) is unknown, with why. With auth NONE Lambda still checks
// the function's resource policy for lambda:InvokeFunctionUrl, which the
// console adds for "*" when it creates the URL; that policy is not
// collected, so NONE is read, conservatively, as public.
func functionURLReach(fn *inventory.Function) (state Reach, missing string) {
	switch {
	case fn == nil:
		return ReachUnknown, "function attributes not collected"
	case fn.URLUnknown:
		return ReachUnknown, "function URL configuration could not be read"
	case fn.URLAuth == inventory.FunctionURLNone:
		return Reachable, ""
	case fn.URLAuth == inventory.FunctionURLIAM || fn.URLAuth == "":
		return NotReachable, ""
	}
	return ReachUnknown, "function URL auth type " + fn.URLAuth + " not understood"
}

// functionURLEvidence is the exposure evidence of a public function URL.
func functionURLEvidence(ev map[string]string) {
	ev["via"] = "function URL"
	ev["url_auth"] = inventory.FunctionURLNone
	ev["source"] = "0.0.0.0/0"
}

func publicFunctionURL() Detector {
	d := Detector{
		ID: "ports.public_function_url", Pillar: inventory.Ports, Severity: inventory.SevHigh,
		Title: "Function URL invocable by anyone on the internet (auth NONE)",
		Fix:   "",
		Kinds: []inventory.Kind{inventory.KindFunction},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		switch state, missing := functionURLReach(r.Function); state {
		case Reachable:
			ev := map[string]string{}
			functionURLEvidence(ev)
			return []inventory.Signal{d.signal(r, ev)}
		case ReachUnknown:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": missing})}
		}
		return nil
	}
	return d
}
