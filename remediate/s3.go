package remediate

import (
	"fmt"

	"github.com/posture-dev/posture/internal/inventory"
)

const fixS3BlockPublic = "aws.s3.block_public_access"

func s3BlockPublicAccess() Fix {
	return Fix{
		ID: fixS3BlockPublic, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigPublicBucket},
		Title:   "Turn on all four S3 block public access settings of the bucket",
		Plan:    planS3BlockPublic,
	}
}

func blockConfig(b inventory.BlockPublicAccess) map[string]any {
	return map[string]any{
		"BlockPublicAcls":       b.BlockPublicACLs,
		"IgnorePublicAcls":      b.IgnorePublicACLs,
		"BlockPublicPolicy":     b.BlockPublicPolicy,
		"RestrictPublicBuckets": b.RestrictPublicBuckets,
	}
}

func planS3BlockPublic(in Input, sig inventory.Signal) ([]Plan, error) {
	r := in.Graph.Resource(sig.Resource)
	if r.Bucket == nil {
		return nil, fmt.Errorf("bucket attributes not collected")
	}
	name := nativeID(r.ID)
	all := inventory.BlockPublicAccess{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	// Bucket calls go to the bucket's own region: the SDK does not follow
	// S3's redirects to it.
	region := r.Region
	put := func(b inventory.BlockPublicAccess) Call {
		return Call{Service: "s3", Operation: "PutPublicAccessBlock", Region: region,
			Params: map[string]any{"Bucket": name, "PublicAccessBlockConfiguration": blockConfig(b)}}
	}
	// The rollback restores what the scan saw: no block (delete it) or the
	// previous switches. When the scan could not read them there is no
	// exact rollback, and a person decides.
	var rollback []Call
	reversible := r.Bucket.Known(inventory.BucketBlockPublicAccess)
	switch prev := r.Bucket.BlockPublicAccess; {
	case !reversible:
	case prev == nil:
		rollback = []Call{{Service: "s3", Operation: "DeletePublicAccessBlock", Region: region, Params: map[string]any{"Bucket": name}}}
	default:
		rollback = []Call{put(*prev)}
	}

	note := "anyone who reads or writes the bucket without AWS credentials of this account (public readers, a static website, public links) loses access; the bucket policy and ACLs stay but stop granting the public."
	automatable, why := true, "reversible: the rollback restores the bucket's previous settings"
	switch {
	case r.Bucket.Website:
		note = "the bucket serves a static website: the site stops answering; " + note
		automatable, why = false, "the bucket hosts a website: a person must decide whether it should stay public (e.g. behind CloudFront with origin access control)"
	case !r.Bucket.Known(inventory.BucketWebsite):
		note = "the scan could not read whether the bucket serves a static website; " + note
		automatable, why = false, "whether the bucket hosts a website is unknown: a person must check"
	}
	if !reversible {
		automatable, why = false, "the bucket's current block public access settings could not be read, so there is no exact rollback"
	}
	if region == "" {
		automatable, why = false, "the bucket's region is not recorded, and its calls must be sent there"
	}
	return []Plan{finish(Plan{
		ID:       planID(fixS3BlockPublic, r.ID, ""),
		Fix:      fixS3BlockPublic,
		Signal:   sig.ID,
		Resource: r.ID,
		Title:    "Block public access to bucket " + name,
		Change:   "Turn on all four block public access settings of bucket " + name + " (block and ignore public ACLs, block public policies, restrict public buckets).",
		Calls:    []Call{put(all)},
		Rollback: rollback,
		Terraform: fmt.Sprintf("resource \"aws_s3_bucket_public_access_block\" %q {\n  bucket                  = %q\n  block_public_acls       = true\n  ignore_public_acls      = true\n  block_public_policy     = true\n  restrict_public_buckets = true\n}\n",
			tfName(name), name),
		BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: note},
		Reversible:  reversible,
		Automatable: automatable,
		Why:         why,
	})}, nil
}

// tfName makes a Terraform resource name from an id.
func tfName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || (b[0] >= '0' && b[0] <= '9') || b[0] == '-' {
		b = append([]byte("r_"), b...)
	}
	return string(b)
}
