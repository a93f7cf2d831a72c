package emulator

import (
	"io/fs"
	"net/http"
)

// GCPEstate is the gcp/ directory of an estate. (Filled in by the GCP work.)
type GCPEstate struct{}

// loadGCP reads dir; a missing directory means no GCP part (nil).
func loadGCP(fsys fs.FS, dir string) (*GCPEstate, error) { return nil, nil }

// serveGCP answers Google API requests.
func (s *Server) serveGCP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "emulator: Google APIs not served", http.StatusNotImplemented)
}
