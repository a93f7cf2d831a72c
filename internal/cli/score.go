package cli

import (
	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/internal/report"
)

// ScoreOptions are the flags of `posture score`.
type ScoreOptions struct {
	SourceOptions
	Top int
}

// NewScoreCommand builds `posture score`.
func NewScoreCommand(g *Global) *cobra.Command {
	var o ScoreOptions
	cmd := &cobra.Command{
		Use:   "score [--snapshot ID] [--model FILE]",
		Short: "Score a snapshot's resources with the model, store the scores and print the riskiest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Top < 0 {
				return usageError("score: --top must not be negative")
			}
			a, st, err := o.assess(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.PutAssessments(cmd.Context(), a.Snapshot.ID, a.Model.ID(), a.Assessments); err != nil {
				return err
			}
			w, err := report.NewWriter(report.Table, g.Out, report.Options{Top: o.Top})
			if err != nil {
				return err
			}
			return w.Write(cmd.Context(), buildReport(g, a))
		},
	}
	o.bind(cmd.Flags())
	cmd.Flags().IntVar(&o.Top, "top", 10, "rows to print")
	return cmd
}
