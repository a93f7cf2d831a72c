package features

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

func TestClearedBy(t *testing.T) {
	names := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, Current.Features[i].Name)
		}
		slices.Sort(out)
		return out
	}
	got := names(Current.ClearedBy("passwords.imdsv1_exposed"))
	want := []string{FIMDSv1, FIMDSv1Exposed, FSSRFAdminPath}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("requiring IMDSv2 clears %v, want %v", got, want)
	}
	if got := names(Current.ClearedBy("ports.public_database")); !slices.Equal(got, []string{FPublicDatabase}) {
		t.Errorf("public database fix clears %v", got)
	}
	if got := names(Current.ClearedBy("patches.eol_runtime")); !slices.Equal(got, []string{FEOLEngine}) {
		t.Errorf("moving a function to a supported runtime clears %v, want [%s]", got, FEOLEngine)
	}
	if got := names(Current.ClearedBy("patches.eol_engine")); !slices.Equal(got, []string{FEOLEngine}) {
		t.Errorf("upgrading a database engine clears %v, want [%s]", got, FEOLEngine)
	}
	want = []string{FInternetExposed, FExposedAdminRole, FExposedDataReach}
	slices.Sort(want)
	if got := names(Current.ClearedBy("ports.public_function_url")); !slices.Equal(got, want) {
		t.Errorf("closing a public function URL clears %v, want %v", got, want)
	}
	if got := Current.ClearedBy(""); len(got) != 0 {
		t.Errorf("the empty signal clears %v", got)
	}
	for name, sigs := range derivedClearedBy {
		if Current.Index(name) < 0 {
			t.Errorf("derivedClearedBy names unknown feature %s", name)
		}
		for _, s := range sigs {
			found := false
			for _, d := range Catalogue() {
				found = found || d.ID == s
			}
			if !found {
				t.Errorf("derivedClearedBy[%s] names unknown signal %s", name, s)
			}
		}
	}
}

// TestSetByAndFeeders: suppression clears what a signal sets directly, and
// a derived feature only through all of its feeders.
func TestSetByAndFeeders(t *testing.T) {
	names := func(idx []int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, Current.Features[i].Name)
		}
		return out
	}
	for _, tc := range []struct {
		sig  inventory.SignalID
		want []string
	}{
		{"passwords.imdsv1_exposed", []string{FIMDSv1Exposed}},
		{"privileges.exposed_admin_role", []string{FExposedAdminRole}},
		{"ports.public_function_url", nil},
		{"patches.eol_runtime", nil},
		{"patches.eol_engine", []string{FEOLEngine}},
		{"", nil},
	} {
		if diff := cmp.Diff(names(Current.SetBy(tc.sig)), tc.want); diff != "" {
			t.Errorf("SetBy(%q) (-got +want):\n%s", tc.sig, diff)
		}
	}

	for _, tc := range []struct {
		feature string
		want    []inventory.SignalID
	}{
		{FSSRFAdminPath, []inventory.SignalID{"passwords.imdsv1_exposed", "privileges.exposed_admin_role"}},
		{FIMDSv1, []inventory.SignalID{"passwords.imdsv1_exposed"}},
		{FHoldsAdminRole, []inventory.SignalID{"privileges.exposed_admin_role"}},
		{FInternetExposed, []inventory.SignalID{"ports.public_function_url"}},
		{FExposedAdminRole, []inventory.SignalID{"privileges.exposed_admin_role", "ports.public_function_url"}},
		{FEOLEngine, []inventory.SignalID{"patches.eol_engine", "patches.eol_runtime"}},
		{FAdminPortInternet, nil}, // set by its own signal only: not derived
		{FUnknownData, nil},
	} {
		if diff := cmp.Diff(Current.Feeders(Current.Index(tc.feature)), tc.want); diff != "" {
			t.Errorf("Feeders(%s) (-got +want):\n%s", tc.feature, diff)
		}
	}
	if got := Current.Feeders(-1); got != nil {
		t.Errorf("Feeders(-1) = %v, want nil", got)
	}
	if got := Current.Feeders(len(Current.Features)); got != nil {
		t.Errorf("Feeders(past the end) = %v, want nil", got)
	}
}
