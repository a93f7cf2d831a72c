// Package inventory is posture's vocabulary: the normalized, cloud-neutral
// model of what a scan saw. Every stage (collectors, store, features, model,
// report, remediate) speaks these types. It imports no SDK, no storage engine
// and no ML library, and it must stay that way.
package inventory

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Cloud names a cloud provider.
type Cloud string

const (
	AWS   Cloud = "aws"
	GCP   Cloud = "gcp"
	Azure Cloud = "azure"
)

// Kind is the cloud-neutral type of a resource.
type Kind string

const (
	KindInstance       Kind = "compute.instance"
	KindFirewall       Kind = "network.firewall" // security group, firewall rule, NSG
	KindNetwork        Kind = "network.network"  // VPC, VNet
	KindSubnet         Kind = "network.subnet"
	KindRouteTable     Kind = "network.route_table"
	KindGateway        Kind = "network.gateway" // internet gateway
	KindInterface      Kind = "network.interface"
	KindLoadBalancer   Kind = "network.loadbalancer"
	KindBucket         Kind = "storage.bucket"
	KindDatabase       Kind = "db.instance"
	KindFunction       Kind = "serverless.function"
	KindCluster        Kind = "k8s.cluster"
	KindUser           Kind = "iam.user"
	KindRole           Kind = "iam.role"
	KindGroup          Kind = "iam.group"
	KindServiceAccount Kind = "iam.service_account"
	KindPolicy         Kind = "iam.policy"
	KindAccessKey      Kind = "iam.access_key"
	KindAccount        Kind = "iam.account"
	KindSecret         Kind = "secret"
	KindQueue          Kind = "messaging.queue" // SQS queue
	KindKey            Kind = "crypto.key"      // KMS key
)

// Kinds lists every kind in a stable order.
func Kinds() []Kind {
	return []Kind{KindInstance, KindFirewall, KindNetwork, KindSubnet, KindRouteTable,
		KindGateway, KindInterface, KindLoadBalancer, KindBucket, KindDatabase, KindFunction,
		KindCluster, KindUser, KindRole, KindGroup, KindServiceAccount, KindPolicy,
		KindAccessKey, KindAccount, KindSecret, KindQueue, KindKey}
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// Relation names the meaning of an edge.
type Relation string

const (
	RelProtectedBy Relation = "protected_by" // instance/db/interface -> firewall
	RelIn          Relation = "in"           // instance/subnet/interface -> subnet/network
	RelAssumes     Relation = "assumes"      // instance -> role (through an instance profile)
	RelHasPolicy   Relation = "has_policy"   // user/role/group -> policy
	RelMemberOf    Relation = "member_of"    // user -> group
	RelHasKey      Relation = "has_key"      // user -> access key
	RelRoutes      Relation = "routes"       // route table -> subnet it is associated with
	RelRoutesTo    Relation = "routes_to"    // route table -> gateway it sends 0.0.0.0/0 to
	RelAttachedTo  Relation = "attached_to"  // gateway -> network, interface -> instance
	RelTargets     Relation = "targets"      // load balancer -> instance
	RelGrants      Relation = "grants"       // policy -> resource pattern
)

// Edge is a directed relation between two resources, by their IDs.
type Edge struct {
	From     string   `json:"from"`
	Relation Relation `json:"relation"`
	To       string   `json:"to"`
}

// Resource is one cloud resource as the scan saw it. Exactly one of the
// typed attribute pointers is set, the one matching Kind.
type Resource struct {
	ID         string            `json:"id"` // the cloud's own global id (ARN, CAI name, ARM id)
	Cloud      Cloud             `json:"cloud"`
	Account    string            `json:"account"`
	Region     string            `json:"region,omitempty"`
	Kind       Kind              `json:"kind"`
	NativeType string            `json:"native_type"` // CloudFormation type, CAI asset type, ARM type
	Name       string            `json:"name,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	Edges      []Edge            `json:"edges,omitempty"`

	Instance    *Instance    `json:"instance,omitempty"`
	Firewall    *Firewall    `json:"firewall,omitempty"`
	Network     *Network     `json:"network,omitempty"`
	Subnet      *Subnet      `json:"subnet,omitempty"`
	RouteTable  *RouteTable  `json:"route_table,omitempty"`
	Gateway     *Gateway     `json:"gateway,omitempty"`
	Interface   *Interface   `json:"interface,omitempty"`
	Bucket      *Bucket      `json:"bucket,omitempty"`
	Database    *Database    `json:"database,omitempty"`
	User        *User        `json:"user,omitempty"`
	Role        *Role        `json:"role,omitempty"`
	Group       *Group       `json:"group,omitempty"`
	Policy      *Policy      `json:"policy,omitempty"`
	AccessKey   *AccessKey   `json:"access_key,omitempty"`
	AccountInfo *AccountInfo `json:"account_info,omitempty"`
	// ServiceAccount holds a service account's attributes (KindServiceAccount).
	ServiceAccount *ServiceAccount `json:"service_account,omitempty"`
	// Cluster holds a managed Kubernetes cluster's attributes (KindCluster).
	Cluster *Cluster `json:"cluster,omitempty"`
	// Vault holds a secret store's attributes (KindSecret): an Azure Key
	// Vault.
	Vault *Vault `json:"vault,omitempty"`
	// LoadBalancer holds a load balancer's attributes (KindLoadBalancer).
	LoadBalancer *LoadBalancer `json:"load_balancer,omitempty"`
	// Function holds a serverless function's attributes (KindFunction).
	Function *Function `json:"function,omitempty"`
	// Queue holds a message queue's attributes (KindQueue).
	Queue *Queue `json:"queue,omitempty"`
	// Key holds an encryption key's attributes (KindKey).
	Key *Key `json:"key,omitempty"`
	// Vulnerabilities is what the cloud's own vulnerability scanner
	// reported for the resource (an instance, a function, a container
	// image); nil when no scanner reported on it.
	Vulnerabilities *Vulnerabilities `json:"vulnerabilities,omitempty"`
}

// AddEdge appends an edge from r.
func (r *Resource) AddEdge(rel Relation, to string) {
	r.Edges = append(r.Edges, Edge{From: r.ID, Relation: rel, To: to})
}

// Validate checks the invariants every stored resource must hold.
func (r *Resource) Validate() error {
	switch {
	case r.ID == "":
		return fmt.Errorf("resource of kind %q has no id", r.Kind)
	case r.Cloud == "":
		return fmt.Errorf("resource %s has no cloud", r.ID)
	case !r.Kind.Valid():
		return fmt.Errorf("resource %s has unknown kind %q", r.ID, r.Kind)
	}
	return nil
}

// Direction of a firewall rule.
type Direction string

const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Action of a firewall rule.
type Action string

const (
	Allow Action = "allow"
	Deny  Action = "deny"
)

// PortRange is an inclusive range of ports; 0-65535 with Protocol "all"
// means every port.
type PortRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Contains reports whether port is in the range.
func (p PortRange) Contains(port int) bool { return port >= p.From && port <= p.To }

// FirewallRule is one rule of a security group, firewall rule or NSG.
// Sources hold CIDR prefixes ("0.0.0.0/0", "::/0"), service tags
// ("Internet", "*") or references to other firewalls (by ID) in SourceGroups.
type FirewallRule struct {
	Direction    Direction `json:"direction"`
	Action       Action    `json:"action"`
	Priority     int       `json:"priority,omitempty"` // lower wins; 0 where the cloud has no order (AWS SGs are allow-only)
	Protocol     string    `json:"protocol"`           // "tcp", "udp", "icmp", "all"
	Ports        PortRange `json:"ports"`
	Sources      []string  `json:"sources,omitempty"`
	SourceGroups []string  `json:"source_groups,omitempty"`
	// Destinations narrow an ingress rule to some addresses of what the
	// firewall protects, as the cloud writes them (CIDRs, addresses,
	// "*"/"Any", "VirtualNetwork" and other service tags, application
	// security group ids: Azure NSG destinations); empty means any.
	Destinations []string `json:"destinations,omitempty"`
	Description  string   `json:"description,omitempty"`
}

// Firewall is a security group, a firewall rule set or an NSG.
type Firewall struct {
	NetworkID string         `json:"network_id,omitempty"`
	Rules     []FirewallRule `json:"rules"`
	// Layer is where the firewall sits on the path to a resource, for
	// clouds that evaluate more than one in turn: "" for a single layer
	// (AWS security groups, GCP firewall rules: the firewalls of a
	// resource form one ordered rule set), else a name such as
	// FirewallLayerSubnet or FirewallLayerInterface (Azure evaluates the
	// subnet's NSG, then the NIC's). Traffic passes only if every layer
	// admits it; a layer with no firewall admits everything.
	Layer string `json:"layer,omitempty"`
}

// Firewall layers (Firewall.Layer).
const (
	FirewallLayerSubnet    = "subnet"
	FirewallLayerInterface = "interface"
)

// Network is a VPC or VNet.
type Network struct {
	CIDRs     []string `json:"cidrs,omitempty"`
	IsDefault bool     `json:"is_default,omitempty"`
}

// Subnet is a subnet of a network.
type Subnet struct {
	NetworkID           string `json:"network_id"`
	CIDR                string `json:"cidr,omitempty"`
	Zone                string `json:"zone,omitempty"`
	MapPublicIPOnLaunch bool   `json:"map_public_ip_on_launch,omitempty"`
}

// Route is one route of a route table.
type Route struct {
	Destination string `json:"destination"` // CIDR
	Target      string `json:"target"`      // gateway / NAT / interface id, "local"
	TargetKind  string `json:"target_kind"` // "internet_gateway", "nat_gateway", "local", "other"
}

// RouteTable is a route table with its subnet associations.
type RouteTable struct {
	NetworkID string   `json:"network_id"`
	Main      bool     `json:"main,omitempty"` // applies to subnets with no explicit association
	Subnets   []string `json:"subnets,omitempty"`
	Routes    []Route  `json:"routes,omitempty"`
}

// Gateway is an internet gateway (or the cloud's equivalent).
type Gateway struct {
	Type     string   `json:"type"` // "internet"
	Networks []string `json:"networks,omitempty"`
}

// Interface is a network interface.
type Interface struct {
	SubnetID   string   `json:"subnet_id,omitempty"`
	InstanceID string   `json:"instance_id,omitempty"`
	PrivateIPs []string `json:"private_ips,omitempty"`
	PublicIPs  []string `json:"public_ips,omitempty"`
	Firewalls  []string `json:"firewalls,omitempty"`
}

// Metadata service settings of an instance.
type Metadata struct {
	Enabled        bool `json:"enabled"`
	TokensRequired bool `json:"tokens_required"` // IMDSv2 only
	HopLimit       int  `json:"hop_limit,omitempty"`
}

// Instance is a virtual machine.
type Instance struct {
	State        string    `json:"state,omitempty"`
	NetworkID    string    `json:"network_id,omitempty"`
	SubnetID     string    `json:"subnet_id,omitempty"`
	PublicIPs    []string  `json:"public_ips,omitempty"`
	PrivateIPs   []string  `json:"private_ips,omitempty"`
	Firewalls    []string  `json:"firewalls,omitempty"`
	Interfaces   []string  `json:"interfaces,omitempty"`
	ImageID      string    `json:"image_id,omitempty"`
	ImageName    string    `json:"image_name,omitempty"`
	ImageCreated time.Time `json:"image_created,omitzero"` // zero when unknown
	LaunchTime   time.Time `json:"launch_time,omitzero"`
	Platform     string    `json:"platform,omitempty"`
	Metadata     *Metadata `json:"metadata,omitempty"` // nil when unknown
	// InstanceProfile is the ARN of the instance profile; collectors resolve
	// it to assumes edges towards roles.
	InstanceProfile string `json:"instance_profile,omitempty"`
	// Scopes are the OAuth scopes the instance's identity is limited to
	// (GCP access scopes); nil where the cloud has none.
	Scopes []string `json:"scopes,omitempty"`
	// MetadataKeys are the names of the instance's metadata entries (GCP
	// "startup-script", "ssh-keys" …). Values are never stored.
	MetadataKeys []string `json:"metadata_keys,omitempty"`
	// OSLogin and SerialPort are the instance's own OS Login and
	// interactive serial console switches (GCP metadata enable-oslogin,
	// serial-port-enable); nil when the instance does not set them.
	OSLogin    *bool `json:"os_login,omitempty"`
	SerialPort *bool `json:"serial_port,omitempty"`
	// Secrets are the credentials found in the instance's user data or
	// startup scripts: what was found and where, with a salted
	// fingerprint, never the value.
	Secrets []SecretFinding `json:"secrets,omitempty"`
	// SecretsUnknown marks an instance whose user data or metadata could
	// not be read (a Gap says why): no Secrets then means unknown, not
	// "none".
	SecretsUnknown bool `json:"secrets_unknown,omitempty"`
	// Patches is the OS patch state the cloud's patch manager reports
	// (AWS Systems Manager Patch Manager); nil when the instance is not
	// managed by one.
	Patches *PatchCompliance `json:"patches,omitempty"`
}

// Vulnerability scanner names (Vulnerabilities.Source).
const (
	ScannerInspector = "aws.inspector2"
	ScannerOSConfig  = "gcp.osconfig"
	ScannerDefender  = "azure.defender"
)

// Vulnerabilities is a scanner's report on one resource.
type Vulnerabilities struct {
	// Source names the scanner: ScannerInspector, ScannerOSConfig,
	// ScannerDefender.
	Source string `json:"source"`
	// Unknown marks a resource the scanner covers whose findings could
	// not be read (a Gap says why): no Findings then means unknown, not
	// "none".
	Unknown bool `json:"unknown,omitempty"`
	// ScannedAt is when the scanner last assessed the resource; zero when
	// it does not say.
	ScannedAt time.Time `json:"scanned_at,omitzero"`
	// Findings are its open (not closed or suppressed) findings, sorted
	// by CVE then package.
	Findings []Vulnerability `json:"findings,omitempty"`
}

// Vulnerability is one open finding: a CVE in a package on the resource.
type Vulnerability struct {
	// CVE is the finding's CVE id ("CVE-2021-44228"); a finding without
	// one keeps the scanner's own id ("GHSA-…", "ALAS-…").
	CVE string `json:"cve"`
	// Severity is the scanner's severity, lower case: "critical", "high",
	// "medium", "low", "informational" or "untriaged".
	Severity string `json:"severity,omitempty"`
	// CVSS is the base score the scanner gives, 0 when it gives none.
	CVSS float64 `json:"cvss,omitempty"`
	// Package names the affected package and its installed version.
	Package string `json:"package,omitempty"`
	// FixAvailable is nil when the scanner does not say.
	FixAvailable *bool `json:"fix_available,omitempty"`
	// FirstObserved is when the scanner first saw it; zero when unknown.
	FirstObserved time.Time `json:"first_observed,omitzero"`
}

// PatchCompliance is an instance's OS patch state as its patch manager
// last reported it (counts of patches in the patch baseline).
type PatchCompliance struct {
	Source string `json:"source"` // "aws.ssm"
	// Missing are applicable patches not installed; Failed those whose
	// install failed; PendingReboot those installed but not active until
	// a reboot.
	Missing       int `json:"missing"`
	Failed        int `json:"failed"`
	PendingReboot int `json:"pending_reboot,omitempty"`
	// CriticalNonCompliant and SecurityNonCompliant count the missing or
	// failed patches classified critical, and security-related.
	CriticalNonCompliant int `json:"critical_non_compliant,omitempty"`
	SecurityNonCompliant int `json:"security_non_compliant,omitempty"`
	// ScannedAt is when the patch scan ran; zero when unknown.
	ScannedAt time.Time `json:"scanned_at,omitzero"`
	// Unknown marks an instance whose patch state could not be read (a
	// Gap says why).
	Unknown bool `json:"unknown,omitempty"`
}

// SecretFinding is a secret found in a resource's configuration text
// (user data, a startup script): the detector that matched ("private_key",
// "aws_access_key_id" …), where ("user-data line 12"), and the first 16
// hex digits of HMAC-SHA256 of the value under a salt, which recognises the
// same secret across snapshots without revealing it. The value is never
// stored.
type SecretFinding struct {
	Detector    string `json:"detector"`
	Location    string `json:"location"`
	Fingerprint string `json:"fingerprint"`
}

// Bucket is an object storage bucket.
type Bucket struct {
	// Policy is the bucket's resource policy, nil when it has none.
	Policy *PolicyDocument `json:"policy,omitempty"`
	// ACLGrants lists grantees of the ACL that are groups of everyone
	// ("AllUsers", "AuthenticatedUsers") with the permission granted.
	PublicACLGrants []ACLGrant `json:"public_acl_grants,omitempty"`
	// Block public access settings: the bucket's own and the account's.
	BlockPublicAccess        *BlockPublicAccess `json:"block_public_access,omitempty"`
	AccountBlockPublicAccess *BlockPublicAccess `json:"account_block_public_access,omitempty"`
	Encryption               string             `json:"encryption,omitempty"` // "AES256", "aws:kms", "" when none
	Versioning               string             `json:"versioning,omitempty"` // "Enabled", "Suspended", ""
	Website                  bool               `json:"website,omitempty"`
	// UniformAccess: access is decided by the bucket's IAM policy alone,
	// object and bucket ACLs are off (GCP uniform bucket-level access).
	UniformAccess bool `json:"uniform_access,omitempty"`
	// RetentionSeconds is the retention period objects are locked for, 0
	// for none; RetentionLocked says it can no longer be shortened.
	RetentionSeconds int64 `json:"retention_seconds,omitempty"`
	RetentionLocked  bool  `json:"retention_locked,omitempty"`
	// Settings of the storage account that holds the bucket, where the
	// cloud has one (Azure): "" or nil when the cloud has no such setting.
	MinTLSVersion   string `json:"min_tls_version,omitempty"`   // "TLS1_0", "TLS1_2"
	SharedKeyAccess *bool  `json:"shared_key_access,omitempty"` // account keys and SAS accepted
	// NetworkDefault is the storage firewall's action for networks no rule
	// names: "allow" (every network reaches it) or "deny".
	NetworkDefault string `json:"network_default,omitempty"`
	// Unknown lists the settings that could not be read (a Gap says why).
	// The field of an unknown setting holds its zero value, which must not
	// be read as "none": a nil Policy means "no policy" only when
	// BucketPolicy is not listed here.
	Unknown []BucketSetting `json:"unknown,omitempty"`
}

// BucketSetting names a setting of a bucket that is read on its own.
type BucketSetting string

const (
	BucketPolicy                   BucketSetting = "policy"
	BucketACL                      BucketSetting = "acl"
	BucketBlockPublicAccess        BucketSetting = "block_public_access"
	BucketAccountBlockPublicAccess BucketSetting = "account_block_public_access"
	BucketEncryption               BucketSetting = "encryption"
	BucketVersioning               BucketSetting = "versioning"
	BucketWebsite                  BucketSetting = "website"
)

// Known reports whether setting s of the bucket was read.
func (b *Bucket) Known(s BucketSetting) bool {
	for _, u := range b.Unknown {
		if u == s {
			return false
		}
	}
	return true
}

// ACLGrant is one ACL grant to a public grantee.
type ACLGrant struct {
	Grantee    string `json:"grantee"` // "AllUsers", "AuthenticatedUsers"
	Permission string `json:"permission"`
}

// BlockPublicAccess mirrors S3's four switches.
type BlockPublicAccess struct {
	BlockPublicACLs       bool `json:"block_public_acls"`
	IgnorePublicACLs      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// Database is a managed database instance.
type Database struct {
	Engine             string   `json:"engine"`
	EngineVersion      string   `json:"engine_version"`
	PubliclyAccessible bool     `json:"publicly_accessible"`
	Endpoint           string   `json:"endpoint,omitempty"`
	Port               int      `json:"port,omitempty"`
	AutoMinorUpgrade   bool     `json:"auto_minor_upgrade"`
	Encrypted          bool     `json:"encrypted"`
	Firewalls          []string `json:"firewalls,omitempty"`
	SubnetIDs          []string `json:"subnet_ids,omitempty"`
	NetworkID          string   `json:"network_id,omitempty"`
	// ProviderEndpoint marks a database reached through the provider's own
	// public endpoint (a Cloud SQL public IP, an Azure SQL server's public
	// network access) rather than through a subnet of the customer's
	// network: no route table applies, only its Firewalls (authorized
	// networks, server firewall rules) decide who reaches it.
	ProviderEndpoint bool `json:"provider_endpoint,omitempty"`
	// TLSRequired is nil when unknown.
	TLSRequired *bool `json:"tls_required,omitempty"`
}

// Cluster is a managed Kubernetes cluster.
type Cluster struct {
	Version string `json:"version"`
	// PublicEndpoint is true when the API server has a public address;
	// AuthorizedNetworks then limits who reaches it (empty: anyone).
	PublicEndpoint     bool     `json:"public_endpoint"`
	Endpoint           string   `json:"endpoint,omitempty"`
	AuthorizedNetworks []string `json:"authorized_networks,omitempty"`
	NetworkID          string   `json:"network_id,omitempty"`
}

// Vault is a secret store holding many secrets, keys or certificates (an
// Azure Key Vault), with its recovery and network settings.
type Vault struct {
	// PurgeProtection: a deleted vault or secret cannot be purged before
	// its retention ends. SoftDelete: deleted items are kept, recoverable.
	PurgeProtection bool `json:"purge_protection"`
	SoftDelete      bool `json:"soft_delete"`
	// PublicNetworkAccess is false when the vault answers on private
	// endpoints only.
	PublicNetworkAccess bool `json:"public_network_access"`
	// NetworkDefault is the vault firewall's action for networks no rule
	// names: "allow" or "deny"; AuthorizedNetworks are the prefixes its
	// rules admit.
	NetworkDefault     string   `json:"network_default,omitempty"`
	AuthorizedNetworks []string `json:"authorized_networks,omitempty"`
	Endpoint           string   `json:"endpoint,omitempty"`
}

// Load balancer schemes (LoadBalancer.Scheme).
const (
	SchemeInternetFacing = "internet-facing"
	SchemeInternal       = "internal"
)

// LoadBalancer is a load balancer: an AWS ALB, NLB, GWLB or classic ELB,
// a GCP forwarding rule with what it forwards to, an Azure load balancer
// or application gateway. What it sends traffic to are its targets edges;
// Targets says on which port.
type LoadBalancer struct {
	// Type is the cloud's own kind of load balancer: "application",
	// "network", "gateway", "classic" (AWS); "external-passthrough",
	// "external-proxy" (GCP); "load-balancer", "application-gateway"
	// (Azure).
	Type string `json:"type,omitempty"`
	// ProviderFront marks a load balancer whose public front end is an
	// address the provider routes to it directly (a GCP external
	// forwarding rule, an Azure public frontend IP): no subnet route
	// table decides whether the internet reaches it, only the scheme,
	// its listeners and its Firewalls. Addresses are those front-end
	// addresses.
	ProviderFront bool     `json:"provider_front,omitempty"`
	Addresses     []string `json:"addresses,omitempty"`
	// SourceRanges are the address ranges traffic from a proxying load
	// balancer arrives at its targets from, besides its subnets (GCP's
	// Google front-end ranges, an application gateway's subnet); empty
	// for one that passes the client's address through.
	SourceRanges []string `json:"source_ranges,omitempty"`
	// SourceRangesUnknown marks a proxying load balancer whose source
	// ranges could not be read (a Gap says why): it is not a passthrough,
	// and what its targets admit from it is uncertain.
	SourceRangesUnknown bool `json:"source_ranges_unknown,omitempty"`
	// Scheme is SchemeInternetFacing (a public address) or SchemeInternal.
	Scheme    string     `json:"scheme"`
	DNSName   string     `json:"dns_name,omitempty"`
	Listeners []Listener `json:"listeners,omitempty"`
	// Firewalls are its security groups; none for a load balancer that
	// has none (an NLB without security groups admits every source).
	Firewalls []string `json:"firewalls,omitempty"`
	SubnetIDs []string `json:"subnet_ids,omitempty"`
	NetworkID string   `json:"network_id,omitempty"`
	// Targets are the instances it forwards to, with the port each
	// receives on (a target group's port, or the target's own).
	Targets []LBTarget `json:"targets,omitempty"`
	// ListenersUnknown and TargetsUnknown mark listeners or targets that
	// could not be read (a Gap says why): none then means unknown.
	ListenersUnknown bool `json:"listeners_unknown,omitempty"`
	TargetsUnknown   bool `json:"targets_unknown,omitempty"`
}

// Listener is a port a load balancer accepts connections on.
type Listener struct {
	Protocol string `json:"protocol"` // "HTTP", "HTTPS", "TCP", "UDP", "TLS", "TCP_UDP", "GENEVE"
	Port     int    `json:"port"`
	// ToPort is the last port of a range of listener ports (a GCP
	// forwarding rule's portRange or allPorts, 0–65535); 0 for one port.
	ToPort int `json:"to_port,omitempty"`
}

// Ports is the listener's port range.
func (l Listener) Ports() PortRange { return PortRange{From: l.Port, To: max(l.Port, l.ToPort)} }

// LBTarget is one instance behind a load balancer: the instance's id and
// the port and protocol traffic reaches it on.
type LBTarget struct {
	ID       string `json:"id"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"` // the target group's protocol
	// ToPort is the last port of a range the target receives on (a
	// passthrough rule forwarding a port range keeps each port); 0 for one
	// port.
	ToPort int `json:"to_port,omitempty"`
}

// Ports is the target's port range.
func (t LBTarget) Ports() PortRange { return PortRange{From: t.Port, To: max(t.Port, t.ToPort)} }

// Function URL auth types (Function.URLAuth).
const (
	FunctionURLNone = "NONE"    // anyone on the internet may invoke it
	FunctionURLIAM  = "AWS_IAM" // callers must sign with IAM credentials
)

// Function is a serverless function (AWS Lambda).
type Function struct {
	Runtime string `json:"runtime,omitempty"` // "python3.12", "nodejs20.x"; "" for container images
	// PackageType is how the code is deployed: FunctionPackageZip (a
	// managed runtime), FunctionPackageImage (a container image, which has
	// no Runtime), or "" when the cloud does not say.
	PackageType string `json:"package_type,omitempty"`
	// Role is the id of the role the function runs as (also an assumes
	// edge).
	Role string `json:"role,omitempty"`
	// URLAuth is the auth type of the function's public URL: FunctionURLNone,
	// FunctionURLIAM, or "" when it has no URL (or URLUnknown).
	URLAuth string `json:"url_auth,omitempty"`
	// URLUnknown marks a function whose URL configuration could not be
	// read (a Gap says why).
	URLUnknown bool `json:"url_unknown,omitempty"`
	// EnvKeys are the names of its environment variables; values are
	// never stored.
	EnvKeys []string `json:"env_keys,omitempty"`
	// Secrets are the credentials found in its environment variables:
	// detector, location ("environment DB_URL") and a salted fingerprint,
	// never the value.
	Secrets []SecretFinding `json:"secrets,omitempty"`
	// SecretsUnknown marks a function whose environment could not be
	// read (a Gap says why): no Secrets then means unknown, not "none".
	SecretsUnknown bool `json:"secrets_unknown,omitempty"`
}

// Queue is a message queue (an AWS SQS queue).
type Queue struct {
	// Policy is the queue's resource policy, nil when it has none (or
	// PolicyUnknown).
	Policy *PolicyDocument `json:"policy,omitempty"`
	// PolicyUnknown marks a policy that could not be read (a Gap says
	// why).
	PolicyUnknown bool `json:"policy_unknown,omitempty"`
	// Encrypted is true for server-side encryption (SSE-SQS or KMS).
	Encrypted bool `json:"encrypted"`
}

// Key managers (Key.Manager).
const (
	KeyManagerCustomer = "customer"
	KeyManagerProvider = "provider" // an AWS-managed key
)

// Key is an encryption key (an AWS KMS key).
type Key struct {
	// Manager is KeyManagerCustomer or KeyManagerProvider.
	Manager string `json:"manager"`
	State   string `json:"state,omitempty"` // "Enabled", "Disabled", "PendingDeletion"
	// Policy is the key policy; nil when PolicyUnknown.
	Policy        *PolicyDocument `json:"policy,omitempty"`
	PolicyUnknown bool            `json:"policy_unknown,omitempty"`
	// RotationEnabled is nil when unknown or not applicable (asymmetric
	// keys, provider-managed keys).
	RotationEnabled *bool `json:"rotation_enabled,omitempty"`
}

// Function package types (Function.PackageType).
const (
	FunctionPackageZip   = "Zip"
	FunctionPackageImage = "Image"
)

// MFADevice is one MFA device of a user.
type MFADevice struct {
	Serial string    `json:"serial"`
	Since  time.Time `json:"since,omitzero"`
}

// User is a human or machine identity with long-lived credentials.
type User struct {
	Created          time.Time   `json:"created,omitzero"`
	ConsolePassword  bool        `json:"console_password"`
	PasswordLastUsed time.Time   `json:"password_last_used,omitzero"`
	MFADevices       []MFADevice `json:"mfa_devices,omitempty"`
	Groups           []string    `json:"groups,omitempty"`
	AttachedPolicies []string    `json:"attached_policies,omitempty"`
	InlinePolicies   []string    `json:"inline_policies,omitempty"` // policy resource ids
	// Unknown lists the settings that could not be read (a Gap says why);
	// their fields hold zero values that must not be read as "none".
	Unknown []UserSetting `json:"unknown,omitempty"`
}

// UserSetting names a setting of a user that is read on its own.
type UserSetting string

const (
	UserConsolePassword UserSetting = "console_password"
	UserMFADevices      UserSetting = "mfa_devices"
	UserAccessKeys      UserSetting = "access_keys"
)

// Known reports whether setting s of the user was read.
func (u *User) Known(s UserSetting) bool {
	for _, x := range u.Unknown {
		if x == s {
			return false
		}
	}
	return true
}

// Role is an assumable identity.
type Role struct {
	Created          time.Time       `json:"created,omitzero"`
	Trust            *PolicyDocument `json:"trust,omitempty"`
	AttachedPolicies []string        `json:"attached_policies,omitempty"`
	InlinePolicies   []string        `json:"inline_policies,omitempty"`
	InstanceProfiles []string        `json:"instance_profiles,omitempty"`
}

// ServiceAccount is a workload identity that instances run as (a GCP
// service account). Its permissions are its has_policy edges.
type ServiceAccount struct {
	Email    string `json:"email,omitempty"`
	UniqueID string `json:"unique_id,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
	// Default marks an identity the cloud creates with broad rights (the
	// Compute Engine or App Engine default service account).
	Default bool `json:"default,omitempty"`
	// PermissionsUnknown marks an identity whose grants could not all be
	// read (the project IAM policy or the role assignments were denied):
	// its lack of has_policy edges then means unknown, not "no rights".
	PermissionsUnknown bool `json:"permissions_unknown,omitempty"`
}

// Group is a group of users.
type Group struct {
	AttachedPolicies []string `json:"attached_policies,omitempty"`
	InlinePolicies   []string `json:"inline_policies,omitempty"`
}

// Policy is a managed or inline permissions policy.
type Policy struct {
	Managed     bool            `json:"managed"`
	AWSManaged  bool            `json:"aws_managed,omitempty"`
	Attachments int             `json:"attachments,omitempty"`
	Document    *PolicyDocument `json:"document,omitempty"` // nil when it could not be read or parsed (a Gap says why)
}

// AccessKey is a long-lived API key of a user.
type AccessKey struct {
	User          string    `json:"user"` // the owner's resource id
	Active        bool      `json:"active"`
	Created       time.Time `json:"created,omitzero"`
	LastUsed      time.Time `json:"last_used,omitzero"` // zero: never used (or unknown when LastUsedKnown is false)
	LastUsedKnown bool      `json:"last_used_known"`
	// Root marks the account root user's keys.
	Root bool `json:"root,omitempty"`
}

// PasswordPolicy is an account's password policy. Present=false means the
// account has none (the cloud default applies).
type PasswordPolicy struct {
	Present          bool `json:"present"`
	MinLength        int  `json:"min_length,omitempty"`
	RequireSymbols   bool `json:"require_symbols,omitempty"`
	RequireNumbers   bool `json:"require_numbers,omitempty"`
	RequireUppercase bool `json:"require_uppercase,omitempty"`
	RequireLowercase bool `json:"require_lowercase,omitempty"`
	MaxAgeDays       int  `json:"max_age_days,omitempty"`
	ReusePrevention  int  `json:"reuse_prevention,omitempty"`
}

// AccountInfo holds account-wide identity settings.
type AccountInfo struct {
	RootMFA        *bool           `json:"root_mfa,omitempty"`         // nil when unknown
	RootAccessKeys *int            `json:"root_access_keys,omitempty"` // nil when unknown
	PasswordPolicy *PasswordPolicy `json:"password_policy,omitempty"`  // nil when unknown
	Users          int             `json:"users,omitempty"`
	Roles          int             `json:"roles,omitempty"`
}

// PolicyDocument is a parsed permissions, trust or resource policy.
type PolicyDocument struct {
	Version    string      `json:"version,omitempty"`
	Statements []Statement `json:"statements"`
}

// Statement is one statement of a policy document. Exactly one of Actions
// and NotActions is set, likewise Resources and NotResources.
type Statement struct {
	Sid           string   `json:"sid,omitempty"`
	Effect        Action   `json:"effect"`
	Principals    []string `json:"principals,omitempty"` // "*", "AWS:arn:…", "Service:ec2.amazonaws.com", "Federated:…"
	NotPrincipals []string `json:"not_principals,omitempty"`
	Actions       []string `json:"actions,omitempty"`
	NotActions    []string `json:"not_actions,omitempty"`
	Resources     []string `json:"resources,omitempty"`
	NotResources  []string `json:"not_resources,omitempty"`
	// Conditions are the statement's condition tests, sorted by operator
	// then key; nil when unconditional. All of them must hold for the
	// statement to apply.
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition is one test of a statement's condition block, with its
// values: {"StringEquals": {"aws:SourceVpce": ["vpce-1"]}} is
// {Operator: "StringEquals", Key: "aws:SourceVpce", Values: ["vpce-1"]}.
// The operator keeps its set prefix and suffix as written
// ("ForAnyValue:StringLike", "StringEqualsIfExists"). Values are strings
// whatever their JSON type ("true", "10"), sorted and without duplicates;
// the test holds when the request matches any one of them.
type Condition struct {
	Operator string   `json:"operator"`
	Key      string   `json:"key"`
	Values   []string `json:"values"`
}

// UnmarshalJSON reads a condition as stored, and also the form stores
// written before conditions kept their values: a string "Operator key".
// Such a condition has no Values, which no reader takes as restricting.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var legacy string
	if err := json.Unmarshal(b, &legacy); err == nil {
		op, key, _ := strings.Cut(strings.TrimSpace(legacy), " ")
		*c = Condition{Operator: op, Key: strings.TrimSpace(key)}
		return nil
	}
	type plain Condition // without this method
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = Condition(p)
	return nil
}

// String renders c for evidence and notes:
// `StringEquals aws:SourceVpce ["vpce-1"]`.
func (c Condition) String() string {
	return fmt.Sprintf("%s %s %q", c.Operator, c.Key, c.Values)
}

// GapReason classifies why something could not be read.
type GapReason string

const (
	GapAccessDenied   GapReason = "access_denied"
	GapRegionDisabled GapReason = "region_disabled" // opt-in region not enabled, or service not available there
	GapThrottled      GapReason = "throttled"       // gave up after retries
	GapUnreachable    GapReason = "unreachable"     // network error, endpoint down
	GapMalformed      GapReason = "malformed"       // a document the cloud returned could not be parsed
	GapCancelled      GapReason = "cancelled"
	GapError          GapReason = "error"
)

// Gap records something the scan could not see. A gap is unknown, never safe.
type Gap struct {
	Cloud     Cloud     `json:"cloud"`
	Account   string    `json:"account,omitempty"`
	Region    string    `json:"region,omitempty"`
	Service   string    `json:"service"`
	Operation string    `json:"operation,omitempty"`
	Resource  string    `json:"resource,omitempty"` // when the gap is one resource's detail
	Reason    GapReason `json:"reason"`
	Message   string    `json:"message"`
}

func (g Gap) String() string {
	where := string(g.Cloud)
	for _, p := range []string{g.Account, g.Region, g.Service, g.Operation, g.Resource} {
		if p != "" {
			where += "/" + p
		}
	}
	return fmt.Sprintf("%s: %s: %s", where, g.Reason, g.Message)
}

// Status of a snapshot.
type Status string

const (
	StatusComplete Status = "complete"
	StatusPartial  Status = "partial" // committed, but with gaps
)

// Scope is one unit a collector scans: an account × region, a project, a
// subscription.
type Scope struct {
	Cloud   Cloud  `json:"cloud"`
	Account string `json:"account"`
	Region  string `json:"region,omitempty"` // "" for global services
}

func (s Scope) String() string {
	if s.Region == "" {
		return fmt.Sprintf("%s/%s", s.Cloud, s.Account)
	}
	return fmt.Sprintf("%s/%s/%s", s.Cloud, s.Account, s.Region)
}

// Snapshot describes one committed scan.
type Snapshot struct {
	ID        string       `json:"id"` // time-sortable
	Started   time.Time    `json:"started"`
	Finished  time.Time    `json:"finished"`
	Status    Status       `json:"status"`
	Clouds    []Cloud      `json:"clouds"`
	Scopes    []Scope      `json:"scopes,omitempty"`
	Resources int          `json:"resources"`
	Kinds     map[Kind]int `json:"kinds,omitempty"`
	Gaps      []Gap        `json:"gaps,omitempty"`
}

// SortResources orders resources by ID, for stable output.
func SortResources(rs []Resource) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
}
