// Package emulatortest starts the emulator for tests and points the AWS
// SDK at it the way a user would: AWS_ENDPOINT_URL, dummy static keys, and
// no shared config, credentials file or instance metadata from the machine
// running the tests.
package emulatortest

import (
	"path/filepath"
	"testing"

	"github.com/posture-dev/posture/internal/emulator"
)

// Serve loads estate (an embedded name or a directory), serves it on
// loopback until the test ends, and sets the AWS environment for it.
func Serve(tb testing.TB, estate string, opts emulator.Options) *emulator.Server {
	tb.Helper()
	e, err := emulator.Load(estate)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := emulator.Start(e, "127.0.0.1:0", opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	SetAWSEnv(tb, srv.URL())
	return srv
}

// SetAWSEnv points the AWS SDK at url with dummy credentials and isolates
// it from the machine's own AWS configuration.
func SetAWSEnv(tb testing.TB, url string) {
	tb.Helper()
	tb.Setenv("AWS_ENDPOINT_URL", url)
	tb.Setenv("AWS_ACCESS_KEY_ID", "AKIAEMULATOR")
	tb.Setenv("AWS_SECRET_ACCESS_KEY", "emulator")
	tb.Setenv("AWS_REGION", "us-east-1")
	tb.Setenv("AWS_CONFIG_FILE", filepath.Join(tb.TempDir(), "none"))
	tb.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(tb.TempDir(), "none"))
	tb.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
