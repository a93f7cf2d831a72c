package emulator

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Feeds are the exploitation feeds an estate's feeds/ directory holds,
// served as their publishers serve them so that `posture feeds update
// --kev-url/--epss-url` runs its real download path against the emulator:
// the KEV catalogue as JSON, the EPSS scores gzipped.
type Feeds struct {
	KEV  []byte // feeds/kev.json
	EPSS []byte // feeds/epss.csv, gzipped when loaded
}

// Feed paths the emulator answers, as FIRST and CISA name their files.
const (
	KEVPath  = "/feeds/known_exploited_vulnerabilities.json"
	EPSSPath = "/feeds/epss_scores-current.csv.gz"
)

// loadFeeds reads dir/kev.json and dir/epss.csv; a missing file means the
// estate serves no such feed (404).
func loadFeeds(fsys fs.FS, dir string) (Feeds, error) {
	var f Feeds
	if b, err := fs.ReadFile(fsys, path.Join(dir, "kev.json")); err == nil {
		f.KEV = b
	}
	if b, err := fs.ReadFile(fsys, path.Join(dir, "epss.csv")); err == nil {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(b); err != nil {
			return f, err
		}
		if err := zw.Close(); err != nil {
			return f, err
		}
		f.EPSS = buf.Bytes()
	}
	return f, nil
}

// isFeedPath reports whether p is one of the feed paths.
func isFeedPath(p string) bool { return strings.HasPrefix(p, "/feeds/") }

func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request) {
	var body []byte
	ctype := "application/json"
	switch r.URL.Path {
	case KEVPath:
		body = s.estate.Feeds.KEV
	case EPSSPath:
		body, ctype = s.estate.Feeds.EPSS, "application/gzip"
	}
	if body == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Write(body)
}
