package store

import (
	"errors"
	"strings"
	"testing"
)

// TestClassifyOpenError: only damaged files are "corrupt"; a full disk or a
// read-only file system must not tell an operator to throw the store away.
func TestClassifyOpenError(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		msg     string
		corrupt bool
		locked  bool
	}{
		{"Cannot acquire directory lock on \"/x\".  Another process is using this Badger database.: resource temporarily unavailable", false, true},
		{"manifest has bad magic", true, false},
		{"MANIFEST removed or corrupt: checksum mismatch", true, false},
		{"while opening memtables error: unexpected EOF", true, false},
		{"open /x/000001.vlog: no space left on device", false, false},
		{"open /x/MANIFEST: read-only file system", false, false},
		{"open /x/000001.sst: too many open files", false, false},
		{"open /x/LOCK: permission denied", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			err := classifyOpenError(dir, errors.New(tt.msg))
			if got := errors.Is(err, ErrCorrupt); got != tt.corrupt {
				t.Errorf("corrupt = %v, want %v (%v)", got, tt.corrupt, err)
			}
			if got := errors.Is(err, ErrLocked); got != tt.locked {
				t.Errorf("locked = %v, want %v (%v)", got, tt.locked, err)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("%q does not name the directory", err)
			}
		})
	}
}
