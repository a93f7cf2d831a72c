package gcp

import (
	"context"
	"errors"
	"strings"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// storageAPI is what the storage table asks of Cloud Storage.
type storageAPI interface {
	Buckets(ctx context.Context, project string) ([]*storage.BucketAttrs, error)
	BucketPolicy(ctx context.Context, bucket string) ([]*iampb.Binding, error)
	BucketACL(ctx context.Context, bucket string) ([]storage.ACLRule, error)
}

type storageClient struct{ c *storage.Client }

func (s *storageClient) Buckets(ctx context.Context, project string) ([]*storage.BucketAttrs, error) {
	it := s.c.Buckets(ctx, project)
	var out []*storage.BucketAttrs
	for {
		b, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
}

func (s *storageClient) BucketPolicy(ctx context.Context, bucket string) ([]*iampb.Binding, error) {
	p, err := s.c.Bucket(bucket).IAM().V3().Policy(ctx)
	if err != nil {
		return nil, err
	}
	return p.Bindings, nil
}

func (s *storageClient) BucketACL(ctx context.Context, bucket string) ([]storage.ACLRule, error) {
	return s.c.Bucket(bucket).ACL().List(ctx)
}

// storageTable lists the project's buckets with their IAM policy, uniform
// bucket-level access, public access prevention and retention; a bucket
// without uniform access also has its ACL read.
func storageTable() table {
	return table{Service: "storage", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		return collectStorage(ctx, cl.storage, s, out)
	}}
}

// publicMembers are the IAM members that mean anyone: allAuthenticatedUsers
// is any Google account, which anyone can make.
var publicMembers = map[string]bool{"allUsers": true, "allAuthenticatedUsers": true}

func collectStorage(ctx context.Context, api storageAPI, s scope, out *collectors.Result) error {
	buckets, err := api.Buckets(ctx, s.Project)
	if err != nil {
		if gerr := s.gap(out, "storage", "buckets.list", "", err); gerr != nil {
			return gerr
		}
		if classify(err) == inventory.GapRegionDisabled {
			return nil
		}
	}
	for _, b := range buckets {
		id := "//storage.googleapis.com/" + b.Name
		r := inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Region: strings.ToLower(b.Location),
			Kind: inventory.KindBucket, NativeType: "storage.googleapis.com/Bucket", Name: b.Name, Tags: tagMap(b.Labels)}
		bk := &inventory.Bucket{UniformAccess: b.UniformBucketLevelAccess.Enabled, Encryption: "google-managed"}
		if b.Encryption != nil && b.Encryption.DefaultKMSKeyName != "" {
			bk.Encryption = "cloud-kms"
		}
		if b.VersioningEnabled {
			bk.Versioning = "Enabled"
		}
		if b.Website != nil && (b.Website.MainPageSuffix != "" || b.Website.NotFoundPage != "") {
			bk.Website = true
		}
		if rp := b.RetentionPolicy; rp != nil {
			bk.RetentionSeconds, bk.RetentionLocked = int64(rp.RetentionPeriod.Seconds()), rp.IsLocked
		}
		switch b.PublicAccessPrevention {
		case storage.PublicAccessPreventionEnforced:
			// Enforced: no public IAM binding or ACL takes effect.
			bk.BlockPublicAccess = &inventory.BlockPublicAccess{BlockPublicACLs: true, IgnorePublicACLs: true,
				BlockPublicPolicy: true, RestrictPublicBuckets: true}
		case storage.PublicAccessPreventionUnknown:
			bk.Unknown = append(bk.Unknown, inventory.BucketBlockPublicAccess)
		}
		// The organization policy constraint that can enforce prevention
		// for every bucket is not read: no account-wide setting is
		// claimed, which reads as none (the permissive answer).
		bindings, err := api.BucketPolicy(ctx, b.Name)
		if err != nil {
			bk.Unknown = append(bk.Unknown, inventory.BucketPolicy)
			if gerr := s.gap(out, "storage", "buckets.getIamPolicy", id, err); gerr != nil {
				return gerr
			}
		} else {
			bk.Policy = bucketPolicy(id, bindings)
		}
		if !bk.UniformAccess {
			rules, err := api.BucketACL(ctx, b.Name)
			if err != nil {
				bk.Unknown = append(bk.Unknown, inventory.BucketACL)
				if gerr := s.gap(out, "storage", "bucketAccessControls.list", id, err); gerr != nil {
					return gerr
				}
			}
			for _, rule := range rules {
				if e := string(rule.Entity); publicMembers[e] {
					bk.PublicACLGrants = append(bk.PublicACLGrants, inventory.ACLGrant{Grantee: e, Permission: string(rule.Role)})
				}
			}
		}
		r.Bucket = bk
		out.Add(r)
	}
	return nil
}

// bucketPolicy turns a bucket's IAM bindings into a resource policy, one
// Allow statement per binding whose Sid and action are the role.
// allUsers and allAuthenticatedUsers become the principal "*"; other
// members keep their IAM names ("user:…", "serviceAccount:…"). A binding's
// condition is kept as a condition of operator "CEL" whose key is its
// title and value its expression, which no reader takes as restricting.
func bucketPolicy(id string, bindings []*iampb.Binding) *inventory.PolicyDocument {
	doc := &inventory.PolicyDocument{Version: "3", Statements: []inventory.Statement{}}
	for _, b := range bindings {
		st := inventory.Statement{Sid: b.GetRole(), Effect: inventory.Allow, Actions: []string{b.GetRole()}, Resources: []string{id}}
		for _, m := range b.GetMembers() {
			if publicMembers[m] {
				st.Principals = appendUniq(st.Principals, "*")
			} else {
				st.Principals = appendUniq(st.Principals, m)
			}
		}
		if c := b.GetCondition(); c != nil && c.GetExpression() != "" {
			st.Conditions = []inventory.Condition{{Operator: "CEL", Key: c.GetTitle(), Values: []string{c.GetExpression()}}}
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc
}
