package aws

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// s3API is what the s3 tables call on an S3 client.
type s3API interface {
	ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketAcl(context.Context, *s3.GetBucketAclInput, ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetBucketWebsite(context.Context, *s3.GetBucketWebsiteInput, ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error)
}

// s3ControlAPI is what the s3 tables call on an S3 Control client.
type s3ControlAPI interface {
	GetPublicAccessBlock(context.Context, *s3control.GetPublicAccessBlockInput, ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

// s3Concurrency bounds the buckets whose settings are read at once.
const s3Concurrency = 8

// s3ListPage is the MaxBuckets of a ListBuckets page. S3 names each
// bucket's region (BucketRegion) only when the request carries a
// parameter, so it is always set.
const s3ListPage = 1000

func s3Tables() []table {
	return []table{{Service: "s3", Global: true, List: listS3Buckets}}
}

// listS3Buckets lists the account's buckets once (S3 is global), then reads
// each bucket's settings from its own region. A setting that cannot be
// read is a Gap naming the bucket and is listed in Bucket.Unknown; the
// bucket and its other settings are still collected.
func listS3Buckets(ctx context.Context, s scope, out *collectors.Result) error {
	clients := newS3Clients(s.Config)
	global := clients.forRegion(s.Config.Region)

	account, accountKnown, err := accountPublicAccessBlock(ctx, s, out, newS3ControlClient(s.Config))
	if err != nil {
		return err
	}

	// The buckets of the pages read before a failure are still read.
	var buckets []types.Bucket
	p := s3.NewListBucketsPaginator(global, &s3.ListBucketsInput{MaxBuckets: aws.Int32(s3ListPage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "s3", "ListBuckets", "", err); gerr != nil {
				return gerr
			}
			break
		}
		buckets = append(buckets, page.Buckets...)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s3Concurrency)
	for _, b := range buckets {
		g.Go(func() error {
			r, ok, err := readS3Bucket(gctx, s, out, clients, b)
			if err != nil || !ok {
				return err
			}
			if accountKnown {
				if account != nil {
					copied := *account
					r.Bucket.AccountBlockPublicAccess = &copied
				}
			} else {
				r.Bucket.Unknown = append(r.Bucket.Unknown, inventory.BucketAccountBlockPublicAccess)
			}
			out.Add(r)
			return nil
		})
	}
	return g.Wait()
}

// accountPublicAccessBlock reads the account's block public access
// setting: nil and known when none is configured.
func accountPublicAccessBlock(ctx context.Context, s scope, out *collectors.Result, c s3ControlAPI) (*inventory.BlockPublicAccess, bool, error) {
	resp, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(s.Account)})
	var none *s3controltypes.NoSuchPublicAccessBlockConfiguration
	switch {
	case errors.As(err, &none):
		return nil, true, nil
	case err != nil:
		return nil, false, s.gap(out, "s3control", "GetPublicAccessBlock", "", err)
	}
	cfg := resp.PublicAccessBlockConfiguration
	if cfg == nil {
		return nil, true, nil
	}
	return blockPublicAccess(cfg.BlockPublicAcls, cfg.IgnorePublicAcls, cfg.BlockPublicPolicy, cfg.RestrictPublicBuckets), true, nil
}

// blockPublicAccess converts a PublicAccessBlockConfiguration, a bucket's
// (S3) or the account's (S3 Control): two SDK types with the same fields.
func blockPublicAccess(blockACLs, ignoreACLs, blockPolicy, restrictBuckets *bool) *inventory.BlockPublicAccess {
	return &inventory.BlockPublicAccess{
		BlockPublicACLs:       aws.ToBool(blockACLs),
		IgnorePublicACLs:      aws.ToBool(ignoreACLs),
		BlockPublicPolicy:     aws.ToBool(blockPolicy),
		RestrictPublicBuckets: aws.ToBool(restrictBuckets),
	}
}

// readS3Bucket reads one bucket's settings from the bucket's region. ok is
// false when the bucket disappeared after it was listed.
func readS3Bucket(ctx context.Context, s scope, out *collectors.Result, clients *s3Clients, b types.Bucket) (r inventory.Resource, ok bool, err error) {
	name := aws.ToString(b.Name)
	id := s.arn("s3", "", "", name)
	bucket := &inventory.Bucket{}
	r = inventory.Resource{ID: id, Cloud: inventory.AWS, Account: s.Account, Kind: inventory.KindBucket,
		NativeType: "AWS::S3::Bucket", Name: name, Bucket: bucket}
	// unknown records a failed read of a setting: a gap, or the run's end.
	unknown := func(setting inventory.BucketSetting, op string, err error) error {
		bucket.Unknown = append(bucket.Unknown, setting)
		return s.gap(out, "s3", op, id, err)
	}

	r.Region = aws.ToString(b.BucketRegion)
	if r.Region == "" {
		// ListBuckets did not say. Only the partition's global region
		// answers for a bucket of any region: another region refuses
		// buckets of opt-in regions (IllegalLocationConstraintException).
		loc, err := clients.forRegion(s3LocationRegion(s.Partition, s.Config.Region)).GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b.Name})
		switch {
		case s3ErrorCode(err) == "NoSuchBucket":
			return r, false, nil
		case err != nil:
			if gerr := s.gap(out, "s3", "GetBucketLocation", id, err); gerr != nil {
				return r, false, gerr
			}
		default:
			r.Region = s3Region(loc.LocationConstraint)
		}
	}
	if r.Region == "" {
		// Without the region no setting can be read.
		bucket.Unknown = []inventory.BucketSetting{inventory.BucketPolicy, inventory.BucketACL,
			inventory.BucketBlockPublicAccess, inventory.BucketEncryption, inventory.BucketVersioning, inventory.BucketWebsite}
		return r, true, nil
	}
	c := clients.forRegion(r.Region)

	pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.Name})
	switch {
	case s3ErrorCode(err) == "NoSuchBucket":
		return r, false, nil
	case s3ErrorCode(err) == "NoSuchBucketPolicy":
	case err != nil:
		if gerr := unknown(inventory.BucketPolicy, "GetBucketPolicy", err); gerr != nil {
			return r, false, gerr
		}
	default:
		doc, perr := parsePolicy(id, aws.ToString(pol.Policy))
		if perr != nil {
			bucket.Unknown = append(bucket.Unknown, inventory.BucketPolicy)
			out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: r.Region, Service: "s3",
				Operation: "GetBucketPolicy", Resource: id, Reason: inventory.GapMalformed,
				Message: "bucket " + name + ": " + perr.Error()})
		}
		bucket.Policy = doc
	}

	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b.Name})
	if err != nil {
		if gerr := unknown(inventory.BucketACL, "GetBucketAcl", err); gerr != nil {
			return r, false, gerr
		}
	} else {
		bucket.PublicACLGrants = publicACLGrants(acl.Grants)
	}

	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b.Name})
	switch {
	case s3ErrorCode(err) == "NoSuchPublicAccessBlockConfiguration":
	case err != nil:
		if gerr := unknown(inventory.BucketBlockPublicAccess, "GetPublicAccessBlock", err); gerr != nil {
			return r, false, gerr
		}
	case pab.PublicAccessBlockConfiguration != nil:
		cfg := pab.PublicAccessBlockConfiguration
		bucket.BlockPublicAccess = blockPublicAccess(cfg.BlockPublicAcls, cfg.IgnorePublicAcls, cfg.BlockPublicPolicy, cfg.RestrictPublicBuckets)
	}

	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b.Name})
	switch {
	case s3ErrorCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
	case err != nil:
		if gerr := unknown(inventory.BucketEncryption, "GetBucketEncryption", err); gerr != nil {
			return r, false, gerr
		}
	case enc.ServerSideEncryptionConfiguration != nil:
		for _, rule := range enc.ServerSideEncryptionConfiguration.Rules {
			if d := rule.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != "" {
				bucket.Encryption = string(d.SSEAlgorithm)
				break
			}
		}
	}

	ver, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b.Name})
	if err != nil {
		if gerr := unknown(inventory.BucketVersioning, "GetBucketVersioning", err); gerr != nil {
			return r, false, gerr
		}
	} else {
		bucket.Versioning = string(ver.Status)
	}

	_, err = c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b.Name})
	switch {
	case s3ErrorCode(err) == "NoSuchWebsiteConfiguration":
	case err != nil:
		if gerr := unknown(inventory.BucketWebsite, "GetBucketWebsite", err); gerr != nil {
			return r, false, gerr
		}
	default:
		bucket.Website = true
	}
	return r, true, nil
}

// s3Region turns a LocationConstraint into a region: empty is us-east-1,
// "EU" the legacy name of eu-west-1.
func s3Region(c types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case types.BucketLocationConstraintEu:
		return "eu-west-1"
	}
	return string(c)
}

// s3LocationRegion is the region that answers GetBucketLocation for a
// bucket of any region of the partition; fallback for partitions not known.
func s3LocationRegion(partition, fallback string) string {
	switch partition {
	case "aws":
		return "us-east-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws-cn":
		return "cn-north-1"
	}
	return fallback
}

// s3PublicGroups maps the URIs of S3's everyone-groups to their names.
var s3PublicGroups = map[string]string{
	"http://acs.amazonaws.com/groups/global/AllUsers":           "AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}

// publicACLGrants keeps the grants to everyone-groups.
func publicACLGrants(grants []types.Grant) []inventory.ACLGrant {
	var out []inventory.ACLGrant
	for _, g := range grants {
		if g.Grantee == nil {
			continue
		}
		if group, ok := s3PublicGroups[aws.ToString(g.Grantee.URI)]; ok {
			out = append(out, inventory.ACLGrant{Grantee: group, Permission: string(g.Permission)})
		}
	}
	return out
}

// s3ErrorCode is the API error code of err, "" when it has none.
func s3ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// s3Clients makes one S3 client per region, on demand: a bucket's
// settings must be read from its own region.
type s3Clients struct {
	cfg aws.Config
	mu  sync.Mutex
	by  map[string]s3API
}

func newS3Clients(cfg aws.Config) *s3Clients {
	return &s3Clients{cfg: cfg, by: map[string]s3API{}}
}

func (c *s3Clients) forRegion(region string) s3API {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.by[region]; ok {
		return cl
	}
	cl := s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		if o.BaseEndpoint != nil {
			// A custom endpoint (an emulator, LocalStack) on an address
			// that has no per-bucket host names.
			o.UsePathStyle = true
		}
	})
	c.by[region] = cl
	return cl
}

// newS3ControlClient makes the S3 Control client. With a custom endpoint
// it keeps the endpoint's host: S3 Control otherwise puts the account id
// in front of it (111122223333.127.0.0.1), which does not resolve.
func newS3ControlClient(cfg aws.Config) s3ControlAPI {
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		if o.BaseEndpoint != nil {
			o.EndpointResolverV2 = s3ControlKeepHost{next: o.EndpointResolverV2, host: *o.BaseEndpoint}
		}
	})
}

// s3ControlKeepHost strips the account id the endpoint rules put in front
// of a custom endpoint's host; everything else (signing name and region)
// stays as the rules resolved it.
type s3ControlKeepHost struct {
	next s3control.EndpointResolverV2
	host string
}

func (k s3ControlKeepHost) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	ep, err := k.next.ResolveEndpoint(ctx, p)
	if err != nil || p.AccountId == nil {
		return ep, err
	}
	prefix := *p.AccountId + "."
	if strings.HasPrefix(ep.URI.Host, prefix) && strings.Contains(k.host, "://"+strings.TrimPrefix(ep.URI.Host, prefix)) {
		ep.URI.Host = strings.TrimPrefix(ep.URI.Host, prefix)
	}
	return ep, nil
}
