package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// newGCSServer starts fake-gcs-server in process (no listener, memory
// backend) holding the estate's buckets.
func newGCSServer(e *GCPEstate) (*fakestorage.Server, error) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, BucketsLocation: "US"})
	if err != nil {
		return nil, err
	}
	for _, p := range e.Projects {
		for _, b := range p.Storage {
			f := fields(b.Bucket)
			versioning, _ := f["versioning"].(map[string]any)
			on, _ := versioning["enabled"].(bool)
			srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: str(f, "name"), VersioningEnabled: on})
		}
	}
	return srv, nil
}

// bucket returns the estate's bucket by name and its project.
func (e *GCPEstate) bucket(name string) (*GCPBucket, *GCPProject) {
	for _, p := range e.Projects {
		for i := range p.Storage {
			if str(fields(p.Storage[i].Bucket), "name") == name {
				return &p.Storage[i], p
			}
		}
	}
	return nil, nil
}

// serveStorage answers Cloud Storage JSON API calls. fake-gcs-server
// serves buckets and objects; the emulator counts calls, injects faults,
// answers for projects without the API, adds to bucket answers the
// settings fake-gcs-server does not keep (iamConfiguration,
// retentionPolicy, labels …, as the estate writes them) and keeps a
// listing to the project asked for, and serves the bucket IAM policy
// (GET /storage/v1/b/B/iam) and ACL (GET /storage/v1/b/B/acl) itself.
func (s *Server) serveStorage(w http.ResponseWriter, r *http.Request, e *GCPEstate) {
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/storage/v1"), "/")
	parts := strings.Split(rest, "/")
	c := &gcpCall{Service: "storage", HTTP: r}
	var bucket *GCPBucket
	var project *GCPProject
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/storage/v1/b") {
		switch {
		case rest == "b" || rest == "b/":
			c.Action, c.Project = "buckets.list", r.URL.Query().Get("project")
			project = e.project(c.Project)
		case len(parts) == 2:
			c.Action = "buckets.get"
		case len(parts) == 3 && parts[2] == "iam":
			c.Action = "buckets.getIamPolicy"
		case len(parts) == 3 && parts[2] == "acl":
			c.Action = "bucketAccessControls.list"
		}
		if c.Action != "" && c.Action != "buckets.list" {
			bucket, project = e.bucket(unescape(parts[1]))
			if project != nil {
				c.Project = project.ID
			}
		}
	}
	if c.Action == "" {
		c.Action = "other"
	}
	if s.gcpInjected(w, c) {
		return
	}
	if project != nil && project.apiDisabled("storage.googleapis.com") {
		writeGCPError(w, gcpServiceDisabled("storage.googleapis.com", project))
		return
	}
	switch c.Action {
	case "buckets.list":
		if project == nil {
			writeGCPError(w, &gcpError{Code: 403, Status: "PERMISSION_DENIED", Reason: "forbidden",
				Message: "The caller does not have storage.buckets.list access to the Google Cloud project " + c.Project + "."})
			return
		}
		s.serveBucketList(w, r, e, project)
	case "buckets.get":
		if bucket == nil {
			writeGCPError(w, gcpNotFound("The specified bucket does not exist."))
			return
		}
		s.serveFakeBucket(w, r, e, func(m map[string]any) any { return merge(m, bucket, project) })
	case "buckets.getIamPolicy":
		if bucket == nil {
			writeGCPError(w, gcpNotFound("The specified bucket does not exist."))
			return
		}
		name := unescape(parts[1])
		policy := map[string]any{}
		if len(bucket.Policy) > 0 {
			_ = json.Unmarshal(bucket.Policy, &policy)
		} else {
			policy["bindings"] = []map[string]any{
				{"role": "roles/storage.legacyBucketOwner", "members": []string{"projectEditor:" + project.ID, "projectOwner:" + project.ID}},
				{"role": "roles/storage.legacyBucketReader", "members": []string{"projectViewer:" + project.ID}},
			}
		}
		policy["kind"] = "storage#policy"
		policy["resourceId"] = "projects/_/buckets/" + name
		if _, ok := policy["version"]; !ok {
			policy["version"] = 1
		}
		policy["etag"] = "CAE="
		writeGCPJSON(w, http.StatusOK, policy)
	case "bucketAccessControls.list":
		if bucket == nil {
			writeGCPError(w, gcpNotFound("The specified bucket does not exist."))
			return
		}
		var cfg struct {
			IAM struct {
				UBLA struct {
					Enabled bool `json:"enabled"`
				} `json:"uniformBucketLevelAccess"`
			} `json:"iamConfiguration"`
		}
		_ = json.Unmarshal(bucket.Bucket, &cfg)
		if cfg.IAM.UBLA.Enabled {
			writeGCPError(w, &gcpError{Code: 400, Status: "INVALID_ARGUMENT", Reason: "invalid",
				Message: "Cannot get legacy ACL for a bucket that has uniform bucket-level access. Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access"})
			return
		}
		var items []json.RawMessage
		_ = json.Unmarshal(bucket.ACL, &items)
		writeGCPJSON(w, http.StatusOK, map[string]any{"kind": "storage#bucketAccessControls", "items": items})
	default:
		e.storage.HTTPHandler().ServeHTTP(w, r)
	}
}

// serveBucketList lists through fake-gcs-server at most the server's page
// size at a time and keeps the project's buckets.
func (s *Server) serveBucketList(w http.ResponseWriter, r *http.Request, e *GCPEstate, project *GCPProject) {
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("maxResults")); err != nil || n <= 0 || n > s.opts.PageSize {
		q.Set("maxResults", strconv.Itoa(s.opts.PageSize))
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	s.serveFakeBucket(w, r2, e, func(m map[string]any) any {
		items, _ := m["items"].([]any)
		var keep []any
		for _, it := range items {
			b, _ := it.(map[string]any)
			eb, ep := e.bucket(str(b, "name"))
			if ep != project {
				continue
			}
			keep = append(keep, merge(b, eb, ep))
		}
		m["items"] = keep
		return m
	})
}

// serveFakeBucket calls fake-gcs-server and rewrites its JSON answer.
func (s *Server) serveFakeBucket(w http.ResponseWriter, r *http.Request, e *GCPEstate, rewrite func(map[string]any) any) {
	rec := httptest.NewRecorder()
	e.storage.HTTPHandler().ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		writeGCPError(w, &gcpError{Code: 500, Status: "INTERNAL", Reason: "backendError", Message: "emulator: fake-gcs-server answer: " + err.Error()})
		return
	}
	writeGCPJSON(w, http.StatusOK, rewrite(m))
}

// merge lays the estate's bucket fields over fake-gcs-server's answer.
func merge(m map[string]any, b *GCPBucket, p *GCPProject) map[string]any {
	if b == nil {
		return m
	}
	for k, v := range fields(b.Bucket) {
		m[k] = v
	}
	if p != nil && p.Number != "" {
		m["projectNumber"] = p.Number
	}
	return m
}
