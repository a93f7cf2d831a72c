package gcp

import (
	"slices"
	"strings"
)

// Resource names.
//
// Resources with a Cloud Asset Inventory asset are named as CAI names them:
//
//	//compute.googleapis.com/projects/P/zones/Z/instances/N     compute.googleapis.com/Instance
//	//compute.googleapis.com/projects/P/global/firewalls/N      compute.googleapis.com/Firewall
//	//compute.googleapis.com/projects/P/global/networks/N       compute.googleapis.com/Network
//	//compute.googleapis.com/projects/P/regions/R/subnetworks/N compute.googleapis.com/Subnetwork
//	//storage.googleapis.com/B                                  storage.googleapis.com/Bucket
//	//iam.googleapis.com/projects/P/serviceAccounts/EMAIL       iam.googleapis.com/ServiceAccount
//	//iam.googleapis.com/projects/P/serviceAccounts/EMAIL/keys/K iam.googleapis.com/ServiceAccountKey
//	//cloudsql.googleapis.com/projects/P/instances/N            sqladmin.googleapis.com/Instance
//	//container.googleapis.com/projects/P/locations/L/clusters/N container.googleapis.com/Cluster
//	//compute.googleapis.com/projects/P/regions/R/forwardingRules/N compute.googleapis.com/ForwardingRule
//	//compute.googleapis.com/projects/P/global/forwardingRules/N     (a load balancer)
//
// Facts that CAI has no asset for are named in the same scheme:
//
//	//compute.googleapis.com/projects/P/global/networks/N/routes
//	    the network's routes as one route table (NativeType compute.googleapis.com/Route)
//	//compute.googleapis.com/projects/P/global/networks/N/firewalls/implied-deny-ingress
//	    the network's implied rule denying all ingress at priority 65535, as a
//	    firewall (compute.googleapis.com/Firewall) of every instance on N
//	    when N's rules were all listed
//	//compute.googleapis.com/projects/P/global/networks/N/firewalls
//	    named (never collected) by an instance whose network's rules were
//	    not all listed, so its reach reads unknown
//	//compute.googleapis.com/projects/P/global/gateways/default-internet-gateway
//	    the default internet gateway (compute.googleapis.com/Gateway), as routes name it
//	//cloudresourcemanager.googleapis.com/projects/P/bindings/ROLE
//	    the project IAM policy's binding of ROLE ("roles/owner"), as a policy
//	    (iam.googleapis.com/Role); a conditional binding adds /conditions/N
//	//cloudsql.googleapis.com/projects/P/instances/N/authorizedNetworks
//	    a Cloud SQL instance's authorized networks as one firewall
//	    (sqladmin.googleapis.com/AuthorizedNetworks)
//	principal://goog/subject/EMAIL, principalSet://goog/group/EMAIL
//	    users and groups of bindings, as IAM v2 principal identifiers write them

// computeName turns a Compute self link
// ("https://www.googleapis.com/compute/v1/projects/P/zones/Z/instances/N")
// into its full resource name; "" stays "".
func computeName(link string) string {
	if link == "" {
		return ""
	}
	for _, v := range []string{"/compute/v1/", "/compute/beta/", "/compute/alpha/"} {
		if _, rest, ok := strings.Cut(link, v); ok {
			return "//compute.googleapis.com/" + rest
		}
	}
	if strings.HasPrefix(link, "projects/") {
		return "//compute.googleapis.com/" + link
	}
	return link
}

// serviceAccountName is the full resource name of a service account by
// email. Its project is the one in the email
// (NAME@PROJECT.iam.gserviceaccount.com); Google-made accounts
// (NUMBER-compute@developer.gserviceaccount.com, PROJECT@appspot…) are
// taken to be the project's that uses them.
func serviceAccountName(project, email string) string {
	if name, domain, ok := strings.Cut(email, "@"); ok {
		if p, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok && p != "" {
			project = p
		}
		_ = name
	}
	return "//iam.googleapis.com/projects/" + project + "/serviceAccounts/" + email
}

// lastSegment is the last segment of a path or URL.
func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// pathValue is the segment after key in a path: pathValue(".../zones/Z/disks/D", "zones") is Z.
func pathValue(s, key string) string {
	parts := strings.Split(s, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == key {
			return parts[i+1]
		}
	}
	return ""
}

// tagMap copies labels, nil when there are none.
func tagMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// appendUniq appends the values that are not empty and not present.
func appendUniq(s []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}
