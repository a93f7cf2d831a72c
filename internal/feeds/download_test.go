package feeds_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/feeds"
)

// feedServer serves fixed bodies by path on 127.0.0.1.
func feedServer(t *testing.T, routes map[string]func(http.ResponseWriter, *http.Request)) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func body(b []byte) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(b) }
}

func TestFetch(t *testing.T) {
	kev := readTestdata(t, "kev.json")
	epssGz := gz(t, readTestdata(t, "epss.csv"))
	srv := feedServer(t, map[string]func(http.ResponseWriter, *http.Request){
		"/kev.json": body(kev),
		"/epss_scores-current.csv.gz": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/epss_scores-2025-08-21.csv.gz", http.StatusFound)
		},
		"/epss_scores-2025-08-21.csv.gz": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/x-gzip")
			_, _ = w.Write(epssGz)
		},
		"/fail": func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		"/truncated.csv.gz": body(epssGz[:len(epssGz)/2]),
		"/big":              body([]byte(strings.Repeat("x", 4096))),
		"/cut": func(w http.ResponseWriter, _ *http.Request) {
			// Promise more than is sent: the client sees the body end early.
			w.Header().Set("Content-Length", "100000")
			_, _ = w.Write(kev[:200])
		},
	})
	c := &feeds.Client{HTTP: srv.Client(), MaxBytes: 1 << 20}

	t.Run("kev", func(t *testing.T) {
		f, err := c.Fetch(context.Background(), feeds.KEV, srv.URL+"/kev.json")
		if err != nil {
			t.Fatal(err)
		}
		want := *wantKEV
		want.Origin = srv.URL + "/kev.json"
		if diff := cmp.Diff(f, &want); diff != "" {
			t.Errorf("Fetch (-got +want):\n%s", diff)
		}
	})
	t.Run("epss through a redirect", func(t *testing.T) {
		f, err := c.Fetch(context.Background(), feeds.EPSS, srv.URL+"/epss_scores-current.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		want := *wantEPSS
		want.Origin = srv.URL + "/epss_scores-2025-08-21.csv.gz"
		want.Gzipped = true
		if diff := cmp.Diff(f, &want); diff != "" {
			t.Errorf("Fetch (-got +want):\n%s", diff)
		}
	})

	failures := []struct {
		name    string
		source  feeds.Source
		path    string
		max     int64
		wantErr string
	}{
		{"HTTP 500", feeds.KEV, "/fail", 0, "HTTP 500 Internal Server Error"},
		{"not found", feeds.EPSS, "/nothing-here", 0, "HTTP 404 Not Found"},
		{"truncated gzip", feeds.EPSS, "/truncated.csv.gz", 0, "gunzip: unexpected EOF"},
		{"body shorter than promised", feeds.KEV, "/cut", 0, "unexpected EOF"},
		{"the other feed", feeds.EPSS, "/kev.json", 0, "got the kev feed"},
		{"over the size limit", feeds.KEV, "/big", 1000, "larger than the size limit"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			c := *c
			if tt.max > 0 {
				c.MaxBytes = tt.max
			}
			f, err := c.Fetch(context.Background(), tt.source, srv.URL+tt.path)
			if err == nil {
				t.Fatalf("Fetch = %d entries, want an error", f.Len())
			}
			wantPrefix := "download " + string(tt.source) + " feed from " + srv.URL + tt.path + ": "
			if !strings.HasPrefix(err.Error(), wantPrefix) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Fetch error = %q, want %q…%q", err, wantPrefix, tt.wantErr)
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Fetch(ctx, feeds.KEV, srv.URL+"/kev.json"); err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("Fetch error = %v, want context canceled", err)
		}
	})
	t.Run("bad scheme", func(t *testing.T) {
		if _, err := c.Fetch(context.Background(), feeds.KEV, "file:///etc/passwd"); err == nil || !strings.Contains(err.Error(), `scheme "file"`) {
			t.Errorf("Fetch error = %v, want a scheme error", err)
		}
	})
}

// TestFetchWantsHTTPS: plain http is refused before any request unless the
// host is loopback or Insecure is set; a redirect from loopback to a plain
// http host elsewhere is refused too.
func TestFetchWantsHTTPS(t *testing.T) {
	kev := readTestdata(t, "kev.json")
	var asked []string
	// The transport answers every host from memory: nothing leaves the machine.
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		asked = append(asked, r.URL.String())
		if r.URL.Path == "/away" {
			return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"http://mirror.example.com/kev.json"}},
				Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(kev)), Request: r}, nil
	})
	tests := []struct {
		name      string
		url       string
		insecure  bool
		wantErr   string
		wantAsked int
	}{
		{"http elsewhere", "http://mirror.example.com/kev.json", false, "plain http to a host other than loopback: want https (--insecure allows http)", 0},
		{"http elsewhere, insecure", "http://mirror.example.com/kev.json", true, "", 1},
		{"http to 127.0.0.1", "http://127.0.0.1:8080/kev.json", false, "", 1},
		{"http to ::1", "http://[::1]:8080/kev.json", false, "", 1},
		{"http to localhost", "http://localhost/kev.json", false, "", 1},
		{"http to a name that starts with localhost", "http://localhost.example.com/kev.json", false, "want https", 0},
		{"https elsewhere", "https://mirror.example.com/kev.json", false, "", 1},
		{"loopback redirected to http elsewhere", "http://127.0.0.1/away", false, "redirected to http://mirror.example.com/kev.json: plain http", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			c := &feeds.Client{HTTP: &http.Client{Transport: rt}, Insecure: tt.insecure}
			f, err := c.Fetch(context.Background(), feeds.KEV, tt.url)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Fetch error = %v, want the catalogue", err)
			case tt.wantErr == "" && f.Len() != 3:
				t.Errorf("Fetch = %d entries, want 3", f.Len())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Fetch error = %v, want %q", err, tt.wantErr)
			}
			if len(asked) != tt.wantAsked {
				t.Errorf("requests %q, want %d", asked, tt.wantAsked)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
