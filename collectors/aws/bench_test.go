package aws

import (
	"context"
	"testing"
	"time"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/emulator/emulatortest"
)

// BenchmarkCollectDemo scans the demo estate end to end through the SDK
// and the loopback emulator (page size 2, so every list paginates): it
// measures the collector's own overhead per scan, not AWS latency.
func BenchmarkCollectDemo(b *testing.B) {
	emulatortest.Serve(b, "demo", emulator.Options{})
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
