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
// file per service: ec2.json, iam.json, s3.json, rds.json, elbv2.json, lambda.json, elb.json
// (classic ELB), sqs.json, kms.json; a missing
// service file means an empty service), and optionally a gcp/ and an
// azure/ directory, each read by that cloud's loader.
//
// An estate can also hold an AWS Organization: organization.json at the
// root lists its accounts (the root account is the management account),
// and accounts/<id>/ holds each member account's own estate, shaped like
// the root's AWS part (account.json and the service files). STS AssumeRole
// hands out credentials of a member, and every request signed with them is
// served from that member's estate.
type Estate struct {
	AWS AWSEstate
	// Organization is organization.json: the AWS Organization the root
	// account manages; nil when the root account is in none.
	Organization *AWSOrganization
	// Members are the accounts of accounts/<id>/, by account id.
	Members map[string]*AWSEstate
	GCP     *GCPEstate   // nil: the estate has no GCP part
	Azure   *AzureEstate // nil: the estate has no Azure part
	// Feeds are the estate's feeds/ files (see Feeds).
	Feeds Feeds

	// root is the estate's root account in a view of a member (see
	// Server.view); nil in the loaded estate, whose root is AWS.
	root *AWSEstate
}

// AWSOrganization is organization.json.
type AWSOrganization struct {
	ID       string          `json:"id,omitempty"` // "o-…"; derived from the management account when empty
	Accounts []AWSOrgAccount `json:"accounts"`
}

// AWSOrgAccount is one account of the organization, as ListAccounts
// answers it. Status is ACTIVE, SUSPENDED or PENDING_CLOSURE (ACTIVE when
// empty).
type AWSOrgAccount struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Status string `json:"status,omitempty"`
}

// awsAccount returns the estate of account id: the root account or a
// member; nil when the estate has no such account.
func (e *Estate) awsAccount(id string) *AWSEstate {
	root := e.root
	if root == nil {
		root = &e.AWS
	}
	if root.Account.ID == id {
		return root
	}
	return e.Members[id]
}

// AWSEstate is one AWS account.
type AWSEstate struct {
	Account AWSAccount
	EC2     EC2Estate
	IAM     IAMEstate
	S3      S3Estate
	RDS     RDSEstate
	ELBv2   ELBv2Estate
	Lambda  LambdaEstate
	// ELB is the classic load balancers (elb.json), SQS the queues
	// (sqs.json), KMS the keys (kms.json).
	ELB ELBEstate
	SQS SQSEstate
	KMS KMSEstate
	// Inspector2 is Amazon Inspector (inspector2.json), SSM the
	// instances Systems Manager manages (ssm.json), EKS the clusters
	// (eks.json).
	Inspector2 Inspector2Estate
	SSM        SSMEstate
	EKS        EKSEstate
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
	var err error
	if e.AWS, err = loadAWS(fsys, dir); err != nil {
		return nil, fmt.Errorf("load estate %s: %w", label, err)
	}
	if e.Organization, e.Members, err = loadOrganization(fsys, dir, e.AWS.Account.ID); err != nil {
		return nil, fmt.Errorf("load estate %s: %w", label, err)
	}
	if e.GCP, err = loadGCP(fsys, path.Join(dir, "gcp")); err != nil {
		return nil, fmt.Errorf("load estate %s: gcp: %w", label, err)
	}
	if e.Azure, err = loadAzure(fsys, path.Join(dir, "azure")); err != nil {
		return nil, fmt.Errorf("load estate %s: azure: %w", label, err)
	}
	if e.Feeds, err = loadFeeds(fsys, path.Join(dir, "feeds")); err != nil {
		return nil, fmt.Errorf("load estate %s: feeds: %w", label, err)
	}
	return e, nil
}

// loadAWS reads one AWS account: dir's account.json and service files.
func loadAWS(fsys fs.FS, dir string) (AWSEstate, error) {
	var a AWSEstate
	files := []struct {
		name     string
		v        any
		required bool
	}{
		{"account.json", &a.Account, true},
		{"ec2.json", &a.EC2, false},
		{"iam.json", &a.IAM, false},
		{"s3.json", &a.S3, false},
		{"rds.json", &a.RDS, false},
		{"elbv2.json", &a.ELBv2, false},
		{"lambda.json", &a.Lambda, false},
		{"elb.json", &a.ELB, false},
		{"sqs.json", &a.SQS, false},
		{"kms.json", &a.KMS, false},
		{"inspector2.json", &a.Inspector2, false},
		{"ssm.json", &a.SSM, false},
		{"eks.json", &a.EKS, false},
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, path.Join(dir, f.name))
		if err != nil {
			if !f.required && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return a, err
		}
		if err := decodeStrict(b, f.v); err != nil {
			return a, fmt.Errorf("%s: %w", path.Join(dir, f.name), err)
		}
	}
	if a.Account.ID == "" {
		return a, fmt.Errorf("%s has no id", path.Join(dir, "account.json"))
	}
	return a, nil
}

// loadOrganization reads organization.json (absent: no organization) and
// the member accounts under accounts/ (absent: none). A member's
// account.json must carry its directory's id.
func loadOrganization(fsys fs.FS, dir, root string) (*AWSOrganization, map[string]*AWSEstate, error) {
	var org *AWSOrganization
	b, err := fs.ReadFile(fsys, path.Join(dir, "organization.json"))
	switch {
	case err == nil:
		org = &AWSOrganization{}
		if err := decodeStrict(b, org); err != nil {
			return nil, nil, fmt.Errorf("organization.json: %w", err)
		}
		for _, a := range org.Accounts {
			if a.ID == "" {
				return nil, nil, errors.New("organization.json: an account has no id")
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	entries, err := fs.ReadDir(fsys, path.Join(dir, "accounts"))
	if errors.Is(err, fs.ErrNotExist) {
		return org, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	members := map[string]*AWSEstate{}
	for _, d := range entries {
		if !d.IsDir() {
			continue
		}
		m, err := loadAWS(fsys, path.Join(dir, "accounts", d.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("member account: %w", err)
		}
		if m.Account.ID != d.Name() || m.Account.ID == root {
			return nil, nil, fmt.Errorf("accounts/%s/account.json: id %q must be the directory's name and not the root account's", d.Name(), m.Account.ID)
		}
		members[m.Account.ID] = &m
	}
	return org, members, nil
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
