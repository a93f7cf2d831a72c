package aws

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestS3Demo(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	buckets := byNativeType(res.Resources, "AWS::S3::")
	golden(t, "aws_s3.json", buckets)

	if got := len(buckets); got != 4 {
		t.Errorf("got %d buckets, want 4", got)
	}
	// Four buckets with the server's page size of 2: ListBuckets paginated.
	if n := srv.Requests("s3", "ListBuckets"); n < 2 {
		t.Errorf("ListBuckets was called %d times, want at least 2 (paginated)", n)
	}
	if n := srv.Requests("s3control", "GetPublicAccessBlock"); n != 1 {
		t.Errorf("account GetPublicAccessBlock was called %d times, want 1", n)
	}
	for _, svc := range []string{"s3", "s3control"} {
		if gaps := gapsOf(res.Gaps, svc); len(gaps) != 0 {
			t.Errorf("unexpected %s gaps: %v", svc, gaps)
		}
	}
}

// s3Estate writes an estate directory with the demo account and the given
// s3.json.
func s3Estate(t *testing.T, s3JSON string) string {
	t.Helper()
	dir := t.TempDir()
	account := `{"id": "111122223333", "regions": [
		{"name": "us-east-1", "opt_in_status": "opt-in-not-required"},
		{"name": "eu-west-1", "opt_in_status": "opt-in-not-required"}]}`
	for name, body := range map[string]string{"account.json": account, "s3.json": s3JSON} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// s3Faults holds buckets spread over regions so a fault injected in one
// region touches one bucket, and a bucket whose policy is not JSON.
const s3Faults = `{
  "account_public_access_block": {"block_public_acls": true, "ignore_public_acls": true,
    "block_public_policy": false, "restrict_public_buckets": false},
  "buckets": [
    {"name": "alpha", "region": "us-east-1", "creation_date": "2024-01-01T00:00:00Z",
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:*", "Resource": "arn:aws:s3:::alpha/*"}]}},
    {"name": "bravo", "region": "us-east-1", "creation_date": "2024-01-02T00:00:00Z"},
    {"name": "charlie", "region": "eu-west-1", "creation_date": "2024-01-03T00:00:00Z",
     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::charlie/*"}]},
     "encryption": {"sse_algorithm": "aws:kms"}, "versioning": "Suspended",
     "acl": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "permission": "WRITE"}]},
    {"name": "delta", "region": "us-east-1", "creation_date": "2024-01-04T00:00:00Z",
     "policy": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": "}
  ]
}`

func TestS3Faults(t *testing.T) {
	dir := s3Estate(t, s3Faults)
	tests := []struct {
		name   string
		faults []emulator.Fault
		// gaps are the wanted gaps as "service operation resource reason".
		gaps []string
		// unknown are the wanted unknown settings per bucket name.
		unknown map[string][]inventory.BucketSetting
	}{
		{
			name: "clean",
			gaps: []string{"s3 GetBucketPolicy arn:aws:s3:::delta malformed"},
			unknown: map[string][]inventory.BucketSetting{
				"delta": {inventory.BucketPolicy},
			},
		},
		{
			name:   "bucket policy denied in one bucket's region",
			faults: []emulator.Fault{{Service: "s3", Action: "GetBucketPolicy", Region: "eu-west-1", Kind: emulator.FaultDenied}},
			gaps: []string{
				"s3 GetBucketPolicy arn:aws:s3:::charlie access_denied",
				"s3 GetBucketPolicy arn:aws:s3:::delta malformed",
			},
			unknown: map[string][]inventory.BucketSetting{
				"charlie": {inventory.BucketPolicy},
				"delta":   {inventory.BucketPolicy},
			},
		},
		{
			name:   "account public access block denied",
			faults: []emulator.Fault{{Service: "s3control", Action: "GetPublicAccessBlock", Kind: emulator.FaultDenied}},
			gaps: []string{
				"s3 GetBucketPolicy arn:aws:s3:::delta malformed",
				"s3control GetPublicAccessBlock  access_denied",
			},
			unknown: map[string][]inventory.BucketSetting{
				"alpha":   {inventory.BucketAccountBlockPublicAccess},
				"bravo":   {inventory.BucketAccountBlockPublicAccess},
				"charlie": {inventory.BucketAccountBlockPublicAccess},
				"delta":   {inventory.BucketPolicy, inventory.BucketAccountBlockPublicAccess},
			},
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "s3", Action: "GetBucketAcl", Kind: emulator.FaultThrottle, Times: 2}},
			gaps:   []string{"s3 GetBucketPolicy arn:aws:s3:::delta malformed"},
			unknown: map[string][]inventory.BucketSetting{
				"delta": {inventory.BucketPolicy},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := scanEstate(t, dir, emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
			var gaps []string
			for _, g := range append(gapsOf(res.Gaps, "s3"), gapsOf(res.Gaps, "s3control")...) {
				gaps = append(gaps, strings.Join([]string{g.Service, g.Operation, g.Resource, string(g.Reason)}, " "))
				if g.Resource == "arn:aws:s3:::delta" && !strings.Contains(g.Message, "delta") {
					t.Errorf("malformed policy gap does not name the bucket: %q", g.Message)
				}
			}
			slices.Sort(gaps)
			if diff := cmp.Diff(gaps, tt.gaps); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}

			buckets := map[string]*inventory.Bucket{}
			for _, r := range byNativeType(res.Resources, "AWS::S3::") {
				buckets[r.Name] = r.Bucket
			}
			if len(buckets) != 4 {
				t.Fatalf("got %d buckets, want 4: every bucket is collected whatever fails", len(buckets))
			}
			for name, b := range buckets {
				if diff := cmp.Diff(b.Unknown, tt.unknown[name]); diff != "" {
					t.Errorf("%s: unknown settings (-got +want):\n%s", name, diff)
				}
			}

			charlie := buckets["charlie"]
			if charlie.Known(inventory.BucketPolicy) != (charlie.Policy != nil) {
				t.Errorf("charlie: policy known=%v but policy %v", charlie.Known(inventory.BucketPolicy), charlie.Policy)
			}
			// A denied policy leaves the bucket's other settings read.
			want := &inventory.Bucket{
				Policy:          charlie.Policy,
				PublicACLGrants: []inventory.ACLGrant{{Grantee: "AuthenticatedUsers", Permission: "WRITE"}},
				Encryption:      "aws:kms",
				Versioning:      "Suspended",
				Unknown:         tt.unknown["charlie"],
			}
			if charlie.Known(inventory.BucketAccountBlockPublicAccess) {
				want.AccountBlockPublicAccess = &inventory.BlockPublicAccess{BlockPublicACLs: true, IgnorePublicACLs: true}
			}
			if diff := cmp.Diff(charlie, want); diff != "" {
				t.Errorf("charlie (-got +want):\n%s", diff)
			}
			if b := buckets["bravo"]; b.Policy != nil || !b.Known(inventory.BucketPolicy) {
				t.Errorf("bravo has no policy and it is known: policy %v, unknown %v", b.Policy, b.Unknown)
			}
		})
	}
}

// optInEstate has a bucket in an opt-in region (ap-east-1, enabled) and
// one in eu-west-1.
var optInEstate = map[string]string{
	"account.json": `{"id": "111122223333", "regions": [
		{"name": "us-east-1", "opt_in_status": "opt-in-not-required"},
		{"name": "eu-west-1", "opt_in_status": "opt-in-not-required"},
		{"name": "ap-east-1", "opt_in_status": "opted-in"}]}`,
	"s3.json": `{"buckets": [
		{"name": "hk-bucket", "region": "ap-east-1", "creation_date": "2024-01-01T00:00:00Z", "versioning": "Enabled"},
		{"name": "eu-bucket", "region": "eu-west-1", "creation_date": "2024-01-02T00:00:00Z"}]}`,
}

// TestS3OptInRegionBucket: scanning from eu-west-1, a bucket of an opt-in
// region is read from its own region, which ListBuckets names; no
// GetBucketLocation is needed, which eu-west-1 would refuse for it.
func TestS3OptInRegionBucket(t *testing.T) {
	res, srv := scanEstateIn(t, "eu-west-1", writeEstate(t, optInEstate), emulator.Options{}, Options{})
	if gaps := gapsOf(res.Gaps, "s3"); len(gaps) != 0 {
		t.Errorf("s3 gaps: %v", gaps)
	}
	hk := resourceByID(res.Resources, "arn:aws:s3:::hk-bucket")
	if hk == nil || hk.Region != "ap-east-1" || len(hk.Bucket.Unknown) != 0 || hk.Bucket.Versioning != "Enabled" {
		t.Errorf("hk-bucket = %+v, want read from ap-east-1 with every setting known", hk)
	}
	if n := srv.Requests("s3", "GetBucketLocation"); n != 0 {
		t.Errorf("GetBucketLocation requests = %d, want 0 (ListBuckets names the regions)", n)
	}
}

// TestS3BucketLocationFallback: when ListBuckets names no region,
// GetBucketLocation is asked of the partition's global region, which
// answers for buckets of opt-in regions, unlike the configured one.
func TestS3BucketLocationFallback(t *testing.T) {
	_, _ = scanEstateIn(t, "eu-west-1", writeEstate(t, optInEstate), emulator.Options{}, Options{Regions: []string{"eu-west-1"}})
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clients := newS3Clients(cfg)

	// The emulator refuses it from eu-west-1, as S3 does.
	_, err = clients.forRegion("eu-west-1").GetBucketLocation(context.Background(), &s3.GetBucketLocationInput{Bucket: aws.String("hk-bucket")})
	if got := s3ErrorCode(err); got != "IllegalLocationConstraintException" {
		t.Errorf("GetBucketLocation from eu-west-1: error code %q (%v), want IllegalLocationConstraintException", got, err)
	}

	out := &collectors.Result{}
	s := scope{Account: "111122223333", Partition: "aws", Config: cfg}
	r, ok, err := readS3Bucket(context.Background(), s, out, clients, s3types.Bucket{Name: aws.String("hk-bucket")})
	if err != nil || !ok {
		t.Fatalf("readS3Bucket: ok %v, err %v", ok, err)
	}
	if len(out.Gaps) != 0 {
		t.Errorf("gaps: %v", out.Gaps)
	}
	if r.Region != "ap-east-1" || len(r.Bucket.Unknown) != 0 {
		t.Errorf("hk-bucket = %+v, want region ap-east-1 and every setting known", r)
	}
}
