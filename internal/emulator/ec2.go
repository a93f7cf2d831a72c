package emulator

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/xml"
	"slices"
	"sort"
	"strings"
)

// EC2Estate is ec2.json: the EC2 resources of each region, keyed by region
// name. Names follow the EC2 API's fields in snake_case. Network placement
// is written once, on the network interfaces: an instance's subnet, VPC,
// addresses and security groups are those of its interface at device index
// 0, and its networkInterfaceSet lists every interface attached to it.
type EC2Estate struct {
	Regions map[string]EC2Region `json:"regions"`
}

// EC2Region holds one region's EC2 resources.
type EC2Region struct {
	Vpcs              []EC2Vpc              `json:"vpcs,omitempty"`
	Subnets           []EC2Subnet           `json:"subnets,omitempty"`
	InternetGateways  []EC2InternetGateway  `json:"internet_gateways,omitempty"`
	RouteTables       []EC2RouteTable       `json:"route_tables,omitempty"`
	SecurityGroups    []EC2SecurityGroup    `json:"security_groups,omitempty"`
	Images            []EC2Image            `json:"images,omitempty"`
	NetworkInterfaces []EC2NetworkInterface `json:"network_interfaces,omitempty"`
	Instances         []EC2Instance         `json:"instances,omitempty"`
}

// EC2Vpc is a VPC.
type EC2Vpc struct {
	VpcID          string            `json:"vpc_id"`
	CidrBlock      string            `json:"cidr_block"`
	Ipv6CidrBlocks []string          `json:"ipv6_cidr_blocks,omitempty"`
	IsDefault      bool              `json:"is_default,omitempty"`
	OwnerID        string            `json:"owner_id,omitempty"` // the account sharing it (RAM); default: the estate's
	Tags           map[string]string `json:"tags,omitempty"`
}

// EC2Subnet is a subnet.
type EC2Subnet struct {
	SubnetID            string            `json:"subnet_id"`
	VpcID               string            `json:"vpc_id"`
	CidrBlock           string            `json:"cidr_block"`
	AvailabilityZone    string            `json:"availability_zone"`
	MapPublicIPOnLaunch bool              `json:"map_public_ip_on_launch,omitempty"`
	DefaultForAz        bool              `json:"default_for_az,omitempty"`
	OwnerID             string            `json:"owner_id,omitempty"` // the account sharing it (RAM); default: the estate's
	Tags                map[string]string `json:"tags,omitempty"`
}

// EC2InternetGateway is an internet gateway; attached to the VPCs listed.
type EC2InternetGateway struct {
	InternetGatewayID string            `json:"internet_gateway_id"`
	Attachments       []string          `json:"attachments,omitempty"` // VPC ids
	Tags              map[string]string `json:"tags,omitempty"`
}

// EC2RouteTable is a route table.
type EC2RouteTable struct {
	RouteTableID string            `json:"route_table_id"`
	VpcID        string            `json:"vpc_id"`
	Main         bool              `json:"main,omitempty"`    // the VPC's main table
	Subnets      []string          `json:"subnets,omitempty"` // explicitly associated subnet ids
	Routes       []EC2Route        `json:"routes"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// EC2Route is one route; exactly one target is set.
type EC2Route struct {
	DestinationCidrBlock     string `json:"destination_cidr_block,omitempty"`
	DestinationIpv6CidrBlock string `json:"destination_ipv6_cidr_block,omitempty"`
	GatewayID                string `json:"gateway_id,omitempty"` // igw-…, vgw-… or "local"
	NatGatewayID             string `json:"nat_gateway_id,omitempty"`
	NetworkInterfaceID       string `json:"network_interface_id,omitempty"`
	VpcPeeringConnectionID   string `json:"vpc_peering_connection_id,omitempty"`
	TransitGatewayID         string `json:"transit_gateway_id,omitempty"`
	State                    string `json:"state,omitempty"` // "active" (default) or "blackhole"
}

// EC2SecurityGroup is a security group.
type EC2SecurityGroup struct {
	GroupID             string            `json:"group_id"`
	GroupName           string            `json:"group_name"`
	Description         string            `json:"description,omitempty"`
	VpcID               string            `json:"vpc_id"`
	IPPermissions       []EC2IPPermission `json:"ip_permissions,omitempty"`
	IPPermissionsEgress []EC2IPPermission `json:"ip_permissions_egress,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// EC2IPPermission is one rule of a security group. FromPort and ToPort are
// omitted for ip_protocol "-1".
type EC2IPPermission struct {
	IPProtocol       string               `json:"ip_protocol"`
	FromPort         *int                 `json:"from_port,omitempty"`
	ToPort           *int                 `json:"to_port,omitempty"`
	IPRanges         []string             `json:"ip_ranges,omitempty"`
	Ipv6Ranges       []string             `json:"ipv6_ranges,omitempty"`
	PrefixListIDs    []string             `json:"prefix_list_ids,omitempty"`
	UserIDGroupPairs []EC2UserIDGroupPair `json:"user_id_group_pairs,omitempty"`
}

// EC2UserIDGroupPair references a security group as a rule's peer.
type EC2UserIDGroupPair struct {
	GroupID string `json:"group_id"`
	UserID  string `json:"user_id,omitempty"` // default: the account
}

// EC2Image is an AMI visible in the region.
type EC2Image struct {
	ImageID      string            `json:"image_id"`
	Name         string            `json:"name"`
	CreationDate string            `json:"creation_date"` // as the API writes it: 2023-01-10T00:00:00.000Z
	OwnerID      string            `json:"owner_id,omitempty"`
	Platform     string            `json:"platform,omitempty"` // "windows" or empty
	Public       bool              `json:"public,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// EC2NetworkInterface is an elastic network interface.
type EC2NetworkInterface struct {
	NetworkInterfaceID string `json:"network_interface_id"`
	SubnetID           string `json:"subnet_id"`
	Description        string `json:"description,omitempty"`
	// PrivateIPAddresses: the first is the primary one.
	PrivateIPAddresses []string `json:"private_ip_addresses"`
	// PublicIP is associated with the primary private address.
	PublicIP      string            `json:"public_ip,omitempty"`
	Ipv6Addresses []string          `json:"ipv6_addresses,omitempty"`
	Groups        []string          `json:"groups"` // security group ids
	Attachment    *EC2ENIAttachment `json:"attachment,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
}

// EC2ENIAttachment attaches an interface to an instance.
type EC2ENIAttachment struct {
	InstanceID  string `json:"instance_id"`
	DeviceIndex int    `json:"device_index"`
}

// EC2Instance is an instance; its networking comes from its interfaces.
type EC2Instance struct {
	InstanceID         string             `json:"instance_id"`
	InstanceType       string             `json:"instance_type"`
	State              string             `json:"state"` // pending, running, stopping, stopped, shutting-down, terminated
	ImageID            string             `json:"image_id"`
	LaunchTime         string             `json:"launch_time"`
	Platform           string             `json:"platform,omitempty"`             // "windows" or empty
	IamInstanceProfile string             `json:"iam_instance_profile,omitempty"` // ARN
	MetadataOptions    *EC2MetadataOption `json:"metadata_options,omitempty"`
	// UserData is the instance's user data as text; DescribeInstanceAttribute
	// answers it base64-encoded, gzip'd first when UserDataGzip is set
	// (as cloud-init accepts it).
	UserData     string            `json:"user_data,omitempty"`
	UserDataGzip bool              `json:"user_data_gzip,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// EC2MetadataOption mirrors InstanceMetadataOptionsResponse.
type EC2MetadataOption struct {
	HTTPTokens              string `json:"http_tokens"`   // optional, required
	HTTPEndpoint            string `json:"http_endpoint"` // enabled, disabled
	HTTPPutResponseHopLimit int    `json:"http_put_response_hop_limit,omitempty"`
}

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// serveEC2 answers the EC2 operations the collectors call. Requests to an
// opt-in region the account has not enabled fail the way AWS fails them.
func serveEC2(e *Estate, r *request, pageSize int) (any, error) {
	if r.Action == "DescribeRegions" {
		return describeRegions(e, r)
	}
	if reg := e.AWS.Account.region(r.Region); reg != nil && reg.OptInStatus == "not-opted-in" {
		return nil, errorf(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
	}
	v := &ec2View{account: e.AWS.Account.ID, partition: e.AWS.Account.partition(), region: r.Region, est: e.AWS.EC2.Regions[r.Region]}
	switch r.Action {
	case "DescribeInstances":
		return v.describeInstances(r, pageSize)
	case "DescribeImages":
		return v.describeImages(r, pageSize)
	case "DescribeSecurityGroups":
		return v.describeSecurityGroups(r, pageSize)
	case "DescribeVpcs":
		return v.describeVpcs(r, pageSize)
	case "DescribeSubnets":
		return v.describeSubnets(r, pageSize)
	case "DescribeRouteTables":
		return v.describeRouteTables(r, pageSize)
	case "DescribeInternetGateways":
		return v.describeInternetGateways(r, pageSize)
	case "DescribeNetworkInterfaces":
		return v.describeNetworkInterfaces(r, pageSize)
	case "DescribeInstanceAttribute":
		return v.describeInstanceAttribute(r)
	}
	return nil, errorf(400, "InvalidAction", "emulator: ec2 action %q not served", r.Action)
}

// EC2ResponseHead is embedded in every EC2 answer: <XResponse xmlns=…>
// <requestId/><nextToken/>…. It is exported only because encoding/xml
// cannot read the fields of an unexported embedded struct.
type EC2ResponseHead struct {
	XMLName   xml.Name
	RequestID string `xml:"requestId"`
	NextToken string `xml:"nextToken,omitempty"`
}

func newEC2Head(action, next string) EC2ResponseHead {
	return EC2ResponseHead{XMLName: xml.Name{Space: ec2Namespace, Local: action + "Response"}, RequestID: "emulated", NextToken: next}
}

func describeRegions(e *Estate, r *request) (any, error) {
	type region struct {
		RegionName     string `xml:"regionName"`
		RegionEndpoint string `xml:"regionEndpoint"`
		OptInStatus    string `xml:"optInStatus"`
	}
	type body struct {
		EC2ResponseHead
		Regions []region `xml:"regionInfo>item"`
	}
	if len(r.Filters()) > 0 {
		return nil, errorf(400, "InvalidParameterValue", "emulator: DescribeRegions filters are not supported")
	}
	all := strings.EqualFold(r.Get("AllRegions"), "true")
	names := r.List("RegionName")
	var b body
	for _, reg := range e.AWS.Account.Regions {
		if len(names) > 0 && !slices.Contains(names, reg.Name) {
			continue
		}
		if !all && len(names) == 0 && reg.OptInStatus == "not-opted-in" {
			continue
		}
		b.Regions = append(b.Regions, region{RegionName: reg.Name, RegionEndpoint: "ec2." + reg.Name + ".amazonaws.com", OptInStatus: reg.OptInStatus})
	}
	b.EC2ResponseHead = newEC2Head("DescribeRegions", "")
	return b, nil
}

// ec2View answers one region's requests.
type ec2View struct {
	account   string
	partition string
	region    string
	est       EC2Region
}

// owner is the owner of a resource: id, or the estate's account.
func (v *ec2View) owner(id string) string {
	if id != "" {
		return id
	}
	return v.account
}

// ec2Select keeps the items whose id is in the request's id list (when
// given; an unknown id is notFound) and that match every filter; filter
// gives an item's values for a filter name, ok=false when the emulator does
// not support that filter. It then cuts the page.
func ec2Select[T any](r *request, items []T, server int, idParam, notFound string, id func(T) string, filter func(T, string) ([]string, bool)) ([]T, string, error) {
	ids := r.List(idParam)
	for _, want := range ids {
		if !slices.ContainsFunc(items, func(x T) bool { return id(x) == want }) {
			return nil, "", errorf(400, notFound, "The ID '%s' does not exist", want)
		}
	}
	filters := r.Filters()
	var kept []T
	for _, x := range items {
		if len(ids) > 0 && !slices.Contains(ids, id(x)) {
			continue
		}
		match := true
		for name, values := range filters {
			got, ok := filter(x, name)
			if !ok {
				return nil, "", errorf(400, "InvalidParameterValue", "emulator: filter %q is not supported", name)
			}
			if !slices.ContainsFunc(got, func(g string) bool { return slices.Contains(values, g) }) {
				match = false
			}
		}
		if match {
			kept = append(kept, x)
		}
	}
	from, to, next, err := page(len(kept), r.Get("NextToken"), pageSize(r, server))
	if err != nil {
		return nil, "", err
	}
	return kept[from:to], next, nil
}

// noFilters is the filter function of operations that support none.
func noFilters[T any](T, string) ([]string, bool) { return nil, false }

type ec2Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func ec2Tags(m map[string]string) []ec2Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ec2Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, ec2Tag{Key: k, Value: m[k]})
	}
	return out
}

type ec2Group struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName,omitempty"`
}

func (v *ec2View) groups(ids []string) []ec2Group {
	out := make([]ec2Group, 0, len(ids))
	for _, id := range ids {
		g := ec2Group{GroupID: id}
		for _, sg := range v.est.SecurityGroups {
			if sg.GroupID == id {
				g.GroupName = sg.GroupName
			}
		}
		out = append(out, g)
	}
	return out
}

func (v *ec2View) subnet(id string) EC2Subnet {
	for _, s := range v.est.Subnets {
		if s.SubnetID == id {
			return s
		}
	}
	return EC2Subnet{SubnetID: id}
}

// ---- network interfaces

type ec2Association struct {
	PublicIP  string `xml:"publicIp"`
	IPOwnerID string `xml:"ipOwnerId"`
}

type ec2PrivateIP struct {
	PrivateIPAddress string          `xml:"privateIpAddress"`
	Primary          bool            `xml:"primary"`
	Association      *ec2Association `xml:"association,omitempty"`
}

type ec2Ipv6 struct {
	Ipv6Address string `xml:"ipv6Address"`
}

type ec2ENIAttachment struct {
	AttachmentID    string `xml:"attachmentId"`
	InstanceID      string `xml:"instanceId,omitempty"`
	InstanceOwnerID string `xml:"instanceOwnerId,omitempty"`
	DeviceIndex     int    `xml:"deviceIndex"`
	Status          string `xml:"status"`
}

type ec2ENI struct {
	NetworkInterfaceID string            `xml:"networkInterfaceId"`
	SubnetID           string            `xml:"subnetId"`
	VpcID              string            `xml:"vpcId"`
	AvailabilityZone   string            `xml:"availabilityZone,omitempty"`
	Description        string            `xml:"description"`
	OwnerID            string            `xml:"ownerId"`
	Status             string            `xml:"status"`
	InterfaceType      string            `xml:"interfaceType,omitempty"`
	PrivateIPAddress   string            `xml:"privateIpAddress"`
	Groups             []ec2Group        `xml:"groupSet>item"`
	Attachment         *ec2ENIAttachment `xml:"attachment,omitempty"`
	Association        *ec2Association   `xml:"association,omitempty"`
	PrivateIPs         []ec2PrivateIP    `xml:"privateIpAddressesSet>item"`
	Ipv6               []ec2Ipv6         `xml:"ipv6AddressesSet>item"`
	Tags               []ec2Tag          `xml:"tagSet>item,omitempty"`
}

func (v *ec2View) eni(n EC2NetworkInterface, forInstance bool) ec2ENI {
	sn := v.subnet(n.SubnetID)
	x := ec2ENI{NetworkInterfaceID: n.NetworkInterfaceID, SubnetID: n.SubnetID, VpcID: sn.VpcID,
		Description: n.Description, OwnerID: v.account, Status: "available", InterfaceType: "interface",
		Groups: v.groups(n.Groups)}
	if !forInstance {
		x.AvailabilityZone = sn.AvailabilityZone
		x.Tags = ec2Tags(n.Tags)
	}
	if n.PublicIP != "" {
		x.Association = &ec2Association{PublicIP: n.PublicIP, IPOwnerID: "amazon"}
	}
	for i, ip := range n.PrivateIPAddresses {
		p := ec2PrivateIP{PrivateIPAddress: ip, Primary: i == 0}
		if i == 0 {
			x.PrivateIPAddress = ip
			p.Association = x.Association
		}
		x.PrivateIPs = append(x.PrivateIPs, p)
	}
	for _, ip := range n.Ipv6Addresses {
		x.Ipv6 = append(x.Ipv6, ec2Ipv6{Ipv6Address: ip})
	}
	if a := n.Attachment; a != nil {
		x.Status = "in-use"
		x.Attachment = &ec2ENIAttachment{AttachmentID: "eni-attach-" + strings.TrimPrefix(n.NetworkInterfaceID, "eni-"),
			DeviceIndex: a.DeviceIndex, Status: "attached"}
		if !forInstance {
			x.Attachment.InstanceID, x.Attachment.InstanceOwnerID = a.InstanceID, v.account
		}
	}
	return x
}

func (v *ec2View) describeNetworkInterfaces(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.NetworkInterfaces, pageSize, "NetworkInterfaceId", "InvalidNetworkInterfaceID.NotFound",
		func(n EC2NetworkInterface) string { return n.NetworkInterfaceID },
		func(n EC2NetworkInterface, f string) ([]string, bool) {
			switch f {
			case "subnet-id":
				return []string{n.SubnetID}, true
			case "vpc-id":
				return []string{v.subnet(n.SubnetID).VpcID}, true
			case "attachment.instance-id":
				if n.Attachment == nil {
					return nil, true
				}
				return []string{n.Attachment.InstanceID}, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type body struct {
		EC2ResponseHead
		Items []ec2ENI `xml:"networkInterfaceSet>item"`
	}
	var b body
	for _, n := range items {
		b.Items = append(b.Items, v.eni(n, false))
	}
	b.EC2ResponseHead = newEC2Head("DescribeNetworkInterfaces", next)
	return b, nil
}

// ---- instances

type ec2InstanceXML struct {
	InstanceID string `xml:"instanceId"`
	ImageID    string `xml:"imageId"`
	State      struct {
		Code int    `xml:"code"`
		Name string `xml:"name"`
	} `xml:"instanceState"`
	PrivateIPAddress string `xml:"privateIpAddress,omitempty"`
	IPAddress        string `xml:"ipAddress,omitempty"`
	InstanceType     string `xml:"instanceType"`
	LaunchTime       string `xml:"launchTime"`
	Placement        struct {
		AvailabilityZone string `xml:"availabilityZone"`
	} `xml:"placement"`
	Platform           string     `xml:"platform,omitempty"`
	PlatformDetails    string     `xml:"platformDetails"`
	SubnetID           string     `xml:"subnetId,omitempty"`
	VpcID              string     `xml:"vpcId,omitempty"`
	Groups             []ec2Group `xml:"groupSet>item"`
	IamInstanceProfile *struct {
		Arn string `xml:"arn"`
		ID  string `xml:"id"`
	} `xml:"iamInstanceProfile,omitempty"`
	MetadataOptions *struct {
		State                   string `xml:"state"`
		HTTPTokens              string `xml:"httpTokens"`
		HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
		HTTPEndpoint            string `xml:"httpEndpoint"`
	} `xml:"metadataOptions,omitempty"`
	Interfaces []ec2ENI `xml:"networkInterfaceSet>item"`
	Tags       []ec2Tag `xml:"tagSet>item,omitempty"`
}

var ec2StateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func (v *ec2View) instance(in EC2Instance) ec2InstanceXML {
	x := ec2InstanceXML{InstanceID: in.InstanceID, ImageID: in.ImageID, InstanceType: in.InstanceType,
		LaunchTime: in.LaunchTime, Platform: in.Platform, PlatformDetails: "Linux/UNIX", Tags: ec2Tags(in.Tags)}
	if in.Platform == "windows" {
		x.PlatformDetails = "Windows"
	}
	x.State.Name, x.State.Code = in.State, ec2StateCodes[in.State]
	var enis []EC2NetworkInterface
	for _, n := range v.est.NetworkInterfaces {
		if n.Attachment != nil && n.Attachment.InstanceID == in.InstanceID {
			enis = append(enis, n)
		}
	}
	sort.SliceStable(enis, func(i, j int) bool { return enis[i].Attachment.DeviceIndex < enis[j].Attachment.DeviceIndex })
	for i, n := range enis {
		if i == 0 {
			sn := v.subnet(n.SubnetID)
			x.SubnetID, x.VpcID, x.Placement.AvailabilityZone = n.SubnetID, sn.VpcID, sn.AvailabilityZone
			x.Groups = v.groups(n.Groups)
			if len(n.PrivateIPAddresses) > 0 {
				x.PrivateIPAddress = n.PrivateIPAddresses[0]
			}
			x.IPAddress = n.PublicIP
		}
		x.Interfaces = append(x.Interfaces, v.eni(n, true))
	}
	if in.IamInstanceProfile != "" {
		x.IamInstanceProfile = &struct {
			Arn string `xml:"arn"`
			ID  string `xml:"id"`
		}{Arn: in.IamInstanceProfile, ID: "AIPAEMULATED"}
	}
	if m := in.MetadataOptions; m != nil {
		x.MetadataOptions = &struct {
			State                   string `xml:"state"`
			HTTPTokens              string `xml:"httpTokens"`
			HTTPPutResponseHopLimit int    `xml:"httpPutResponseHopLimit"`
			HTTPEndpoint            string `xml:"httpEndpoint"`
		}{State: "applied", HTTPTokens: m.HTTPTokens, HTTPPutResponseHopLimit: m.HTTPPutResponseHopLimit, HTTPEndpoint: m.HTTPEndpoint}
	}
	return x
}

func (v *ec2View) describeInstances(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.Instances, pageSize, "InstanceId", "InvalidInstanceID.NotFound",
		func(in EC2Instance) string { return in.InstanceID },
		func(in EC2Instance, f string) ([]string, bool) {
			switch f {
			case "instance-state-name":
				return []string{in.State}, true
			case "image-id":
				return []string{in.ImageID}, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type reservation struct {
		ReservationID string           `xml:"reservationId"`
		OwnerID       string           `xml:"ownerId"`
		Instances     []ec2InstanceXML `xml:"instancesSet>item"`
	}
	type body struct {
		EC2ResponseHead
		Reservations []reservation `xml:"reservationSet>item"`
	}
	var b body
	for _, in := range items {
		b.Reservations = append(b.Reservations, reservation{ReservationID: "r-" + strings.TrimPrefix(in.InstanceID, "i-"),
			OwnerID: v.account, Instances: []ec2InstanceXML{v.instance(in)}})
	}
	b.EC2ResponseHead = newEC2Head("DescribeInstances", next)
	return b, nil
}

// describeInstanceAttribute answers the userData attribute of one
// instance: base64 of its user data (gzip'd first when the estate says
// so), an empty element when it has none.
func (v *ec2View) describeInstanceAttribute(r *request) (any, error) {
	if attr := r.Get("Attribute"); attr != "userData" {
		return nil, errorf(400, "InvalidParameterValue", "emulator: instance attribute %q is not served", attr)
	}
	id := r.Get("InstanceId")
	i := slices.IndexFunc(v.est.Instances, func(in EC2Instance) bool { return in.InstanceID == id })
	if i < 0 {
		return nil, errorf(400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	}
	in := v.est.Instances[i]
	type value struct {
		Value string `xml:"value,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		InstanceID string `xml:"instanceId"`
		UserData   value  `xml:"userData"`
	}
	b := body{EC2ResponseHead: newEC2Head("DescribeInstanceAttribute", ""), InstanceID: id}
	if in.UserData != "" {
		data := []byte(in.UserData)
		if in.UserDataGzip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(data); err != nil {
				return nil, errorf(500, "InternalError", "emulator: gzip user data: %v", err)
			}
			if err := zw.Close(); err != nil {
				return nil, errorf(500, "InternalError", "emulator: gzip user data: %v", err)
			}
			data = buf.Bytes()
		}
		b.UserData.Value = base64.StdEncoding.EncodeToString(data)
	}
	return b, nil
}

// ---- images

func (v *ec2View) describeImages(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.Images, pageSize, "ImageId", "InvalidAMIID.NotFound",
		func(im EC2Image) string { return im.ImageID },
		func(im EC2Image, f string) ([]string, bool) {
			switch f {
			case "image-id":
				return []string{im.ImageID}, true
			case "name":
				return []string{im.Name}, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type image struct {
		ImageID      string   `xml:"imageId"`
		ImageState   string   `xml:"imageState"`
		ImageOwnerID string   `xml:"imageOwnerId"`
		CreationDate string   `xml:"creationDate"`
		IsPublic     bool     `xml:"isPublic"`
		Name         string   `xml:"name"`
		Platform     string   `xml:"platform,omitempty"`
		Tags         []ec2Tag `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Images []image `xml:"imagesSet>item"`
	}
	var b body
	for _, im := range items {
		owner := im.OwnerID
		if owner == "" {
			owner = v.account
		}
		b.Images = append(b.Images, image{ImageID: im.ImageID, ImageState: "available", ImageOwnerID: owner,
			CreationDate: im.CreationDate, IsPublic: im.Public, Name: im.Name, Platform: im.Platform, Tags: ec2Tags(im.Tags)})
	}
	b.EC2ResponseHead = newEC2Head("DescribeImages", next)
	return b, nil
}

// ---- security groups

type ec2IPPermission struct {
	IPProtocol string `xml:"ipProtocol"`
	FromPort   *int   `xml:"fromPort,omitempty"`
	ToPort     *int   `xml:"toPort,omitempty"`
	Groups     []struct {
		UserID  string `xml:"userId"`
		GroupID string `xml:"groupId"`
	} `xml:"groups>item"`
	IPRanges []struct {
		CidrIP string `xml:"cidrIp"`
	} `xml:"ipRanges>item"`
	Ipv6Ranges []struct {
		CidrIpv6 string `xml:"cidrIpv6"`
	} `xml:"ipv6Ranges>item"`
	PrefixListIDs []struct {
		PrefixListID string `xml:"prefixListId"`
	} `xml:"prefixListIds>item"`
}

func (v *ec2View) permissions(ps []EC2IPPermission) []ec2IPPermission {
	out := make([]ec2IPPermission, 0, len(ps))
	for _, p := range ps {
		x := ec2IPPermission{IPProtocol: p.IPProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
		for _, g := range p.UserIDGroupPairs {
			user := g.UserID
			if user == "" {
				user = v.account
			}
			x.Groups = append(x.Groups, struct {
				UserID  string `xml:"userId"`
				GroupID string `xml:"groupId"`
			}{user, g.GroupID})
		}
		for _, c := range p.IPRanges {
			x.IPRanges = append(x.IPRanges, struct {
				CidrIP string `xml:"cidrIp"`
			}{c})
		}
		for _, c := range p.Ipv6Ranges {
			x.Ipv6Ranges = append(x.Ipv6Ranges, struct {
				CidrIpv6 string `xml:"cidrIpv6"`
			}{c})
		}
		for _, pl := range p.PrefixListIDs {
			x.PrefixListIDs = append(x.PrefixListIDs, struct {
				PrefixListID string `xml:"prefixListId"`
			}{pl})
		}
		out = append(out, x)
	}
	return out
}

func (v *ec2View) describeSecurityGroups(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.SecurityGroups, pageSize, "GroupId", "InvalidGroup.NotFound",
		func(g EC2SecurityGroup) string { return g.GroupID },
		func(g EC2SecurityGroup, f string) ([]string, bool) {
			switch f {
			case "vpc-id":
				return []string{g.VpcID}, true
			case "group-name":
				return []string{g.GroupName}, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type group struct {
		OwnerID          string            `xml:"ownerId"`
		GroupID          string            `xml:"groupId"`
		GroupName        string            `xml:"groupName"`
		GroupDescription string            `xml:"groupDescription"`
		VpcID            string            `xml:"vpcId"`
		Arn              string            `xml:"securityGroupArn"`
		Ingress          []ec2IPPermission `xml:"ipPermissions>item"`
		Egress           []ec2IPPermission `xml:"ipPermissionsEgress>item"`
		Tags             []ec2Tag          `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Groups []group `xml:"securityGroupInfo>item"`
	}
	var b body
	for _, g := range items {
		b.Groups = append(b.Groups, group{OwnerID: v.account, GroupID: g.GroupID, GroupName: g.GroupName, GroupDescription: g.Description,
			VpcID: g.VpcID, Arn: "arn:" + v.partition + ":ec2:" + v.region + ":" + v.account + ":security-group/" + g.GroupID,
			Ingress: v.permissions(g.IPPermissions), Egress: v.permissions(g.IPPermissionsEgress), Tags: ec2Tags(g.Tags)})
	}
	b.EC2ResponseHead = newEC2Head("DescribeSecurityGroups", next)
	return b, nil
}

// ---- VPCs, subnets, gateways, route tables

func (v *ec2View) describeVpcs(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.Vpcs, pageSize, "VpcId", "InvalidVpcID.NotFound",
		func(x EC2Vpc) string { return x.VpcID }, noFilters[EC2Vpc])
	if err != nil {
		return nil, err
	}
	type cidrState struct {
		State string `xml:"state"`
	}
	type cidr struct {
		AssociationID string    `xml:"associationId"`
		CidrBlock     string    `xml:"cidrBlock"`
		State         cidrState `xml:"cidrBlockState"`
	}
	type cidr6 struct {
		AssociationID string    `xml:"associationId"`
		CidrBlock     string    `xml:"ipv6CidrBlock"`
		State         cidrState `xml:"ipv6CidrBlockState"`
	}
	type vpc struct {
		VpcID           string   `xml:"vpcId"`
		OwnerID         string   `xml:"ownerId"`
		State           string   `xml:"state"`
		CidrBlock       string   `xml:"cidrBlock"`
		Cidrs           []cidr   `xml:"cidrBlockAssociationSet>item"`
		Cidrs6          []cidr6  `xml:"ipv6CidrBlockAssociationSet>item"`
		DhcpOptionsID   string   `xml:"dhcpOptionsId"`
		InstanceTenancy string   `xml:"instanceTenancy"`
		IsDefault       bool     `xml:"isDefault"`
		Tags            []ec2Tag `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Vpcs []vpc `xml:"vpcSet>item"`
	}
	var b body
	for _, x := range items {
		suffix := strings.TrimPrefix(x.VpcID, "vpc-")
		w := vpc{VpcID: x.VpcID, OwnerID: v.owner(x.OwnerID), State: "available", CidrBlock: x.CidrBlock,
			Cidrs:         []cidr{{AssociationID: "vpc-cidr-assoc-" + suffix, CidrBlock: x.CidrBlock, State: cidrState{"associated"}}},
			DhcpOptionsID: "dopt-" + suffix, InstanceTenancy: "default", IsDefault: x.IsDefault, Tags: ec2Tags(x.Tags)}
		for _, c := range x.Ipv6CidrBlocks {
			w.Cidrs6 = append(w.Cidrs6, cidr6{AssociationID: "vpc-cidr-assoc-6" + suffix, CidrBlock: c, State: cidrState{"associated"}})
		}
		b.Vpcs = append(b.Vpcs, w)
	}
	b.EC2ResponseHead = newEC2Head("DescribeVpcs", next)
	return b, nil
}

func (v *ec2View) describeSubnets(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.Subnets, pageSize, "SubnetId", "InvalidSubnetID.NotFound",
		func(x EC2Subnet) string { return x.SubnetID },
		func(x EC2Subnet, f string) ([]string, bool) {
			if f == "vpc-id" {
				return []string{x.VpcID}, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type subnet struct {
		SubnetID                string   `xml:"subnetId"`
		SubnetArn               string   `xml:"subnetArn"`
		State                   string   `xml:"state"`
		OwnerID                 string   `xml:"ownerId"`
		VpcID                   string   `xml:"vpcId"`
		CidrBlock               string   `xml:"cidrBlock"`
		AvailableIPAddressCount int      `xml:"availableIpAddressCount"`
		AvailabilityZone        string   `xml:"availabilityZone"`
		DefaultForAz            bool     `xml:"defaultForAz"`
		MapPublicIPOnLaunch     bool     `xml:"mapPublicIpOnLaunch"`
		Tags                    []ec2Tag `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Subnets []subnet `xml:"subnetSet>item"`
	}
	var b body
	for _, x := range items {
		owner := v.owner(x.OwnerID)
		b.Subnets = append(b.Subnets, subnet{SubnetID: x.SubnetID, SubnetArn: "arn:" + v.partition + ":ec2:" + v.region + ":" + owner + ":subnet/" + x.SubnetID,
			State: "available", OwnerID: owner, VpcID: x.VpcID, CidrBlock: x.CidrBlock, AvailableIPAddressCount: 250,
			AvailabilityZone: x.AvailabilityZone, DefaultForAz: x.DefaultForAz, MapPublicIPOnLaunch: x.MapPublicIPOnLaunch, Tags: ec2Tags(x.Tags)})
	}
	b.EC2ResponseHead = newEC2Head("DescribeSubnets", next)
	return b, nil
}

func (v *ec2View) describeInternetGateways(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.InternetGateways, pageSize, "InternetGatewayId", "InvalidInternetGatewayID.NotFound",
		func(x EC2InternetGateway) string { return x.InternetGatewayID },
		func(x EC2InternetGateway, f string) ([]string, bool) {
			if f == "attachment.vpc-id" {
				return x.Attachments, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type attachment struct {
		VpcID string `xml:"vpcId"`
		State string `xml:"state"`
	}
	type igw struct {
		InternetGatewayID string       `xml:"internetGatewayId"`
		OwnerID           string       `xml:"ownerId"`
		Attachments       []attachment `xml:"attachmentSet>item"`
		Tags              []ec2Tag     `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Gateways []igw `xml:"internetGatewaySet>item"`
	}
	var b body
	for _, x := range items {
		g := igw{InternetGatewayID: x.InternetGatewayID, OwnerID: v.account, Tags: ec2Tags(x.Tags)}
		for _, vpc := range x.Attachments {
			g.Attachments = append(g.Attachments, attachment{VpcID: vpc, State: "available"})
		}
		b.Gateways = append(b.Gateways, g)
	}
	b.EC2ResponseHead = newEC2Head("DescribeInternetGateways", next)
	return b, nil
}

func (v *ec2View) describeRouteTables(r *request, pageSize int) (any, error) {
	items, next, err := ec2Select(r, v.est.RouteTables, pageSize, "RouteTableId", "InvalidRouteTableID.NotFound",
		func(x EC2RouteTable) string { return x.RouteTableID },
		func(x EC2RouteTable, f string) ([]string, bool) {
			switch f {
			case "vpc-id":
				return []string{x.VpcID}, true
			case "association.subnet-id":
				return x.Subnets, true
			}
			return nil, false
		})
	if err != nil {
		return nil, err
	}
	type route struct {
		DestinationCidrBlock     string `xml:"destinationCidrBlock,omitempty"`
		DestinationIpv6CidrBlock string `xml:"destinationIpv6CidrBlock,omitempty"`
		GatewayID                string `xml:"gatewayId,omitempty"`
		NatGatewayID             string `xml:"natGatewayId,omitempty"`
		NetworkInterfaceID       string `xml:"networkInterfaceId,omitempty"`
		VpcPeeringConnectionID   string `xml:"vpcPeeringConnectionId,omitempty"`
		TransitGatewayID         string `xml:"transitGatewayId,omitempty"`
		State                    string `xml:"state"`
		Origin                   string `xml:"origin"`
	}
	type assocState struct {
		State string `xml:"state"`
	}
	type association struct {
		ID           string     `xml:"routeTableAssociationId"`
		RouteTableID string     `xml:"routeTableId"`
		SubnetID     string     `xml:"subnetId,omitempty"`
		Main         bool       `xml:"main"`
		State        assocState `xml:"associationState"`
	}
	type table struct {
		RouteTableID string        `xml:"routeTableId"`
		VpcID        string        `xml:"vpcId"`
		OwnerID      string        `xml:"ownerId"`
		Routes       []route       `xml:"routeSet>item"`
		Associations []association `xml:"associationSet>item"`
		Tags         []ec2Tag      `xml:"tagSet>item,omitempty"`
	}
	type body struct {
		EC2ResponseHead
		Tables []table `xml:"routeTableSet>item"`
	}
	var b body
	for _, x := range items {
		suffix := strings.TrimPrefix(x.RouteTableID, "rtb-")
		t := table{RouteTableID: x.RouteTableID, VpcID: x.VpcID, OwnerID: v.account, Tags: ec2Tags(x.Tags)}
		for _, rt := range x.Routes {
			w := route{DestinationCidrBlock: rt.DestinationCidrBlock, DestinationIpv6CidrBlock: rt.DestinationIpv6CidrBlock,
				GatewayID: rt.GatewayID, NatGatewayID: rt.NatGatewayID, NetworkInterfaceID: rt.NetworkInterfaceID,
				VpcPeeringConnectionID: rt.VpcPeeringConnectionID, TransitGatewayID: rt.TransitGatewayID,
				State: rt.State, Origin: "CreateRoute"}
			if w.State == "" {
				w.State = "active"
			}
			if rt.GatewayID == "local" {
				w.Origin = "CreateRouteTable"
			}
			t.Routes = append(t.Routes, w)
		}
		if x.Main {
			t.Associations = append(t.Associations, association{ID: "rtbassoc-main" + suffix, RouteTableID: x.RouteTableID, Main: true, State: assocState{"associated"}})
		}
		for _, sn := range x.Subnets {
			t.Associations = append(t.Associations, association{ID: "rtbassoc-" + strings.TrimPrefix(sn, "subnet-"), RouteTableID: x.RouteTableID,
				SubnetID: sn, State: assocState{"associated"}})
		}
		b.Tables = append(b.Tables, t)
	}
	b.EC2ResponseHead = newEC2Head("DescribeRouteTables", next)
	return b, nil
}
