package aws

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
)

// TestLambdaSecretNeverCollected: the demo plants a fake password in
// orders-api's environment; it is found, and its value appears nowhere in
// what the scan returns.
func TestLambdaSecretNeverCollected(t *testing.T) {
	const planted = "Xq7-demo-Planted-Pw-9f3Kz2"
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), planted) {
		t.Errorf("the planted secret's value is in the collected result")
	}
	var found []string
	for _, r := range res.Resources {
		if r.Function != nil {
			for _, f := range r.Function.Secrets {
				found = append(found, r.Name+" "+f.Detector+" "+f.Location)
			}
		}
	}
	if diff := cmp.Diff(found, []string{"orders-api password_assignment environment DB_PASSWORD"}); diff != "" {
		t.Errorf("findings (-got +want):\n%s", diff)
	}
}

// TestLambdaPackageType: a container image has no runtime and says so in
// PackageType; a zip package keeps its runtime. eol_runtime reads an
// empty runtime as "no managed runtime" only for an image.
func TestLambdaPackageType(t *testing.T) {
	estate := map[string]string{
		"account.json": pagingEstate["account.json"],
		"lambda.json": `{"functions": [
			{"region": "us-east-1", "name": "zip", "runtime": "python3.12", "role": "r", "last_modified": "2026-01-01T00:00:00Z"},
			{"region": "us-east-1", "name": "image", "package_type": "Image", "role": "r", "last_modified": "2026-01-01T00:00:00Z"}
		]}`,
	}
	res, _ := scanEstate(t, writeEstate(t, estate), emulator.Options{}, Options{Regions: []string{"us-east-1"}})
	var got []string
	for _, r := range res.Resources {
		if r.Function != nil {
			got = append(got, r.Name+" runtime="+r.Function.Runtime+" package="+r.Function.PackageType)
		}
	}
	slices.Sort(got)
	want := []string{"image runtime= package=Image", "zip runtime=python3.12 package=Zip"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("functions (-got +want):\n%s", diff)
	}
}
