package aws

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// ec2API is the part of the EC2 client the ec2 table calls.
type ec2API interface {
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeInternetGateways(context.Context, *ec2.DescribeInternetGatewaysInput, ...func(*ec2.Options)) (*ec2.DescribeInternetGatewaysOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DescribeInstanceAttribute(context.Context, *ec2.DescribeInstanceAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
}

// ec2Tables lists what the ec2 service contributes: one regional table
// that reads the network (VPCs, subnets, internet gateways, route tables),
// the security groups, the network interfaces and the instances with their
// images and the secrets found in their user data (userdata.go). The calls run in that order so that later resources can name the
// owners of earlier ones (shared VPCs); a failed call is a gap and the rest
// still run, unless the region's endpoint did not answer at all: then the
// calls left are gaps too, without waiting on each in turn.
func ec2Tables() []table {
	return []table{{Service: "ec2", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return collectEC2(ctx, ec2.NewFromConfig(s.Config), s, out)
	}}}
}

// ec2ImageBatch bounds the image ids of one DescribeImages filter.
const ec2ImageBatch = 200

// ec2LiveStates are the instance states collected: a shutting-down or
// terminated instance is gone, or about to be, and is not scored.
var ec2LiveStates = []string{"pending", "running", "stopping", "stopped"}

func collectEC2(ctx context.Context, api ec2API, s scope, out *collectors.Result) error {
	c := &ec2Region{api: api, s: s, out: out, owner: map[string]string{}}
	steps := []struct {
		ops []string // the calls the step makes
		run func(context.Context) error
	}{
		{[]string{"DescribeVpcs"}, c.vpcs},
		{[]string{"DescribeSubnets"}, c.subnets},
		{[]string{"DescribeInternetGateways"}, c.internetGateways},
		{[]string{"DescribeRouteTables"}, c.routeTables},
		{[]string{"DescribeSecurityGroups"}, c.securityGroups},
		{[]string{"DescribeNetworkInterfaces"}, c.networkInterfaces},
		{[]string{"DescribeInstances", "DescribeImages", "DescribeInstanceAttribute"}, c.instances},
	}
	for i, step := range steps {
		if err := step.run(ctx); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.down != nil {
			for _, later := range steps[i+1:] {
				for _, op := range later.ops {
					c.skip(op)
				}
			}
			return nil
		}
	}
	return nil
}

// ec2Region collects one region.
type ec2Region struct {
	api ec2API
	s   scope
	out *collectors.Result
	// owner maps VPC, subnet, security group and interface ids to the
	// account that owns them, which is part of their ARN; ids not seen
	// belong to the scanned account.
	owner map[string]string
	// down is the first network failure of the region's endpoint, after
	// retries; the calls after it are not made.
	down error
}

// gap records a failed call; non-nil when the whole run must stop.
func (c *ec2Region) gap(op, resource string, err error) error {
	if c.down == nil && classify(err) == inventory.GapUnreachable {
		c.down = err
	}
	return c.s.gap(c.out, "ec2", op, resource, err)
}

// skip records a call not made because the endpoint is down.
func (c *ec2Region) skip(op string) {
	c.out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: c.s.Account, Region: c.s.Region, Service: "ec2",
		Operation: op, Reason: inventory.GapUnreachable,
		Message: "not called: the ec2 endpoint of " + c.s.Region + " did not answer: " + c.down.Error()})
}

// own records the owner of id.
func (c *ec2Region) own(id string, owner *string) {
	if o := aws.ToString(owner); o != "" && id != "" {
		c.owner[id] = o
	}
}

// arn is the ARN of an EC2 resource of this region, "" for an empty id.
// kind is the ARN resource type: instance, vpc, subnet, security-group…
func (c *ec2Region) arn(kind, id string) string {
	if id == "" {
		return ""
	}
	account := c.owner[id]
	if account == "" {
		account = c.s.Account
	}
	return c.s.arn("ec2", c.s.Region, account, kind+"/"+id)
}

// resource starts a resource of this region.
func (c *ec2Region) resource(id string, kind inventory.Kind, native string, tags []types.Tag) inventory.Resource {
	m := tagMap(tags, func(t types.Tag) (*string, *string) { return t.Key, t.Value })
	return inventory.Resource{ID: id, Cloud: inventory.AWS, Account: c.s.Account, Region: c.s.Region,
		Kind: kind, NativeType: native, Name: m["Name"], Tags: m}
}

func (c *ec2Region) vpcs(ctx context.Context) error {
	p := ec2.NewDescribeVpcsPaginator(c.api, &ec2.DescribeVpcsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeVpcs", "", err)
		}
		for _, v := range page.Vpcs {
			id := aws.ToString(v.VpcId)
			c.own(id, v.OwnerId)
			r := c.resource(c.arn("vpc", id), inventory.KindNetwork, "AWS::EC2::VPC", v.Tags)
			n := &inventory.Network{IsDefault: aws.ToBool(v.IsDefault)}
			for _, a := range v.CidrBlockAssociationSet {
				if a.CidrBlockState == nil || a.CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
					n.CIDRs = ec2AppendUniq(n.CIDRs, aws.ToString(a.CidrBlock))
				}
			}
			if len(n.CIDRs) == 0 {
				n.CIDRs = ec2AppendUniq(n.CIDRs, aws.ToString(v.CidrBlock))
			}
			for _, a := range v.Ipv6CidrBlockAssociationSet {
				if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
					n.CIDRs = ec2AppendUniq(n.CIDRs, aws.ToString(a.Ipv6CidrBlock))
				}
			}
			r.Network = n
			c.out.Add(r)
		}
	}
	return nil
}

func (c *ec2Region) subnets(ctx context.Context) error {
	p := ec2.NewDescribeSubnetsPaginator(c.api, &ec2.DescribeSubnetsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeSubnets", "", err)
		}
		for _, sn := range page.Subnets {
			id := aws.ToString(sn.SubnetId)
			c.own(id, sn.OwnerId)
			r := c.resource(c.arn("subnet", id), inventory.KindSubnet, "AWS::EC2::Subnet", sn.Tags)
			r.Subnet = &inventory.Subnet{NetworkID: c.arn("vpc", aws.ToString(sn.VpcId)), CIDR: aws.ToString(sn.CidrBlock),
				Zone: aws.ToString(sn.AvailabilityZone), MapPublicIPOnLaunch: aws.ToBool(sn.MapPublicIpOnLaunch)}
			if r.Subnet.CIDR == "" {
				for _, a := range sn.Ipv6CidrBlockAssociationSet {
					if r.Subnet.CIDR = aws.ToString(a.Ipv6CidrBlock); r.Subnet.CIDR != "" {
						break
					}
				}
			}
			if r.Subnet.NetworkID != "" {
				r.AddEdge(inventory.RelIn, r.Subnet.NetworkID)
			}
			c.out.Add(r)
		}
	}
	return nil
}

func (c *ec2Region) internetGateways(ctx context.Context) error {
	p := ec2.NewDescribeInternetGatewaysPaginator(c.api, &ec2.DescribeInternetGatewaysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeInternetGateways", "", err)
		}
		for _, g := range page.InternetGateways {
			id := aws.ToString(g.InternetGatewayId)
			c.own(id, g.OwnerId)
			r := c.resource(c.arn("internet-gateway", id), inventory.KindGateway, "AWS::EC2::InternetGateway", g.Tags)
			r.Gateway = &inventory.Gateway{Type: "internet"}
			for _, a := range g.Attachments {
				if a.State == types.AttachmentStatusDetached {
					continue
				}
				vpc := c.arn("vpc", aws.ToString(a.VpcId))
				if vpc == "" {
					continue
				}
				r.Gateway.Networks = append(r.Gateway.Networks, vpc)
				r.AddEdge(inventory.RelAttachedTo, vpc)
			}
			c.out.Add(r)
		}
	}
	return nil
}

func (c *ec2Region) routeTables(ctx context.Context) error {
	p := ec2.NewDescribeRouteTablesPaginator(c.api, &ec2.DescribeRouteTablesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeRouteTables", "", err)
		}
		for _, t := range page.RouteTables {
			id := aws.ToString(t.RouteTableId)
			c.own(id, t.OwnerId)
			r := c.resource(c.arn("route-table", id), inventory.KindRouteTable, "AWS::EC2::RouteTable", t.Tags)
			rt := &inventory.RouteTable{NetworkID: c.arn("vpc", aws.ToString(t.VpcId))}
			for _, a := range t.Associations {
				if a.AssociationState != nil && a.AssociationState.State != types.RouteTableAssociationStateCodeAssociated &&
					a.AssociationState.State != types.RouteTableAssociationStateCodeAssociating {
					continue
				}
				if aws.ToBool(a.Main) {
					rt.Main = true
				}
				if sn := c.arn("subnet", aws.ToString(a.SubnetId)); sn != "" {
					rt.Subnets = append(rt.Subnets, sn)
					r.AddEdge(inventory.RelRoutes, sn)
				}
			}
			for _, route := range t.Routes {
				if route.State == types.RouteStateBlackhole {
					continue // traffic to it is dropped
				}
				x := c.route(route)
				rt.Routes = append(rt.Routes, x)
				if x.TargetKind == "internet_gateway" && (x.Destination == "0.0.0.0/0" || x.Destination == "::/0") {
					if !slices.Contains(r.Edges, inventory.Edge{From: r.ID, Relation: inventory.RelRoutesTo, To: x.Target}) {
						r.AddEdge(inventory.RelRoutesTo, x.Target)
					}
				}
			}
			r.RouteTable = rt
			c.out.Add(r)
		}
	}
	return nil
}

// route normalizes one route; targets that are resources are named by ARN.
func (c *ec2Region) route(r types.Route) inventory.Route {
	out := inventory.Route{Destination: aws.ToString(r.DestinationCidrBlock), TargetKind: "other"}
	if out.Destination == "" {
		out.Destination = aws.ToString(r.DestinationIpv6CidrBlock)
	}
	if out.Destination == "" {
		out.Destination = aws.ToString(r.DestinationPrefixListId)
	}
	gw := aws.ToString(r.GatewayId)
	switch {
	case gw == "local":
		out.Target, out.TargetKind = "local", "local"
	case strings.HasPrefix(gw, "igw-"):
		out.Target, out.TargetKind = c.arn("internet-gateway", gw), "internet_gateway"
	case r.NatGatewayId != nil:
		out.Target, out.TargetKind = c.arn("natgateway", aws.ToString(r.NatGatewayId)), "nat_gateway"
	case strings.HasPrefix(gw, "vgw-"):
		out.Target = c.arn("vpn-gateway", gw)
	case gw != "":
		out.Target = gw // vpce-… (gateway endpoints) and other gateway kinds
	case r.EgressOnlyInternetGatewayId != nil:
		out.Target = c.arn("egress-only-internet-gateway", aws.ToString(r.EgressOnlyInternetGatewayId))
	case r.TransitGatewayId != nil:
		out.Target = c.arn("transit-gateway", aws.ToString(r.TransitGatewayId))
	case r.VpcPeeringConnectionId != nil:
		out.Target = c.arn("vpc-peering-connection", aws.ToString(r.VpcPeeringConnectionId))
	case r.NetworkInterfaceId != nil:
		out.Target = c.arn("network-interface", aws.ToString(r.NetworkInterfaceId))
	case r.InstanceId != nil:
		out.Target = c.arn("instance", aws.ToString(r.InstanceId))
	case r.LocalGatewayId != nil:
		out.Target = aws.ToString(r.LocalGatewayId)
	case r.CarrierGatewayId != nil:
		out.Target = aws.ToString(r.CarrierGatewayId)
	case r.CoreNetworkArn != nil:
		out.Target = aws.ToString(r.CoreNetworkArn)
	}
	return out
}

func (c *ec2Region) securityGroups(ctx context.Context) error {
	p := ec2.NewDescribeSecurityGroupsPaginator(c.api, &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeSecurityGroups", "", err)
		}
		for _, g := range page.SecurityGroups {
			id := aws.ToString(g.GroupId)
			c.own(id, g.OwnerId)
			r := c.resource(c.arn("security-group", id), inventory.KindFirewall, "AWS::EC2::SecurityGroup", g.Tags)
			if r.Name == "" {
				r.Name = aws.ToString(g.GroupName)
			}
			fw := &inventory.Firewall{NetworkID: c.arn("vpc", aws.ToString(g.VpcId)), Rules: []inventory.FirewallRule{}}
			fw.Rules = append(fw.Rules, c.rules(inventory.Ingress, g.IpPermissions)...)
			fw.Rules = append(fw.Rules, c.rules(inventory.Egress, g.IpPermissionsEgress)...)
			r.Firewall = fw
			c.out.Add(r)
		}
	}
	return nil
}

// rules turns IpPermissions into allow rules, one per permission. For
// egress rules Sources are the destinations. Prefix lists are kept in
// Sources by id (pl-…), since their CIDRs are not resolved here.
func (c *ec2Region) rules(dir inventory.Direction, perms []types.IpPermission) []inventory.FirewallRule {
	var out []inventory.FirewallRule
	for _, p := range perms {
		proto := ec2Protocol(aws.ToString(p.IpProtocol))
		rule := inventory.FirewallRule{Direction: dir, Action: inventory.Allow, Protocol: proto,
			Ports: inventory.PortRange{From: 0, To: 65535}}
		if (proto == "tcp" || proto == "udp") && p.FromPort != nil && p.ToPort != nil && *p.FromPort >= 0 && *p.ToPort >= 0 {
			rule.Ports = inventory.PortRange{From: int(*p.FromPort), To: int(*p.ToPort)}
		}
		var descriptions []string
		for _, x := range p.IpRanges {
			rule.Sources = ec2AppendUniq(rule.Sources, aws.ToString(x.CidrIp))
			descriptions = ec2AppendUniq(descriptions, aws.ToString(x.Description))
		}
		for _, x := range p.Ipv6Ranges {
			rule.Sources = ec2AppendUniq(rule.Sources, aws.ToString(x.CidrIpv6))
			descriptions = ec2AppendUniq(descriptions, aws.ToString(x.Description))
		}
		for _, x := range p.PrefixListIds {
			rule.Sources = ec2AppendUniq(rule.Sources, aws.ToString(x.PrefixListId))
			descriptions = ec2AppendUniq(descriptions, aws.ToString(x.Description))
		}
		for _, x := range p.UserIdGroupPairs {
			gid := aws.ToString(x.GroupId)
			if gid == "" {
				continue
			}
			arn := c.arn("security-group", gid)
			if user := aws.ToString(x.UserId); user != "" && user != "amazon-elb" {
				arn = c.s.arn("ec2", c.s.Region, user, "security-group/"+gid)
			}
			rule.SourceGroups = ec2AppendUniq(rule.SourceGroups, arn)
			descriptions = ec2AppendUniq(descriptions, aws.ToString(x.Description))
		}
		rule.Description = strings.Join(descriptions, "; ")
		out = append(out, rule)
	}
	return out
}

func (c *ec2Region) networkInterfaces(ctx context.Context) error {
	p := ec2.NewDescribeNetworkInterfacesPaginator(c.api, &ec2.DescribeNetworkInterfacesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return c.gap("DescribeNetworkInterfaces", "", err)
		}
		for _, n := range page.NetworkInterfaces {
			id := aws.ToString(n.NetworkInterfaceId)
			c.own(id, n.OwnerId)
			r := c.resource(c.arn("network-interface", id), inventory.KindInterface, "AWS::EC2::NetworkInterface", n.TagSet)
			in := &inventory.Interface{SubnetID: c.arn("subnet", aws.ToString(n.SubnetId))}
			in.PrivateIPs = ec2AppendUniq(in.PrivateIPs, aws.ToString(n.PrivateIpAddress))
			if n.Association != nil {
				in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(n.Association.PublicIp))
			}
			for _, ip := range n.PrivateIpAddresses {
				in.PrivateIPs = ec2AppendUniq(in.PrivateIPs, aws.ToString(ip.PrivateIpAddress))
				if ip.Association != nil {
					in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(ip.Association.PublicIp))
				}
			}
			for _, ip := range n.Ipv6Addresses {
				in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(ip.Ipv6Address))
			}
			for _, g := range n.Groups {
				in.Firewalls = ec2AppendUniq(in.Firewalls, c.arn("security-group", aws.ToString(g.GroupId)))
			}
			if a := n.Attachment; a != nil && a.Status != types.AttachmentStatusDetached {
				in.InstanceID = c.arn("instance", aws.ToString(a.InstanceId))
			}
			if in.InstanceID != "" {
				r.AddEdge(inventory.RelAttachedTo, in.InstanceID)
			}
			if in.SubnetID != "" {
				r.AddEdge(inventory.RelIn, in.SubnetID)
			}
			for _, fw := range in.Firewalls {
				r.AddEdge(inventory.RelProtectedBy, fw)
			}
			r.Interface = in
			c.out.Add(r)
		}
	}
	return nil
}

func (c *ec2Region) instances(ctx context.Context) error {
	var rs []inventory.Resource
	var failed error
	p := ec2.NewDescribeInstancesPaginator(c.api, &ec2.DescribeInstancesInput{
		Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: ec2LiveStates}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			failed = err
			break
		}
		for _, res := range page.Reservations {
			for _, i := range res.Instances {
				rs = append(rs, c.instance(i))
			}
		}
	}
	// What was read before a failure is still worth the images and the
	// snapshot; the gap says the list is incomplete.
	if failed != nil {
		if err := c.gap("DescribeInstances", "", failed); err != nil {
			return err
		}
	}
	if c.down != nil {
		if len(rs) > 0 {
			c.skip("DescribeImages")
		}
	} else if err := c.images(ctx, rs); err != nil {
		return err
	}
	// User data is read last: a region whose endpoint is down by now
	// marks its instances' secrets unknown without calling.
	if err := c.userData(ctx, rs); err != nil {
		return err
	}
	c.out.Add(rs...)
	return nil
}

func (c *ec2Region) instance(i types.Instance) inventory.Resource {
	r := c.resource(c.arn("instance", aws.ToString(i.InstanceId)), inventory.KindInstance, "AWS::EC2::Instance", i.Tags)
	in := &inventory.Instance{
		NetworkID:  c.arn("vpc", aws.ToString(i.VpcId)),
		SubnetID:   c.arn("subnet", aws.ToString(i.SubnetId)),
		ImageID:    aws.ToString(i.ImageId),
		LaunchTime: aws.ToTime(i.LaunchTime).UTC(),
		Platform:   ec2Platform(i),
	}
	if i.State != nil {
		in.State = string(i.State.Name)
	}
	if i.IamInstanceProfile != nil {
		in.InstanceProfile = aws.ToString(i.IamInstanceProfile.Arn)
	}
	if m := i.MetadataOptions; m != nil {
		// Unknown or empty settings read as the riskier default: the
		// endpoint on, tokens optional.
		in.Metadata = &inventory.Metadata{
			Enabled:        m.HttpEndpoint != types.InstanceMetadataEndpointStateDisabled,
			TokensRequired: m.HttpTokens == types.HttpTokensStateRequired,
			HopLimit:       int(aws.ToInt32(m.HttpPutResponseHopLimit)),
		}
	}
	in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(i.PublicIpAddress))
	in.PrivateIPs = ec2AppendUniq(in.PrivateIPs, aws.ToString(i.PrivateIpAddress))
	for _, g := range i.SecurityGroups {
		in.Firewalls = ec2AppendUniq(in.Firewalls, c.arn("security-group", aws.ToString(g.GroupId)))
	}
	for _, n := range i.NetworkInterfaces {
		in.Interfaces = ec2AppendUniq(in.Interfaces, c.arn("network-interface", aws.ToString(n.NetworkInterfaceId)))
		if n.Association != nil {
			in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(n.Association.PublicIp))
		}
		in.PrivateIPs = ec2AppendUniq(in.PrivateIPs, aws.ToString(n.PrivateIpAddress))
		for _, ip := range n.PrivateIpAddresses {
			in.PrivateIPs = ec2AppendUniq(in.PrivateIPs, aws.ToString(ip.PrivateIpAddress))
			if ip.Association != nil {
				in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(ip.Association.PublicIp))
			}
		}
		for _, ip := range n.Ipv6Addresses {
			in.PublicIPs = ec2AppendUniq(in.PublicIPs, aws.ToString(ip.Ipv6Address))
		}
		for _, g := range n.Groups {
			in.Firewalls = ec2AppendUniq(in.Firewalls, c.arn("security-group", aws.ToString(g.GroupId)))
		}
	}
	if in.SubnetID != "" {
		r.AddEdge(inventory.RelIn, in.SubnetID)
	}
	for _, fw := range in.Firewalls {
		r.AddEdge(inventory.RelProtectedBy, fw)
	}
	r.Instance = in
	return r
}

// images fills ImageName and ImageCreated of the instances from the images
// they run. It filters by image-id rather than passing ImageIds, which
// fails the whole call when one image no longer exists; an image that is
// gone or not visible leaves the fields zero (unknown).
func (c *ec2Region) images(ctx context.Context, rs []inventory.Resource) error {
	var ids []string
	for _, r := range rs {
		ids = ec2AppendUniq(ids, r.Instance.ImageID)
	}
	slices.Sort(ids)
	type image struct {
		name    string
		created time.Time
	}
	found := map[string]image{}
	for batch := range slices.Chunk(ids, ec2ImageBatch) {
		if c.down != nil {
			break // a gap says the endpoint did not answer
		}
		p := ec2.NewDescribeImagesPaginator(c.api, &ec2.DescribeImagesInput{
			Filters:           []types.Filter{{Name: aws.String("image-id"), Values: batch}},
			IncludeDeprecated: aws.Bool(true),
			IncludeDisabled:   aws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				if gerr := c.gap("DescribeImages", "", err); gerr != nil {
					return gerr
				}
				break
			}
			for _, im := range page.Images {
				x := image{name: aws.ToString(im.Name)}
				if t, err := time.Parse(time.RFC3339, aws.ToString(im.CreationDate)); err == nil {
					x.created = t.UTC()
				}
				found[aws.ToString(im.ImageId)] = x
			}
		}
	}
	for i := range rs {
		if im, ok := found[rs[i].Instance.ImageID]; ok {
			rs[i].Instance.ImageName, rs[i].Instance.ImageCreated = im.name, im.created
		}
	}
	return nil
}

// ec2Platform is "windows" or "linux" ("" when the API says neither).
func ec2Platform(i types.Instance) string {
	p := strings.ToLower(string(i.Platform) + " " + aws.ToString(i.PlatformDetails))
	switch {
	case strings.Contains(p, "windows"):
		return "windows"
	case strings.TrimSpace(p) != "":
		return "linux"
	}
	return ""
}

// ec2Protocol names an IpProtocol: "-1" is every protocol; numbers of the
// common protocols are named as the API names them elsewhere.
func ec2Protocol(p string) string {
	switch strings.ToLower(p) {
	case "-1", "all":
		return "all"
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	case "1", "icmp":
		return "icmp"
	case "58", "icmpv6":
		return "icmpv6"
	}
	if _, err := strconv.Atoi(p); err == nil {
		return p
	}
	return strings.ToLower(p)
}

// ec2AppendUniq appends v unless it is empty or already present.
func ec2AppendUniq(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
