package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/report"
	"github.com/posture-dev/posture/internal/store"
	"github.com/posture-dev/posture/internal/suppress"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

// defaultModelName labels the model embedded in the binary.
const defaultModelName = "embedded:models/default.json"

// loadModel reads --model FILE, or the model shipped in the binary.
func loadModel(path string) (*model.Model, string, error) {
	if path == "" {
		m, err := model.Load(models.Default())
		if err != nil {
			return nil, "", fmt.Errorf("load %s: %w", defaultModelName, err)
		}
		return m, defaultModelName, nil
	}
	m, err := model.LoadFile(path)
	if err != nil {
		return nil, "", err
	}
	return m, path, nil
}

// snapshotOf resolves --snapshot (an id, "latest" or "").
func snapshotOf(ctx context.Context, st *store.Store, id string) (inventory.Snapshot, error) {
	if id == "" || id == "latest" {
		snap, err := st.Latest(ctx)
		if err != nil {
			return snap, fmt.Errorf("no snapshot in the store yet (run posture scan first): %w", err)
		}
		return snap, nil
	}
	return st.Get(ctx, id)
}

// SourceOptions choose what score, report and fix read: a stored snapshot
// and a model.
type SourceOptions struct {
	Snapshot string
	Model    string
	Mutelist string
}

func (o *SourceOptions) bind(f *pflag.FlagSet) {
	f.StringVar(&o.Snapshot, "snapshot", "latest", "snapshot id")
	f.StringVar(&o.Model, "model", "", "model file (default: the model shipped in the binary, models/default.json)")
	f.StringVar(&o.Mutelist, "mutelist", "", "YAML file of suppression rules: matching signals are shown as suppressed, not scored and not fixed (default: the config file's mutelist, if any)")
}

// mutelist loads --mutelist, or the config file's mutelist: when neither
// names one, nil. Expired rules (they suppress nothing) and rules without
// a signal that select by tags, account or region (they suppress
// everything there) are reported on stderr.
func (o SourceOptions) mutelist(g *Global) (*suppress.List, error) {
	path := o.Mutelist
	if path == "" {
		cfgPath, explicit := g.ConfigPath, g.ConfigPath != ""
		if !explicit {
			cfgPath = defaultConfigPath()
		}
		if cfgPath == "" {
			return nil, nil
		}
		c, err := loadConfig(cfgPath, explicit)
		if err != nil {
			return nil, usageError("%v", err)
		}
		if c.Mutelist == "" {
			return nil, nil
		}
		path = c.Mutelist
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(cfgPath), path)
		}
	}
	l, err := suppress.Load(path)
	if err != nil {
		return nil, usageError("%v", err)
	}
	known := map[inventory.SignalID]bool{}
	for _, d := range features.Catalogue() {
		known[d.ID] = true
	}
	if err := l.CheckSignals(func(id inventory.SignalID) bool { return known[id] }); err != nil {
		return nil, usageError("%v", err)
	}
	for _, r := range l.Expired(g.Now()) {
		fmt.Fprintf(g.Err, "posture: mutelist %s: %s (line %d) expired %s; it suppresses nothing\n",
			path, r.Label(), r.Line, r.Expires.UTC().Format(time.RFC3339))
	}
	for _, w := range l.Warnings() {
		fmt.Fprintf(g.Err, "posture: warning: %s\n", w)
	}
	return l, nil
}

// assess opens the store and scores the chosen snapshot; the caller closes
// the store.
func (o SourceOptions) assess(ctx context.Context, g *Global) (*assessed, *store.Store, error) {
	mutes, err := o.mutelist(g)
	if err != nil {
		return nil, nil, err
	}
	st, err := g.OpenStore()
	if err != nil {
		return nil, nil, err
	}
	a, err := assessSnapshot(ctx, st, o.Snapshot, o.Model, assess.Options{Mutelist: mutes, MuteAt: g.Now()})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if mutes != nil {
		for i, r := range mutes.Rules {
			g.Logger().Info("mutelist rule applied", "mutelist", mutes.Path, "rule", r.Label(), "line", r.Line,
				"suppressed", a.SuppressedBy[i], "live", r.Live(g.Now()))
		}
	}
	return a, st, nil
}

// assessed is a snapshot run through graph, signals, features and model.
type assessed struct {
	Snapshot  inventory.Snapshot
	Model     *model.Model
	ModelName string
	// Feeds are the exploitation feeds the snapshot's findings needed,
	// none when it has no CVE findings.
	Feeds []report.Feed
	*assess.Result
}

// assessSnapshot loads the snapshot and scores it.
func assessSnapshot(ctx context.Context, st *store.Store, snapshotID, modelPath string, opts assess.Options) (*assessed, error) {
	snap, err := snapshotOf(ctx, st, snapshotID)
	if err != nil {
		return nil, err
	}
	m, name, err := loadModel(modelPath)
	if err != nil {
		return nil, err
	}
	rs, err := st.Resources(ctx, snap.ID)
	if err != nil {
		return nil, err
	}
	opts.Exploitation, err = assess.Exploitation(ctx, st, rs)
	if err != nil {
		return nil, err
	}
	res, err := assess.RunWith(rs, snap.Gaps, m, snap.Finished, opts)
	if err != nil {
		return nil, fmt.Errorf("score snapshot %s with %s: %w", snap.ID, name, err)
	}
	a := &assessed{Snapshot: snap, Model: m, ModelName: name, Result: res}
	if opts.Exploitation.CVEs > 0 {
		a.Feeds = []report.Feed{{Name: "KEV", Date: opts.Exploitation.KEVDate}, {Name: "EPSS", Date: opts.Exploitation.EPSSDate}}
	}
	return a, nil
}

// buildReport turns an assessment into the exporters' input.
func buildReport(g *Global, a *assessed) report.Report {
	r := report.Report{
		Tool:      report.Tool{Name: "posture", Version: Version},
		Generated: g.Now().UTC(),
		Snapshot:  a.Snapshot,
		Model:     modelInfo(a.Model, a.ModelName),
		Feeds:     a.Feeds,
	}
	for _, as := range a.Assessments {
		r.Items = append(r.Items, report.NewItem(as))
	}
	for _, u := range a.Unscored {
		r.Unscored = append(r.Unscored, report.NewUnscoredItem(u.Resource, u.Signals))
	}
	r.Sort()
	return r
}

// outFile is where a report goes: stdout, or a file that appears whole or
// not at all (written beside its destination, then renamed over it), so a
// failed or interrupted export never leaves half a report for the next
// tool to ingest.
type outFile struct {
	io.Writer
	tmp  *os.File
	path string
}

// createOut opens --out, or stdout when empty or "-".
func createOut(g *Global, path string) (*outFile, error) {
	if path == "" || path == "-" {
		return &outFile{Writer: g.Out}, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create report file %s: %w", path, err)
	}
	return &outFile{Writer: tmp, tmp: tmp, path: path}, nil
}

// Commit moves the finished report into place.
func (o *outFile) Commit() error {
	if o.tmp == nil {
		return nil
	}
	if err := o.tmp.Sync(); err != nil {
		o.Discard()
		return fmt.Errorf("write report file %s: %w", o.path, err)
	}
	if err := o.tmp.Close(); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("write report file %s: %w", o.path, err)
	}
	if err := os.Rename(o.tmp.Name(), o.path); err != nil {
		os.Remove(o.tmp.Name())
		return fmt.Errorf("write report file %s: %w", o.path, err)
	}
	return nil
}

// Discard drops an unfinished report; the previous file, if any, stays.
func (o *outFile) Discard() {
	if o.tmp != nil {
		o.tmp.Close()
		os.Remove(o.tmp.Name())
	}
}

// modelInfo describes the model for reports.
func modelInfo(m *model.Model, name string) report.ModelInfo {
	return report.ModelInfo{
		ID:            name + " (" + m.ID() + ")",
		Kind:          m.Kind,
		SchemaVersion: m.SchemaVersion,
		SchemaHash:    m.SchemaHash,
		TrainedOn:     fmt.Sprintf("%s, %d rows, seed %d", m.Provenance.Source, m.Provenance.Rows, m.Provenance.Seed),
		Trained:       m.Provenance.Trained,
	}
}
