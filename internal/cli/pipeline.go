package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/report"
	"github.com/posture-dev/posture/internal/store"
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

// assessed is a snapshot run through graph, signals, features and model.
type assessed struct {
	Snapshot  inventory.Snapshot
	Model     *model.Model
	ModelName string
	*assess.Result
}

// assessSnapshot loads the snapshot and scores it.
func assessSnapshot(ctx context.Context, st *store.Store, snapshotID, modelPath string) (*assessed, error) {
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
	res, err := assess.Run(rs, snap.Gaps, m, snap.Finished)
	if err != nil {
		return nil, fmt.Errorf("score snapshot %s with %s: %w", snap.ID, name, err)
	}
	return &assessed{Snapshot: snap, Model: m, ModelName: name, Result: res}, nil
}

// countSignals counts the detected (not unknown) signals of a snapshot.
func countSignals(g *Global, st *store.Store, snap inventory.Snapshot) (int, error) {
	rs, err := st.Resources(context.Background(), snap.ID)
	if err != nil {
		return 0, err
	}
	return assess.CountSignals(rs, snap.Gaps, snap.Finished), nil
}

// buildReport turns an assessment into the exporters' input.
func buildReport(g *Global, a *assessed) report.Report {
	r := report.Report{
		Tool:      report.Tool{Name: "posture", Version: Version},
		Generated: g.Now().UTC(),
		Snapshot:  a.Snapshot,
		Model:     modelInfo(a.Model, a.ModelName),
	}
	for _, as := range a.Assessments {
		r.Items = append(r.Items, report.NewItem(as))
	}
	r.Sort()
	return r
}

// createOut opens --out, or stdout when empty or "-".
func createOut(g *Global, path string) (w *os.File, closeFn func() error, err error) {
	if path == "" || path == "-" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("create report file: %w", err)
	}
	return f, f.Close, nil
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
