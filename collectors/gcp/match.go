package gcp

import (
	"slices"
	"strings"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// networkIndex holds what the compute table of each project leaves for
// the pass that runs once every project is collected (match). A firewall
// rule belongs to its network's project, and Shared VPC puts a service
// project's instances on a host project's network: the rules that apply
// to an instance are found by the full name of its network, whichever
// project listed them.
type networkIndex struct {
	mu sync.Mutex
	// rules are the firewall rules listed, by network full name.
	rules map[string][]*computepb.Firewall
	// listed are the projects whose firewalls.list completed.
	listed map[string]bool
	// networks are the networks of those projects, by full name, with
	// their project.
	networks  map[string]string
	instances []instanceNet
}

// instanceNet is what matching rules needs of an instance.
type instanceNet struct {
	id, project    string
	number         string   // the numeric instance id, as OS Config names instances
	networks       []string // full names, one per network interface's network
	tags, accounts []string // network tags, service account emails
}

func newNetworkIndex() *networkIndex {
	return &networkIndex{rules: map[string][]*computepb.Firewall{}, listed: map[string]bool{}, networks: map[string]string{}}
}

// addRules records the firewall rules of a project; complete says that
// firewalls.list read them all.
func (x *networkIndex) addRules(project string, networks []*computepb.Network, rules []*computepb.Firewall, complete bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, f := range rules {
		n := computeName(f.GetNetwork())
		x.rules[n] = append(x.rules[n], f)
	}
	if complete {
		x.listed[project] = true
		for _, n := range networks {
			x.networks[computeName(n.GetSelfLink())] = project
		}
	}
}

func (x *networkIndex) addInstance(i instanceNet) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.instances = append(x.instances, i)
}

// impliedDenyName is the synthetic firewall that stands for a network's
// implied deny-ingress rule.
func impliedDenyName(network string) string { return network + "/firewalls/implied-deny-ingress" }

// impliedDeny is the implied rule every VPC network has: deny all ingress
// from everywhere at the lowest priority (65535), so traffic that no rule
// allows is dropped. (The implied allow-egress rule is not written: egress
// is not evaluated.)
func impliedDeny(network, project string) inventory.Resource {
	return inventory.Resource{ID: impliedDenyName(network), Cloud: inventory.GCP, Account: project, Region: "global",
		Kind: inventory.KindFirewall, NativeType: "compute.googleapis.com/Firewall", Name: "implied-deny-ingress",
		Firewall: &inventory.Firewall{NetworkID: network, Rules: []inventory.FirewallRule{{
			Direction: inventory.Ingress, Action: inventory.Deny, Priority: 65535, Protocol: inventory.ProtoAll,
			Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"0.0.0.0/0", "::/0"},
			Description: "implied rule: deny all ingress",
		}}}}
}

// match names, on each instance collected, the firewalls that apply to it
// and adds its protected_by edges, once every project is collected:
//
//   - the rules of each of its networks (read by the network's project)
//     whose targets meet the instance, and the network's implied
//     deny-ingress rule when that project's firewalls.list completed, so
//     that a port no rule allows reads closed;
//   - "<network>/firewalls", a listing not in the snapshot, when the
//     rules were not all read: the network's project could not list them
//     (its own gap says why), or it was not scanned at all (a Shared VPC
//     host project outside the scan), a gap of the instance's project
//     naming the network. Every port of the instance then reads unknown.
func (x *networkIndex) match(out *collectors.Result) {
	x.mu.Lock()
	defer x.mu.Unlock()
	scanned := map[string]bool{}
	for _, s := range out.Scopes {
		if s.Cloud == inventory.GCP {
			scanned[s.Account] = true
		}
	}
	pos := map[string]int{}
	for n, r := range out.Resources {
		if r.Kind == inventory.KindInstance && r.Cloud == inventory.GCP {
			pos[r.ID] = n
		}
	}
	implied := map[string]string{}
	for n, p := range x.networks {
		implied[n] = p
	}
	type unscanned struct{ network, project string }
	reported := map[unscanned]bool{}
	for _, i := range x.instances {
		n, ok := pos[i.id]
		if !ok || out.Resources[n].Instance == nil {
			continue
		}
		r := &out.Resources[n]
		var fws []string
		for _, network := range i.networks {
			for _, f := range x.rules[network] {
				if appliesTo(f, network, i.tags, i.accounts) {
					fws = appendUniq(fws, computeName(f.GetSelfLink()))
				}
			}
			host := pathValue(network, "projects")
			switch {
			case x.listed[host]:
				fws = appendUniq(fws, impliedDenyName(network))
				implied[network] = host
			case scanned[host]:
				// Its firewalls.list failed: that gap says why.
				fws = appendUniq(fws, network+"/firewalls")
			default:
				fws = appendUniq(fws, network+"/firewalls")
				k := unscanned{network, i.project}
				if !reported[k] {
					reported[k] = true
					out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: i.project, Service: "compute", Operation: "firewalls.list",
						Resource: network + "/firewalls", Reason: inventory.GapError,
						Message: "firewall rules of shared VPC host project " + host + " not scanned: the instances of " + i.project +
							" on network " + network + " have unknown reach; scan " + host + " too"})
				}
			}
		}
		slices.Sort(fws)
		r.Instance.Firewalls = fws
		for _, fw := range fws {
			r.AddEdge(inventory.RelProtectedBy, fw)
		}
	}
	networks := make([]string, 0, len(implied))
	for n := range implied {
		networks = append(networks, n)
	}
	slices.SortFunc(networks, strings.Compare)
	for _, n := range networks {
		out.Add(impliedDeny(n, implied[n]))
	}
}
