package remediate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

var portNames = map[int]string{
	22: "SSH", 3389: "RDP", 5985: "WinRM", 5986: "WinRM", 5900: "VNC",
	3306: "MySQL", 5432: "PostgreSQL", 1433: "SQL Server", 1521: "Oracle", 27017: "MongoDB",
	6379: "Redis", 11211: "Memcached", 9200: "Elasticsearch", 9042: "Cassandra",
}

const fixRevokeIngress = "aws.ec2.revoke_public_ingress"

func revokePublicIngress() Fix {
	return Fix{
		ID: fixRevokeIngress, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigAdminPortInternet, SigDBPortInternet},
		Title:   "Revoke the security group rules that admit the port from the internet",
		Plan:    planRevokeIngress,
	}
}

// planRevokeIngress finds, on every security group of the resource, the
// ingress rules that admit the signal's port from an internet-wide source,
// and plans to revoke exactly those sources of each rule. Every such rule
// must go for the port to close, so there is one plan per rule, not only
// the one the evidence names.
func planRevokeIngress(in Input, sig inventory.Signal) ([]Plan, error) {
	r := in.Graph.Resource(sig.Resource)
	ports, err := signalPorts(r, sig)
	if err != nil {
		return nil, err
	}
	fws := firewallsOf(in.Graph, r)
	if via := sig.Evidence["via"]; via != "" {
		fws = inventory.UniqueSorted(append(fws, via))
	}
	var plans []Plan
	var missing []string
	for _, fwID := range fws {
		fw := in.Graph.Resource(fwID)
		if fw == nil || fw.Firewall == nil {
			missing = append(missing, fwID)
			continue
		}
		for _, rule := range fw.Firewall.Rules {
			wide := publicSources(rule, ports)
			if len(wide) == 0 {
				continue
			}
			plans = append(plans, revokePlan(in.Graph, sig, fw, rule, wide))
		}
	}
	if len(plans) == 0 {
		if len(missing) > 0 {
			return nil, fmt.Errorf("security groups not in snapshot: %s", strings.Join(missing, ", "))
		}
		return nil, fmt.Errorf("no security group rule of %s admits tcp %s from the internet", sig.Resource, joinInts(ports))
	}
	return plans, nil
}

// signalPorts returns the TCP ports a port signal is about: its evidence's
// port, else the database's own port, else every port of the signal's
// class.
func signalPorts(r *inventory.Resource, sig inventory.Signal) ([]int, error) {
	if s := sig.Evidence["port"]; s != "" {
		p, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("evidence port %q: %w", s, err)
		}
		return []int{p}, nil
	}
	if sig.ID == SigAdminPortInternet {
		return inventory.AdminPorts, nil
	}
	if r.Database != nil && r.Database.Port > 0 {
		return []int{r.Database.Port}, nil
	}
	return inventory.DBPorts, nil
}

// firewallsOf returns the security groups that guard a resource: its own
// and its network interfaces', from attributes and protected_by edges.
func firewallsOf(g Graph, r *inventory.Resource) []string {
	fws := g.Out(r.ID, inventory.RelProtectedBy)
	var ifaces []string
	switch {
	case r.Instance != nil:
		fws = append(fws, r.Instance.Firewalls...)
		ifaces = append(ifaces, r.Instance.Interfaces...)
	case r.Database != nil:
		fws = append(fws, r.Database.Firewalls...)
	case r.Interface != nil:
		fws = append(fws, r.Interface.Firewalls...)
	}
	for _, id := range g.In(r.ID, inventory.RelAttachedTo) {
		if x := g.Resource(id); x != nil && x.Kind == inventory.KindInterface {
			ifaces = append(ifaces, id)
		}
	}
	for _, id := range ifaces {
		fws = append(fws, g.Out(id, inventory.RelProtectedBy)...)
		if x := g.Resource(id); x != nil && x.Interface != nil {
			fws = append(fws, x.Interface.Firewalls...)
		}
	}
	return inventory.UniqueSorted(fws)
}

// protectedBy returns every resource a security group guards: instances,
// interfaces and databases, by edge or attribute.
func protectedBy(g Graph, fwID string) []string {
	out := g.In(fwID, inventory.RelProtectedBy)
	for _, x := range g.Resources() {
		var fws []string
		switch {
		case x.Instance != nil:
			fws = x.Instance.Firewalls
		case x.Database != nil:
			fws = x.Database.Firewalls
		case x.Interface != nil:
			fws = x.Interface.Firewalls
		}
		for _, f := range fws {
			if f == fwID {
				out = append(out, x.ID)
				break
			}
		}
	}
	return inventory.UniqueSorted(out)
}

// publicSources returns the internet-wide sources of an allow ingress rule
// that admits TCP on one of ports, sorted; nil when it admits none.
func publicSources(rule inventory.FirewallRule, ports []int) []string {
	if rule.Direction != inventory.Ingress || rule.Action != inventory.Allow {
		return nil
	}
	proto := awsProtocol(rule.Protocol)
	if proto != "tcp" && proto != "-1" {
		return nil
	}
	pr := rule.Ports
	if proto == "-1" || (pr.From == 0 && pr.To == 0) {
		pr = inventory.PortRange{From: 0, To: 65535}
	}
	covers := false
	for _, p := range ports {
		if pr.Contains(p) {
			covers = true
			break
		}
	}
	if !covers {
		return nil
	}
	var wide []string
	for _, s := range rule.Sources {
		if ok, _ := inventory.InternetWide(s); ok {
			wide = append(wide, s)
		}
	}
	sort.Strings(wide)
	return wide
}

// awsProtocol is the IpProtocol value EC2 uses for a rule's protocol:
// inventory's normal name, with "-1" for every protocol.
func awsProtocol(p string) string {
	if p = inventory.NormalizeProtocol(p); p == inventory.ProtoAll {
		return "-1"
	}
	return p
}

// ipPermission is the IpPermissions entry that names exactly the given
// sources of rule; describe adds the rule's description to each range (for
// re-authorizing it).
func ipPermission(rule inventory.FirewallRule, sources []string, describe bool) map[string]any {
	proto := awsProtocol(rule.Protocol)
	perm := map[string]any{"IpProtocol": proto}
	if proto != "-1" {
		perm["FromPort"] = rule.Ports.From
		perm["ToPort"] = rule.Ports.To
	}
	var v4, v6 []any
	for _, s := range sources {
		key, list := "CidrIp", &v4
		if strings.Contains(s, ":") {
			key, list = "CidrIpv6", &v6
		}
		rng := map[string]any{key: s}
		if describe && rule.Description != "" {
			rng["Description"] = rule.Description
		}
		*list = append(*list, rng)
	}
	if len(v4) > 0 {
		perm["IpRanges"] = v4
	}
	if len(v6) > 0 {
		perm["Ipv6Ranges"] = v6
	}
	return perm
}

func ruleText(rule inventory.FirewallRule) string {
	proto := awsProtocol(rule.Protocol)
	if proto == "-1" {
		return "all traffic"
	}
	if rule.Ports.From == rule.Ports.To {
		if n, ok := portNames[rule.Ports.From]; ok && proto == "tcp" {
			return fmt.Sprintf("%s (%d/%s)", n, rule.Ports.From, proto)
		}
		return fmt.Sprintf("%d/%s", rule.Ports.From, proto)
	}
	return fmt.Sprintf("%d-%d/%s", rule.Ports.From, rule.Ports.To, proto)
}

func revokePlan(g Graph, sig inventory.Signal, fw *inventory.Resource, rule inventory.FirewallRule, wide []string) Plan {
	groupID := nativeID(fw.ID)
	region := regionOf(fw.ID, fw.Region)
	proto := awsProtocol(rule.Protocol)
	key := fmt.Sprintf("%s:%d-%d:%s", proto, rule.Ports.From, rule.Ports.To, strings.Join(wide, ","))
	if proto == "-1" {
		key = "-1:" + strings.Join(wide, ",")
	}
	srcs := strings.Join(wide, ", ")
	what := ruleText(rule)
	guarded := protectedBy(g, fw.ID)

	notes := []string{fmt.Sprintf("the rule is part of %s, so the change applies to every resource it guards (%d)", groupID, len(guarded))}
	if proto == "-1" || rule.Ports.From != rule.Ports.To {
		notes = append(notes, fmt.Sprintf("the rule admits %s, not only the flagged port: all of it closes to %s", what, srcs))
	}
	notes = append(notes, "anyone reaching these resources from the internet through this rule loses access; add narrower rules (known CIDRs, a bastion, SSM Session Manager) first if someone needs it")

	revoke := Call{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: region,
		Params: map[string]any{"GroupId": groupID, "IpPermissions": []any{ipPermission(rule, wide, false)}}}
	authorize := Call{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Region: region,
		Params: map[string]any{"GroupId": groupID, "IpPermissions": []any{ipPermission(rule, wide, true)}}}

	tf := fmt.Sprintf("# in the Terraform that manages %s, delete the ingress rule\n# (aws_vpc_security_group_ingress_rule, aws_security_group_rule or an ingress block)\n", label(groupID, fw))
	if proto == "-1" {
		tf += "#   ip_protocol = \"-1\"\n"
	} else {
		tf += fmt.Sprintf("#   ip_protocol = %q, from_port = %d, to_port = %d\n", proto, rule.Ports.From, rule.Ports.To)
	}
	for _, s := range wide {
		if strings.Contains(s, ":") {
			tf += fmt.Sprintf("#   cidr_ipv6   = %q\n", s)
		} else {
			tf += fmt.Sprintf("#   cidr_ipv4   = %q\n", s)
		}
	}

	return finish(Plan{
		ID:       planID(fixRevokeIngress, fw.ID, key),
		Fix:      fixRevokeIngress,
		Signal:   sig.ID,
		Resource: fw.ID,
		Title:    fmt.Sprintf("Close %s to %s on %s", what, srcs, label(groupID, fw)),
		Change: fmt.Sprintf("Remove %s from the ingress rule of security group %s that allows %s. "+
			"Other sources of that rule, its other rules and its attachments stay.", srcs, label(groupID, fw), what),
		Calls:       []Call{revoke},
		Rollback:    []Call{authorize},
		Terraform:   tf,
		BlastRadius: BlastRadius{Resources: guarded, Note: strings.Join(notes, "; ") + "."},
		Reversible:  true,
		Automatable: true,
		Why:         "reversible: the rollback authorizes the same rule again",
	})
}

func joinInts(ns []int) string {
	ss := make([]string, len(ns))
	for i, n := range ns {
		ss[i] = strconv.Itoa(n)
	}
	return strings.Join(ss, ",")
}

const fixRequireIMDSv2 = "aws.ec2.require_imdsv2"

func ec2RequireIMDSv2() Fix {
	return Fix{
		ID: fixRequireIMDSv2, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigIMDSv1Exposed},
		Title:   "Require IMDSv2 (session tokens) on the instance",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			id := nativeID(r.ID)
			region := regionOf(r.ID, r.Region)
			call := func(tokens string) Call {
				return Call{Service: "ec2", Operation: "ModifyInstanceMetadataOptions", Region: region,
					Params: map[string]any{"InstanceId": id, "HttpTokens": tokens, "HttpEndpoint": "enabled"}}
			}
			note := "software on the instance that reads the metadata service without a session token (IMDSv1: old SDKs, agents, scripts using plain curl) stops getting metadata and role credentials; check the instance's CloudWatch metric MetadataNoToken is zero first"
			if r.Instance != nil && r.Instance.Metadata != nil && r.Instance.Metadata.HopLimit == 1 {
				note += "; containers on the instance need a hop limit of 2 for IMDSv2 (unchanged here: 1)"
			}
			return []Plan{finish(Plan{
				ID:          planID(fixRequireIMDSv2, r.ID, ""),
				Fix:         fixRequireIMDSv2,
				Signal:      sig.ID,
				Resource:    r.ID,
				Title:       "Require IMDSv2 on " + label(id, r),
				Change:      "Make the instance metadata service of " + label(id, r) + " accept only session-token (IMDSv2) requests; the endpoint stays enabled.",
				Calls:       []Call{call("required")},
				Rollback:    []Call{call("optional")},
				Terraform:   fmt.Sprintf("# in the aws_instance (or aws_launch_template) of %s\nmetadata_options {\n  http_endpoint = \"enabled\"\n  http_tokens   = \"required\"\n}\n", id),
				BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: note + "."},
				Reversible:  true,
				Automatable: true,
				Why:         "reversible in one call, no restart",
			})}, nil
		},
	}
}

const fixReplaceImage = "aws.ec2.replace_old_image"

func ec2ReplaceImage() Fix {
	return Fix{
		ID: fixReplaceImage, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigImageAge},
		Title:   "Rebuild the instance from a current image",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			id := nativeID(r.ID)
			image := "its image"
			if r.Instance != nil && r.Instance.ImageID != "" {
				image = "image " + r.Instance.ImageID
				if !r.Instance.ImageCreated.IsZero() {
					image += " (created " + r.Instance.ImageCreated.UTC().Format("2006-01-02") + ")"
				}
			}
			affected := append([]string{r.ID}, in.Graph.In(r.ID, inventory.RelTargets)...)
			return []Plan{finish(Plan{
				ID:       planID(fixReplaceImage, r.ID, ""),
				Fix:      fixReplaceImage,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    "Rebuild " + label(id, r) + " from a current image",
				Change: fmt.Sprintf("%s runs %s. Bake or pick a patched image, point the launch template, Auto Scaling group or Terraform at it "+
					"and replace the instance; or patch it in place (SSM Patch Manager, AWS-RunPatchBaseline) and bake a new image from it.", label(id, r), image),
				BlastRadius: BlastRadius{Resources: affected, Note: "replacing the instance restarts what runs on it and may change its private address; load balancers targeting it must be moved to the new one."},
				Reversible:  false,
				Automatable: false,
				Why:         "a person must pick the image and schedule the replacement",
			})}, nil
		},
	}
}
