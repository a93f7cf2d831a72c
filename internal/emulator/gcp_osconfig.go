package emulator

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// GCPOSConfig is one file of gcp/osconfig/ (gcp/osconfig/acme-prod.json):
// the OS Config (VM Manager) vulnerability reports of a project, written
// as the API returns them (osconfig v1 VulnerabilityReport, named
// "projects/NUMBER/locations/ZONE/instances/ID/vulnerabilityReport"). A
// project without such a file has the API enabled and no report; one that
// lists "osconfig.googleapis.com" in its disabled_apis answers
// SERVICE_DISABLED.
type GCPOSConfig struct {
	ProjectID string            `json:"project_id"`
	Reports   []json.RawMessage `json:"vulnerability_reports"`
}

// loadGCPOSConfig reads dir/osconfig/*.json onto the projects they name.
func loadGCPOSConfig(fsys fs.FS, dir string, e *GCPEstate) error {
	return loadPerProject(fsys, dir, "osconfig", e, func(o *GCPOSConfig) string { return o.ProjectID },
		func(p *GCPProject, o *GCPOSConfig) { p.OSConfig = o })
}

// loadPerProject reads dir/sub/*.json, each one T of the project it names,
// and sets it on that project; a file naming a project with no file under
// projects/ is an error.
func loadPerProject[T any](fsys fs.FS, dir, sub string, e *GCPEstate, project func(*T) string, set func(*GCPProject, *T)) error {
	files, err := fs.Glob(fsys, path.Join(dir, sub, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return err
		}
		v := new(T)
		if err := decodeStrict(b, v); err != nil {
			return fmt.Errorf("%s/%s: %w", sub, path.Base(f), err)
		}
		p := e.project(project(v))
		if p == nil {
			return fmt.Errorf("%s/%s: project %q has no file under projects/", sub, path.Base(f), project(v))
		}
		set(p, v)
	}
	return nil
}

// isOSConfigPath reports whether p is an OS Config v1 path the emulator
// serves (it shares /v1/projects with Resource Manager, IAM and others).
func isOSConfigPath(p string) bool {
	return strings.HasPrefix(p, "/v1/projects/") && strings.HasSuffix(p, "/vulnerabilityReports")
}

// serveOSConfig answers
//
//	GET /v1/projects/P/locations/L/instances/-/vulnerabilityReports
//	    osconfig projects.locations.instances.vulnerabilityReports.list
//
// P is the project id or number, L a zone or "-" (every zone). Reports
// are paginated by pageSize and pageToken. Fault.Service is "osconfig",
// Region the zone.
func (s *Server) serveOSConfig(w http.ResponseWriter, r *http.Request, e *GCPEstate) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
	if len(parts) != 7 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "instances" || r.Method != http.MethodGet {
		writeGCPError(w, gcpNotFound("emulator: osconfig does not serve %s %s", r.Method, r.URL.Path))
		return
	}
	c := &gcpCall{Service: "osconfig", Action: "projects.locations.instances.vulnerabilityReports.list",
		Project: unescape(parts[1]), Region: unescape(parts[3]), HTTP: r}
	if s.gcpInjected(w, c) {
		return
	}
	p := e.project(c.Project)
	if p == nil {
		writeGCPError(w, &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: "Permission 'osconfig.vulnerabilityReports.list' denied on resource 'projects/" + c.Project + "'"})
		return
	}
	if p.apiDisabled("osconfig.googleapis.com") {
		writeGCPError(w, gcpServiceDisabled("osconfig.googleapis.com", p))
		return
	}
	if parts[5] != "-" {
		writeGCPError(w, gcpBadRequest("Only '-' is supported for the instance of a vulnerabilityReports.list parent, got %q", parts[5]))
		return
	}
	reports := []json.RawMessage{}
	if p.OSConfig != nil {
		for _, rep := range p.OSConfig.Reports {
			if c.Region == "-" || pathSegment(str(fields(rep), "name"), "locations") == c.Region {
				reports = append(reports, rep)
			}
		}
	}
	from, to, next, err := gcpPage(r, len(reports), s.opts.PageSize)
	if err != nil {
		writeGCPError(w, err)
		return
	}
	out := map[string]any{"vulnerabilityReports": reports[from:to]}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeGCPJSON(w, http.StatusOK, out)
}

// pathSegment is the segment after key in a resource name:
// pathSegment("projects/1/locations/Z/instances/I", "locations") is Z.
func pathSegment(name, key string) string {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == key {
			return parts[i+1]
		}
	}
	return ""
}
