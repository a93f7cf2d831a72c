package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/features"
)

// Version is set at build time with -ldflags "-X …/internal/cli.Version=v1.2.3".
var Version = "dev"

// NewVersionCommand prints the version, the feature schema and the Go build.
func NewVersionCommand(g *Global) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, feature schema and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			goVersion := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				goVersion = bi.GoVersion
			}
			_, err := fmt.Fprintf(g.Out, "posture %s (feature schema v%s %s, %s)\n", Version, features.Current.Version, features.Current.Hash(), goVersion)
			return err
		},
	}
}
