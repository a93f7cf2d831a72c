package aws

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

const (
	web1 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web1exposed0000001"
	web2 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web2imdsv200000002"
	app1 = "arn:aws:ec2:us-east-1:111122223333:instance/i-0app0private000006"
)

// demoUserDataSecrets are the fake secrets planted in the demo estate's
// user data, by instance: detector and location.
var demoUserDataSecrets = map[string][]string{
	web1: {"aws_access_key_id user-data line 4", "aws_secret_access_key user-data line 5", "url_credentials user-data line 6"},
	// gzip'd user data.
	app1: {"private_key user-data line 7", "github_token user-data line 12"},
}

func secretsByInstance(rs []inventory.Resource) map[string][]string {
	out := map[string][]string{}
	for _, r := range rs {
		if r.Instance == nil {
			continue
		}
		for _, f := range r.Instance.Secrets {
			out[r.ID] = append(out[r.ID], f.Detector+" "+f.Location)
		}
	}
	return out
}

func instanceOf(t *testing.T, rs []inventory.Resource, id string) *inventory.Instance {
	t.Helper()
	for _, r := range rs {
		if r.ID == id && r.Instance != nil {
			return r.Instance
		}
	}
	t.Fatalf("instance %s not collected", id)
	return nil
}

func TestEC2UserDataSecrets(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{})
	if diff := cmp.Diff(demoUserDataSecrets, secretsByInstance(res.Resources)); diff != "" {
		t.Errorf("secrets by instance (-want +got):\n%s", diff)
	}
	// One call per live instance: 8 in us-east-1, 1 in eu-west-1.
	if got := srv.Requests("ec2", "DescribeInstanceAttribute"); got != 9 {
		t.Errorf("DescribeInstanceAttribute requests = %d, want 9", got)
	}
	for _, r := range res.Resources {
		if r.Instance != nil && r.Instance.SecretsUnknown {
			t.Errorf("%s: secrets unknown with no gap", r.ID)
		}
	}
	// Without Options.SecretSalt the account's salt keys the fingerprints.
	want := secrets.Fingerprint(secrets.AccountSalt("111122223333"), "AKIAIOSFODNN7EXAMPLE")
	if got := instanceOf(t, res.Resources, web1).Secrets[0].Fingerprint; got != want {
		t.Errorf("web-1 key id fingerprint = %s, want %s (account salt)", got, want)
	}
}

func TestEC2UserDataSalt(t *testing.T) {
	salt := []byte("store salt")
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{SecretSalt: salt})
	want := secrets.Fingerprint(salt, "AKIAIOSFODNN7EXAMPLE")
	if got := instanceOf(t, res.Resources, web1).Secrets[0].Fingerprint; got != want {
		t.Errorf("web-1 key id fingerprint = %s, want %s (Options.SecretSalt)", got, want)
	}
}

// TestEC2DeniedUserData: user data that cannot be read is a gap naming
// each instance, and the instance's secrets are unknown, not "none".
func TestEC2DeniedUserData(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "ec2", Action: "DescribeInstanceAttribute", Region: "us-east-1", Kind: emulator.FaultDenied},
	}}, Options{})
	var got []string
	for _, g := range gapsOf(res.Gaps, "ec2") {
		if g.Reason != inventory.GapAccessDenied || g.Operation != "DescribeInstanceAttribute" || g.Region != "us-east-1" {
			t.Errorf("gap %+v, want access_denied DescribeInstanceAttribute in us-east-1", g)
		}
		got = append(got, g.Resource)
	}
	if len(got) != 8 || !strings.Contains(strings.Join(got, " "), web1) {
		t.Errorf("gaps name %v, want the 8 instances of us-east-1", got)
	}
	for _, r := range res.Resources {
		if r.Instance == nil {
			continue
		}
		wantUnknown := r.Region == "us-east-1"
		if r.Instance.SecretsUnknown != wantUnknown || len(r.Instance.Secrets) != 0 {
			t.Errorf("%s: secrets unknown %v with %d findings, want unknown %v and none", r.ID, r.Instance.SecretsUnknown, len(r.Instance.Secrets), wantUnknown)
		}
	}
	// The rest of the instance is collected.
	if in := instanceOf(t, res.Resources, web1); in.ImageName == "" || in.Metadata == nil {
		t.Errorf("web-1 = %+v, want its image and metadata options", in)
	}
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeUserData(t *testing.T) {
	script := "#!/bin/sh\nexport DB_PASSWORD=hunter2-FAKE\n"
	big := bytes.Repeat([]byte("a"), maxUserData+10)
	b64 := base64.StdEncoding.EncodeToString
	zipped := gz(t, []byte(script))
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"none", "", "", false},
		{"plain", b64([]byte(script)), script, false},
		{"gzip", b64(zipped), script, false},
		{"not base64", "#!/bin/sh", "", true},
		{"gzip bomb", b64(gz(t, big)), string(big[:maxUserData]), true},
		{"truncated gzip", b64(zipped[:len(zipped)-6]), script, true},
		{"bad gzip", b64([]byte{0x1f, 0x8b, 0, 0}), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeUserData(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeUserData error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("decodeUserData = %d bytes, want %d", len(got), len(tt.want))
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q quotes the user data", err)
			}
		})
	}
	if _, err := decodeUserData(b64(gz(t, big))); !errors.Is(err, errUserDataTooLarge) {
		t.Errorf("gzip bomb: %v, want errUserDataTooLarge", err)
	}
}

// TestUserDataNeverCollected: the planted values are not in the result.
func TestUserDataNeverCollected(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{})
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FakeDemoPassw0rdEXAMPLE",
		"FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEDEMO", "ghp_FAKEdemoFAKEdemoFAKEdemoFAKEdemo0000", "nginx"} {
		if bytes.Contains(b, []byte(v)) {
			t.Errorf("%q (from user data) is in the collected resources", v)
		}
	}
}
