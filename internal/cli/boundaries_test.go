package cli

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportBoundaries keeps each dependency in its one place (STYLE.md):
// each cloud's SDK in its collector, the GCS fake in the emulator, Badger
// in internal/store, gorgonia in model, cobra in internal/cli and cmd, and
// nothing but the standard library in internal/inventory.
func TestImportBoundaries(t *testing.T) {
	rules := []struct {
		prefix  string
		allowed []string
	}{
		{"github.com/aws/", []string{"collectors/aws/"}},
		{"cloud.google.com/", []string{"collectors/gcp/"}},
		{"google.golang.org/api", []string{"collectors/gcp/"}},
		{"github.com/Azure/", []string{"collectors/azure/"}},
		{"github.com/fsouza/fake-gcs-server", []string{"internal/emulator/"}},
		{"github.com/dgraph-io/", []string{"internal/store/"}},
		{"gorgonia.org/", []string{"model/"}},
		{"github.com/spf13/cobra", []string{"internal/cli/", "cmd/"}},
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(rel, "internal/inventory/") && strings.Contains(p, ".") {
				t.Errorf("%s imports %s: internal/inventory must import only the standard library", rel, p)
			}
			for _, r := range rules {
				if !strings.HasPrefix(p, r.prefix) {
					continue
				}
				ok := false
				for _, a := range r.allowed {
					ok = ok || strings.HasPrefix(rel, a)
				}
				if !ok {
					t.Errorf("%s imports %s: only %v may", rel, p, r.allowed)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
