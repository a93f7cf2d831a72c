package azure

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// storageTables lists what Microsoft.Storage contributes: one bucket per
// blob container, since public access is set per container
// ("publicAccess": None, Blob, Container) and only allowed where the
// account allows it (allowBlobPublicAccess). Each container carries its
// account's settings: allowBlobPublicAccess false is block public access
// (all four switches), an unset one allows; minimum TLS version, shared key
// access and the storage firewall's default action. A storage account is
// not a resource of its own, except when its containers could not be
// listed: then the account stands for them, a bucket with the account's id
// and settings whose ACL (the containers' public access) is Unknown, and a
// gap names the container listing ("<account id>/blobServices/default/
// containers"). An account that blocks public blob access is so still
// known not to be public.
func storageTables() []table {
	return []table{{Service: "storage", List: collectStorage}}
}

func collectStorage(ctx context.Context, s scope, out *collectors.Result) error {
	accounts, err := armstorage.NewAccountsClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return s.gap(out, "storage", "StorageAccounts.List", "", err)
	}
	containers, err := armstorage.NewBlobContainersClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return s.gap(out, "storage", "BlobContainers.List", "", err)
	}
	var list []*armstorage.Account
	if err := each(ctx, accounts.NewListPager(nil), func(page armstorage.AccountsClientListResponse) {
		list = append(list, page.Value...)
	}); err != nil {
		if gerr := s.gap(out, "storage", "StorageAccounts.List", "", err); gerr != nil {
			return gerr
		}
	}
	for _, a := range list {
		if a == nil || a.ID == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		base := accountBucket(a)
		rg := segment(*a.ID, "resourceGroups")
		err := each(ctx, containers.NewListPager(rg, deref(a.Name), nil), func(page armstorage.BlobContainersClientListResponse) {
			for _, c := range page.Value {
				if c == nil || c.ID == nil {
					continue
				}
				r := s.resource(*c.ID, inventory.KindBucket, "Microsoft.Storage/storageAccounts/blobServices/containers",
					c.Name, a.Location, a.Tags)
				r.Name = deref(a.Name) + "/" + deref(c.Name)
				b := base
				if c.Properties != nil {
					switch deref(c.Properties.PublicAccess) {
					case armstorage.PublicAccessBlob:
						b.PublicACLGrants = []inventory.ACLGrant{{Grantee: "AllUsers", Permission: "READ"}}
					case armstorage.PublicAccessContainer:
						b.PublicACLGrants = []inventory.ACLGrant{{Grantee: "AllUsers", Permission: "LIST"}, {Grantee: "AllUsers", Permission: "READ"}}
					}
				}
				r.Bucket = &b
				out.Add(r)
			}
		})
		if err != nil {
			if gerr := s.gap(out, "storage", "BlobContainers.List", *a.ID+"/blobServices/default/containers", err); gerr != nil {
				return gerr
			}
			r := s.resource(*a.ID, inventory.KindBucket, "Microsoft.Storage/storageAccounts", a.Name, a.Location, a.Tags)
			b := base
			b.Unknown = []inventory.BucketSetting{inventory.BucketACL}
			r.Bucket = &b
			out.Add(r)
		}
	}
	return nil
}

// accountBucket holds the account's settings that every container shares.
func accountBucket(a *armstorage.Account) inventory.Bucket {
	var b inventory.Bucket
	p := a.Properties
	if p == nil {
		return b
	}
	if p.AllowBlobPublicAccess != nil && !*p.AllowBlobPublicAccess {
		b.BlockPublicAccess = &inventory.BlockPublicAccess{BlockPublicACLs: true, IgnorePublicACLs: true,
			BlockPublicPolicy: true, RestrictPublicBuckets: true}
	}
	b.MinTLSVersion = string(deref(p.MinimumTLSVersion))
	if p.AllowSharedKeyAccess != nil {
		v := *p.AllowSharedKeyAccess
		b.SharedKeyAccess = &v
	} else {
		v := true // unset: Azure accepts account keys and SAS
		b.SharedKeyAccess = &v
	}
	b.NetworkDefault = "allow"
	if n := p.NetworkRuleSet; n != nil && deref(n.DefaultAction) == armstorage.DefaultActionDeny {
		b.NetworkDefault = "deny"
	}
	if deref(p.PublicNetworkAccess) == armstorage.PublicNetworkAccessDisabled {
		b.NetworkDefault = "deny"
	}
	if e := p.Encryption; e != nil && e.KeySource != nil {
		b.Encryption = strings.ToLower(string(*e.KeySource))
	}
	return b
}
