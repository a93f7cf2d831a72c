package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Estate is what the emulator serves, described in each cloud's own terms.
// An estate is a directory holding the AWS account (account.json and one
// file per service: ec2.json, iam.json, s3.json, rds.json; a missing
// service file means an empty service), and optionally a gcp/ and an
// azure/ directory, each read by that cloud's loader.
type Estate struct {
	AWS   AWSEstate
	GCP   *GCPEstate   // nil: the estate has no GCP part
	Azure *AzureEstate // nil: the estate has no Azure part
}

// AWSEstate is one AWS account.
type AWSEstate struct {
	Account AWSAccount
	EC2     EC2Estate
	IAM     IAMEstate
	S3      S3Estate
	RDS     RDSEstate
}

// AWSAccount is account.json.
type AWSAccount struct {
	ID string `json:"id"`
	// Caller is the ARN GetCallerIdentity returns; its partition
	// ("arn:aws-us-gov:…") is the partition of every ARN served.
	Caller string `json:"caller"`
	// Regions are the regions the account has; each with its opt-in status
	// ("opt-in-not-required", "opted-in", "not-opted-in").
	Regions []AWSRegion `json:"regions"`
}

// AWSRegion is one region of the account.
type AWSRegion struct {
	Name        string `json:"name"`
	OptInStatus string `json:"opt_in_status"`
}

//go:embed estates
var embedded embed.FS

// Embedded lists the estates built into the binary.
func Embedded() []string {
	entries, _ := fs.ReadDir(embedded, "estates")
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Load reads an estate: the name of an embedded one ("demo") or a directory.
func Load(nameOrDir string) (*Estate, error) {
	if st, err := os.Stat(nameOrDir); err == nil && st.IsDir() {
		return load(os.DirFS(nameOrDir), ".", nameOrDir)
	}
	dir := filepath.ToSlash(filepath.Join("estates", nameOrDir))
	if _, err := fs.Stat(embedded, dir); err != nil {
		return nil, fmt.Errorf("load estate %q: neither a directory nor an embedded estate (embedded: %s)", nameOrDir, strings.Join(Embedded(), ", "))
	}
	return load(embedded, dir, "embedded:"+nameOrDir)
}

func load(fsys fs.FS, dir, label string) (*Estate, error) {
	e := &Estate{}
	files := []struct {
		name     string
		v        any
		required bool
	}{
		{"account.json", &e.AWS.Account, true},
		{"ec2.json", &e.AWS.EC2, false},
		{"iam.json", &e.AWS.IAM, false},
		{"s3.json", &e.AWS.S3, false},
		{"rds.json", &e.AWS.RDS, false},
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, path.Join(dir, f.name))
		if err != nil {
			if !f.required && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("load estate %s: %w", label, err)
		}
		if err := decodeStrict(b, f.v); err != nil {
			return nil, fmt.Errorf("load estate %s: %s: %w", label, f.name, err)
		}
	}
	if e.AWS.Account.ID == "" {
		return nil, fmt.Errorf("load estate %s: account.json has no id", label)
	}
	var err error
	if e.GCP, err = loadGCP(fsys, path.Join(dir, "gcp")); err != nil {
		return nil, fmt.Errorf("load estate %s: gcp: %w", label, err)
	}
	if e.Azure, err = loadAzure(fsys, path.Join(dir, "azure")); err != nil {
		return nil, fmt.Errorf("load estate %s: azure: %w", label, err)
	}
	return e, nil
}

// decodeStrict decodes one estate file, refusing unknown fields so a typo
// in an estate is an error rather than a silently empty service.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// partition is the ARN partition of the account: the caller's, else "aws".
func (a *AWSAccount) partition() string {
	if rest, ok := strings.CutPrefix(a.Caller, "arn:"); ok {
		if p, _, ok := strings.Cut(rest, ":"); ok && p != "" {
			return p
		}
	}
	return "aws"
}

// optIn reports whether name is an opt-in region of the account (enabled
// or not).
func (a *AWSAccount) optIn(name string) bool {
	r := a.region(name)
	return r != nil && r.OptInStatus != "" && r.OptInStatus != "opt-in-not-required"
}

// region returns the account's region by name, or nil.
func (a *AWSAccount) region(name string) *AWSRegion {
	for i := range a.Regions {
		if a.Regions[i].Name == name {
			return &a.Regions[i]
		}
	}
	return nil
}
