package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// NewSnapshotsCommand builds `posture snapshots list|show`.
func NewSnapshotsCommand(g *Global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshots",
		Short: "List and inspect stored snapshots",
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List committed snapshots, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.OpenStore()
			if err != nil {
				return err
			}
			defer st.Close()
			snaps, err := st.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g, snaps)
			}
			tw := tabwriter.NewWriter(g.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tFINISHED\tSTATUS\tCLOUDS\tRESOURCES\tGAPS")
			for _, s := range snaps {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%d\n", s.ID, s.Finished.UTC().Format(time.RFC3339), s.Status, s.Clouds, s.Resources, len(s.Gaps))
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	show := &cobra.Command{
		Use:   "show [ID|latest]",
		Short: "Show one snapshot: status, scopes, resource counts by kind, gaps",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := "latest"
			if len(args) == 1 {
				id = args[0]
			}
			st, err := g.OpenStore()
			if err != nil {
				return err
			}
			defer st.Close()
			s, err := snapshotOf(cmd.Context(), st, id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(g, s)
			}
			fmt.Fprintf(g.Out, "snapshot  %s\nstatus    %s\nstarted   %s\nfinished  %s\nclouds    %v\n",
				s.ID, s.Status, s.Started.UTC().Format(time.RFC3339), s.Finished.UTC().Format(time.RFC3339), s.Clouds)
			fmt.Fprintf(g.Out, "resources %d (%s)\n", s.Resources, joinKinds(s.Kinds))
			fmt.Fprintf(g.Out, "scopes    %d\n", len(s.Scopes))
			for _, sc := range s.Scopes {
				fmt.Fprintf(g.Out, "  %s\n", sc)
			}
			fmt.Fprintf(g.Out, "gaps      %d\n", len(s.Gaps))
			for _, gp := range s.Gaps {
				fmt.Fprintf(g.Out, "  %s\n", gp)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}
