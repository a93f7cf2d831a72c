package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// serveCompute answers Compute Engine v1 REST reads:
//
//	GET /compute/v1/projects/P/aggregated/instances      instances.aggregatedList
//	GET /compute/v1/projects/P/aggregated/subnetworks    subnetworks.aggregatedList
//	GET /compute/v1/projects/P/global/firewalls          firewalls.list
//	GET /compute/v1/projects/P/global/networks           networks.list
//	GET /compute/v1/projects/P/global/routes             routes.list
//	GET /compute/v1/projects/P/global/images/NAME        images.get
//	GET /compute/v1/projects/P/zones/Z/disks/NAME        disks.get
func (s *Server) serveCompute(w http.ResponseWriter, r *http.Request, e *GCPEstate) {
	if s.serveComputeLB(w, r, e) { // load balancing: gcp_lb.go
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/compute/v1/"), "/")
	if len(parts) < 4 || parts[0] != "projects" || r.Method != http.MethodGet {
		writeGCPError(w, gcpNotFound("emulator: compute does not serve %s %s", r.Method, r.URL.Path))
		return
	}
	c := &gcpCall{Service: "compute", Project: unescape(parts[1]), HTTP: r}
	rest := parts[2:]
	switch {
	case len(rest) == 2 && rest[0] == "aggregated":
		c.Action = rest[1] + ".aggregatedList"
	case len(rest) == 2 && rest[0] == "global":
		c.Action = rest[1] + ".list"
	case len(rest) == 3 && rest[0] == "global":
		c.Action = rest[1] + ".get"
	case len(rest) == 4 && (rest[0] == "zones" || rest[0] == "regions"):
		c.Action, c.Region = rest[2]+".get", rest[1]
	case len(rest) == 3 && (rest[0] == "zones" || rest[0] == "regions"):
		c.Action, c.Region = rest[2]+".list", rest[1]
	default:
		writeGCPError(w, gcpNotFound("emulator: compute does not serve %s", r.URL.Path))
		return
	}
	if s.gcpInjected(w, c) {
		return
	}
	p := e.project(c.Project)
	if p == nil {
		// Public image projects hold images only.
		if imgs, ok := e.Images[c.Project]; ok && c.Action == "images.get" {
			serveGet(w, imgs, rest[2], "")
			return
		}
		writeGCPError(w, &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: "Permission denied on resource project " + c.Project + "."})
		return
	}
	if p.apiDisabled("compute.googleapis.com") {
		writeGCPError(w, gcpServiceDisabled("compute.googleapis.com", p))
		return
	}
	cm := p.Compute
	switch c.Action {
	case "instances.aggregatedList":
		s.serveAggregated(w, r, c, "instances", "zone", cm.Instances, p.ComputeUnreachable)
	case "subnetworks.aggregatedList":
		s.serveAggregated(w, r, c, "subnetworks", "region", cm.Subnetworks, p.ComputeUnreachable)
	case "firewalls.list":
		s.serveList(w, r, c, "compute#firewallList", cm.Firewalls)
	case "networks.list":
		s.serveList(w, r, c, "compute#networkList", cm.Networks)
	case "routes.list":
		s.serveList(w, r, c, "compute#routeList", cm.Routes)
	case "images.get":
		serveGet(w, cm.Images, rest[2], "")
	case "disks.get":
		serveGet(w, cm.Disks, rest[3], c.Region)
	case "instances.list":
		s.serveList(w, r, c, "compute#instanceList", inScope(cm.Instances, "zone", c.Region))
	case "subnetworks.list":
		s.serveList(w, r, c, "compute#subnetworkList", inScope(cm.Subnetworks, "region", c.Region))
	default:
		writeGCPError(w, gcpNotFound("emulator: compute does not serve %s", c.Action))
	}
}

// serveList answers a paginated list: {"kind", "items", "nextPageToken"}.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request, c *gcpCall, kind string, items []json.RawMessage) {
	from, to, next, err := gcpPage(r, len(items), s.opts.PageSize)
	if err != nil {
		writeGCPError(w, err)
		return
	}
	out := map[string]any{"kind": kind, "id": "projects/" + c.Project, "items": items[from:to]}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeGCPJSON(w, http.StatusOK, out)
}

// gcpZones are the zones an aggregated list names when the estate's
// items do not (their regions are the regions it names): Google answers
// every zone or region, those with nothing on the page carrying a
// NO_RESULTS_ON_PAGE warning instead of items.
var gcpZones = []string{
	"asia-east1-a", "asia-east1-b", "asia-east1-c",
	"europe-west1-b", "europe-west1-c", "europe-west1-d",
	"us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f",
	"us-east1-b", "us-east1-c", "us-east1-d",
}

// serveAggregated answers an aggregated list as Google does: items
// grouped by "zones/Z" or "regions/R", paginated over the items in scope
// order, and every other known scope on each page with a warning instead:
// NO_RESULTS_ON_PAGE, or UNREACHABLE for the zones and regions the
// project lists in compute_unreachable (their items are left out, and
// the scopes are also named in the answer's unreachables).
func (s *Server) serveAggregated(w http.ResponseWriter, r *http.Request, c *gcpCall, plural, scopeField string, items []json.RawMessage, unreachable []string) {
	type entry struct {
		scope string
		raw   json.RawMessage
	}
	scopes := map[string]bool{}
	for _, z := range gcpZones {
		loc := z
		if scopeField == "region" {
			loc = z[:strings.LastIndex(z, "-")]
		}
		scopes[scopeField+"s/"+loc] = true
	}
	var all []entry
	for _, it := range items {
		sc := scopeField + "s/" + lastSegment(str(fields(it), scopeField))
		scopes[sc] = true
		if slices.Contains(unreachable, lastSegment(sc)) {
			continue
		}
		all = append(all, entry{scope: sc, raw: it})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].scope < all[j].scope })
	from, to, next, err := gcpPage(r, len(all), s.opts.PageSize)
	if err != nil {
		writeGCPError(w, err)
		return
	}
	grouped := map[string]map[string]any{}
	for _, x := range all[from:to] {
		if grouped[x.scope] == nil {
			grouped[x.scope] = map[string]any{plural: []json.RawMessage{}}
		}
		grouped[x.scope][plural] = append(grouped[x.scope][plural].([]json.RawMessage), x.raw)
	}
	var lost []string
	for sc := range scopes {
		if grouped[sc] != nil {
			continue
		}
		code, msg := "NO_RESULTS_ON_PAGE", "There are no results for scope '"+sc+"' on this page."
		if slices.Contains(unreachable, lastSegment(sc)) {
			code, msg = "UNREACHABLE", "Scope '"+sc+"' is unreachable."
			lost = append(lost, sc)
		}
		grouped[sc] = map[string]any{"warning": map[string]any{"code": code, "message": msg,
			"data": []map[string]string{{"key": "scope", "value": sc}}}}
	}
	out := map[string]any{"kind": "compute#aggregatedList", "id": "projects/" + c.Project + "/aggregated/" + plural, "items": grouped}
	if len(lost) > 0 {
		slices.Sort(lost)
		out["unreachables"] = lost
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeGCPJSON(w, http.StatusOK, out)
}

// serveGet answers the item named name (in scope, a zone or region, when
// not "").
func serveGet(w http.ResponseWriter, items []json.RawMessage, name, scope string) {
	for _, it := range items {
		f := fields(it)
		if str(f, "name") != name {
			continue
		}
		if scope != "" {
			z := lastSegment(str(f, "zone"))
			if z == "" {
				z = lastSegment(str(f, "region"))
			}
			if z != "" && z != scope {
				continue
			}
		}
		writeGCPJSON(w, http.StatusOK, it)
		return
	}
	writeGCPError(w, gcpNotFound("The resource '%s' was not found", name))
}

func inScope(items []json.RawMessage, field, scope string) []json.RawMessage {
	var out []json.RawMessage
	for _, it := range items {
		if lastSegment(str(fields(it), field)) == scope {
			out = append(out, it)
		}
	}
	return out
}
