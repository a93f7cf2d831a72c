package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
)

// serveProjects answers the project-scoped APIs that share the /v1/projects
// path shape:
//
//	GET  /v1/projects                                   cloudresourcemanager projects.list
//	POST /v1/projects/P:getIamPolicy                    cloudresourcemanager projects.getIamPolicy
//	POST /v1/projects/P:getAncestry                     cloudresourcemanager projects.getAncestry
//	GET  /v1/projects/P/serviceAccounts                 iam projects.serviceAccounts.list
//	GET  /v1/projects/P/serviceAccounts/EMAIL/keys      iam projects.serviceAccounts.keys.list
//	GET  /v1/projects/P/instances                       sqladmin instances.list
//	GET  /v1/projects/P/locations/L/clusters            container projects.locations.clusters.list
func (s *Server) serveProjects(w http.ResponseWriter, r *http.Request, e *GCPEstate) {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v1/projects"), "/")
	c := &gcpCall{HTTP: r}
	var api string
	parts := strings.Split(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		c.Service, c.Action, api = "cloudresourcemanager", "projects.list", "cloudresourcemanager.googleapis.com"
	case len(parts) == 1 && strings.HasSuffix(rest, ":getIamPolicy") && r.Method == http.MethodPost:
		c.Service, c.Action, api = "cloudresourcemanager", "projects.getIamPolicy", "cloudresourcemanager.googleapis.com"
		c.Project = unescape(strings.TrimSuffix(rest, ":getIamPolicy"))
	case len(parts) == 1 && strings.HasSuffix(rest, ":getAncestry") && r.Method == http.MethodPost:
		c.Service, c.Action, api = "cloudresourcemanager", "projects.getAncestry", "cloudresourcemanager.googleapis.com"
		c.Project = unescape(strings.TrimSuffix(rest, ":getAncestry"))
	case len(parts) == 2 && parts[1] == "serviceAccounts":
		c.Service, c.Action, api = "iam", "projects.serviceAccounts.list", "iam.googleapis.com"
	case len(parts) == 4 && parts[1] == "serviceAccounts" && parts[3] == "keys":
		c.Service, c.Action, api = "iam", "projects.serviceAccounts.keys.list", "iam.googleapis.com"
	case len(parts) == 2 && parts[1] == "instances":
		c.Service, c.Action, api = "sqladmin", "instances.list", "sqladmin.googleapis.com"
	case len(parts) == 4 && parts[1] == "locations" && parts[3] == "clusters":
		c.Service, c.Action, api = "container", "projects.locations.clusters.list", "container.googleapis.com"
		c.Region = parts[2]
	default:
		writeGCPError(w, gcpNotFound("emulator: no Google API serves %s %s", r.Method, r.URL.Path))
		return
	}
	if c.Project == "" && c.Action != "projects.list" {
		c.Project = unescape(parts[0])
	}
	if s.gcpInjected(w, c) {
		return
	}
	if c.Action == "projects.list" {
		var listed []map[string]string
		for _, p := range e.Projects {
			if !p.Unlisted {
				listed = append(listed, map[string]string{"projectId": p.ID, "projectNumber": p.Number, "name": p.ID, "lifecycleState": "ACTIVE"})
			}
		}
		from, to, next, err := gcpPage(r, len(listed), s.opts.PageSize)
		if err != nil {
			writeGCPError(w, err)
			return
		}
		out := map[string]any{"projects": listed[from:to]}
		if next != "" {
			out["nextPageToken"] = next
		}
		writeGCPJSON(w, http.StatusOK, out)
		return
	}
	p := e.project(c.Project)
	if p == nil {
		writeGCPError(w, &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: "The caller does not have permission on project " + c.Project})
		return
	}
	if p.apiDisabled(api) {
		writeGCPError(w, gcpServiceDisabled(api, p))
		return
	}
	switch c.Action {
	case "projects.getIamPolicy":
		policy := json.RawMessage(p.IAM)
		if len(policy) == 0 {
			policy = json.RawMessage(`{"version":1,"etag":"BwXemulated=","bindings":[]}`)
		}
		writeGCPJSON(w, http.StatusOK, policy)
	case "projects.getAncestry":
		ancestry := p.Ancestry
		if len(ancestry) == 0 {
			self, _ := json.Marshal(map[string]any{"resourceId": map[string]string{"type": "project", "id": p.ID}})
			ancestry = []json.RawMessage{self}
		}
		writeGCPJSON(w, http.StatusOK, map[string]any{"ancestor": ancestry})
	case "projects.serviceAccounts.list":
		var accounts []json.RawMessage
		for _, a := range p.Accounts {
			accounts = append(accounts, a.Account)
		}
		from, to, next, err := gcpPage(r, len(accounts), s.opts.PageSize)
		if err != nil {
			writeGCPError(w, err)
			return
		}
		out := map[string]any{"accounts": accounts[from:to]}
		if next != "" {
			out["nextPageToken"] = next
		}
		writeGCPJSON(w, http.StatusOK, out)
	case "projects.serviceAccounts.keys.list":
		email := unescape(parts[2])
		types := r.URL.Query()["keyTypes"]
		for _, a := range p.Accounts {
			f := fields(a.Account)
			if str(f, "email") != email && str(f, "uniqueId") != email {
				continue
			}
			keys := []json.RawMessage{}
			for _, k := range a.Keys {
				if len(types) == 0 || contains(types, str(fields(k), "keyType")) {
					keys = append(keys, k)
				}
			}
			writeGCPJSON(w, http.StatusOK, map[string]any{"keys": keys})
			return
		}
		writeGCPError(w, gcpNotFound("Service account projects/%s/serviceAccounts/%s does not exist.", p.ID, email))
	case "instances.list":
		from, to, next, err := gcpPage(r, len(p.SQL), s.opts.PageSize)
		if err != nil {
			writeGCPError(w, err)
			return
		}
		out := map[string]any{"kind": "sql#instancesList", "items": p.SQL[from:to]}
		if next != "" {
			out["nextPageToken"] = next
		}
		writeGCPJSON(w, http.StatusOK, out)
	case "projects.locations.clusters.list":
		clusters := []json.RawMessage{}
		for _, cl := range p.GKE {
			loc := lastSegment(str(fields(cl), "location"))
			if (c.Region == "-" || loc == c.Region) && !contains(p.GKEMissingZones, loc) {
				clusters = append(clusters, cl)
			}
		}
		out := map[string]any{"clusters": clusters}
		var missing []string
		for _, z := range p.GKEMissingZones {
			if c.Region == "-" || c.Region == z {
				missing = append(missing, z)
			}
		}
		if len(missing) > 0 {
			out["missingZones"] = missing
		}
		writeGCPJSON(w, http.StatusOK, out)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
