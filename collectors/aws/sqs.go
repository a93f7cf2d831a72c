package aws

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// sqsAPI is what the sqs table calls on an SQS client.
type sqsAPI interface {
	ListQueues(context.Context, *sqs.ListQueuesInput, ...func(*sqs.Options)) (*sqs.ListQueuesOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ListQueueTags(context.Context, *sqs.ListQueueTagsInput, ...func(*sqs.Options)) (*sqs.ListQueueTagsOutput, error)
}

// queueConcurrency bounds the per-queue (and per-key) calls of one region
// in flight at once.
const queueConcurrency = 8

// sqsAttributes are the queue attributes read: the access policy, the ARN
// and the two kinds of server-side encryption.
var sqsAttributes = []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameQueueArn,
	sqstypes.QueueAttributeNameSqsManagedSseEnabled, sqstypes.QueueAttributeNameKmsMasterKeyId}

func sqsTables() []table {
	return []table{{Service: "sqs", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listQueues(ctx, s, out, sqs.NewFromConfig(s.Config))
	}}}
}

// listQueues lists the region's queues with their access policy and
// encryption. The queues of the pages read before a failure are kept, and
// the failure is a gap. A queue whose attributes could not be read, or
// whose policy does not parse, is kept with PolicyUnknown and a gap; a
// queue deleted since it was listed is dropped.
func listQueues(ctx context.Context, s scope, out *collectors.Result, c sqsAPI) error {
	var urls []string
	// SQS answers a NextToken only to a call that sets MaxResults.
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "sqs", "ListQueues", "", err); gerr != nil {
				return gerr
			}
			break
		}
		urls = append(urls, page.QueueUrls...)
	}
	return readEach(ctx, out, urls, func(ctx context.Context, u string) (*inventory.Resource, error) {
		return queue(ctx, s, out, c, u)
	})
}

// readEach reads one resource per item, at most queueConcurrency at once
// (SQS queues, KMS keys: a few calls each), and adds them to out in the
// items' order; a nil resource (gone since it was listed) is skipped. The
// first fatal error stops the rest.
func readEach[T any](ctx context.Context, out *collectors.Result, items []T, read func(context.Context, T) (*inventory.Resource, error)) error {
	rs := make([]*inventory.Resource, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(queueConcurrency)
	for i, it := range items {
		g.Go(func() (err error) {
			rs[i], err = read(gctx, it)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, r := range rs {
		if r != nil {
			out.Add(*r)
		}
	}
	return nil
}

// queue reads one queue's attributes and tags; nil when it no longer
// exists.
func queue(ctx context.Context, s scope, out *collectors.Result, c sqsAPI, queueURL string) (*inventory.Resource, error) {
	name, account := queueNameAccount(queueURL)
	account = cmp.Or(account, s.Account)
	q := &inventory.Queue{}
	r := &inventory.Resource{ID: s.arn("sqs", s.Region, account, name), Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Kind: inventory.KindQueue, NativeType: "AWS::SQS::Queue", Name: name, Queue: q}
	resp, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: sqsAttributes})
	switch {
	case queueGone(err):
		return nil, nil
	case err != nil:
		q.PolicyUnknown = true
		if gerr := s.gap(out, "sqs", "GetQueueAttributes", r.ID, err); gerr != nil {
			return nil, gerr
		}
	default:
		attrs := resp.Attributes
		if arn := attrs[string(sqstypes.QueueAttributeNameQueueArn)]; arn != "" {
			r.ID = arn
		}
		q.Encrypted = strings.EqualFold(attrs[string(sqstypes.QueueAttributeNameSqsManagedSseEnabled)], "true") ||
			attrs[string(sqstypes.QueueAttributeNameKmsMasterKeyId)] != ""
		if text := attrs[string(sqstypes.QueueAttributeNamePolicy)]; text != "" {
			doc, perr := parsePolicy(r.ID, text)
			if perr != nil {
				q.PolicyUnknown = true
				out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Service: "sqs",
					Operation: "GetQueueAttributes", Resource: r.ID, Reason: inventory.GapMalformed,
					Message: "queue " + name + ": " + perr.Error()})
			}
			q.Policy = doc
		}
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(queueURL)})
	switch {
	case queueGone(err):
		return nil, nil
	case err != nil:
		if gerr := s.gap(out, "sqs", "ListQueueTags", r.ID, err); gerr != nil {
			return nil, gerr
		}
	case len(tags.Tags) > 0:
		r.Tags = tags.Tags
	}
	return r, nil
}

// queueGone reports whether err says the queue no longer exists.
func queueGone(err error) bool {
	var nf *sqstypes.QueueDoesNotExist
	return errors.As(err, &nf)
}

// queueNameAccount reads the queue's name and owning account from its URL
// (https://sqs.us-east-1.amazonaws.com/111122223333/orders).
func queueNameAccount(queueURL string) (name, account string) {
	path := queueURL
	if u, err := url.Parse(queueURL); err == nil {
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	name = parts[len(parts)-1]
	if len(parts) >= 2 {
		account = parts[len(parts)-2]
	}
	return name, account
}
