package features

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestCatalogue(t *testing.T) {
	inSchema := map[inventory.SignalID]bool{}
	for _, f := range Current.Features {
		if f.Signal != "" {
			inSchema[f.Signal] = true
		}
	}
	// A signal that sets a feature besides its Signal (a function's
	// eol_runtime sets eol_engine) is listed where its fix clears it.
	for _, sigs := range derivedClearedBy {
		for _, id := range sigs {
			inSchema[id] = true
		}
	}
	cisID := regexp.MustCompile(`^\d+(\.\d+)+$`)
	seen := map[inventory.SignalID]bool{}
	for _, d := range Catalogue() {
		t.Run(string(d.ID), func(t *testing.T) {
			if seen[d.ID] {
				t.Errorf("id %s is not unique", d.ID)
			}
			seen[d.ID] = true
			if !inSchema[d.ID] && ReportOnly[d.ID] == "" {
				t.Errorf("id %s is neither a schema signal nor documented in ReportOnly", d.ID)
			}
			if inSchema[d.ID] && ReportOnly[d.ID] != "" {
				t.Errorf("id %s is in the schema and in ReportOnly", d.ID)
			}
			if strings.TrimSpace(d.Title) == "" {
				t.Errorf("id %s has no title", d.ID)
			}
			if !strings.HasPrefix(string(d.ID), string(d.Pillar)+".") {
				t.Errorf("id %s does not start with its pillar %q", d.ID, d.Pillar)
			}
			switch d.Severity {
			case inventory.SevLow, inventory.SevMedium, inventory.SevHigh, inventory.SevCritical:
			default:
				t.Errorf("id %s has severity %q", d.ID, d.Severity)
			}
			for _, c := range append(append(append([]string(nil), d.CIS...), d.CISGCP...), d.CISAzure...) {
				if !cisID.MatchString(c) {
					t.Errorf("id %s has malformed CIS id %q", d.ID, c)
				}
			}
			if len(d.Kinds) == 0 || d.Detect == nil {
				t.Errorf("id %s has no kinds or no Detect", d.ID)
			}
		})
	}
	t.Run("every schema signal has a detector", func(t *testing.T) {
		for id := range inSchema {
			if !seen[id] {
				t.Errorf("schema names signal %s that no detector emits", id)
			}
		}
		for id := range ReportOnly {
			if !seen[id] {
				t.Errorf("ReportOnly names %s that no detector emits", id)
			}
		}
	})
}

func TestDetectDeterministic(t *testing.T) {
	estate := append(replace(publicEstate(), instance("i-1", func(in *inventory.Instance) {
		in.Metadata.TokensRequired = false
		in.ImageCreated = now.AddDate(-1, 0, 0)
	})), firewall("sg-2", sgRule("tcp", 3389, 3389, "0.0.0.0/0")))
	first := Detect(NewGraph(estate, nil), now)
	// Same resources in another order must give the same answer.
	rev := append([]inventory.Resource(nil), estate...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	second := Detect(NewGraph(rev, nil), now)
	if diff := cmp.Diff(second, first); diff != "" {
		t.Errorf("Detect depends on input order (-got +want):\n%s", diff)
	}
	var ids []inventory.SignalID
	for _, s := range first["i-1"] {
		ids = append(ids, s.ID)
	}
	want := []inventory.SignalID{"ports.admin_port_internet", "passwords.imdsv1_exposed", "patches.image_age"}
	if diff := cmp.Diff(ids, want); diff != "" {
		t.Errorf("signal order on i-1 (-got +want):\n%s", diff)
	}
	if s := first["i-1"][0]; s.Pillar != inventory.Ports || s.Severity != inventory.SevHigh || s.Title == "" || s.Resource != "i-1" {
		t.Errorf("signal metadata not filled: %+v", s)
	}
}
