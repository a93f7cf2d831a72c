package azure

import (
	"context"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// computeTables lists what Microsoft.Compute contributes: virtual machines
// with their network interfaces, image and OS facts and managed identities.
// A managed identity is an iam.service_account resource the VM assumes: a
// user-assigned identity under its own ARM id, a system-assigned one under
// "<vm id>/providers/Microsoft.ManagedIdentity/identities/default", the id
// ARM gives it as an extension resource of the VM.
func computeTables() []table {
	return []table{{Service: "compute", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		if err := virtualMachines(ctx, s, out); err != nil {
			return s.gap(out, "compute", "VirtualMachines.ListAll", "", err)
		}
		return nil
	}}}
}

func virtualMachines(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armcompute.NewVirtualMachinesClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListAllPager(nil), func(page armcompute.VirtualMachinesClientListAllResponse) {
		for _, vm := range page.Value {
			if vm == nil || vm.ID == nil {
				continue
			}
			r := s.resource(*vm.ID, inventory.KindInstance, "Microsoft.Compute/virtualMachines", vm.Name, vm.Location, vm.Tags)
			// Azure's metadata service cannot be turned off and answers
			// only requests with the "Metadata: true" header and without
			// X-Forwarded-For, its defence against SSRF: the equivalent
			// of required tokens. The power state needs the instance
			// view, which is not read: State is left unknown ("").
			in := &inventory.Instance{Metadata: &inventory.Metadata{Enabled: true, TokensRequired: true}}
			if p := vm.Properties; p != nil {
				in.LaunchTime = deref(p.TimeCreated).UTC()
				if np := p.NetworkProfile; np != nil {
					// Primary interface first: it carries the VM's subnet.
					nics := append([]*armcompute.NetworkInterfaceReference(nil), np.NetworkInterfaces...)
					sort.SliceStable(nics, func(i, j int) bool {
						return nics[i].Properties != nil && deref(nics[i].Properties.Primary) &&
							(nics[j].Properties == nil || !deref(nics[j].Properties.Primary))
					})
					for _, n := range nics {
						if n != nil {
							in.Interfaces = appendUniq(in.Interfaces, deref(n.ID))
						}
					}
				}
				if sp := p.StorageProfile; sp != nil {
					if ir := sp.ImageReference; ir != nil {
						in.ImageID, in.ImageName = imageOf(ir)
					}
					if sp.OSDisk != nil {
						in.Platform = strings.ToLower(string(deref(sp.OSDisk.OSType)))
					}
				}
			}
			r.Instance = in
			ids := identities(s, vm)
			for _, id := range ids {
				r.AddEdge(inventory.RelAssumes, id.ID)
			}
			out.Add(r)
			out.Add(ids...)
		}
	})
}

// imageOf names a VM's image: the image or gallery id, else the
// marketplace URN publisher:offer:sku:version, with the exact version
// deployed as the name when ARM gives it.
func imageOf(ir *armcompute.ImageReference) (id, name string) {
	for _, x := range []*string{ir.ID, ir.SharedGalleryImageID, ir.CommunityGalleryImageID} {
		if v := deref(x); v != "" {
			return v, lastSegment(v)
		}
	}
	if deref(ir.Publisher) == "" {
		return "", ""
	}
	id = strings.Join([]string{deref(ir.Publisher), deref(ir.Offer), deref(ir.SKU), deref(ir.Version)}, ":")
	name = id
	if v := deref(ir.ExactVersion); v != "" {
		name = strings.Join([]string{deref(ir.Publisher), deref(ir.Offer), deref(ir.SKU), v}, ":")
	}
	return id, name
}

// identities returns the managed identities of vm as resources and records
// their principal ids for role assignments.
func identities(s scope, vm *armcompute.VirtualMachine) []inventory.Resource {
	id := vm.Identity
	if id == nil {
		return nil
	}
	var rs []inventory.Resource
	var principals [][2]string // principal id, identity resource id
	if t := strings.ToLower(string(deref(id.Type))); strings.Contains(t, "systemassigned") {
		r := inventory.Resource{ID: *vm.ID + "/providers/Microsoft.ManagedIdentity/identities/default", Cloud: inventory.Azure,
			Account: s.Subscription, Region: deref(vm.Location), Kind: inventory.KindServiceAccount,
			NativeType: "Microsoft.ManagedIdentity/identities", Name: deref(vm.Name) + " (system-assigned identity)",
			ServiceAccount: &inventory.ServiceAccount{UniqueID: deref(id.PrincipalID)}}
		rs = append(rs, r)
		principals = append(principals, [2]string{deref(id.PrincipalID), r.ID})
	}
	var uai []string
	for k := range id.UserAssignedIdentities {
		uai = append(uai, k)
	}
	sort.Strings(uai)
	for _, k := range uai {
		r := inventory.Resource{ID: k, Cloud: inventory.Azure, Account: s.Subscription, Region: deref(vm.Location),
			Kind: inventory.KindServiceAccount, NativeType: "Microsoft.ManagedIdentity/userAssignedIdentities", Name: lastSegment(k),
			ServiceAccount: &inventory.ServiceAccount{}}
		if v := id.UserAssignedIdentities[k]; v != nil {
			r.ServiceAccount.UniqueID = deref(v.PrincipalID)
		}
		rs = append(rs, r)
		if v := id.UserAssignedIdentities[k]; v != nil {
			principals = append(principals, [2]string{deref(v.PrincipalID), k})
		}
	}
	s.state.mu.Lock()
	for _, p := range principals {
		if p[0] != "" {
			s.state.principals[strings.ToLower(p[0])] = p[1]
		}
	}
	s.state.mu.Unlock()
	return rs
}
