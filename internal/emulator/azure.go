package emulator

import (
	"io/fs"
	"net/http"
	"strings"
)

// AzureEstate is the azure/ directory of an estate. (Filled in by the Azure work.)
type AzureEstate struct{}

// loadAzure reads dir; a missing directory means no Azure part (nil).
func loadAzure(fsys fs.FS, dir string) (*AzureEstate, error) { return nil, nil }

// isAzurePath reports whether an unsigned request is for Azure Resource
// Manager (or the emulated Entra token endpoint).
func isAzurePath(p string) bool {
	return strings.HasPrefix(p, "/subscriptions") || strings.HasPrefix(p, "/providers/") || strings.HasPrefix(p, "/tenants")
}

// serveAzure answers Azure Resource Manager requests.
func (s *Server) serveAzure(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "emulator: Azure Resource Manager not served", http.StatusNotImplemented)
}
