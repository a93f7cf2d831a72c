package aws

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// kmsAPI is what the kms table calls on a KMS client.
type kmsAPI interface {
	ListKeys(context.Context, *kms.ListKeysInput, ...func(*kms.Options)) (*kms.ListKeysOutput, error)
	ListAliases(context.Context, *kms.ListAliasesInput, ...func(*kms.Options)) (*kms.ListAliasesOutput, error)
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	GetKeyRotationStatus(context.Context, *kms.GetKeyRotationStatusInput, ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
	ListResourceTags(context.Context, *kms.ListResourceTagsInput, ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error)
}

func kmsTables() []table {
	return []table{{Service: "kms", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listKeys(ctx, s, out, kms.NewFromConfig(s.Config))
	}}}
}

// listKeys lists the region's KMS keys, customer and AWS managed, with
// their key policy, state and rotation, named by their first alias. The
// keys of the pages read before a failure are kept, and the failure is a
// gap. A key whose policy could not be read or does not parse is kept
// with PolicyUnknown and a gap; one whose metadata could not be read is
// kept with no Manager, and its policy is still read; a key deleted since
// it was listed is dropped.
func listKeys(ctx context.Context, s scope, out *collectors.Result, c kmsAPI) error {
	var keys []kmstypes.KeyListEntry
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "kms", "ListKeys", "", err); gerr != nil {
				return gerr
			}
			break
		}
		keys = append(keys, page.Keys...)
	}
	if len(keys) == 0 {
		return nil
	}
	aliases, err := keyAliases(ctx, s, out, c)
	if err != nil {
		return err
	}
	return readEach(ctx, out, keys, func(ctx context.Context, k kmstypes.KeyListEntry) (*inventory.Resource, error) {
		return key(ctx, s, out, c, k, aliases[aws.ToString(k.KeyId)])
	})
}

// keyAliases reads the region's aliases: the first alias of each key by
// name, by key id. When they cannot be read, a gap says so and keys are
// named by their id.
func keyAliases(ctx context.Context, s scope, out *collectors.Result, c kmsAPI) (map[string]string, error) {
	names := map[string]string{}
	p := kms.NewListAliasesPaginator(c, &kms.ListAliasesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return names, s.gap(out, "kms", "ListAliases", "", err)
		}
		for _, a := range page.Aliases {
			id, name := aws.ToString(a.TargetKeyId), aws.ToString(a.AliasName)
			if id != "" && (names[id] == "" || name < names[id]) {
				names[id] = name
			}
		}
	}
	return names, nil
}

// key reads one key's metadata, policy, rotation and tags; nil when it no
// longer exists. Rotation is read for symmetric customer keys whose
// material KMS made; for the others it is not applicable (nil). Tags are
// read for customer keys (AWS managed keys have none).
func key(ctx context.Context, s scope, out *collectors.Result, c kmsAPI, k kmstypes.KeyListEntry, alias string) (*inventory.Resource, error) {
	id := aws.ToString(k.KeyId)
	arn := aws.ToString(k.KeyArn)
	if arn == "" {
		arn = s.arn("kms", s.Region, s.Account, "key/"+id)
	}
	ky := &inventory.Key{}
	r := &inventory.Resource{ID: arn, Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Kind: inventory.KindKey,
		NativeType: "AWS::KMS::Key", Name: alias, Key: ky}
	if r.Name == "" {
		r.Name = id
	}

	var md *kmstypes.KeyMetadata
	desc, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(arn)})
	switch {
	case keyGone(err):
		return nil, nil
	case err != nil:
		if gerr := s.gap(out, "kms", "DescribeKey", arn, err); gerr != nil {
			return nil, gerr
		}
	default:
		md = desc.KeyMetadata
	}
	if md != nil {
		switch md.KeyManager {
		case kmstypes.KeyManagerTypeAws:
			ky.Manager = inventory.KeyManagerProvider
		case kmstypes.KeyManagerTypeCustomer:
			ky.Manager = inventory.KeyManagerCustomer
		}
		ky.State = string(md.KeyState)
	}

	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(arn), PolicyName: aws.String("default")})
	switch {
	case keyGone(err):
		return nil, nil
	case err != nil:
		ky.PolicyUnknown = true
		if gerr := s.gap(out, "kms", "GetKeyPolicy", arn, err); gerr != nil {
			return nil, gerr
		}
	default:
		doc, perr := parsePolicy(arn, aws.ToString(pol.Policy))
		if perr != nil {
			ky.PolicyUnknown = true
			out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Service: "kms",
				Operation: "GetKeyPolicy", Resource: arn, Reason: inventory.GapMalformed,
				Message: "key " + r.Name + ": " + perr.Error()})
		}
		ky.Policy = doc
	}

	if md != nil && rotatable(md) {
		rot, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(arn)})
		var unsupported *kmstypes.UnsupportedOperationException
		switch {
		case keyGone(err):
			return nil, nil
		case errors.As(err, &unsupported):
		case err != nil:
			if gerr := s.gap(out, "kms", "GetKeyRotationStatus", arn, err); gerr != nil {
				return nil, gerr
			}
		default:
			ky.RotationEnabled = aws.Bool(rot.KeyRotationEnabled)
		}
	}

	if ky.Manager == inventory.KeyManagerCustomer {
		tags, err := keyTags(ctx, c, arn)
		switch {
		case keyGone(err):
			return nil, nil
		case err != nil:
			if gerr := s.gap(out, "kms", "ListResourceTags", arn, err); gerr != nil {
				return nil, gerr
			}
		}
		r.Tags = tags
	}
	return r, nil
}

// rotatable reports whether automatic rotation applies to a key: a
// symmetric encryption customer key, with key material KMS generated, not
// pending deletion.
func rotatable(md *kmstypes.KeyMetadata) bool {
	return md.KeyManager == kmstypes.KeyManagerTypeCustomer && md.KeySpec == kmstypes.KeySpecSymmetricDefault &&
		(md.Origin == "" || md.Origin == kmstypes.OriginTypeAwsKms) &&
		md.KeyState != kmstypes.KeyStatePendingDeletion && md.KeyState != kmstypes.KeyStatePendingReplicaDeletion
}

// keyTags reads a key's tags, all pages; nil when it has none.
func keyTags(ctx context.Context, c kmsAPI, arn string) (map[string]string, error) {
	var tags []kmstypes.Tag
	p := kms.NewListResourceTagsPaginator(c, &kms.ListResourceTagsInput{KeyId: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		tags = append(tags, page.Tags...)
	}
	return tagMap(tags, func(t kmstypes.Tag) (*string, *string) { return t.TagKey, t.TagValue }), nil
}

// keyGone reports whether err says the key no longer exists.
func keyGone(err error) bool {
	var nf *kmstypes.NotFoundException
	return errors.As(err, &nf)
}
