package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
)

// small returns a hand-made model over features.Current.
func small() *Model {
	s := features.Current
	d := len(s.Features)
	m := &Model{
		Kind:          KindLogReg,
		SchemaVersion: s.Version,
		SchemaHash:    s.Hash(),
		FeatureNames:  s.Names(),
		Weights:       make([]float64, d),
		Bias:          -3,
		Mean:          make([]float64, d),
		Std:           make([]float64, d),
		Calibration:   Calibration{A: 1, B: 0},
		Provenance:    Provenance{Source: "test", Rows: 10, Positives: 2, Seed: 1, Trained: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		Metrics:       Metrics{Rows: 3, ROCAUC: 0.75, PRAUC: 0.5, Brier: 0.1, BaseRate: 1.0 / 3},
	}
	for i := range d {
		m.Std[i] = 1
	}
	m.Weights[s.Index(features.FAdminPortInternet)] = 2
	m.Weights[s.Index(features.FIMDSv1Exposed)] = 1
	m.Weights[s.Index(features.FUnknownData)] = 0.5
	m.Weights[s.Index(features.FScopeGap)] = -0.25
	return m
}

func saved(t *testing.T, m *Model) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSaveLoadRoundTrip(t *testing.T) {
	want := small()
	want.Weights[0] = 0.1 + 0.2 // a float that needs all its digits
	got, err := Load(bytes.NewReader(saved(t, want)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("round trip changed the model (-got +want):\n%s", diff)
	}
}

func TestLoadReindentedFile(t *testing.T) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, saved(t, small())); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(&buf); err != nil {
		t.Errorf("a re-indented file should load: %v", err)
	}
}

func TestLoadFileErrors(t *testing.T) {
	good := saved(t, small())
	dir := t.TempDir()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tests := []struct {
		name    string
		data    []byte
		wantErr error  // errors.Is target, or nil
		wantMsg string // substring of the message
	}{
		{"truncated", good[:len(good)/2], ErrTruncated, "truncated"},
		{"empty", nil, ErrTruncated, "empty"},
		{"tampered", bytes.Replace(good, []byte(`"bias": -3`), []byte(`"bias": 3`), 1), ErrChecksum, "modified or corrupted"},
		{"png", png, ErrNotModelFile, `\x89PNG`},
		{"random json", []byte(`{"name": "posture", "version": 2}`), ErrNotModelFile, `format is ""`},
		{"json array", []byte(`[1, 2, 3]`), ErrNotModelFile, "not JSON"},
		{"newer format", bytes.Replace(good, []byte(`"format_version": 1`), []byte(`"format_version": 9`), 1), nil, "format version 9 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q is not %v", err, tt.wantErr)
			}
			for _, s := range []string{path, tt.wantMsg} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: error %v should name the path", err)
	}
}

func TestLoadRejectsInconsistentModel(t *testing.T) {
	m := small()
	m.Std[3] = 0
	if _, err := Load(bytes.NewReader(saved(t, m))); err == nil || !strings.Contains(err.Error(), "std") {
		t.Errorf("zero std: error %v, want one about std", err)
	}
	m = small()
	m.Weights = m.Weights[:2]
	if _, err := Load(bytes.NewReader(saved(t, m))); err == nil {
		t.Error("short weights loaded")
	}
}

func TestCheckSchema(t *testing.T) {
	m := small()
	if err := m.Check(features.Current); err != nil {
		t.Errorf("matching schema: %v", err)
	}
	other := features.Schema{Version: features.Current.Version + "-next", Features: append([]features.Feature{{Name: "new_feature"}}, features.Current.Features...)}
	err := m.Check(other)
	if !errors.Is(err, ErrSchemaMismatch) {
		t.Fatalf("Check = %v, want ErrSchemaMismatch", err)
	}
	for _, s := range []string{strconv.Quote(features.Current.Version), strconv.Quote(other.Version), features.Current.Hash(), other.Hash()} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
}
