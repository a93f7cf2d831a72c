package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// GCPEstate is the gcp/ directory of an estate: one file per project under
// projects/ (gcp/projects/acme-prod.json), and images.json holding the
// images of public image projects ("debian-cloud": [...]) that instances'
// disks may name. Resources are written as the Google APIs return them
// (compute v1 Instance, Firewall …, storage v1 Bucket, IAM Policy,
// ServiceAccount, ServiceAccountKey), so the emulator serves them as they
// are and an estate reads like an API answer. Cloud Storage is served by
// fake-gcs-server, in process; the bucket settings it does not keep
// (iamConfiguration, retentionPolicy, the IAM policy) are added by the
// emulator.
type GCPEstate struct {
	Projects []*GCPProject
	// Images are the images of public image projects, by project.
	Images map[string][]json.RawMessage

	storage *fakestorage.Server
}

// GCPProject is one project file.
type GCPProject struct {
	ID     string `json:"project_id"`
	Number string `json:"project_number"`
	// DisabledAPIs are the services not enabled in the project
	// ("compute.googleapis.com"): every call to them answers 403
	// SERVICE_DISABLED, as Google does.
	DisabledAPIs []string `json:"disabled_apis,omitempty"`
	// Listed is false for a project the caller cannot list (projects.list
	// leaves it out) but may still name.
	Unlisted bool              `json:"unlisted,omitempty"`
	Compute  GCPCompute        `json:"compute"`
	Storage  []GCPBucket       `json:"buckets,omitempty"`
	IAM      json.RawMessage   `json:"iam_policy,omitempty"` // the project's IAM policy
	Accounts []GCPServiceAcct  `json:"service_accounts,omitempty"`
	SQL      []json.RawMessage `json:"sql_instances,omitempty"`
	GKE      []json.RawMessage `json:"clusters,omitempty"`
	// GKEMissingZones are the locations clusters.list reports as
	// missingZones (not reachable): their clusters are left out.
	GKEMissingZones []string `json:"clusters_missing_zones,omitempty"`
	// ComputeUnreachable are the zones ("us-central1-a") and regions
	// ("europe-west1") Compute Engine's aggregated lists report as
	// UNREACHABLE: their instances or subnetworks are left out.
	ComputeUnreachable []string `json:"compute_unreachable,omitempty"`
	// Ancestry is the project's ancestry from itself up, as
	// projects.getAncestry returns it ([{"resourceId": {"type":
	// "project", "id": "acme-prod"}}, {"resourceId": {"type":
	// "organization", "id": "123456789012"}}]); empty: the project alone,
	// in no organization.
	Ancestry []json.RawMessage `json:"ancestry,omitempty"`
	// OSConfig and LoadBalancing come from gcp/osconfig/ and
	// gcp/loadbalancing/ (gcp_osconfig.go, gcp_lb.go); nil: none.
	OSConfig      *GCPOSConfig      `json:"-"`
	LoadBalancing *GCPLoadBalancing `json:"-"`
}

// GCPCompute is what Compute Engine serves for a project.
type GCPCompute struct {
	Instances   []json.RawMessage `json:"instances,omitempty"`
	Firewalls   []json.RawMessage `json:"firewalls,omitempty"`
	Networks    []json.RawMessage `json:"networks,omitempty"`
	Subnetworks []json.RawMessage `json:"subnetworks,omitempty"`
	Routes      []json.RawMessage `json:"routes,omitempty"`
	Disks       []json.RawMessage `json:"disks,omitempty"`
	Images      []json.RawMessage `json:"images,omitempty"`
}

// GCPBucket is a storage v1 Bucket and its IAM policy and ACL.
type GCPBucket struct {
	Bucket json.RawMessage `json:"bucket"`
	Policy json.RawMessage `json:"iam_policy,omitempty"`
	ACL    json.RawMessage `json:"acl,omitempty"` // bucketAccessControls items
}

// GCPServiceAcct is an iam v1 ServiceAccount with its keys.
type GCPServiceAcct struct {
	Account json.RawMessage   `json:"account"`
	Keys    []json.RawMessage `json:"keys,omitempty"`
}

// loadGCP reads dir; a missing directory means no GCP part (nil).
func loadGCP(fsys fs.FS, dir string) (*GCPEstate, error) {
	if _, err := fs.Stat(fsys, dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	e := &GCPEstate{Images: map[string][]json.RawMessage{}}
	files, err := fs.Glob(fsys, path.Join(dir, "projects", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		p := &GCPProject{}
		if err := decodeStrict(b, p); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Base(f), err)
		}
		if p.ID == "" {
			return nil, fmt.Errorf("%s: no project_id", path.Base(f))
		}
		e.Projects = append(e.Projects, p)
	}
	slices.SortFunc(e.Projects, func(a, b *GCPProject) int { return strings.Compare(a.ID, b.ID) })
	if err := loadGCPOSConfig(fsys, dir, e); err != nil {
		return nil, err
	}
	if err := loadGCPLoadBalancing(fsys, dir, e); err != nil {
		return nil, err
	}
	if b, err := fs.ReadFile(fsys, path.Join(dir, "images.json")); err == nil {
		if err := decodeStrict(b, &e.Images); err != nil {
			return nil, fmt.Errorf("images.json: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if e.storage, err = newGCSServer(e); err != nil {
		return nil, fmt.Errorf("cloud storage: %w", err)
	}
	return e, nil
}

// project returns the project by id or number, or nil.
func (e *GCPEstate) project(id string) *GCPProject {
	for _, p := range e.Projects {
		if p.ID == id || (p.Number != "" && p.Number == id) {
			return p
		}
	}
	return nil
}

// apiDisabled reports whether the project has not enabled api
// ("compute.googleapis.com").
func (p *GCPProject) apiDisabled(api string) bool { return slices.Contains(p.DisabledAPIs, api) }

// gcpCall is one decoded Google API call.
type gcpCall struct {
	Service string // "compute", "storage", "cloudresourcemanager", "iam", "sqladmin", "container"
	Action  string // the method: "instances.aggregatedList"
	Project string
	Region  string // zone or region of the call, "" when global
	HTTP    *http.Request
}

// gcpError is a Google API error, written as Google writes them.
type gcpError struct {
	Code    int
	Status  string // "PERMISSION_DENIED", "NOT_FOUND", "RESOURCE_EXHAUSTED" …
	Reason  string // errors[0].reason: "forbidden", "notFound", "rateLimitExceeded", "accessNotConfigured"
	Message string
	// Info is the google.rpc.ErrorInfo reason ("SERVICE_DISABLED"), "" for none.
	Info    string
	Service string // the API, for ErrorInfo metadata
	Project string
}

func (e *gcpError) Error() string { return e.Status + ": " + e.Message }

func gcpNotFound(format string, args ...any) *gcpError {
	return &gcpError{Code: 404, Status: "NOT_FOUND", Reason: "notFound", Message: fmt.Sprintf(format, args...)}
}

func gcpBadRequest(format string, args ...any) *gcpError {
	return &gcpError{Code: 400, Status: "INVALID_ARGUMENT", Reason: "invalid", Message: fmt.Sprintf(format, args...)}
}

// gcpServiceDisabled is Google's answer for an API the project has not
// enabled.
func gcpServiceDisabled(api string, p *GCPProject) *gcpError {
	num := p.Number
	if num == "" {
		num = p.ID
	}
	return &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "accessNotConfigured", Info: "SERVICE_DISABLED",
		Service: api, Project: num,
		Message: fmt.Sprintf("%s API has not been used in project %s before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/%s/overview?project=%s then retry.", api, num, api, num)}
}

func writeGCPError(w http.ResponseWriter, e *gcpError) {
	type item struct {
		Message string `json:"message"`
		Domain  string `json:"domain"`
		Reason  string `json:"reason"`
	}
	body := map[string]any{
		"code":    e.Code,
		"message": e.Message,
		"status":  e.Status,
		"errors":  []item{{Message: e.Message, Domain: "global", Reason: e.Reason}},
	}
	if e.Info != "" {
		body["details"] = []map[string]any{{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   e.Info,
			"domain":   "googleapis.com",
			"metadata": map[string]string{"service": e.Service, "consumer": "projects/" + e.Project},
		}}
	}
	writeGCPJSON(w, e.Code, map[string]any{"error": body})
}

func writeGCPJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// gcpFaultError is the Google error for an injected fault.
func gcpFaultError(c *gcpCall, k FaultKind, p *GCPProject) *gcpError {
	switch k {
	case FaultDenied:
		return &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
			Message: fmt.Sprintf("Required '%s' permission for 'projects/%s'", c.Service+"."+c.Action, c.Project)}
	case FaultThrottle:
		return &gcpError{Code: 429, Status: "RESOURCE_EXHAUSTED", Reason: "rateLimitExceeded",
			Message: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'"}
	case FaultOptIn:
		if p == nil {
			p = &GCPProject{ID: c.Project}
		}
		return gcpServiceDisabled(c.Service+".googleapis.com", p)
	default:
		return &gcpError{Code: 500, Status: "INTERNAL", Reason: "backendError", Message: "injected server error"}
	}
}

// gcpInjected counts the call and answers it with the fault that matches
// it, if any. Fault.Service is the API ("compute", "storage",
// "cloudresourcemanager", "iam", "sqladmin", "container"), Action its method
// ("instances.aggregatedList"), Account the project and Region the zone
// or region the call names.
func (s *Server) gcpInjected(w http.ResponseWriter, c *gcpCall) bool {
	f, ok := s.gcpFault(c)
	if !ok {
		return false
	}
	switch f.Kind {
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case FaultHang:
		<-c.HTTP.Context().Done()
		return true
	}
	var p *GCPProject
	if s.estate.GCP != nil {
		p = s.estate.GCP.project(c.Project)
	}
	writeGCPError(w, gcpFaultError(c, f.Kind, p))
	return true
}

func (s *Server) gcpFault(c *gcpCall) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[c.Service+"/"+c.Action]++
	for i, f := range s.opts.Faults {
		if f.Service != c.Service || (f.Action != "" && f.Action != c.Action) ||
			(f.Region != "" && f.Region != c.Region) || (f.Account != "" && f.Account != c.Project) {
			continue
		}
		key := strconv.Itoa(i)
		if f.Each {
			key += " " + c.HTTP.URL.Path + "?" + c.HTTP.URL.RawQuery
		}
		if f.Times > 0 && s.fired[key] >= f.Times {
			continue
		}
		s.fired[key]++
		return f, true
	}
	return Fault{}, false
}

// serveGCP answers Google API requests, routed by path: Compute Engine
// (/compute/v1/…), Cloud Storage (/storage/v1/…, /upload/…, /download/…,
// served by fake-gcs-server), Resource Manager (/v1/projects,
// /v1/projects/P:getIamPolicy), IAM (/v1/projects/P/serviceAccounts…),
// Cloud SQL Admin (/v1/projects/P/instances, /sql/v1beta4/projects/P/instances) and GKE
// (/v1/projects/P/locations/L/clusters).
func (s *Server) serveGCP(w http.ResponseWriter, r *http.Request) {
	e := s.estate.GCP
	if e == nil {
		writeGCPError(w, gcpNotFound("the estate has no GCP part"))
		return
	}
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/compute/v1/"):
		s.serveCompute(w, r, e)
	case strings.HasPrefix(p, "/storage/v1/"), strings.HasPrefix(p, "/upload/"), strings.HasPrefix(p, "/download/"), strings.HasPrefix(p, "/b/"), p == "/b":
		s.serveStorage(w, r, e)
	case isOSConfigPath(p):
		s.serveOSConfig(w, r, e)
	case strings.HasPrefix(p, "/v1/projects"):
		s.serveProjects(w, r, e)
	case strings.HasPrefix(p, "/sql/v1beta4/projects/"):
		// Cloud SQL Admin v1beta4 has the paths of v1 under /sql/v1beta4.
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/v1" + strings.TrimPrefix(p, "/sql/v1beta4")
		r2.URL.RawPath = ""
		s.serveProjects(w, r2, e)
	default:
		writeGCPError(w, gcpNotFound("emulator: no Google API serves %s", p))
	}
}

// gcpPage pages items (already in a stable order) by pageToken (an index
// as text) and maxResults/pageSize, at most the server's page size.
func gcpPage(r *http.Request, n, server int) (from, to int, next string, err *gcpError) {
	q := r.URL.Query()
	size := server
	for _, k := range []string{"maxResults", "pageSize"} {
		if v, e := strconv.Atoi(q.Get(k)); e == nil && v > 0 && v < size {
			size = v
		}
	}
	if t := q.Get("pageToken"); t != "" {
		f, e := strconv.Atoi(t)
		if e != nil || f < 0 || f > n {
			return 0, 0, "", gcpBadRequest("Invalid value for pageToken: %q", t)
		}
		from = f
	}
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

// lastSegment is the last path segment of a URL or resource name
// ("https://…/zones/us-central1-a" is us-central1-a).
func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// fields reads the string fields of a raw resource that the emulator
// routes by (name, zone, region, email …).
func fields(raw json.RawMessage) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// unescape decodes one path segment.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}
