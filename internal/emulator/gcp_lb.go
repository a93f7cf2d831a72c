package emulator

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// GCPLoadBalancing is one file of gcp/loadbalancing/
// (gcp/loadbalancing/acme-prod.json): a project's forwarding rules and
// what they forward to, written as Compute Engine v1 returns them. Each
// object is found by its selfLink, so one list holds the global and the
// regional ones of a kind (a regional forwarding rule carries "region", a
// global one does not). A project without such a file has none.
type GCPLoadBalancing struct {
	ProjectID       string            `json:"project_id"`
	ForwardingRules []json.RawMessage `json:"forwarding_rules,omitempty"`
	TargetPools     []json.RawMessage `json:"target_pools,omitempty"`
	TargetInstances []json.RawMessage `json:"target_instances,omitempty"`
	// TargetProxies are target HTTP, HTTPS, SSL and TCP proxies, global
	// or regional.
	TargetProxies   []json.RawMessage  `json:"target_proxies,omitempty"`
	URLMaps         []json.RawMessage  `json:"url_maps,omitempty"`
	BackendServices []json.RawMessage  `json:"backend_services,omitempty"`
	InstanceGroups  []GCPInstanceGroup `json:"instance_groups,omitempty"`
}

// GCPInstanceGroup is a v1 InstanceGroup (zonal or regional) with its
// members as listInstances returns them (InstanceWithNamedPorts:
// {"instance": URL, "status": "RUNNING"}).
type GCPInstanceGroup struct {
	Group     json.RawMessage   `json:"group"`
	Instances []json.RawMessage `json:"instances,omitempty"`
}

// loadGCPLoadBalancing reads dir/loadbalancing/*.json onto the projects
// they name.
func loadGCPLoadBalancing(fsys fs.FS, dir string, e *GCPEstate) error {
	return loadPerProject(fsys, dir, "loadbalancing", e, func(lb *GCPLoadBalancing) string { return lb.ProjectID },
		func(p *GCPProject, lb *GCPLoadBalancing) { p.LoadBalancing = lb })
}

// lbCollections are the Compute collections serveComputeLB answers gets
// of; those with a regional twin ("regionBackendServices") are named so
// when the path is under regions/.
var lbCollections = map[string]bool{
	"forwardingRules": true, "targetPools": true, "targetInstances": true, "backendServices": true,
	"targetHttpProxies": true, "targetHttpsProxies": true, "targetSslProxies": true, "targetTcpProxies": true,
	"urlMaps": true, "instanceGroups": true,
}

// regionalTwins are the collections whose regional resources form a
// collection of their own in the API's method names.
var regionalTwins = map[string]bool{
	"backendServices": true, "targetHttpProxies": true, "targetHttpsProxies": true, "targetTcpProxies": true,
	"urlMaps": true, "instanceGroups": true,
}

// serveComputeLB answers the Compute Engine reads of load balancing and
// reports whether the request was one:
//
//	GET  …/projects/P/aggregated/forwardingRules                  forwardingRules.aggregatedList
//	GET  …/projects/P/global/forwardingRules                      globalForwardingRules.list
//	GET  …/projects/P/regions/R/targetPools/N                     targetPools.get
//	GET  …/projects/P/zones/Z/targetInstances/N                   targetInstances.get
//	GET  …/projects/P/global/backendServices/N                    backendServices.get
//	GET  …/projects/P/regions/R/backendServices/N                 regionBackendServices.get
//	GET  …/projects/P/global/targetHttpsProxies/N                 targetHttpsProxies.get (and Http, Ssl, Tcp)
//	GET  …/projects/P/regions/R/targetHttpsProxies/N              regionTargetHttpsProxies.get (and Http, Tcp)
//	GET  …/projects/P/global/urlMaps/N, regions/R/urlMaps/N       urlMaps.get, regionUrlMaps.get
//	GET  …/projects/P/zones/Z/instanceGroups/N                    instanceGroups.get
//	GET  …/projects/P/regions/R/instanceGroups/N                  regionInstanceGroups.get
//	POST …/projects/P/zones/Z/instanceGroups/N/listInstances      instanceGroups.listInstances
//	POST …/projects/P/regions/R/instanceGroups/N/listInstances    regionInstanceGroups.listInstances
func (s *Server) serveComputeLB(w http.ResponseWriter, r *http.Request, e *GCPEstate) bool {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/compute/v1/"), "/")
	if len(parts) < 4 || parts[0] != "projects" {
		return false
	}
	c := &gcpCall{Service: "compute", Project: unescape(parts[1]), HTTP: r}
	rest := parts[2:]
	method := http.MethodGet
	switch {
	case len(rest) == 2 && rest[0] == "aggregated" && rest[1] == "forwardingRules":
		c.Action = "forwardingRules.aggregatedList"
	case len(rest) == 2 && rest[0] == "global" && rest[1] == "forwardingRules":
		c.Action = "globalForwardingRules.list"
	case len(rest) == 3 && rest[0] == "global" && lbCollections[rest[1]]:
		c.Action = lbMethod("global", rest[1], "get")
	case len(rest) == 4 && (rest[0] == "regions" || rest[0] == "zones") && lbCollections[rest[2]]:
		c.Action, c.Region = lbMethod(rest[0], rest[2], "get"), rest[1]
	case len(rest) == 5 && (rest[0] == "regions" || rest[0] == "zones") && rest[2] == "instanceGroups" && rest[4] == "listInstances":
		c.Action, c.Region, method = lbMethod(rest[0], rest[2], "listInstances"), rest[1], http.MethodPost
	default:
		return false
	}
	if r.Method != method {
		writeGCPError(w, gcpNotFound("emulator: compute does not serve %s %s", r.Method, r.URL.Path))
		return true
	}
	if s.gcpInjected(w, c) {
		return true
	}
	p := e.project(c.Project)
	if p == nil {
		writeGCPError(w, &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: "Permission denied on resource project " + c.Project + "."})
		return true
	}
	if p.apiDisabled("compute.googleapis.com") {
		writeGCPError(w, gcpServiceDisabled("compute.googleapis.com", p))
		return true
	}
	lb := p.LoadBalancing
	if lb == nil {
		lb = &GCPLoadBalancing{}
	}
	self := "projects/" + p.ID + "/" + strings.Join(rest, "/")
	switch {
	case c.Action == "forwardingRules.aggregatedList":
		var regional []json.RawMessage
		for _, fr := range lb.ForwardingRules {
			if str(fields(fr), "region") != "" {
				regional = append(regional, fr)
			}
		}
		s.serveAggregated(w, r, c, "forwardingRules", "region", regional, p.ComputeUnreachable)
	case c.Action == "globalForwardingRules.list":
		var global []json.RawMessage
		for _, fr := range lb.ForwardingRules {
			if str(fields(fr), "region") == "" {
				global = append(global, fr)
			}
		}
		s.serveList(w, r, c, "compute#forwardingRuleList", global)
	case strings.HasSuffix(c.Action, ".listInstances"):
		group := strings.TrimSuffix(self, "/listInstances")
		for _, g := range lb.InstanceGroups {
			if selfPath(g.Group) == group {
				members := g.Instances
				if members == nil {
					members = []json.RawMessage{}
				}
				s.serveList(w, r, c, "compute#instanceGroupsListInstances", members)
				return true
			}
		}
		writeGCPError(w, gcpNotFound("The resource '%s' was not found", group))
	default:
		var items []json.RawMessage
		items = append(items, lb.ForwardingRules...)
		items = append(items, lb.TargetPools...)
		items = append(items, lb.TargetInstances...)
		items = append(items, lb.TargetProxies...)
		items = append(items, lb.URLMaps...)
		items = append(items, lb.BackendServices...)
		for _, g := range lb.InstanceGroups {
			items = append(items, g.Group)
		}
		for _, it := range items {
			if selfPath(it) == self {
				writeGCPJSON(w, http.StatusOK, it)
				return true
			}
		}
		writeGCPError(w, gcpNotFound("The resource '%s' was not found", self))
	}
	return true
}

// lbMethod names the API method of a collection's verb at a location
// kind: ("regions", "backendServices", "get") is regionBackendServices.get.
func lbMethod(where, collection, verb string) string {
	switch {
	case where == "regions" && regionalTwins[collection]:
		r, n := utf8.DecodeRuneInString(collection)
		return "region" + string(unicode.ToUpper(r)) + collection[n:] + "." + verb
	case where == "global" && collection == "forwardingRules":
		return "globalForwardingRules." + verb
	}
	return collection + "." + verb
}

// selfPath is a resource's selfLink from "projects/" on.
func selfPath(raw json.RawMessage) string {
	link := str(fields(raw), "selfLink")
	if _, rest, ok := strings.Cut(link, "/compute/v1/"); ok {
		return rest
	}
	return link
}
