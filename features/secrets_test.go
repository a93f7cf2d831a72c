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
