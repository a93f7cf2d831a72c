package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// File format: one JSON object
//
//	{"format": "posture-model", "format_version": 1, "sha256": "<hex>", "model": {…}}
//
// where sha256 is taken over the compact JSON encoding of "model"
// (json.Compact), so re-indenting the file keeps it valid and any change of
// a value does not.
const (
	FileFormat        = "posture-model"
	FileFormatVersion = 1
	maxFileSize       = 64 << 20
)

// Errors a caller can test for with errors.Is.
var (
	ErrNotModelFile   = errors.New("not a posture model file")
	ErrTruncated      = errors.New("model file is truncated")
	ErrChecksum       = errors.New("model file checksum mismatch")
	ErrSchemaMismatch = errors.New("model feature schema mismatch")
)

type envelope struct {
	Format        string          `json:"format"`
	FormatVersion int             `json:"format_version"`
	SHA256        string          `json:"sha256"`
	Model         json.RawMessage `json:"model"`
}

// Save writes m in the posture-model format.
func (m *Model) Save(w io.Writer) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	sum := sha256.Sum256(body)
	out, err := json.MarshalIndent(envelope{
		Format:        FileFormat,
		FormatVersion: FileFormatVersion,
		SHA256:        hex.EncodeToString(sum[:]),
		Model:         body,
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode model file: %w", err)
	}
	if _, err := w.Write(append(out, '\n')); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// SaveFile writes m to path, through a temporary file renamed into place.
func (m *Model) SaveFile(path string) error {
	var buf bytes.Buffer
	if err := m.Save(&buf); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save model %s: %w", path, err)
	}
	return nil
}

// LoadFile reads a model file; errors name the path.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Load reads a model in the posture-model format, verifying its checksum
// and internal consistency. It does not check the feature schema: call
// Check before scoring.
func Load(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: larger than %d MiB", ErrNotModelFile, maxFileSize>>20)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrTruncated)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: content is not JSON (starts with %q)", ErrNotModelFile, head(trimmed))
	}
	var env envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) && syn.Offset >= int64(len(trimmed)) || err.Error() == "unexpected end of JSON input" {
			return nil, fmt.Errorf("%w: JSON ends after %d bytes", ErrTruncated, len(trimmed))
		}
		return nil, fmt.Errorf("%w: %v", ErrNotModelFile, err)
	}
	if env.Format != FileFormat {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrNotModelFile, env.Format, FileFormat)
	}
	if env.FormatVersion < 1 || env.FormatVersion > FileFormatVersion {
		return nil, fmt.Errorf("model file format version %d is not supported (this posture reads version %d)", env.FormatVersion, FileFormatVersion)
	}
	if len(env.Model) == 0 {
		return nil, fmt.Errorf("%w: no model in the file", ErrNotModelFile)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, env.Model); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotModelFile, err)
	}
	sum := sha256.Sum256(body.Bytes())
	if got := hex.EncodeToString(sum[:]); got != env.SHA256 {
		return nil, fmt.Errorf("%w: the file records sha256 %q but its model hashes to %q; it was modified or corrupted", ErrChecksum, env.SHA256, got)
	}
	var m Model
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("invalid model: %w", err)
	}
	return &m, nil
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

// ID identifies the model's content: its kind, schema hash and the first
// bytes of the SHA-256 of its encoding, e.g. "logreg-1a2b…-0f3e4d5c6b7a".
// Scores are stored per snapshot and model ID.
func (m *Model) ID() string {
	body, err := json.Marshal(m)
	if err != nil {
		return m.Kind + "-" + m.SchemaHash
	}
	sum := sha256.Sum256(body)
	return m.Kind + "-" + m.SchemaHash + "-" + hex.EncodeToString(sum[:6])
}
