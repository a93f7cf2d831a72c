package gcp

import (
	"context"
	"sort"
	"strings"

	container "google.golang.org/api/container/v1"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// containerAPI is what the GKE table asks of the Kubernetes Engine API (v1).
type containerAPI interface {
	ListClusters(ctx context.Context, project string) (*container.ListClustersResponse, error)
}

type containerClient struct{ s *container.Service }

// ListClusters lists the clusters of every location ("locations/-"). The
// API has no pages: one answer holds them all, and missingZones names the
// locations it could not reach.
func (c *containerClient) ListClusters(ctx context.Context, project string) (*container.ListClustersResponse, error) {
	return c.s.Projects.Locations.Clusters.List("projects/" + project + "/locations/-").Context(ctx).Do()
}

// gkeTable lists the project's GKE clusters (projects.locations.clusters.list
// over every location). Each is a cluster named
// //container.googleapis.com/projects/P/locations/L/clusters/NAME
// (container.googleapis.com/Cluster):
//   - Version: currentMasterVersion.
//   - PublicEndpoint: the control plane has a public address: from
//     controlPlaneEndpointsConfig.ipEndpointsConfig (enabled and
//     enablePublicEndpoint) when the cluster has it, else
//     !privateClusterConfig.enablePrivateEndpoint.
//   - Endpoint: the control plane's address (endpoint).
//   - AuthorizedNetworks: the cidrBlocks of masterAuthorizedNetworksConfig
//     (or of ipEndpointsConfig.authorizedNetworksConfig) when it is enabled;
//     nil, anyone, when it is disabled or absent. An enabled config with no
//     block admits only Google's own ranges, which the inventory cannot
//     say: it is recorded as nil too, the broader reading.
//   - NetworkID: networkConfig.network, else the network named in the
//     cluster's project.
//
// Zones the API lists as missingZones are a gap: their clusters may be
// missing.
func gkeTable() table {
	return table{Service: "container", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		var resp *container.ListClustersResponse
		err := cl.opts.do(ctx, func() (err error) { resp, err = cl.container.ListClusters(ctx, s.Project); return err })
		if err != nil {
			return s.gap(out, "container", "projects.locations.clusters.list", "", err)
		}
		for _, z := range resp.MissingZones {
			out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: s.Project, Region: z, Service: "container",
				Operation: "projects.locations.clusters.list", Reason: inventory.GapUnreachable,
				Message: "the clusters of " + z + " could not be listed (missingZones)"})
		}
		for _, c := range resp.Clusters {
			out.Add(gkeCluster(s, c))
		}
		return nil
	}}
}

func gkeCluster(s scope, c *container.Cluster) inventory.Resource {
	location := c.Location
	if location == "" {
		location = c.Zone
	}
	id := "//container.googleapis.com/projects/" + s.Project + "/locations/" + location + "/clusters/" + c.Name
	k := &inventory.Cluster{Version: c.CurrentMasterVersion, Endpoint: c.Endpoint, PublicEndpoint: true}
	authorized := c.MasterAuthorizedNetworksConfig
	if pc := c.PrivateClusterConfig; pc != nil && pc.EnablePrivateEndpoint {
		k.PublicEndpoint = false
	}
	if cp := c.ControlPlaneEndpointsConfig; cp != nil && cp.IpEndpointsConfig != nil {
		ip := cp.IpEndpointsConfig
		k.PublicEndpoint = ip.Enabled && ip.EnablePublicEndpoint
		if ip.PublicEndpoint != "" && k.Endpoint == "" {
			k.Endpoint = ip.PublicEndpoint
		}
		if ip.AuthorizedNetworksConfig != nil {
			authorized = ip.AuthorizedNetworksConfig
		}
	}
	if authorized != nil && authorized.Enabled {
		for _, b := range authorized.CidrBlocks {
			k.AuthorizedNetworks = appendUniq(k.AuthorizedNetworks, b.CidrBlock)
		}
		sort.Strings(k.AuthorizedNetworks)
	}
	switch {
	case c.NetworkConfig != nil && c.NetworkConfig.Network != "":
		k.NetworkID = computeName(c.NetworkConfig.Network)
	case c.Network != "" && strings.Contains(c.Network, "/"):
		k.NetworkID = computeName(c.Network)
	case c.Network != "":
		k.NetworkID = "//compute.googleapis.com/projects/" + s.Project + "/global/networks/" + c.Network
	}
	r := inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Region: location, Kind: inventory.KindCluster,
		NativeType: "container.googleapis.com/Cluster", Name: c.Name, Tags: tagMap(c.ResourceLabels), Cluster: k}
	if k.NetworkID != "" {
		r.AddEdge(inventory.RelIn, k.NetworkID)
	}
	return r
}
