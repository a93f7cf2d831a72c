package azure

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// keyVaultTables lists what Microsoft.KeyVault contributes: each vault is
// a secret store (KindSecret) with its recovery settings (soft delete,
// purge protection) and network access (public network access, the vault
// firewall's default action and IP rules). The secrets inside are not
// listed: reading them needs data-plane access a posture scan does not ask
// for.
func keyVaultTables() []table {
	return []table{{Service: "keyvault", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		if err := vaults(ctx, s, out); err != nil {
			return s.gap(out, "keyvault", "Vaults.ListBySubscription", "", err)
		}
		return nil
	}}}
}

func vaults(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armkeyvault.NewVaultsClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	// ListBySubscription, not List: List goes through the generic
	// resources API and answers without the vaults' properties.
	return each(ctx, client.NewListBySubscriptionPager(nil), func(page armkeyvault.VaultsClientListBySubscriptionResponse) {
		for _, v := range page.Value {
			if v == nil || v.ID == nil {
				continue
			}
			r := s.resource(*v.ID, inventory.KindSecret, "Microsoft.KeyVault/vaults", v.Name, v.Location, v.Tags)
			r.Vault = vault(v.Properties)
			out.Add(r)
		}
	})
}

// vault reads a vault's settings with Azure's defaults for what is unset:
// soft delete on (it can no longer be turned off), purge protection off,
// public network access on, and a firewall that allows every network.
func vault(p *armkeyvault.VaultProperties) *inventory.Vault {
	v := &inventory.Vault{SoftDelete: true, PublicNetworkAccess: true, NetworkDefault: "allow"}
	if p == nil {
		return v
	}
	v.Endpoint = deref(p.VaultURI)
	if p.EnableSoftDelete != nil {
		v.SoftDelete = *p.EnableSoftDelete
	}
	v.PurgeProtection = deref(p.EnablePurgeProtection)
	if strings.EqualFold(deref(p.PublicNetworkAccess), "Disabled") {
		v.PublicNetworkAccess = false
	}
	if n := p.NetworkACLs; n != nil {
		if deref(n.DefaultAction) == armkeyvault.NetworkRuleActionDeny {
			v.NetworkDefault = "deny"
		}
		for _, ip := range n.IPRules {
			if ip != nil {
				v.AuthorizedNetworks = appendUniq(v.AuthorizedNetworks, deref(ip.Value))
			}
		}
	}
	return v
}
