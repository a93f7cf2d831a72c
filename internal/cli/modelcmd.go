package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/labels"
	"github.com/posture-dev/posture/model"
)

// evalRows draws the rows posture model eval scores: n simulated
// resources in estates (Dataset.Group), so intervals resample estates.
var evalRows = model.Simulate

// ModelEvalOptions are the flags of `posture model eval`.
type ModelEvalOptions struct {
	Model    string
	Simulate int
	Seed     int64
	JSON     bool
	// Labels evaluates on an organisation's own labels instead, joined to
	// the snapshot in force at each label's time; Since keeps the labels
	// observed at or after it (those a model trained earlier never saw).
	Labels string
	Since  string
}

// NewModelCommand builds `posture model eval`.
func NewModelCommand(g *Global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Evaluate the risk model",
	}
	var o ModelEvalOptions
	eval := &cobra.Command{
		Use:   "eval [--model FILE] [--simulate N | --labels FILE [--since DATE]] [--seed S] [--json]",
		Short: "Evaluate the model beside the baselines on freshly simulated rows, with bootstrap intervals",
		Long: `Evaluate the model (the shipped one, or --model FILE) on N freshly simulated
rows beside three baselines scored from the same feature vectors: the count
of failed checks, the worst signal severity, and internet-exposed with any
critical signal. Prints ROC-AUC, PR-AUC with its no-skill line (the base
rate), Brier, recall at precision 0.5 and 0.8, coverage at 5 % and 15 %
effort and the effort for 80 % and 90 % coverage, with 95 % bootstrap
intervals, then the model's reliability table. Use a seed other than the
one the model was trained with.

With --labels FILE it evaluates on your own labelled outcomes instead (the
format posture train reads), each joined to the features of the snapshot in
force at its time; --since DATE keeps the labels observed from then on, the
ones a model trained before that date never saw. Intervals then resample
snapshots.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Simulate <= 0 && o.Labels == "" {
				return usageError("model eval: --simulate must be a positive row count, got %d", o.Simulate)
			}
			if o.Since != "" && o.Labels == "" {
				return usageError("model eval: --since needs --labels")
			}
			if o.Labels != "" && cmd.Flags().Changed("simulate") {
				return usageError("model eval: --labels and --simulate choose the rows to evaluate on; give one")
			}
			m, name, err := loadModel(o.Model)
			if err != nil {
				return err
			}
			if err := m.Check(features.Current); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if o.Labels == "" && o.Seed == m.Provenance.Seed && (m.Provenance.Source == model.BootstrapSource || m.Provenance.Source == model.SimulatorSource) {
				fmt.Fprintf(g.Err, "warning: --seed %d is the seed %s was trained with; its rows may be training rows\n", o.Seed, name)
			}
			var c model.Comparison
			if o.Labels != "" {
				c, err = evalLabels(cmd, g, m, name, o)
			} else {
				c, err = EvalModel(m, name, o)
			}
			if err != nil {
				return err
			}
			if o.JSON {
				return printJSON(g, c)
			}
			return writeComparison(g.Out, c)
		},
	}
	eval.Flags().StringVar(&o.Model, "model", "", "model file (default: the model shipped in the binary, models/default.json)")
	eval.Flags().IntVar(&o.Simulate, "simulate", 50000, "simulated rows to evaluate on")
	eval.Flags().Int64Var(&o.Seed, "seed", 2, "seed of the simulated rows, their labels and the bootstrap resamples")
	eval.Flags().BoolVar(&o.JSON, "json", false, "print the evaluation as JSON")
	eval.Flags().StringVar(&o.Labels, "labels", "", "evaluate on this label file (CSV or JSON lines, as posture train reads) joined to the stored snapshots")
	eval.Flags().StringVar(&o.Since, "since", "", "with --labels: only labels observed at or after this time (RFC 3339 or YYYY-MM-DD)")
	cmd.AddCommand(eval)
	return cmd
}

// EvalModel evaluates m and the baselines on o.Simulate rows simulated
// with o.Seed.
func EvalModel(m *model.Model, name string, o ModelEvalOptions) (model.Comparison, error) {
	d, err := evalRows(o.Simulate, o.Seed)
	if err != nil {
		return model.Comparison{}, fmt.Errorf("simulate %d rows: %w", o.Simulate, err)
	}
	baselines, err := model.Baselines(features.Current)
	if err != nil {
		return model.Comparison{}, err
	}
	c, err := model.Compare(append([]model.Scorer{model.ModelScorer(m, "model "+name)}, baselines...), d, model.EvalOptions{Seed: o.Seed})
	if err != nil {
		return model.Comparison{}, fmt.Errorf("evaluate on %d simulated rows (seed %d): %w", o.Simulate, o.Seed, err)
	}
	return c, nil
}

// writeComparison prints c as tables.
func writeComparison(w io.Writer, c model.Comparison) error {
	if len(c.Evaluations) == 0 {
		return fmt.Errorf("model eval: nothing was evaluated")
	}
	e := c.Evaluations[0]
	labels := "labels as given"
	if e.Labels == "drawn" {
		labels = "labels one Bernoulli(p) draw per row"
	}
	fmt.Fprintf(w, "rows       %d from %s\n", e.Rows, c.Source)
	fmt.Fprintf(w, "labels     %d positive (base rate %.4f), %s\n", e.Positives, e.BaseRate, labels)
	fmt.Fprintf(w, "intervals  95 %% percentile bootstrap, %d resamples of %d %s, seed %d\n\n", e.Resamples, e.Units, e.Resampled, e.Seed)
	header, rows := c.Table()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(header, "\t")))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nno skill (random order): ROC-AUC 0.500, PR-AUC %.4f (the base rate), coverage = effort\n\n", e.BaseRate)
	for _, b := range c.Evaluations {
		fmt.Fprintf(w, "%s: %s\n", b.Name, b.Rule)
	}
	fmt.Fprintf(w, "\n%s\n", model.TieRules)
	for _, ev := range c.Evaluations {
		if len(ev.Reliability) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nreliability of %s (deciles of rows by predicted risk; tied risks never split):\n", ev.Name)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PREDICTED RISK\tROWS\tMEAN PREDICTED\tOBSERVED")
		for _, b := range ev.Reliability {
			fmt.Fprintf(tw, "%.3g – %.3g\t%d\t%.3g\t%.3g\n", b.Lo, b.Hi, b.Rows, b.MeanPredicted, b.Observed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// evalLabels evaluates m and the baselines on the labels of o.Labels,
// joined to the store's snapshots, from o.Since on.
func evalLabels(cmd *cobra.Command, g *Global, m *model.Model, name string, o ModelEvalOptions) (model.Comparison, error) {
	var since time.Time
	if o.Since != "" {
		var err error
		if since, err = parseSince(o.Since); err != nil {
			return model.Comparison{}, usageError("model eval: --since %q: want RFC 3339 or YYYY-MM-DD", o.Since)
		}
	}
	rows, _, err := labels.ReadFile(o.Labels)
	if err != nil {
		return model.Comparison{}, err
	}
	var kept []labels.Label
	for _, l := range rows {
		if !l.Time.Before(since) {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return model.Comparison{}, fmt.Errorf("model eval: no label in %s is dated at or after %s", o.Labels, o.Since)
	}
	st, err := g.OpenStore()
	if err != nil {
		return model.Comparison{}, err
	}
	defer st.Close()
	d, rep, err := labels.Join(cmd.Context(), st, kept, g.Now())
	if err != nil {
		return model.Comparison{}, err
	}
	// The join report goes to stderr in every mode: with --json, stdout
	// holds the evaluation, and no dropped label may go unsaid.
	if err := rep.Write(g.Err); err != nil {
		return model.Comparison{}, err
	}
	baselines, err := model.Baselines(features.Current)
	if err != nil {
		return model.Comparison{}, err
	}
	c, err := model.Compare(append([]model.Scorer{model.ModelScorer(m, "model "+name)}, baselines...), d, model.EvalOptions{Seed: o.Seed})
	if err != nil {
		return model.Comparison{}, fmt.Errorf("evaluate on %d labels of %s: %w", d.Len(), o.Labels, err)
	}
	return c, nil
}

// parseSince reads an RFC 3339 time or a date (midnight UTC).
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}
