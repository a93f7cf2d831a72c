package aws

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/emulator"
)

// BenchmarkCollectDemo scans the demo estate end to end through the SDK
// and the loopback emulator (page size 2, so every list paginates): it
// measures the collector's own overhead per scan, not AWS latency.
func BenchmarkCollectDemo(b *testing.B) {
	e, err := emulator.Load("demo")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := emulator.Start(e, "127.0.0.1:0", emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.Setenv("AWS_ENDPOINT_URL", srv.URL())
	b.Setenv("AWS_ACCESS_KEY_ID", "AKIAEMULATOR")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	b.Setenv("AWS_REGION", "us-east-1")
	b.Setenv("AWS_CONFIG_FILE", filepath.Join(b.TempDir(), "none"))
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(b.TempDir(), "none"))
	c, err := New(context.Background(), Options{Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		res, err := c.Collect(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n = len(res.Resources)
	}
	b.ReportMetric(float64(n), "resources/scan")
}
