package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// Key prefixes; see the package documentation for the layout.
var (
	keyFormat  = []byte("meta/format")
	prefixSnap = []byte("snap/")
	prefixPend = []byte("pend/")
)

func snapKey(id string) []byte { return []byte("snap/" + id) }
func pendKey(id string) []byte { return []byte("pend/" + id) }

// dataPrefix holds everything a snapshot owns.
func dataPrefix(id string) []byte { return []byte("data/" + id + "/") }

func resPrefix(id string) []byte { return []byte("data/" + id + "/res/") }

func resKindPrefix(id string, k inventory.Kind) []byte {
	return []byte("data/" + id + "/res/" + string(k) + "/")
}

func resKey(id string, k inventory.Kind, resourceID string) []byte {
	return []byte("data/" + id + "/res/" + string(k) + "/" + resourceID)
}

// kindOfResKey returns the kind part of a key under resPrefix(id).
func kindOfResKey(key []byte, prefixLen int) inventory.Kind {
	rest := key[prefixLen:]
	for i, c := range rest {
		if c == '/' {
			return inventory.Kind(rest[:i])
		}
	}
	return inventory.Kind(rest)
}

func asmPrefix(id, model string) []byte {
	return []byte("data/" + id + "/asm/" + model + "/")
}

func asmEntryPrefix(id, model string) []byte {
	return []byte("data/" + id + "/asm/" + model + "/r/")
}

func asmEntryKey(id, model, resourceID string) []byte {
	return []byte("data/" + id + "/asm/" + model + "/r/" + resourceID)
}

func asmSetKey(id, model string) []byte {
	return []byte("data/" + id + "/asm/" + model + "/set")
}

// idLayout is fixed-width, so ids sort as their times do.
const idLayout = "20060102T150405.000000Z"

// newID is a time-sortable snapshot id: "20261123T132354.123456Z-ab12".
func newID(t time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return t.UTC().Format(idLayout) + "-" + hex.EncodeToString(b[:])
}

// validID rejects ids that could not have been generated and that would
// reach into other keys ("x/res/…").
func validID(id string) bool {
	return id != "" && !strings.ContainsAny(id, "/\x00")
}

func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, ErrNotFound)
}
