package azure

import (
	"slices"
	"strings"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// link joins what the tables of one subscription read, once all have run:
//   - ids that ARM wrote in another case than the resource's own
//     ("resourcegroups" for "resourceGroups") are written as the resource's;
//   - each NSG gets its layer: "subnet" when a subnet uses it, else
//     "interface";
//   - an interface's firewalls are its subnet's NSG and its own, in that
//     order, and its public IP ids become their addresses;
//   - an interface with a public IP and no NSG at either layer gets the
//     synthetic firewall of its public IPs' SKU (impliedFirewall), when its
//     subnet and every public IP were read;
//   - a VM takes its interfaces' addresses, firewalls and subnet (the
//     primary interface's) with the edges;
//   - a principal of a role assignment that is a managed identity of a VM
//     becomes that identity: the has_policy edges move to it;
//   - when the role assignments or definitions could not all be read,
//     every managed identity is PermissionsUnknown;
//   - load balancers and application gateways get their addresses,
//     source ranges and targets (linkLoadBalancers), VMs what Defender
//     for Cloud found on them (applyDefender).
func link(s scope, out *collectors.Result) {
	byID := map[string]*inventory.Resource{}
	for i := range out.Resources {
		byID[strings.ToLower(out.Resources[i].ID)] = &out.Resources[i]
	}
	canon := func(id string) string {
		if r := byID[strings.ToLower(id)]; r != nil {
			return r.ID
		}
		return id
	}
	for i := range out.Resources {
		r := &out.Resources[i]
		for j := range r.Edges {
			r.Edges[j].To = canon(r.Edges[j].To)
		}
	}

	subnetNSG := map[string]string{} // subnet id -> NSG id
	layer := map[string]string{}     // NSG id -> layer
	for _, r := range out.Resources {
		if r.Kind != inventory.KindSubnet {
			continue
		}
		for _, e := range r.Edges {
			if e.Relation == inventory.RelProtectedBy {
				subnetNSG[r.ID] = e.To
				layer[e.To] = inventory.FirewallLayerSubnet
			}
		}
	}

	s.state.mu.Lock()
	publicIPs := s.state.publicIPs
	principals := s.state.principals
	permissionsUnknown := s.state.permissionsUnknown
	s.state.mu.Unlock()

	ifaces := map[string]*inventory.Interface{}
	var implied []inventory.Resource
	for i := range out.Resources {
		r := &out.Resources[i]
		in := r.Interface
		if in == nil {
			continue
		}
		in.SubnetID, in.InstanceID = canon(in.SubnetID), canon(in.InstanceID)
		var fws []string
		fws = appendUniq(fws, subnetNSG[in.SubnetID])
		for _, fw := range in.Firewalls {
			fw = canon(fw)
			if _, ok := layer[fw]; !ok {
				layer[fw] = inventory.FirewallLayerInterface
			}
			fws = appendUniq(fws, fw)
		}
		in.Firewalls = fws
		var addrs, skus []string
		allSeen := true
		for _, id := range in.PublicIPs {
			pip, seen := publicIPs[strings.ToLower(id)]
			switch {
			case !seen:
				// Not listed (a gap says why): a public address whose value
				// is unknown; the id stands for it.
				addrs = appendUniq(addrs, id)
				allSeen = false
			case pip.address != "":
				addrs = appendUniq(addrs, pip.address)
				skus = append(skus, pip.sku)
			}
		}
		in.PublicIPs = addrs
		// With no NSG at either layer, the public IP's SKU decides; only
		// when the subnet was read (its NSG association is known) and
		// every public IP too, else reach reports the firewall unknown.
		if sn := byID[strings.ToLower(in.SubnetID)]; len(in.Firewalls) == 0 && len(skus) > 0 && allSeen && sn != nil && sn.Kind == inventory.KindSubnet {
			fw := impliedFirewall(s, r, skus)
			in.Firewalls = []string{fw.ID}
			implied = append(implied, fw)
		}
		if in.InstanceID != "" {
			r.AddEdge(inventory.RelAttachedTo, in.InstanceID)
		}
		if in.SubnetID != "" {
			r.AddEdge(inventory.RelIn, in.SubnetID)
		}
		for _, fw := range in.Firewalls {
			r.AddEdge(inventory.RelProtectedBy, fw)
		}
		ifaces[r.ID] = in
	}

	for i := range out.Resources {
		r := &out.Resources[i]
		switch {
		case r.Firewall != nil:
			r.Firewall.Layer = layer[r.ID]
		case r.Instance != nil:
			linkInstance(r, ifaces, canon)
		}
	}
	linkLoadBalancers(s, out, byID, canon)
	applyDefender(s, out)

	if permissionsUnknown {
		for i := range out.Resources {
			if r := &out.Resources[i]; r.ServiceAccount != nil && strings.HasPrefix(r.NativeType, "Microsoft.ManagedIdentity/") {
				r.ServiceAccount.PermissionsUnknown = true
			}
		}
	}

	// Managed identities that hold role assignments.
	identities := map[string]*inventory.Resource{}
	for oid, id := range principals {
		if r := byID[strings.ToLower(id)]; r != nil {
			identities[oid] = r
		}
	}
	moved := map[string]bool{}
	for i := range out.Resources {
		r := out.Resources[i]
		oid, ok := strings.CutPrefix(r.ID, "/providers/Microsoft.Graph/servicePrincipals/")
		if mi := identities[oid]; ok && mi != nil {
			for _, e := range r.Edges {
				mi.AddEdge(e.Relation, e.To)
			}
			moved[r.ID] = true
		}
	}
	out.Resources = slices.DeleteFunc(out.Resources, func(r inventory.Resource) bool { return moved[r.ID] })
	out.Resources = append(out.Resources, implied...)
}

// impliedFirewall is the synthetic firewall of an interface that no NSG
// guards, at either layer, with public IPs of the SKUs skus: a Basic
// public IP (or one without a SKU, which is Basic) admits every inbound
// connection from anywhere; with only Standard public IPs nothing is
// admitted until an NSG allows it.
func impliedFirewall(s scope, nic *inventory.Resource, skus []string) inventory.Resource {
	r := inventory.Resource{ID: nic.ID + "/implied", Cloud: inventory.Azure, Account: s.Subscription, Region: nic.Region,
		Kind: inventory.KindFirewall, NativeType: "Microsoft.Network/networkInterfaces/implied"}
	rule := inventory.FirewallRule{Direction: inventory.Ingress, Action: inventory.Deny, Priority: 65500, Protocol: inventory.ProtoAll,
		Ports: inventory.PortRange{From: 0, To: 65535}, Sources: []string{"*"},
		Description: "no NSG on the interface or its subnet: a Standard public IP admits nothing inbound"}
	r.Name = nic.Name + " without NSG (Standard public IP: closed)"
	if slices.ContainsFunc(skus, func(sku string) bool { return !strings.EqualFold(sku, "Standard") }) {
		rule.Action = inventory.Allow
		rule.Description = "no NSG on the interface or its subnet: a Basic public IP admits everything inbound"
		r.Name = nic.Name + " without NSG (Basic public IP: open)"
	}
	r.Firewall = &inventory.Firewall{Rules: []inventory.FirewallRule{rule}, Layer: inventory.FirewallLayerInterface}
	return r
}

// linkInstance fills a VM's network facts from its interfaces.
func linkInstance(r *inventory.Resource, ifaces map[string]*inventory.Interface, canon func(string) string) {
	in := r.Instance
	for i, id := range in.Interfaces {
		in.Interfaces[i] = canon(id)
		n := ifaces[in.Interfaces[i]]
		if n == nil {
			continue // not listed: reach reports the interface missing
		}
		if in.SubnetID == "" {
			in.SubnetID = n.SubnetID
		}
		for _, a := range n.PublicIPs {
			in.PublicIPs = appendUniq(in.PublicIPs, a)
		}
		for _, a := range n.PrivateIPs {
			in.PrivateIPs = appendUniq(in.PrivateIPs, a)
		}
		for _, fw := range n.Firewalls {
			in.Firewalls = appendUniq(in.Firewalls, fw)
		}
	}
	in.NetworkID = canon(parentID(in.SubnetID, "subnets"))
	if in.SubnetID != "" {
		r.AddEdge(inventory.RelIn, in.SubnetID)
	}
	for _, fw := range in.Firewalls {
		r.AddEdge(inventory.RelProtectedBy, fw)
	}
}

// mergeDuplicates keeps one resource per id: a principal seen by several
// subscriptions has the edges of all.
func mergeDuplicates(rs []inventory.Resource) []inventory.Resource {
	at := map[string]int{}
	var out []inventory.Resource
	for _, r := range rs {
		i, ok := at[r.ID]
		if !ok {
			at[r.ID] = len(out)
			out = append(out, r)
			continue
		}
		for _, e := range r.Edges {
			if !slices.Contains(out[i].Edges, e) {
				out[i].Edges = append(out[i].Edges, e)
			}
		}
	}
	return out
}
