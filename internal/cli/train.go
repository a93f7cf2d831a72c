package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/posture-dev/posture/internal/labels"
	"github.com/posture-dev/posture/model"
)

// simulateRows draws the bootstrap rows --simulate adds.
var simulateRows = model.Simulate

// TrainOptions are the flags of `posture train`.
type TrainOptions struct {
	Labels   string
	Simulate int
	Seed     int64
	Kind     string
	Out      string
	Force    bool
	JSON     bool
	// Command is the command line recorded in the model's provenance.
	Command string
}

// TrainResult is what `posture train` did, as --json prints it.
type TrainResult struct {
	// Labels is the join report; nil without --labels.
	Labels     *labels.Report   `json:"labels,omitempty"`
	Simulated  *SimulatedRows   `json:"simulated,omitempty"`
	Model      string           `json:"model"` // the model's ID
	Out        string           `json:"out"`
	Provenance model.Provenance `json:"provenance"`
	Metrics    model.Metrics    `json:"metrics"`
	// SplitNote says why labels were held out at random rather than by
	// time; empty when the split is as planned.
	SplitNote string `json:"split_note,omitempty"`
}

// SimulatedRows describes the --simulate rows.
type SimulatedRows struct {
	Rows   int     `json:"rows"`
	Source string  `json:"source"`
	Seed   int64   `json:"seed"`
	Mean   float64 `json:"mean_target"` // mean probability of compromise
}

// NewTrainCommand builds `posture train`.
func NewTrainCommand(g *Global) *cobra.Command {
	var o TrainOptions
	cmd := &cobra.Command{
		Use:   "train --out FILE [--labels FILE] [--simulate N] [--seed S] [--kind logreg|mlp]",
		Short: "Train a model on your own labels, simulated rows, or both, into a new model file",
		Long: `Train a model on the organisation's own outcomes (--labels FILE), on rows
drawn by the attack simulator (--simulate N), or on both mixed (the simulated
rows as a prior), and write it to --out FILE. The shipped model is never
touched; an existing --out is refused unless --force.

A label file is CSV with the header resource,label,time[,source] or JSON
lines {"resource": …, "label": …, "time": …, "source": …}, told apart by
content. A label is 1, true or compromised, or 0, false or benign (any case);
a time is RFC 3339 or a date (YYYY-MM-DD, midnight UTC). A malformed line is
an error naming the file and line.

Each label is joined to its resource's features in the snapshot in force at
the label's time: the newest committed snapshot, complete or partial, that
finished at or before it. Labels dated in the future or before the first
snapshot, for a resource that snapshot does not hold or the model does not
score, and conflicting labels (compromised and benign for one resource in
one snapshot: all dropped) are reported with examples; exact duplicates and
repeats within a snapshot are collapsed and reported.

Prints the join report, the metrics on held-out rows and where the model
was written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Command = commandLine(cmd)
			res, err := TrainModel(cmd.Context(), g, o)
			if err != nil {
				// What the join dropped is said even when training fails.
				if res != nil && res.Labels != nil {
					_ = res.Labels.Write(g.Err)
				}
				return err
			}
			if o.JSON {
				return printJSON(g, res)
			}
			return writeTrainResult(g.Out, res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Labels, "labels", "", "label file: CSV (resource,label,time[,source]) or JSON lines; joined to the snapshots in --store")
	f.IntVar(&o.Simulate, "simulate", 0, "simulated rows to add (with --labels: a prior mixed with them)")
	f.Int64Var(&o.Seed, "seed", 1, "seed of the simulated rows and of training (same seed, same data: same model)")
	f.StringVar(&o.Kind, "kind", model.KindMLP, "model kind: mlp (as shipped) or logreg")
	f.StringVar(&o.Out, "out", "", "model file to write (required; an existing file is refused without --force)")
	f.BoolVar(&o.Force, "force", false, "overwrite an existing --out file")
	f.BoolVar(&o.JSON, "json", false, "print the join report, provenance and metrics as JSON")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// commandLine is the command with the flags given, for provenance:
// "posture train --labels incidents.csv --simulate 20000 --out m.json".
// Flags that only shape the output (--json, --force, --log-level) are
// left out.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "json", "force", "log-level":
			return
		}
		if f.Value.Type() == "bool" {
			parts = append(parts, "--"+f.Name)
			return
		}
		parts = append(parts, "--"+f.Name, f.Value.String())
	})
	return strings.Join(parts, " ")
}

// TrainModel joins o.Labels to the store's snapshots, adds o.Simulate simulated
// rows, trains a model and writes it to o.Out.
func TrainModel(ctx context.Context, g *Global, o TrainOptions) (*TrainResult, error) {
	switch {
	case o.Labels == "" && o.Simulate == 0:
		return nil, usageError("train: nothing to train on: give --labels FILE, --simulate N or both")
	case o.Simulate < 0:
		return nil, usageError("train: --simulate must not be negative, got %d", o.Simulate)
	case o.Kind != model.KindLogReg && o.Kind != model.KindMLP:
		return nil, usageError("train: --kind %q: want %s or %s", o.Kind, model.KindLogReg, model.KindMLP)
	case o.Out == "" || o.Out == "-":
		return nil, usageError("train: --out must name a file")
	}
	if err := checkOut(o.Out, o.Force); err != nil {
		return nil, err
	}

	res := &TrainResult{Out: o.Out}
	var data model.Dataset
	var sources, notes []string
	if o.Labels != "" {
		ls, _, err := labels.ReadFile(o.Labels)
		if err != nil {
			return nil, err
		}
		st, err := g.OpenStore()
		if err != nil {
			return nil, err
		}
		ds, rep, err := labels.Join(ctx, st, ls, g.Now())
		st.Close()
		if err != nil {
			return nil, err
		}
		res.Labels = &rep
		if rep.Joined == 0 {
			return res, fmt.Errorf("train: none of the %d labels in %s joined a snapshot in the store %s (the join report above says why)", rep.Read, o.Labels, st.Dir())
		}
		if o.Simulate == 0 && (rep.Compromised == 0 || rep.Benign == 0) {
			return res, fmt.Errorf("train: %s joined %d compromised and %d benign rows; training on labels alone needs both (add --simulate N for a simulated prior)",
				o.Labels, rep.Compromised, rep.Benign)
		}
		data = ds
		sources = append(sources, ds.Source)
		notes = append(notes, rep.Summary()+". Features from the snapshot in force at each label's time; exploitation (KEV, EPSS) as stored when trained")
	}
	if o.Simulate > 0 {
		sim, err := simulateRows(o.Simulate, o.Seed)
		if err != nil {
			return res, fmt.Errorf("train: simulate %d rows: %w", o.Simulate, err)
		}
		var sum float64
		for _, y := range sim.Y {
			sum += y
		}
		res.Simulated = &SimulatedRows{Rows: sim.Len(), Source: sim.Source, Seed: o.Seed, Mean: sum / float64(sim.Len())}
		data = appendRows(data, sim)
		sources = append(sources, sim.Source)
		notes = append(notes, fmt.Sprintf("%d simulated rows (seed %d) as a prior, soft targets (mean %.4f): synthetic, not real incidents", sim.Len(), o.Seed, res.Simulated.Mean))
	}
	if err := data.Check(); err != nil {
		return res, err
	}

	// Labels are held out by time: the latest ones test, those before
	// them validate, so the metrics say how the model predicts what came
	// after what it learned. Simulated rows alone are held out by whole
	// estates when there are enough to split (a test split from an estate
	// also trained on measures memory, not prediction); else rows alone.
	opts := model.TrainOptions{
		Kind:        o.Kind,
		Seed:        o.Seed,
		Now:         g.Now,
		NonNegative: true,
		Provenance: model.Provenance{
			Source:  strings.Join(sources, " + "),
			Command: o.Command,
		},
	}
	switch {
	case res.Labels != nil:
		opts.Times = data.Time
	case distinct(data.Group) >= minSplitGroups:
		opts.Groups = data.Group
	}
	opts.Provenance.Notes = strings.Join(notes, ". ") + "."
	m, err := model.Train(ctx, data.X, data.Y, opts)
	if errors.Is(err, model.ErrTimeSplit) {
		// Too few labels, or the latest hold one class: say so, and hold
		// out otherwise — whole snapshots and estates when there are
		// enough, else rows at random.
		opts.Times = nil
		how := "at random"
		if distinct(data.Group) >= minSplitGroups {
			opts.Groups, how = data.Group, "by whole snapshots and estates"
		}
		res.SplitNote = fmt.Sprintf("held out %s, not by time: %v", how, err)
		opts.Provenance.Notes = strings.Join(append(notes, res.SplitNote), ". ") + "."
		m, err = model.Train(ctx, data.X, data.Y, opts)
	}
	if err != nil {
		return res, fmt.Errorf("train %s on %d rows (%s): %w", o.Kind, data.Len(), strings.Join(sources, " + "), err)
	}
	if err := checkOut(o.Out, o.Force); err != nil { // it may have appeared while training
		return res, err
	}
	if err := m.SaveFile(o.Out); err != nil {
		return res, err
	}
	res.Model, res.Provenance, res.Metrics = m.ID(), m.Provenance, m.Metrics
	return res, nil
}

// minSplitGroups is how many estates or snapshots the rows must come from
// for train to hold out whole ones.
const minSplitGroups = 10

// distinct counts the different non-empty values of s.
func distinct(s []string) int {
	seen := map[string]bool{}
	for _, v := range s {
		if v != "" {
			seen[v] = true
		}
	}
	return len(seen)
}

// checkOut refuses an --out that exists (unless force) or that is a
// directory, and one whose directory does not exist, before any training.
func checkOut(path string, force bool) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return usageError("train: --out %s is a directory", path)
	case err == nil && !force:
		return usageError("train: --out %s exists; choose another file or add --force to overwrite it", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("train: --out %s: %w", path, err)
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || !di.IsDir() {
		return usageError("train: --out %s: directory %s does not exist", path, filepath.Dir(path))
	}
	return nil
}

// appendRows adds b's rows to a; Time is zero for rows without one.
func appendRows(a, b model.Dataset) model.Dataset {
	if a.Len() == 0 {
		return b
	}
	n := a.Len()
	out := model.Dataset{
		X:      append(append([][]float64(nil), a.X...), b.X...),
		Y:      append(append([]float64(nil), a.Y...), b.Y...),
		Source: a.Source + " + " + b.Source,
	}
	if a.Group != nil || b.Group != nil {
		out.Group = append(fill(a.Group, n), fill(b.Group, b.Len())...)
	}
	if a.Time != nil || b.Time != nil {
		out.Time = append(fill(a.Time, n), fill(b.Time, b.Len())...)
	}
	return out
}

// fill copies s, or makes n zero values when s is nil.
func fill[T any](s []T, n int) []T {
	if s == nil {
		return make([]T, n)
	}
	return append([]T(nil), s...)
}

func reportText(r labels.Report) string {
	var b strings.Builder
	_ = r.Write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// writeTrainResult prints what train did for people.
func writeTrainResult(w io.Writer, r *TrainResult) error {
	var b strings.Builder
	if r.Labels != nil {
		b.WriteString(reportText(*r.Labels) + "\n")
	}
	if s := r.Simulated; s != nil {
		fmt.Fprintf(&b, "simulated: %d rows from %s, seed %d, mean probability of compromise %.4f\n", s.Rows, s.Source, s.Seed, s.Mean)
	}
	p, m := r.Provenance, r.Metrics
	fmt.Fprintf(&b, "%d rows (%s), ", p.Rows, p.Source)
	if p.Targets == model.TargetsProbability {
		fmt.Fprintf(&b, "mean target %.4f", p.MeanTarget)
	} else {
		fmt.Fprintf(&b, "%d compromised", p.Positives)
	}
	fmt.Fprintf(&b, "; %d epochs, weights of epoch %d\n", m.Epochs, m.BestEpoch)
	fmt.Fprintf(&b, "held out %d rows %s: ROC-AUC %.3f (count of signals set: %.3f), PR-AUC %.3f (no skill: base rate %.3f), Brier %.4f\n",
		m.Rows, splitText(p.Split), m.ROCAUC, m.BaselineROCAUC, m.PRAUC, m.BaseRate, m.Brier)
	if strings.Contains(p.Notes, "Platt slope below 0") {
		b.WriteString("warning: the validation labels ranked against the model, so it was flattened: every resource scores the same until more or cleaner labels train it\n")
	}
	if r.SplitNote != "" {
		b.WriteString("(" + r.SplitNote + ")\n")
	} else if r.Labels != nil && r.Simulated != nil && p.Split != "by time" {
		b.WriteString("(the held-out rows mix labelled and simulated ones, drawn at random)\n")
	}
	fmt.Fprintf(&b, "wrote %s (%s); score with posture score --model %s\n", r.Out, r.Model, r.Out)
	_, err := io.WriteString(w, b.String())
	return err
}

// splitText says how the held-out rows were chosen.
func splitText(split string) string {
	switch split {
	case "by time":
		return "(the latest labels)"
	case "by group":
		return "(whole estates or snapshots)"
	case "":
		return ""
	}
	return "(" + split + ")"
}
