package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/posture-dev/posture/features"
)

// TestREADMEIsTrue keeps the README's command reference and signal table in
// step with the code: every command, every flag and every signal id must be
// documented there.
func TestREADMEIsTrue(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, want := range []string{"make demo", "make test"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
	root := NewRootCommand(&Global{})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c != root && c.Runnable() && !strings.Contains(readme, "posture "+strings.TrimPrefix(c.CommandPath(), "posture ")) {
			t.Errorf("README does not document %q", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" && !strings.Contains(readme, "--"+f.Name) {
				t.Errorf("README does not document %s --%s", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, d := range features.Catalogue() {
		if !strings.Contains(readme, "`"+string(d.ID)+"`") {
			t.Errorf("README's signal table lacks %s", d.ID)
		}
	}
}
