package model

import (
	"context"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posture-dev/posture/features"
)

var updateModel = flag.Bool("update-model", false, "retrain and rewrite ../models/default.json and MODEL_CARD.md")

const (
	shippedModel = "../models/default.json"
	shippedCard  = "../models/MODEL_CARD.md"
	shippedSeed  = 1
)

func TestShippedModel(t *testing.T) {
	if *updateModel {
		m, err := TrainDefault(context.Background(), shippedSeed, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.SaveFile(shippedModel); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(shippedCard)
		if err != nil {
			t.Fatal(err)
		}
		cmp, err := DefaultComparison(m, shippedSeed)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.WriteCardWith(f, &cmp); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}

	m, err := LoadFile(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(features.Current); err != nil {
		t.Fatal(err)
	}

	// Twins differ from the risky vector in one fact; the model must rank
	// the risky one higher. Instances have a young image (3 months).
	s := features.Current
	vec := func(set ...string) []float64 {
		x := make([]float64, len(s.Features))
		for _, f := range set {
			j := s.Index(f)
			if j < 0 {
				t.Fatalf("schema has no feature %q", f)
			}
			x[j] = 1
		}
		return x
	}
	instance := func(set ...string) []float64 {
		x := vec(set...)
		x[s.Index(features.FImageAge)] = 0.25
		return x
	}
	// An admin role also reads every data store (schema 5), as the
	// extractor sets it.
	admin := []string{features.FHoldsAdminRole, features.FObtainablePriv}
	withData := func(x []float64) []float64 {
		if x[s.Index(features.FHoldsAdminRole)] == 1 {
			x[s.Index(features.FDataReach)] = 0.5
			x[s.Index(features.FExposedDataReach)] = x[s.Index(features.FInternetExposed)]
		}
		return x
	}
	toxic := withData(instance(append([]string{features.FInternetExposed, features.FIMDSv1, features.FIMDSv1Exposed, features.FExposedAdminRole,
		features.FSSRFAdminPath}, admin...)...))
	kev := func(set ...string) []float64 {
		x := instance(set...)
		x[s.Index(features.FMaxEPSS)] = 0.94
		return x
	}
	for _, tt := range []struct {
		risky, twin       string
		riskyVec, twinVec []float64
	}{
		{"exposed + IMDSv1 + admin role", "the same with IMDSv2", toxic,
			withData(instance(append([]string{features.FInternetExposed, features.FExposedAdminRole}, admin...)...))},
		{"exposed + IMDSv1 + admin role", "the same not exposed", toxic,
			withData(instance(append([]string{features.FIMDSv1}, admin...)...))},
		{"exposed + IMDSv1 + admin role", "the same without the admin role", toxic,
			instance(features.FInternetExposed, features.FIMDSv1, features.FIMDSv1Exposed)},
		{"exposed + IMDSv1 + admin role", "its safe twin (IMDSv2, no admin role)", toxic,
			instance(features.FInternetExposed)},
		{"exposed IMDSv1 instance with a secret in user data", "the same without",
			instance(features.FInternetExposed, features.FIMDSv1, features.FIMDSv1Exposed, features.FSecretInText),
			instance(features.FInternetExposed, features.FIMDSv1, features.FIMDSv1Exposed)},
		{"exposed instance with a KEV CVE (EPSS 0.94)", "the same without findings",
			kev(features.FInternetExposed, features.FKEVCVE, features.FCriticalVuln), instance(features.FInternetExposed)},
		{"queue or key whose policy admits anyone", "its twin pinned to the account",
			vec(features.FPublicResPolicy), vec()},
		{"public database reachable from the internet", "its private twin",
			vec(features.FPublicDatabase, features.FDBPortInternet, features.FInternetExposed), vec()},
		{"console user without MFA and an access key over 90 days", "its twin with MFA and a new key",
			vec(features.FConsoleNoMFA, features.FKeyOld), vec()},
	} {
		rr, rt := m.Predict(tt.riskyVec), m.Predict(tt.twinVec)
		t.Logf("%s %.4f > %s %.4f", tt.risky, rr, tt.twin, rt)
		if rr <= rt {
			t.Errorf("%s scores %.4f, %s %.4f: want higher", tt.risky, rr, tt.twin, rt)
		}
	}
}

// TestShippedModelReproducible retrains with the shipped seed and checks
// the file still matches the code that made it.
func TestShippedModelReproducible(t *testing.T) {
	shipped, err := LoadFile(shippedModel)
	if err != nil {
		t.Fatal(err)
	}
	m, err := TrainDefault(context.Background(), shippedSeed, func() time.Time { return shipped.Provenance.Trained })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, shipped, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("models/default.json is stale; run go test ./model -run TestShippedModel -update-model (-retrained +shipped):\n%s", diff)
	}
}
