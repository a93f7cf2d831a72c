package aws

import (
	"context"
	"maps"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// eksAPI is what the eks table calls on an EKS client.
type eksAPI interface {
	ListClusters(context.Context, *eks.ListClustersInput, ...func(*eks.Options)) (*eks.ListClustersOutput, error)
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

// eksDescribeConcurrency bounds the DescribeCluster calls of one region in
// flight at once.
const eksDescribeConcurrency = 8

func eksTables() []table {
	return []table{{Service: "eks", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listClusters(ctx, s, out, eks.NewFromConfig(s.Config))
	}}}
}

// listClusters lists the region's EKS clusters and describes each: its
// Kubernetes version, whether its API server endpoint is public and to
// which ranges, its VPC, subnets and security groups, and the IAM role the
// control plane assumes. The clusters of the pages read before a failure
// are kept; a cluster that could not be described is kept without its
// attributes (so its exposure and version are unknown, never safe), with
// a gap.
func listClusters(ctx context.Context, s scope, out *collectors.Result, c eksAPI) error {
	var names []string
	p := eks.NewListClustersPaginator(c, &eks.ListClustersInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "eks", "ListClusters", "", err); gerr != nil {
				return gerr
			}
			break
		}
		names = append(names, page.Clusters...)
	}
	rs := make([]inventory.Resource, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(eksDescribeConcurrency)
	for i, name := range names {
		g.Go(func() error {
			arn := s.arn("eks", s.Region, s.Account, "cluster/"+name)
			rs[i] = inventory.Resource{ID: arn, Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
				Kind: inventory.KindCluster, NativeType: "AWS::EKS::Cluster", Name: name}
			resp, err := c.DescribeCluster(gctx, &eks.DescribeClusterInput{Name: aws.String(name)})
			if err != nil {
				return s.gap(out, "eks", "DescribeCluster", arn, err)
			}
			if resp.Cluster != nil {
				rs[i] = eksCluster(s, *resp.Cluster)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	out.Add(rs...)
	return nil
}

// eksCluster normalizes one cluster. The endpoint is public when
// endpointPublicAccess is on; its publicAccessCidrs (EKS answers
// 0.0.0.0/0 when none were set) are then the networks that reach it.
// The VPC, subnets and security groups get the ARNs the ec2 table gives
// them.
func eksCluster(s scope, cl types.Cluster) inventory.Resource {
	ec2ARN := func(kind, id string) string { return s.arn("ec2", s.Region, s.Account, kind+"/"+id) }
	name := aws.ToString(cl.Name)
	r := inventory.Resource{ID: aws.ToString(cl.Arn), Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Kind: inventory.KindCluster, NativeType: "AWS::EKS::Cluster", Name: name, Tags: clusterTags(cl.Tags)}
	if r.ID == "" {
		r.ID = s.arn("eks", s.Region, s.Account, "cluster/"+name)
	}
	k := &inventory.Cluster{Version: aws.ToString(cl.Version), Endpoint: aws.ToString(cl.Endpoint)}
	r.Cluster = k
	if role := aws.ToString(cl.RoleArn); role != "" {
		r.AddEdge(inventory.RelAssumes, role)
	}
	v := cl.ResourcesVpcConfig
	if v == nil {
		return r
	}
	k.PublicEndpoint = v.EndpointPublicAccess
	if k.PublicEndpoint {
		k.AuthorizedNetworks = append([]string(nil), v.PublicAccessCidrs...)
	}
	if vpc := aws.ToString(v.VpcId); vpc != "" {
		k.NetworkID = ec2ARN("vpc", vpc)
	}
	for _, sn := range v.SubnetIds {
		r.AddEdge(inventory.RelIn, ec2ARN("subnet", sn))
	}
	var groups []string
	if sg := aws.ToString(v.ClusterSecurityGroupId); sg != "" {
		groups = append(groups, sg)
	}
	for _, sg := range v.SecurityGroupIds {
		if sg != aws.ToString(v.ClusterSecurityGroupId) {
			groups = append(groups, sg)
		}
	}
	for _, sg := range groups {
		r.AddEdge(inventory.RelProtectedBy, ec2ARN("security-group", sg))
	}
	return r
}

// clusterTags copies a cluster's tags, nil when it has none.
func clusterTags(tags map[string]string) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	return maps.Clone(tags)
}
