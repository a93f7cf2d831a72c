package azure

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// containerServiceTables lists what Microsoft.ContainerService
// contributes: AKS clusters with their Kubernetes version and how the API
// server is reached. A private cluster's API server has no public address;
// a public one admits the authorized IP ranges, or anyone when there are
// none. The cluster's network is the virtual network of its node pools'
// subnet, when they name one.
func containerServiceTables() []table {
	return []table{{Service: "containerservice", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		if err := managedClusters(ctx, s, out); err != nil {
			return s.gap(out, "containerservice", "ManagedClusters.List", "", err)
		}
		return nil
	}}}
}

func managedClusters(ctx context.Context, s scope, out *collectors.Result) error {
	client, err := armcontainerservice.NewManagedClustersClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListPager(nil), func(page armcontainerservice.ManagedClustersClientListResponse) {
		for _, mc := range page.Value {
			if mc == nil || mc.ID == nil {
				continue
			}
			r := s.resource(*mc.ID, inventory.KindCluster, "Microsoft.ContainerService/managedClusters", mc.Name, mc.Location, mc.Tags)
			r.Cluster = cluster(mc.Properties)
			if r.Cluster.NetworkID != "" {
				r.AddEdge(inventory.RelIn, r.Cluster.NetworkID)
			}
			out.Add(r)
		}
	})
}

// cluster reads a cluster's version (the running one, currentKubernetesVersion,
// else the requested kubernetesVersion, which may be an alias such as
// "1.29") and API server access.
func cluster(p *armcontainerservice.ManagedClusterProperties) *inventory.Cluster {
	c := &inventory.Cluster{PublicEndpoint: true}
	if p == nil {
		return c
	}
	c.Version = deref(p.CurrentKubernetesVersion)
	if c.Version == "" {
		c.Version = deref(p.KubernetesVersion)
	}
	c.Endpoint = deref(p.Fqdn)
	if a := p.APIServerAccessProfile; a != nil {
		if deref(a.EnablePrivateCluster) {
			c.PublicEndpoint = false
			c.Endpoint = deref(p.PrivateFQDN)
		}
		c.AuthorizedNetworks = derefs(a.AuthorizedIPRanges)
	}
	// Public network access Disabled closes the public endpoint too.
	if deref(p.PublicNetworkAccess) == armcontainerservice.PublicNetworkAccessDisabled {
		c.PublicEndpoint = false
	}
	for _, ap := range p.AgentPoolProfiles {
		if ap == nil {
			continue
		}
		if id := parentID(deref(ap.VnetSubnetID), "subnets"); id != "" {
			c.NetworkID = id
			break
		}
	}
	return c
}
