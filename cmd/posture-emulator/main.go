// Command posture-emulator serves an estate description on 127.0.0.1 over
// the AWS wire protocols, for `make demo`, trying posture without an
// account, and benchmarks. Point posture at it with AWS_ENDPOINT_URL.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/posture-dev/posture/internal/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "posture-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	estate := flag.String("estate", "demo", "embedded estate name or a directory holding account.json and service files")
	addr := flag.String("addr", "127.0.0.1:4566", "listen address (loopback)")
	pageSize := flag.Int("page-size", 2, "items per page of list answers, so clients paginate")
	latency := flag.Duration("latency", 0, "added to every request")
	urlFile := flag.String("url-file", "", "write the endpoint URL to this file once listening")
	flag.Parse()

	e, err := emulator.Load(*estate)
	if err != nil {
		return err
	}
	srv, err := emulator.Start(e, *addr, emulator.Options{PageSize: *pageSize, Latency: *latency})
	if err != nil {
		return err
	}
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(srv.URL()+"\n"), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "posture-emulator: serving estate %q on %s (AWS account %s)\n", *estate, srv.URL(), e.AWS.Account.ID)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = shut
	return srv.Close()
}
