package cli

import (
	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/internal/report"
)

// ReportOptions are the flags of `posture report`.
type ReportOptions struct {
	SourceOptions
	Format string
	Out    string
	Top    int
}

// NewReportCommand builds `posture report`.
func NewReportCommand(g *Global) *cobra.Command {
	var o ReportOptions
	cmd := &cobra.Command{
		Use:   "report --format json|html|table [--snapshot ID] [--out FILE]",
		Short: "Export the risk report of a snapshot",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := report.ParseFormat(o.Format)
			if err != nil {
				return usageError("report: %v", err)
			}
			if o.Top < 0 {
				return usageError("report: --top must not be negative")
			}
			a, st, err := o.assess(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			out, err := createOut(g, o.Out)
			if err != nil {
				return err
			}
			w, err := report.NewWriter(format, out, report.Options{Top: o.Top})
			if err != nil {
				out.Discard()
				return err
			}
			if err := w.Write(cmd.Context(), buildReport(g, a)); err != nil {
				out.Discard()
				return err
			}
			return out.Commit()
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "table", "json, html or table")
	o.bind(f)
	f.StringVarP(&o.Out, "out", "o", "", "write to FILE instead of stdout")
	f.IntVar(&o.Top, "top", 0, "only the N riskiest resources (0: all; the table defaults to 10)")
	return cmd
}
