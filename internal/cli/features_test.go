package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/posture-dev/posture/features"
)

func TestFeaturesDoc(t *testing.T) {
	r := run(t, "features", "--doc")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	if !strings.Contains(r.out, features.Current.Hash()) {
		t.Errorf("the schema hash is not printed")
	}
	for _, f := range features.Current.Features {
		if !strings.Contains(r.out, f.Name) {
			t.Errorf("feature %s missing from the doc", f.Name)
		}
	}
	for _, d := range features.Catalogue() {
		if !strings.Contains(r.out, string(d.ID)) {
			t.Errorf("signal %s missing from the doc", d.ID)
		}
	}
	js := run(t, "features", "--doc", "--json")
	var doc struct {
		Schema  features.Schema
		Hash    string
		Signals []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(js.out), &doc); err != nil {
		t.Fatalf("--json: %v", err)
	}
	if doc.Hash != features.Current.Hash() || len(doc.Schema.Features) != len(features.Current.Features) || len(doc.Signals) != len(features.Catalogue()) {
		t.Errorf("--json does not carry the whole schema and catalogue: %+v", doc.Hash)
	}
	if r := run(t, "features"); r.code != ExitUsage {
		t.Errorf("features without --doc: exit %d, want usage", r.code)
	}
}
