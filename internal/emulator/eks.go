package emulator

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EKSEstate is eks.json: the account's EKS clusters, in every region.
type EKSEstate struct {
	Clusters []EKSCluster `json:"clusters"`
}

// EKSCluster is one cluster. Role is a role name of the account (or a
// role ARN). A public endpoint with no PublicAccessCIDRs admits
// 0.0.0.0/0, as EKS answers.
type EKSCluster struct {
	Region                 string            `json:"region"`
	Name                   string            `json:"name"`
	Version                string            `json:"version"`
	PlatformVersion        string            `json:"platform_version,omitempty"`
	Status                 string            `json:"status,omitempty"` // "ACTIVE" (default)
	Role                   string            `json:"role"`
	VpcID                  string            `json:"vpc_id"`
	SubnetIDs              []string          `json:"subnet_ids"`
	SecurityGroupIDs       []string          `json:"security_group_ids,omitempty"`
	ClusterSecurityGroupID string            `json:"cluster_security_group_id,omitempty"`
	EndpointPublicAccess   bool              `json:"endpoint_public_access"`
	EndpointPrivateAccess  bool              `json:"endpoint_private_access"`
	PublicAccessCIDRs      []string          `json:"public_access_cidrs,omitempty"`
	Tags                   map[string]string `json:"tags,omitempty"`
	CreatedAt              time.Time         `json:"created_at"`
}

const eksClustersPath = "/clusters"

func (c EKSCluster) arn(e *Estate) string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:cluster/%s", e.AWS.Account.partition(), c.Region, e.AWS.Account.ID, c.Name)
}

// serveEKS answers EKS's REST JSON: ListClusters (GET /clusters, paginated
// with maxResults, 1 to 100, and nextToken) and DescribeCluster (GET
// /clusters/NAME), for the request's region.
func (s *Server) serveEKS(w http.ResponseWriter, r *request) {
	hr := r.HTTP
	r.Params = hr.URL.Query()
	path := strings.TrimSuffix(hr.URL.Path, "/")
	name := ""
	switch {
	case hr.Method == http.MethodGet && path == eksClustersPath:
		r.Action = "ListClusters"
	case hr.Method == http.MethodGet && strings.HasPrefix(path, eksClustersPath+"/") && !strings.Contains(path[len(eksClustersPath)+1:], "/"):
		r.Action = "DescribeCluster"
		name, _ = url.PathUnescape(path[len(eksClustersPath)+1:])
	default:
		r.Action = hr.Method + "Unsupported"
	}
	if s.injected(w, r, func(e *apiError) { writeAWSJSONError(w, restJSONFault(e)) }) {
		return
	}
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeAWSJSONError(w, errorf(403, "UnrecognizedClientException", "The security token included in the request is invalid."))
		return
	}
	var cls []EKSCluster
	for _, c := range e.AWS.EKS.Clusters {
		if c.Region == r.Region {
			cls = append(cls, c)
		}
	}
	slices.SortFunc(cls, func(a, b EKSCluster) int { return strings.Compare(a.Name, b.Name) })

	switch r.Action {
	case "ListClusters":
		size := s.opts.PageSize
		if v := r.Get("maxResults"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				writeAWSJSONError(w, errorf(400, "InvalidParameterException", "maxResults must be between 1 and 100"))
				return
			}
			size = min(size, n)
		}
		from, to, next, err := page(len(cls), r.Get("nextToken"), size)
		if err != nil {
			writeAWSJSONError(w, errorf(400, "InvalidParameterException", "%v", err))
			return
		}
		names := []string{}
		for _, c := range cls[from:to] {
			names = append(names, c.Name)
		}
		out := map[string]any{"clusters": names}
		if next != "" {
			out["nextToken"] = next
		}
		writeRESTJSON(w, out)
	case "DescribeCluster":
		i := slices.IndexFunc(cls, func(c EKSCluster) bool { return c.Name == name })
		if i < 0 {
			writeAWSJSONError(w, errorf(404, "ResourceNotFoundException", "No cluster found for name: %s.", name))
			return
		}
		writeRESTJSON(w, map[string]any{"cluster": eksClusterJSON(e, cls[i])})
	default:
		writeAWSJSONError(w, errorf(400, "InvalidRequestException", "emulator: eks %s %s not served", hr.Method, hr.URL.Path))
	}
}

func eksClusterJSON(e *Estate, c EKSCluster) map[string]any {
	acct := e.AWS.Account
	role := c.Role
	if !strings.HasPrefix(role, "arn:") {
		role = fmt.Sprintf("arn:%s:iam::%s:role/%s", acct.partition(), acct.ID, role)
	}
	cidrs := c.PublicAccessCIDRs
	if len(cidrs) == 0 {
		cidrs = []string{"0.0.0.0/0"}
	}
	host := strings.ToUpper(elbHash(c.arn(e))+elbHash(c.Name)) + ".gr7." + c.Region + ".eks.amazonaws.com"
	out := map[string]any{
		"name": c.Name, "arn": c.arn(e), "id": elbHash(c.Name) + elbHash(c.Region),
		"createdAt": epochSeconds(c.CreatedAt), "version": c.Version,
		"platformVersion": cmp.Or(c.PlatformVersion, "eks.1"), "status": cmp.Or(c.Status, "ACTIVE"),
		"endpoint": "https://" + host, "roleArn": role,
		"resourcesVpcConfig": map[string]any{
			"vpcId": c.VpcID, "subnetIds": c.SubnetIDs, "securityGroupIds": append([]string{}, c.SecurityGroupIDs...),
			"clusterSecurityGroupId": c.ClusterSecurityGroupID,
			"endpointPublicAccess":   c.EndpointPublicAccess, "endpointPrivateAccess": c.EndpointPrivateAccess,
			"publicAccessCidrs": cidrs,
		},
		"kubernetesNetworkConfig": map[string]any{"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"},
		"certificateAuthority":    map[string]any{"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmVtdWxhdGVkCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"},
		"accessConfig":            map[string]any{"authenticationMode": "API_AND_CONFIG_MAP"},
	}
	if len(c.Tags) > 0 {
		out["tags"] = c.Tags
	}
	return out
}
