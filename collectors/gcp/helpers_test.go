package gcp

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/goldenfile"
	"github.com/posture-dev/posture/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testNow is the fixed scan time of the tests.
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// demoProjects are the demo estate's projects: acme-sandbox has Compute
// Engine and IAM disabled.
var demoProjects = []string{"acme-prod", "acme-sandbox"}

// scanEstate serves the estate on loopback and scans it through Google's
// clients pointed at the emulator with Options.Endpoint, the way users
// point them.
func scanEstate(t *testing.T, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server) {
	t.Helper()
	res, srv, err := collectEstate(t, estate, eopts, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, srv
}

func collectEstate(t *testing.T, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server, error) {
	t.Helper()
	e, err := emulator.Load(estate)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(e, "127.0.0.1:0", eopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("STORAGE_EMULATOR_HOST", "")
	opts.Endpoint = srv.URL()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 10 * time.Millisecond
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Collect(context.Background())
	return res, srv, err
}

// byNativeType keeps the resources whose NativeType starts with one of
// the prefixes.
func byNativeType(rs []inventory.Resource, prefixes ...string) []inventory.Resource {
	var out []inventory.Resource
	for _, r := range rs {
		for _, p := range prefixes {
			if strings.HasPrefix(r.NativeType, p) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// find returns the resource with id, or fails.
func find(t *testing.T, rs []inventory.Resource, id string) inventory.Resource {
	t.Helper()
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("resource %s not collected", id)
	return inventory.Resource{}
}

// golden compares v, as indented JSON, with testdata/golden/name; with
// -update it rewrites the file.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	goldenfile.JSON(t, filepath.Join("testdata", "golden", name), v, *update)
}

// gapsOf keeps the gaps of one service.
func gapsOf(gaps []inventory.Gap, service string) []inventory.Gap {
	var out []inventory.Gap
	for _, g := range gaps {
		if g.Service == service {
			out = append(out, g)
		}
	}
	return out
}
