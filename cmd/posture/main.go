// Command posture scans cloud configuration, scores attack risk with a
// trained model and plans fixes. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/posture-dev/posture/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
