// Package secrets finds credentials in text a scan reads but must not keep:
// instance user data, startup scripts, environment variables. It knows
// known formats (cloud keys, private keys, tokens, connection strings,
// credentials in URLs, password assignments) and flags long high-entropy
// values assigned to names that say "secret", "token", "key".
//
// A Finding says which detector matched, where, and a salted fingerprint of
// the matched value: the first 16 hex digits of HMAC-SHA256(salt, value).
// The same secret in two snapshots has the same fingerprint, so it can be
// followed (still there, moved, rotated) without being stored. The value
// itself never leaves Scan: it is not returned, not logged, not wrapped in
// an error.
package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Detector names, as Finding.Detector carries them.
const (
	AWSAccessKeyID         = "aws_access_key_id"
	AWSSecretAccessKey     = "aws_secret_access_key"
	PrivateKey             = "private_key"
	GCPServiceAccountKey   = "gcp_service_account_key"
	GitHubToken            = "github_token"
	GitLabToken            = "gitlab_token"
	SlackToken             = "slack_token"
	SlackWebhook           = "slack_webhook"
	GoogleAPIKey           = "google_api_key"
	AzureStorageAccountKey = "azure_storage_account_key"
	URLCredentials         = "url_credentials"
	PasswordAssignment     = "password_assignment"
	HighEntropyAssignment  = "high_entropy_assignment"
)

// Finding is one secret found in a text: never the secret itself.
type Finding struct {
	Detector string `json:"detector"`
	// Location is the caller's location and the line the secret starts
	// on: "user-data line 12".
	Location string `json:"location"`
	// Fingerprint is the first 16 hex digits of HMAC-SHA256(salt, secret).
	Fingerprint string `json:"fingerprint"`
}

// Fingerprint is the salted fingerprint of a value: the first 16 hex
// digits of HMAC-SHA256(salt, value). Without the salt it cannot be
// checked against a guess; with it, only a guess can be checked, the value
// cannot be recovered.
func Fingerprint(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// AccountSalt is the salt used when no store salt is given: derived from
// the account (AWS account id, GCP project). It is WEAKER than a random
// salt kept in the store: anyone who knows the account id can compute the
// fingerprint of a guessed secret and test it against a report, which
// matters for short or guessable passwords. Fingerprints made with it are
// stable for the account across stores.
func AccountSalt(account string) []byte {
	h := sha256.Sum256([]byte("posture secrets fingerprint salt v1\x00" + account))
	return h[:]
}

// MaxScan bounds the text Scan reads; what follows is not scanned.
const MaxScan = 1 << 20

// Entropy thresholds of the high-entropy check: a value of at least
// MinEntropyLen characters, with at least MinEntropyBits bits of Shannon
// entropy per character, assigned to a suspicious name.
const (
	MinEntropyLen  = 20
	MinEntropyBits = 3.5
)

// match is one candidate: the detector, the span of the whole match (for
// overlap) and the secret value to fingerprint.
type match struct {
	detector   string
	start, end int
	value      string
}

// detector finds candidates in text.
type detector struct {
	name string
	find func(text string) []match
}

// group returns a finder that reports capture group n of each match of re
// as the secret, with the whole match as its span; keep (optional) filters
// out values that are not secrets.
func group(name string, re *regexp.Regexp, n int, keep func(value, whole string) bool) detector {
	return detector{name: name, find: func(text string) []match {
		var out []match
		for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
			if m[2*n] < 0 {
				continue
			}
			v := text[m[2*n]:m[2*n+1]]
			if keep != nil && !keep(v, text[m[0]:m[1]]) {
				continue
			}
			out = append(out, match{detector: name, start: m[0], end: m[1], value: v})
		}
		return out
	}}
}

var (
	reAWSKeyID = regexp.MustCompile(`\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b`)
	// A 40-character secret assigned to a name that says so
	// (aws_secret_access_key, AWS_SECRET_KEY, SecretAccessKey …).
	reAWSSecret = regexp.MustCompile(`(?i)secret_?(?:access_?)?key["']?[ \t]*[:=][ \t]*["']?([A-Za-z0-9/+=]{40,})`)
	// A PEM private key block, to its END line (or the end of the text).
	rePrivateKey = regexp.MustCompile(`-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----(?s:.*?)(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\z)`)
	// A service-account key file's private_key, JSON-escaped.
	reGCPKey = regexp.MustCompile(`"private_key"\s*:\s*"(-----BEGIN [A-Z ]*PRIVATE KEY-----[^"]*)"`)
	reGitHub = regexp.MustCompile(`\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b`)
	reGitLab = regexp.MustCompile(`\b(glpat-[A-Za-z0-9_-]{20,})`)
	reSlack  = regexp.MustCompile(`\b(xox[abposr]-[A-Za-z0-9-]{10,})`)
	// Slack incoming webhooks carry their secret in the path.
	reSlackHook = regexp.MustCompile(`https://hooks\.slack\.com/services/(T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,})`)
	reGoogleKey = regexp.MustCompile(`\b(AIza[0-9A-Za-z_-]{35})`)
	reAzureKey  = regexp.MustCompile(`(?i)AccountKey=([A-Za-z0-9+/]{20,}={0,2})`)
	// scheme://user:password@host: the password is the secret.
	reURLCreds = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@'"]+:([^\s@/'"]+)@[A-Za-z0-9._\[\]-]+`)
	// name=value or name: value where the name ends in password, passwd,
	// pwd or pass (DB_PASSWORD=…, --admin-password=…, "password": "…").
	// A bare "pass" or "pwd" counts only after a separator (DB_PASS,
	// db-pwd): PWD and OLDPWD are the shell's working directories.
	rePassword = regexp.MustCompile(`(?i)\b(?:[A-Za-z0-9_.-]*(?:password|passwd|passwort)|[A-Za-z0-9.-]*[_.-](?:pass|pwd))["']?[ \t]*(?::|=|:=)[ \t]*("[^"\n]*"|'[^'\n]*'|[^\s;&|,}'"]+)`)
	// name=value where the name says secret, token, key or credential;
	// the entropy of the value decides.
	reSuspicious = regexp.MustCompile(`(?i)\b[A-Za-z0-9_.-]*(?:secret|token|api_?key|apikey|auth|credential|private_?key|access_?key|signing_?key|client_?key)["']?[ \t]*(?::|=|:=)[ \t]*["']?([A-Za-z0-9+/=_.~-]{20,})`)
)

// catalogue is the detectors, most specific first: a later detector's
// match that overlaps an earlier one's is dropped (a service-account key
// is not also a bare private key block, a URL's password not also a
// password assignment). literal selects the placeholder rules; see
// ScanLiteral.
func catalogue(literal bool) []detector {
	placeholder := func(v string) bool { return isPlaceholder(v, literal) }
	return []detector{
		group(GCPServiceAccountKey, reGCPKey, 1, nil),
		group(PrivateKey, rePrivateKey, 0, nil),
		group(AWSAccessKeyID, reAWSKeyID, 1, nil),
		group(AWSSecretAccessKey, reAWSSecret, 1, func(v, _ string) bool { return len(strings.TrimRight(v, "=")) == 40 || len(v) == 40 }),
		group(GitHubToken, reGitHub, 1, nil),
		group(GitLabToken, reGitLab, 1, nil),
		group(SlackWebhook, reSlackHook, 1, nil),
		group(SlackToken, reSlack, 1, nil),
		group(GoogleAPIKey, reGoogleKey, 1, nil),
		group(AzureStorageAccountKey, reAzureKey, 1, nil),
		group(URLCredentials, reURLCreds, 1, func(v, _ string) bool { return !placeholder(v) }),
		group(PasswordAssignment, rePassword, 1, func(v, _ string) bool {
			// An unquoted value that calls or indexes something is code
			// reading the password from elsewhere (os.environ["X"],
			// getenv("X")), not the password.
			if unquote(v) == v && strings.ContainsAny(v, "([{") {
				return false
			}
			return !placeholder(unquote(v))
		}),
		group(HighEntropyAssignment, reSuspicious, 1, func(v, _ string) bool {
			return !placeholder(v) && len(v) >= MinEntropyLen && Entropy(v) >= MinEntropyBits
		}),
	}
}

// Scan returns the secrets found in text, in the order of their lines;
// location names the text ("user-data", "metadata startup-script") and
// each finding's Location adds the line. Fingerprints are keyed by salt.
// The same secret found twice on a line by one detector is one finding.
//
// Scan reads text as a script or template might be read — user data,
// startup scripts — where something expands "$X", "${X}", "$(…)" and
// "{{ … }}": a value that starts so refers to a secret kept elsewhere and
// is not reported. So is a YAML or CloudFormation tag (password: !Ref
// DbPassword), but not any other value starting with "!" (a non-interactive
// shell expands no "!").
func Scan(text, location string, salt []byte) []Finding {
	return scan(text, location, salt, false)
}

// ScanLiteral is Scan for text nothing expands: a Lambda environment value,
// a Compute Engine custom metadata value. "$", "!" and "{{" are password
// characters there, so "$9xKq2!pLm" is reported. Only a value that is
// wholly a reference — "${NAME}", "$(…)", "{{ … }}", or "$NAME" in
// environment-variable capitals — still counts as one, since applications
// (Spring, templating entrypoints) expand those themselves and no secret
// has their shape.
func ScanLiteral(text, location string, salt []byte) []Finding {
	return scan(text, location, salt, true)
}

func scan(text, location string, salt []byte, literal bool) []Finding {
	if len(text) > MaxScan {
		text = text[:MaxScan]
	}
	var kept []match
	for _, d := range catalogue(literal) {
		for _, m := range d.find(text) {
			if m.value == "" || overlaps(kept, m) {
				continue
			}
			kept = append(kept, m)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].start < kept[j].start })
	var out []Finding
	seen := map[Finding]bool{}
	for _, m := range kept {
		line := 1 + strings.Count(text[:m.start], "\n")
		f := Finding{Detector: m.detector, Location: location + " line " + strconv.Itoa(line),
			Fingerprint: Fingerprint(salt, unquote(m.value))}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func overlaps(kept []match, m match) bool {
	for _, k := range kept {
		if m.start < k.end && k.start < m.end {
			return true
		}
	}
	return false
}

// unquote strips one pair of matching quotes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

var (
	// A YAML or CloudFormation tag: !Ref, !Sub, !GetAtt, !!str.
	reYAMLTag = regexp.MustCompile(`^!!?[A-Za-z][A-Za-z0-9:]*$`)
	// A value that is wholly a reference even where nothing expands it.
	reWholeRef = regexp.MustCompile(`^(?:\$\{[^{}]+\}|\$\([^()]+\)|\{\{[^{}]+\}\}|\$[A-Z_][A-Z0-9_]*)$`)
)

// isPlaceholder reports whether a value only refers to a secret kept
// elsewhere, or is empty: a shell or template variable ($DB_PASS,
// ${DB_PASS}, $(cat …), {{ .Pass }}, <password>, %(pass)s), a YAML tag
// (!Ref DbPassword), a masked value (****), or a value too short to be
// one. In literal text only a whole reference counts (see ScanLiteral).
func isPlaceholder(v string, literal bool) bool {
	v = strings.TrimSpace(v)
	switch {
	case len(v) < 4:
		return true
	case literal && reWholeRef.MatchString(v):
		return true
	case !literal && (strings.HasPrefix(v, "$") || strings.HasPrefix(v, "{{") || reYAMLTag.MatchString(v)):
		return true
	case strings.HasPrefix(v, "%("),
		strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"),
		strings.Trim(v, "*xX.") == "":
		return true
	}
	switch strings.ToLower(v) {
	case "null", "none", "true", "false", "empty", "required", "optional", "string", "secret":
		return true
	}
	return false
}

// Entropy is the Shannon entropy of s in bits per character.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}
