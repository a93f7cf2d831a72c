package features

import (
	"slices"
	"testing"
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
	want = []string{FInternetExposed, FExposedAdminRole}
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
