package aws

import (
	"encoding/json"
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
