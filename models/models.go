// Package models holds posture's trained model files (model/ is the code
// that trains and runs them). default.json is embedded in the binary so
// `posture score` works anywhere; MODEL_CARD.md says what it was trained on.
package models

import (
	"bytes"
	_ "embed"
	"io"
)

//go:embed default.json
var defaultModel []byte

// Default returns the shipped model file.
func Default() io.Reader { return bytes.NewReader(defaultModel) }
