package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

func TestSecretInUserData(t *testing.T) {
	const id inventory.SignalID = "passwords.secret_in_user_data"
	key := inventory.SecretFinding{Detector: "private_key", Location: "user-data line 7", Fingerprint: "39303dab54d2e0c9"}
	pass := inventory.SecretFinding{Detector: "password_assignment", Location: "metadata startup-script line 3", Fingerprint: "ebcd17c4dd884576"}
	keys := []string{"detector", "location", "fingerprint", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"private key in user data", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.Secrets = []inventory.SecretFinding{key} })},
			[]hit{{Evidence: map[string]string{"detector": "private_key", "location": "user-data line 7", "fingerprint": "39303dab54d2e0c9"}}}},
		{"one signal per finding", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.Secrets = []inventory.SecretFinding{key, pass} })},
			[]hit{
				{Evidence: map[string]string{"detector": "private_key", "location": "user-data line 7", "fingerprint": "39303dab54d2e0c9"}},
				{Evidence: map[string]string{"detector": "password_assignment", "location": "metadata startup-script line 3", "fingerprint": "ebcd17c4dd884576"}},
			}},
		{"safe twin: user data without secrets", []inventory.Resource{instance("i-1", nil)}, nil},
		{"user data unreadable: unknown", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.SecretsUnknown = true })},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "user data or startup scripts could not be read"}}}},
		{"partly unreadable, secrets found: reported", []inventory.Resource{instance("i-1", func(in *inventory.Instance) {
			in.SecretsUnknown = true
			in.Secrets = []inventory.SecretFinding{key}
		})}, []hit{{Evidence: map[string]string{"detector": "private_key", "location": "user-data line 7", "fingerprint": "39303dab54d2e0c9"}}}},
		{"instance attributes missing: unknown", []inventory.Resource{res("i-1", inventory.KindInstance)},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "instance attributes not collected"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", id, keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestSecretInFunctionEnvironment(t *testing.T) {
	const id inventory.SignalID = "passwords.secret_in_user_data"
	pass := inventory.SecretFinding{Detector: "password_assignment", Location: "environment DB_PASSWORD", Fingerprint: "195827193687edc1"}
	fn := func(mut func(*inventory.Function)) inventory.Resource {
		r := res("fn-1", inventory.KindFunction)
		r.Function = &inventory.Function{Runtime: "python3.12", Role: "role-1", EnvKeys: []string{"DB_PASSWORD", "TABLE"}}
		if mut != nil {
			mut(r.Function)
		}
		return r
	}
	keys := []string{"detector", "location", "fingerprint", "missing"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"password in the environment", []inventory.Resource{fn(func(f *inventory.Function) { f.Secrets = []inventory.SecretFinding{pass} })},
			[]hit{{Evidence: map[string]string{"detector": "password_assignment", "location": "environment DB_PASSWORD", "fingerprint": "195827193687edc1"}}}},
		{"safe twin: environment without secrets", []inventory.Resource{fn(nil)}, nil},
		{"environment unreadable: unknown", []inventory.Resource{fn(func(f *inventory.Function) { f.SecretsUnknown = true })},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "environment variables could not be read"}}}},
		{"function attributes missing: unknown", []inventory.Resource{res("fn-1", inventory.KindFunction)},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "function attributes not collected"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "fn-1", id, keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}
