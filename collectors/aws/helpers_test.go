package aws

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/emulator/emulatortest"
	"github.com/posture-dev/posture/internal/goldenfile"
	"github.com/posture-dev/posture/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testNow is the fixed scan time of the tests.
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// scanEstate serves the estate (an embedded name or a directory) on
// loopback and scans it through the real SDK, pointed at the emulator the
// way users point it: the standard endpoint override.
func scanEstate(t *testing.T, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server) {
	t.Helper()
	return scanEstateIn(t, "us-east-1", estate, eopts, opts)
}

// scanEstateIn is scanEstate with region as the configured region.
func scanEstateIn(t *testing.T, region, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server) {
	t.Helper()
	res, srv, err := collectEstate(t, region, estate, eopts, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, srv
}

// collectEstate is scanEstateIn returning Collect's error.
func collectEstate(t *testing.T, region, estate string, eopts emulator.Options, opts Options) (*collectors.Result, *emulator.Server, error) {
	t.Helper()
	srv := emulatortest.Serve(t, estate, eopts)
	t.Setenv("AWS_REGION", region)
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

// byNativeType keeps the resources whose NativeType starts with prefix
// ("AWS::EC2::", "AWS::IAM::" …).
func byNativeType(rs []inventory.Resource, prefix string) []inventory.Resource {
	var out []inventory.Resource
	for _, r := range rs {
		if strings.HasPrefix(r.NativeType, prefix) {
			out = append(out, r)
		}
	}
	return out
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

// writeEstate writes an estate directory holding files (name -> JSON).
func writeEstate(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
