package inventory

import (
	"net/netip"
	"slices"
	"strings"
)

// Cloud-neutral network facts shared by the stages that read firewall
// rules: features (is a port reachable from the internet) and remediate
// (which rule to revoke). Keeping them here keeps the two from drifting.

// AdminPorts are remote administration ports: SSH, RDP, WinRM (HTTP and
// HTTPS), VNC.
var AdminPorts = []int{22, 3389, 5985, 5986, 5900}

// DBPorts are database and cache ports: MySQL/MariaDB/Aurora, PostgreSQL,
// SQL Server, Oracle, MongoDB, Redis, Memcached, Elasticsearch/OpenSearch,
// Cassandra.
var DBPorts = []int{3306, 5432, 1433, 1521, 27017, 6379, 11211, 9200, 9042}

// Protocols of a FirewallRule, as NormalizeProtocol names them.
const (
	ProtoAll = "all"
	ProtoTCP = "tcp"
	ProtoUDP = "udp"
)

// NormalizeProtocol names a firewall rule's protocol the one way every
// stage compares it: "all" for every protocol ("-1", "*", "any", "all" or
// empty), "tcp" and "udp" for their names or IANA numbers (6, 17), "icmp"
// (1) and "icmpv6" (58); anything else lower-cased as it is.
func NormalizeProtocol(p string) string {
	switch p = strings.ToLower(strings.TrimSpace(p)); p {
	case "-1", "*", "any", "all", "":
		return ProtoAll
	case "6", "tcp":
		return ProtoTCP
	case "17", "udp":
		return ProtoUDP
	case "1", "icmp":
		return "icmp"
	case "58", "icmpv6":
		return "icmpv6"
	}
	return p
}

// AnySourceTag reports whether a rule source is a service tag that means
// every address: "*", "Internet" or "Any" (any case).
func AnySourceTag(src string) bool {
	switch strings.ToLower(strings.TrimSpace(src)) {
	case "*", "internet", "any":
		return true
	}
	return false
}

// LocalSourceTag reports whether a rule source is a service tag that names
// only the cloud's private network or its platform, never the internet:
// Azure's "VirtualNetwork" (the network's address space, its peerings and
// gateways) and "AzureLoadBalancer" (the platform's health probes, from
// 168.63.129.16), any case. Other service tags (such as "AzureCloud", every
// public address of the cloud) are not: callers read them as unresolved.
func LocalSourceTag(src string) bool {
	switch strings.ToLower(strings.TrimSpace(src)) {
	case "virtualnetwork", "azureloadbalancer":
		return true
	}
	return false
}

// InternetWide reports whether a rule source admits a wide part of the
// internet, and its breadth: the prefix length, 0 for everyone. Service
// tags meaning everyone (AnySourceTag) count as /0. Prefixes up to /8 count
// too when they hold public addresses: an IPv4 prefix that does not lie
// wholly in private, loopback, "this network", multicast or reserved space
// (10.0.0.0/8 is not the internet, 0.0.0.0/1 is half of it), an IPv6
// prefix that overlaps global unicast space (2000::/3). Anything else, a
// narrower prefix or a name that is not an address (a prefix list, a
// security group), is not internet-wide by itself; callers decide what an
// unresolved name means.
func InternetWide(src string) (wide bool, breadth int) {
	if AnySourceTag(src) {
		return true, 0
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(src))
	if err != nil {
		return false, 0
	}
	p = p.Masked()
	if p.Bits() == 0 {
		return true, 0
	}
	if p.Bits() > 8 {
		return false, 0
	}
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		if !p.Overlaps(globalUnicast6) {
			return false, 0
		}
		return true, p.Bits()
	}
	for _, np := range nonPublic4 {
		if np.Bits() <= p.Bits() && np.Contains(p.Addr()) {
			return false, 0
		}
	}
	return true, p.Bits()
}

var (
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	// nonPublic4 are the IPv4 blocks of /8 or wider that hold no public
	// addresses; smaller private blocks (172.16.0.0/12, 192.168.0.0/16)
	// cannot contain a /8.
	nonPublic4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("224.0.0.0/4"),
		netip.MustParsePrefix("240.0.0.0/4"),
	}
)

// UniqueSorted returns the distinct non-empty strings of ss, sorted, in a
// new slice (nil when there are none). Id lists in output (edges, blast
// radii, evidence) are kept in this form so that output is stable.
func UniqueSorted(ss []string) []string {
	out := slices.DeleteFunc(slices.Clone(ss), func(s string) bool { return s == "" })
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}
