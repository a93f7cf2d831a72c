// Package cli is posture's command line: one file per command, each binding
// its flags into an options struct and calling the library with the
// command's context. Only this package and cmd/ import cobra.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/internal/store"
)

// Exit codes, documented in the README.
const (
	ExitOK      = 0
	ExitError   = 1 // the command failed; nothing it would have written was committed
	ExitUsage   = 2 // bad flags or arguments
	ExitPartial = 3 // scan committed, but as partial: some scopes or services could not be read
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a usage mistake.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// Global holds what every command shares.
type Global struct {
	StoreDir   string
	LogLevel   string
	ConfigPath string
	Out, Err   io.Writer
	Now        func() time.Time
	logger     *slog.Logger
}

// Logger returns the logger configured by --log-level, writing to stderr.
func (g *Global) Logger() *slog.Logger {
	if g.logger == nil {
		var lvl slog.Level
		_ = lvl.UnmarshalText([]byte(g.LogLevel))
		g.logger = slog.New(slog.NewTextHandler(g.Err, &slog.HandlerOptions{Level: lvl}))
	}
	return g.logger
}

// OpenStore opens the store named by --store or the default directory.
func (g *Global) OpenStore() (*store.Store, error) {
	dir := g.StoreDir
	if dir == "" {
		d, err := store.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return store.Open(dir, store.Options{Now: g.Now, Logger: g.Logger()})
}

// NewRootCommand builds the command tree.
func NewRootCommand(g *Global) *cobra.Command {
	root := &cobra.Command{
		Use:   "posture",
		Short: "Scan cloud configuration, score attack risk with a trained model, plan fixes",
		Long: `posture snapshots AWS configuration (network, IAM, storage, compute) into a
local store, turns it into the 4P signals attackers exploit (open Ports, loose
Privileges, weak Passwords, missing Patches) over a resource graph, scores how
likely each resource is to be attacked with a trained model, and plans fixes.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch strings.ToLower(g.LogLevel) {
			case "debug", "info", "warn", "error":
				return nil
			}
			return usageError("--log-level %q: want debug, info, warn or error", g.LogLevel)
		},
	}
	root.PersistentFlags().StringVar(&g.StoreDir, "store", "", "store directory (default: posture/store in the user data directory: $XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS, %LocalAppData% on Windows)")
	root.PersistentFlags().StringVar(&g.LogLevel, "log-level", "warn", "log level: debug, info, warn, error (logs go to stderr)")
	configFlag(root.PersistentFlags(), g)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: ExitUsage, err: err} })
	root.AddCommand(
		NewScanCommand(g),
		NewScoreCommand(g),
		NewReportCommand(g),
		NewFixCommand(g),
		NewSnapshotsCommand(g),
		NewFeedsCommand(g),
		NewFeaturesCommand(g),
		NewModelCommand(g),
		NewTrainCommand(g),
		NewVersionCommand(g),
	)
	return root
}

// Execute runs the CLI with args and returns the exit code.
func Execute(ctx context.Context, args []string, out, errw io.Writer) int {
	g := &Global{Out: out, Err: errw, Now: time.Now}
	root := NewRootCommand(g)
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errw)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != ExitPartial {
			fmt.Fprintln(errw, "posture:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(errw, "posture:", err)
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "accepts ") ||
		strings.Contains(err.Error(), "required flag") {
		return ExitUsage
	}
	return ExitError
}

// printJSON writes v to stdout as indented JSON, the shape every --json
// flag prints.
func printJSON(g *Global, v any) error {
	enc := json.NewEncoder(g.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
