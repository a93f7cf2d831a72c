package gcp

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

// TestMetadataSecrets: a custom metadata value is literal and scanned with
// its key as the name, so a password starting with "$" or "!" is found;
// a startup script is scanned as a script, where "$X" is a variable.
func TestMetadataSecrets(t *testing.T) {
	salt := []byte("test salt")
	tests := []struct {
		name, key, value string
		want             []inventory.SecretFinding
	}{
		{"custom key names a password", "db-password", "S3cr3tValue!2024",
			[]inventory.SecretFinding{{Detector: secrets.PasswordAssignment, Location: "metadata db-password line 1", Fingerprint: secrets.Fingerprint(salt, "S3cr3tValue!2024")}}},
		{"custom password starting with !", "DB_PASSWORD", "!Xk29#qLp7vW",
			[]inventory.SecretFinding{{Detector: secrets.PasswordAssignment, Location: "metadata DB_PASSWORD line 1", Fingerprint: secrets.Fingerprint(salt, "!Xk29#qLp7vW")}}},
		{"custom password starting with $", "db-password", "$9xKq2!pLm",
			[]inventory.SecretFinding{{Detector: secrets.PasswordAssignment, Location: "metadata db-password line 1", Fingerprint: secrets.Fingerprint(salt, "$9xKq2!pLm")}}},
		{"custom reference", "db-password", "${DB_PASSWORD}", nil},
		{"custom key names nothing", "app-mode", "S3cr3tValue!2024", nil},
		{"startup script variable", "startup-script", "#!/bin/bash\nDB_PASSWORD=\"$9xKq2!pLm\"\n", nil},
		{"startup script password", "startup-script", "#!/bin/bash\nexport DB_PASSWORD=\"!Xk29#qLp7vW\"\n",
			[]inventory.SecretFinding{{Detector: secrets.PasswordAssignment, Location: "metadata startup-script line 2", Fingerprint: secrets.Fingerprint(salt, "!Xk29#qLp7vW")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &computeProject{s: scope{Project: "p", SecretSalt: salt}}
			r, _ := c.instance(&computepb.Instance{
				Name: proto.String("vm"), Zone: proto.String("zones/us-east1-b"),
				Metadata: &computepb.Metadata{Items: []*computepb.Items{{Key: proto.String(tt.key), Value: proto.String(tt.value)}}},
			})
			if diff := cmp.Diff(r.Instance.Secrets, tt.want); diff != "" {
				t.Errorf("secrets (-got +want):\n%s", diff)
			}
		})
	}
}
