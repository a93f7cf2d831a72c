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
		Title: "Admin port (SSH, RDP, WinRM, VNC) reachable from the internet",
		CIS:   []string{"5.2", "5.3"}, Fix: "aws.ec2.revoke_public_ingress",
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
		Title: "Managed database is publicly accessible",
		CIS:   []string{"2.3.3"}, Fix: "aws.rds.disable_public_access",
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
