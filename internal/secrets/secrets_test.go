package secrets

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var salt = []byte("test salt")

// The planted secrets are fake: well-formed for their detector, and
// saying so (EXAMPLE, FAKE) to anyone who reads them.
const (
	fakeKeyID     = "AKIAIOSFODNN7EXAMPLE"
	fakeSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	fakePEMBody   = "MIIEowIBAAKCAQEAFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE\nFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE=="
	fakePEM       = "-----BEGIN RSA PRIVATE KEY-----\n" + fakePEMBody + "\n-----END RSA PRIVATE KEY-----"
	fakeGitHub    = "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0000"
	fakeGitHubPAT = "github_pat_11FAKEFAKE0000000000000_FAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKEfake0000000000"
	fakeGitLab    = "glpat-FAKEfakeFAKEfake0000"
	fakeSlack     = "xoxb-000000000000-0000000000000-FAKEfakeFAKEfakeFAKEfake"
	fakeHook      = "T00000000/B00000000/FAKEfakeFAKEfakeFAKEfake"
	fakeGoogle    = "AIzaFAKEfakeFAKEfakeFAKEfakeFAKEfake000"
	fakeSAKey     = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANFAKEFAKEFAKEFAKE\n-----END PRIVATE KEY-----\n`
	fakeAzureKey  = "RkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRUZBS0VGQUtFRkFLRQ=="
	fakeURLPass   = "FakeP4ssw0rdEXAMPLE"
	fakePassword  = "hunter2-FAKE"
	fakeToken     = "8f3Kq9ZxLm2Vb7Np4Rt6Yw1Hc5Jd0GsFAKE"
)

func TestScan(t *testing.T) {
	type want struct {
		detector, location, value string
	}
	tests := []struct {
		name string
		text string
		want []want
	}{
		{"aws key pair", "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=" + fakeKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + fakeSecretKey + "\n",
			[]want{{AWSAccessKeyID, "ud line 2", fakeKeyID}, {AWSSecretAccessKey, "ud line 3", fakeSecretKey}}},
		{"aws credentials file", "[default]\naws_access_key_id = " + fakeKeyID + "\naws_secret_access_key = " + fakeSecretKey,
			[]want{{AWSAccessKeyID, "ud line 2", fakeKeyID}, {AWSSecretAccessKey, "ud line 3", fakeSecretKey}}},
		{"private key block", "write_files:\n- content: |\n" + fakePEM + "\n",
			[]want{{PrivateKey, "ud line 3", fakePEM}}},
		{"openssh key unterminated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAFAKE",
			[]want{{PrivateKey, "ud line 1", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAFAKE"}}},
		{"service account json", `{"type": "service_account", "project_id": "p", "private_key_id": "0", "private_key": "` + fakeSAKey + `", "client_email": "x@p.iam.gserviceaccount.com"}`,
			[]want{{GCPServiceAccountKey, "ud line 1", fakeSAKey}}},
		{"github token", "git clone https://github.com/acme/app\nGITHUB_TOKEN=" + fakeGitHub,
			[]want{{GitHubToken, "ud line 2", fakeGitHub}}},
		{"github fine-grained token", "token: " + fakeGitHubPAT,
			[]want{{GitHubToken, "ud line 1", fakeGitHubPAT}}},
		{"gitlab token", "curl -H 'PRIVATE-TOKEN: " + fakeGitLab + "' https://gitlab.example.com",
			[]want{{GitLabToken, "ud line 1", fakeGitLab}}},
		{"slack token", "SLACK=" + fakeSlack, []want{{SlackToken, "ud line 1", fakeSlack}}},
		{"slack webhook", "curl -X POST https://hooks.slack.com/services/" + fakeHook,
			[]want{{SlackWebhook, "ud line 1", fakeHook}}},
		{"google api key", "maps_key = \"" + fakeGoogle + "\"", []want{{GoogleAPIKey, "ud line 1", fakeGoogle}}},
		{"azure connection string", "AZ=\"DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey=" + fakeAzureKey + ";EndpointSuffix=core.windows.net\"",
			[]want{{AzureStorageAccountKey, "ud line 1", fakeAzureKey}}},
		{"url credentials", "DATABASE_URL=postgres://app:" + fakeURLPass + "@db.internal.example:5432/app",
			[]want{{URLCredentials, "ud line 1", fakeURLPass}}},
		{"password assignment", "\n\nexport DB_PASSWORD=" + fakePassword + "\n", []want{{PasswordAssignment, "ud line 3", fakePassword}}},
		{"quoted password in json", `{"admin_password": "` + fakePassword + `"}`, []want{{PasswordAssignment, "ud line 1", fakePassword}}},
		{"password flag", "mysql --password=" + fakePassword + " -h db", []want{{PasswordAssignment, "ud line 1", fakePassword}}},
		{"high entropy token", "API_TOKEN=" + fakeToken, []want{{HighEntropyAssignment, "ud line 1", fakeToken}}},
		{"same secret twice on a line", "A_PASS=" + fakePassword + " B_PASS=" + fakePassword,
			[]want{{PasswordAssignment, "ud line 1", fakePassword}}},

		// Near misses: look like secrets, are not.
		{"key id too short", "AKIAIOSFODNN7EXAMPL", nil},
		{"key id inside a word", "XAKIAIOSFODNN7EXAMPLEX", nil},
		// Not an AWS secret key, but a high-entropy value all the same.
		{"secret key not 40 chars", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG",
			[]want{{HighEntropyAssignment, "ud line 1", "wJalrXUtnFEMI/K7MDENG"}}},
		{"secret key placeholder", "aws_secret_access_key = YOUR_SECRET_KEY", nil},
		{"public key block", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----", nil},
		{"certificate", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----", nil},
		{"github token too short", "ghp_FAKEfake", nil},
		{"url without password", "postgres://app@db.internal.example:5432/app", nil},
		{"url with port", "https://example.com:8443/path", nil},
		{"url with variable password", "postgres://app:${DB_PASS}@db.internal.example/app", nil},
		{"password from variable", "DB_PASSWORD=$DB_PASSWORD_FROM_SSM", nil},
		{"password from command", "DB_PASSWORD=$(aws ssm get-parameter --name db)", nil},
		{"password template", "password: {{ .Values.db.password }}", nil},
		{"password empty", "DB_PASSWORD=\nDB_PASSWORD=''", nil},
		{"password masked", "password: ********", nil},
		{"password from code", `password = os.environ["DB_PASSWORD"]`, nil},
		{"password file path name", "DB_PASSWORD_FILE=/run/secrets/db", nil},
		{"shell working directory", "PWD=/home/ubuntu\nOLDPWD=/root", nil},
		{"bypass", "bypass=localhost,127.0.0.1", nil},
		{"low entropy token", "API_TOKEN=aaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil},
		{"short token", "API_TOKEN=abc123", nil},
		{"high entropy with a plain name", "CHECKSUM=8f3Kq9ZxLm2Vb7Np4Rt6Yw1Hc5Jd0Gs", nil},
		{"plain script", "#!/bin/bash\nyum install -y nginx\nsystemctl enable --now nginx\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Scan(tt.text, "ud", salt)
			var want []Finding
			for _, w := range tt.want {
				want = append(want, Finding{Detector: w.detector, Location: w.location, Fingerprint: Fingerprint(salt, w.value)})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Scan(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// TestScanLiteral reads each text both as a script (Scan) and as a value
// nothing expands (ScanLiteral: Lambda environments, Compute Engine custom
// metadata, scanned as NAME="value").
func TestScanLiteral(t *testing.T) {
	type want struct {
		detector, location, value string
	}
	pw := func(v string) []want { return []want{{PasswordAssignment, "env line 1", v}} }
	tests := []struct {
		name            string
		text            string
		script, literal []want
	}{
		// A non-interactive shell expands no "!": a secret either way.
		{"password starting with !", `DB_PASSWORD="!Xk29#qLp7vW"`, pw("!Xk29#qLp7vW"), pw("!Xk29#qLp7vW")},
		{"unquoted password starting with !", `DB_PASSWORD=!Xk29#qLp7vW`, pw("!Xk29#qLp7vW"), pw("!Xk29#qLp7vW")},
		// A shell expands "$9": only where nothing does is it the password.
		{"password starting with $", `DB_PASSWORD="$9xKq2!pLm"`, nil, pw("$9xKq2!pLm")},
		{"password starting with $ and a lower-case letter", `DB_PASSWORD="$ecretPass1"`, nil, pw("$ecretPass1")},
		{"password starting with {{", `DB_PASSWORD="{{x9Qk!"`, nil, pw("{{x9Qk!")},
		{"metadata key and value", `db-password="S3cr3tValue!2024"`, pw("S3cr3tValue!2024"), pw("S3cr3tValue!2024")},
		{"metadata as YAML", `db-password: S3cr3tValue!2024`, pw("S3cr3tValue!2024"), pw("S3cr3tValue!2024")},
		// The value alone has no name to say it is a password.
		{"metadata value alone", `S3cr3tValue!2024`, nil, nil},
		// References: no secret has these shapes, literal or not.
		{"YAML tag", "password: !Ref DbPassword", nil, pw("!Ref")},
		{"braced variable", `DB_PASSWORD="${DB_PASSWORD}"`, nil, nil},
		{"command substitution", `DB_PASSWORD="$(cat /run/secrets/db)"`, nil, nil},
		{"environment variable", `DB_PASSWORD="$DB_PASSWORD_FROM_SSM"`, nil, nil},
		{"template", `DB_PASSWORD="{{ .Values.db.password }}"`, nil, nil},
		{"angle brackets", `DB_PASSWORD="<password>"`, nil, nil},
		{"masked", `DB_PASSWORD="********"`, nil, nil},
		{"url with braced password", `DATABASE_URL="postgres://app:${DB_PASS}@db.internal.example/app"`, nil, nil},
		{"url with password starting with $", `DATABASE_URL="postgres://app:$9xKq2!pLm@db.internal.example/app"`,
			nil, []want{{URLCredentials, "env line 1", "$9xKq2!pLm"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []struct {
				name string
				scan func(text, location string, salt []byte) []Finding
				want []want
			}{{"Scan", Scan, tt.script}, {"ScanLiteral", ScanLiteral, tt.literal}} {
				got := mode.scan(tt.text, "env", salt)
				var want []Finding
				for _, w := range mode.want {
					want = append(want, Finding{Detector: w.detector, Location: w.location, Fingerprint: Fingerprint(salt, w.value)})
				}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("%s(%q) (-got +want):\n%s", mode.name, tt.text, diff)
				}
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint([]byte("salt-a"), fakePassword)
	tests := []struct {
		name      string
		got, want string
		same      bool
	}{
		{"stable", Fingerprint([]byte("salt-a"), fakePassword), a, true},
		{"salted", Fingerprint([]byte("salt-b"), fakePassword), a, false},
		{"value", Fingerprint([]byte("salt-a"), fakePassword+"x"), a, false},
		{"account salt", Fingerprint(AccountSalt("111122223333"), fakePassword), Fingerprint(AccountSalt("111122223334"), fakePassword), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) != 16 {
				t.Errorf("fingerprint %q: %d characters, want 16", tt.got, len(tt.got))
			}
			if (tt.got == tt.want) != tt.same {
				t.Errorf("fingerprint %q vs %q: same = %v, want %v", tt.got, tt.want, tt.got == tt.want, tt.same)
			}
		})
	}
}

// TestFindingsHoldNoSecret: nothing a finding carries contains the value.
func TestFindingsHoldNoSecret(t *testing.T) {
	text := strings.Join([]string{"AWS_ACCESS_KEY_ID=" + fakeKeyID, "AWS_SECRET_ACCESS_KEY=" + fakeSecretKey, fakePEM,
		"T=" + fakeGitHub, "DB_PASSWORD=" + fakePassword, "API_TOKEN=" + fakeToken}, "\n")
	got := Scan(text, "ud", salt)
	if len(got) != 6 {
		t.Fatalf("Scan found %d secrets, want 6: %v", len(got), got)
	}
	for _, f := range got {
		for _, v := range []string{fakeKeyID, fakeSecretKey, fakePEMBody, fakeGitHub, fakePassword, fakeToken} {
			if strings.Contains(f.Detector+f.Location+f.Fingerprint, v) {
				t.Errorf("finding %+v holds a secret", f)
			}
		}
	}
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"", 0}, {"aaaa", 0}, {"abab", 1}, {"abcd", 2},
	}
	for _, tt := range tests {
		if got := Entropy(tt.in); got != tt.want {
			t.Errorf("Entropy(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
