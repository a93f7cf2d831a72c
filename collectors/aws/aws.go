// Package aws collects AWS configuration with aws-sdk-go-v2 into the
// normalized inventory. One file per service declares its tables (what it
// lists, at which scope) and the small interface of SDK methods it calls.
//
// Endpoints: the SDK's standard overrides apply (AWS_ENDPOINT_URL and its
// per-service forms such as AWS_ENDPOINT_URL_S3, or endpoint_url in the
// shared config profile); Options.Endpoint overrides them all. Credentials
// come from the standard chain (environment, profiles, SSO, roles, IMDS).
//
// Many accounts: Options.Organization lists the accounts of the caller's
// AWS Organization, Options.Accounts names them; each is scanned through a
// role assumed in it (accounts.go).
package aws

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// Options configure an AWS collection.
type Options struct {
	Profile  string   // shared config profile; "" for the default chain
	Regions  []string // "" or empty: every enabled region
	Endpoint string   // overrides every service endpoint (an emulator, LocalStack)
	// Concurrency bounds the regions scanned at once; default 4. The
	// account-wide tables (IAM, S3) run beside the regions, outside it.
	Concurrency int
	MaxAttempts int // per call, with exponential backoff on throttling; default 6
	MaxBackoff  time.Duration
	// Timeout bounds each HTTP attempt of a call, from connecting to the
	// last byte of the answer; default 60s. An endpoint that accepts the
	// connection and never answers then costs at most MaxAttempts of
	// them, and becomes an unreachable gap.
	Timeout time.Duration

	// Accounts are the accounts to scan (12-digit ids), each through the
	// role AssumeRole; empty with Organization false: the caller's account
	// alone, as before. The caller's own account is scanned with the
	// caller's credentials, not through the role, when it is listed.
	Accounts []string
	// Organization scans every ACTIVE account of the caller's AWS
	// Organization, listed with organizations ListAccounts (so the caller
	// must be the management account or a delegated administrator). Not
	// together with Accounts.
	Organization bool
	// AssumeRole is the name of the role assumed in each account, with
	// its path if it has one ("audit/PostureScanner"); its ARN is built in
	// the caller's partition. Default "OrganizationAccountAccessRole",
	// the role Organizations creates in the accounts it creates.
	AssumeRole string
	// ExternalID is passed to sts AssumeRole when set.
	ExternalID string
	// AccountConcurrency bounds the accounts scanned at once (each with
	// its regions bounded by Concurrency); default 4.
	AccountConcurrency int

	// SecretSalt keys the fingerprints of secrets found in user data
	// (internal/secrets): the store's own random salt, so that the same
	// secret is recognised across snapshots and a fingerprint cannot be
	// tested against guesses without the store. nil: a salt derived from
	// each account id (secrets.AccountSalt), which is weaker: anyone who
	// knows the account id can test a guessed secret against a report.
	SecretSalt []byte

	Now    func() time.Time
	Logger *slog.Logger
}

// Collector collects one AWS account.
type Collector struct {
	cfg  aws.Config
	opts Options
}

// New loads the AWS configuration from the standard chain.
func New(ctx context.Context, opts Options) (*Collector, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 6
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 20 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.accounts(); err != nil {
		return nil, err
	}
	loads := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
				// No client-side retry quota: the standard one (500
				// tokens a client) runs dry after about a hundred
				// throttles, and every later throttle then fails at
				// once. A scan reads; it backs off and tries again.
				o.RateLimiter = ratelimit.None
			})
		}),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(opts.Timeout)),
	}
	if opts.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Endpoint != "" {
		loads = append(loads, config.WithBaseEndpoint(opts.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("load aws config (profile %q): %w", opts.Profile, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return &Collector{cfg: cfg, opts: opts}, nil
}

// Cloud is AWS.
func (c *Collector) Cloud() inventory.Cloud { return inventory.AWS }

// scope is what a table is called with: the account and its partition, a
// region ("" for global tables) and the config for that region.
type scope struct {
	Account string
	// Partition is the ARN partition of the account ("aws", "aws-us-gov",
	// "aws-cn"), read once from the caller's ARN.
	Partition string
	Region    string
	Config    aws.Config
	Now       time.Time
	// SecretSalt is Options.SecretSalt (nil: derived from Account).
	SecretSalt []byte
	// Enrich gathers what scanner tables (Inspector2, SSM) report about
	// resources other tables collect; scanAccount applies it once every
	// table of the account has run (enrich.go).
	Enrich *enrichments
}

// arn builds an ARN in the scope's partition:
// arn:<partition>:<service>:<region>:<account>:<resource>.
func (s scope) arn(service, region, account, resource string) string {
	return "arn:" + s.Partition + ":" + service + ":" + region + ":" + account + ":" + resource
}

func (s scope) inventory() inventory.Scope {
	return inventory.Scope{Cloud: inventory.AWS, Account: s.Account, Region: s.Region}
}

// gap records err as a gap of this scope. It returns err unchanged when the
// error is fatal to the whole run, and nil otherwise.
func (s scope) gap(out *collectors.Result, service, operation, resource string, err error) error {
	if fatal(err) {
		return fmt.Errorf("aws %s %s (%s): %w", service, operation, s.inventory(), err)
	}
	out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Service: service, Operation: operation, Resource: resource, Reason: classify(err), Message: err.Error()})
	return nil
}

// table is one thing a service lists.
type table struct {
	Service string
	Global  bool // runs once per account, not per region
	List    func(ctx context.Context, s scope, out *collectors.Result) error
}

// All lists every table, explicitly.
func All() []table {
	var ts []table
	ts = append(ts, iamTables()...)
	ts = append(ts, s3Tables()...)
	ts = append(ts, ec2Tables()...)
	ts = append(ts, rdsTables()...)
	ts = append(ts, elbv2Tables()...)
	ts = append(ts, lambdaTables()...)
	ts = append(ts, elbTables()...)
	ts = append(ts, sqsTables()...)
	ts = append(ts, kmsTables()...)
	ts = append(ts, inspector2Tables()...)
	ts = append(ts, ssmTables()...)
	ts = append(ts, eksTables()...)
	return ts
}

// Collect scans the caller's account, or with Options.Accounts or
// Options.Organization every account named (collectAccounts). Only
// rejected credentials, cancellation, or a first call (GetCallerIdentity,
// DescribeRegions; ListAccounts for an organization) that cannot reach
// AWS fail the whole collection.
func (c *Collector) Collect(ctx context.Context) (*collectors.Result, error) {
	id, err := sts.NewFromConfig(c.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("aws: identify the account with sts GetCallerIdentity: %w", err)
	}
	caller := scope{Account: aws.ToString(id.Account), Partition: partitionOf(aws.ToString(id.Arn), c.cfg.Region),
		Config: c.cfg, Now: c.opts.Now().UTC(), SecretSalt: c.opts.SecretSalt}
	if c.opts.multiAccount() {
		return c.collectAccounts(ctx, caller)
	}
	return c.scanAccount(ctx, caller)
}

// scanAccount scans the account of global (a scope with no region, whose
// Config holds the account's credentials): the account-wide tables (IAM,
// S3) and, beside them, the regions, at most Options.Concurrency at once,
// each region's tables in parallel. Anything denied, throttled, disabled
// or unreachable is a Gap of its scope; an error means the account could
// not be scanned at all (rejected credentials, DescribeRegions that cannot
// reach AWS, cancellation).
func (c *Collector) scanAccount(ctx context.Context, global scope) (*collectors.Result, error) {
	account := global.Account
	out := &collectors.Result{}

	regions, err := c.regions(ctx, global, out)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("aws scan", "account", account, "partition", global.Partition, "regions", regions)

	var globalTables, regionalTables []table
	for _, t := range All() {
		if t.Global {
			globalTables = append(globalTables, t)
		} else {
			regionalTables = append(regionalTables, t)
		}
	}
	global.Enrich = newEnrichments()
	out.Scope(global.inventory())
	scopes := make([]scope, 0, len(regions))
	for _, region := range regions {
		rs := global
		rs.Region = region
		rs.Config = global.Config.Copy()
		rs.Config.Region = region
		out.Scope(rs.inventory())
		scopes = append(scopes, rs)
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, t := range globalTables {
		g.Go(func() error { return t.List(gctx, global, out) })
	}
	g.Go(func() error {
		rg, rctx := errgroup.WithContext(gctx)
		rg.SetLimit(c.opts.Concurrency)
		for _, rs := range scopes {
			rg.Go(func() error { return scanRegion(rctx, rs, regionalTables, out) })
		}
		return rg.Wait()
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("aws scan of %s: %w", account, err)
	}
	link(out)
	global.Enrich.apply(out, c.opts.Logger)
	out.Sort()
	return out, nil
}

// scanRegion runs the regional tables of one region in parallel.
func scanRegion(ctx context.Context, s scope, tables []table, out *collectors.Result) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range tables {
		g.Go(func() error { return t.List(gctx, s, out) })
	}
	return g.Wait()
}

// regions resolves which regions to scan. Requested regions that the
// account has not enabled become gaps. Not reaching EC2 at all here is
// fatal: with no answer from AWS past the caller's identity, the scan
// would commit an empty account.
func (c *Collector) regions(ctx context.Context, s scope, out *collectors.Result) ([]string, error) {
	resp, err := ec2.NewFromConfig(s.Config).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		if reason := classify(err); fatal(err) || reason == inventory.GapUnreachable || reason == inventory.GapCancelled {
			return nil, fmt.Errorf("aws: list regions with ec2 DescribeRegions: %w", err)
		}
		// Cannot list regions: scan what was asked for, or the config's region.
		if gerr := s.gap(out, "ec2", "DescribeRegions", "", err); gerr != nil {
			return nil, gerr
		}
		if len(c.opts.Regions) > 0 {
			return c.opts.Regions, nil
		}
		return []string{s.Config.Region}, nil
	}
	enabled := map[string]bool{}
	var all []string
	for _, r := range resp.Regions {
		name := aws.ToString(r.RegionName)
		all = append(all, name)
		enabled[name] = aws.ToString(r.OptInStatus) != "not-opted-in"
	}
	if len(c.opts.Regions) == 0 {
		var out []string
		for _, r := range all {
			if enabled[r] {
				out = append(out, r)
			}
		}
		sort.Strings(out)
		return out, nil
	}
	var keep []string
	for _, r := range c.opts.Regions {
		on, known := enabled[r]
		switch {
		case !known:
			out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: r, Service: "ec2",
				Operation: "DescribeRegions", Reason: inventory.GapRegionDisabled, Message: "region " + r + " is not a region of this account"})
		case !on:
			out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: r, Service: "ec2",
				Operation: "DescribeRegions", Reason: inventory.GapRegionDisabled, Message: "region " + r + " is an opt-in region not enabled for this account"})
		default:
			if !slices.Contains(keep, r) {
				keep = append(keep, r)
			}
		}
	}
	return keep, nil
}

// link adds the edges that cross services once everything is collected:
// an instance assumes the roles of its instance profile, and a database
// names the EC2 resources the scan collected.
func link(out *collectors.Result) {
	linkNetworkRefs(out)
	profiles := map[string][]string{}
	for _, r := range out.Resources {
		if r.Role != nil {
			for _, p := range r.Role.InstanceProfiles {
				profiles[p] = append(profiles[p], r.ID)
			}
		}
	}
	for i := range out.Resources {
		r := &out.Resources[i]
		if r.Instance == nil || r.Instance.InstanceProfile == "" {
			continue
		}
		for _, role := range profiles[r.Instance.InstanceProfile] {
			r.AddEdge(inventory.RelAssumes, role)
		}
	}
}

// linkNetworkRefs points the security groups, subnets and VPC of each
// database, load balancer and EKS cluster at the ARNs EC2 gave them. RDS,
// Elastic Load Balancing and EKS name them by id only, so their tables
// build the ARNs with the scanned account; a subnet or VPC shared from
// another account (RAM) belongs to that account, which EC2 knows.
// References EC2 did not list (denied, another region) keep the scanned
// account.
func linkNetworkRefs(out *collectors.Result) {
	ec2IDs := map[string]string{} // "region resource" (security-group/sg-1) -> ARN
	for _, r := range out.Resources {
		if service, res, ok := arnParts(r.ID); ok && service == "ec2" {
			ec2IDs[r.Region+" "+res] = r.ID
		}
	}
	resolve := func(region, arn string) string {
		if service, res, ok := arnParts(arn); ok && service == "ec2" {
			if known, ok := ec2IDs[region+" "+res]; ok {
				return known
			}
		}
		return arn
	}
	all := func(region string, ids []string) {
		for j := range ids {
			ids[j] = resolve(region, ids[j])
		}
	}
	for i := range out.Resources {
		r := &out.Resources[i]
		switch {
		case r.Database != nil:
			d := r.Database
			d.NetworkID = resolve(r.Region, d.NetworkID)
			all(r.Region, d.SubnetIDs)
			all(r.Region, d.Firewalls)
		case r.LoadBalancer != nil:
			l := r.LoadBalancer
			l.NetworkID = resolve(r.Region, l.NetworkID)
			all(r.Region, l.SubnetIDs)
			all(r.Region, l.Firewalls)
		case r.Cluster != nil:
			r.Cluster.NetworkID = resolve(r.Region, r.Cluster.NetworkID)
		default:
			continue
		}
		for j := range r.Edges {
			r.Edges[j].To = resolve(r.Region, r.Edges[j].To)
		}
	}
}

// arnParts splits an ARN into its service and resource
// ("arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-1" is ec2,
// subnet/subnet-1).
func arnParts(arn string) (service, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "", "", false
	}
	return parts[2], parts[5], true
}

// partitionOf reads the partition of an ARN ("arn:aws-us-gov:iam::…" is
// aws-us-gov); for text that is not an ARN it is the partition of region.
func partitionOf(arn, region string) string {
	if rest, ok := strings.CutPrefix(arn, "arn:"); ok {
		if p, _, ok := strings.Cut(rest, ":"); ok && p != "" {
			return p
		}
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// tagMap turns a service's tags into a map, nil when there are none. kv
// reads the key and value of one tag: each SDK service has its own Tag type.
func tagMap[T any](tags []T, kv func(T) (key, value *string)) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k, v := kv(t)
		m[aws.ToString(k)] = aws.ToString(v)
	}
	return m
}
