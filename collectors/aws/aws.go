// Package aws collects AWS configuration with aws-sdk-go-v2 into the
// normalized inventory. One file per service declares its tables (what it
// lists, at which scope) and the small interface of SDK methods it calls.
//
// Endpoints: the SDK's standard overrides apply (AWS_ENDPOINT_URL and its
// per-service forms such as AWS_ENDPOINT_URL_S3, or endpoint_url in the
// shared config profile); Options.Endpoint overrides them all. Credentials
// come from the standard chain (environment, profiles, SSO, roles, IMDS).
package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// Options configure an AWS collection.
type Options struct {
	Profile     string   // shared config profile; "" for the default chain
	Regions     []string // "" or empty: every enabled region
	Endpoint    string   // overrides every service endpoint (an emulator, LocalStack)
	Concurrency int      // regions scanned at once; default 4
	MaxAttempts int      // per call, with exponential backoff on throttling; default 6
	MaxBackoff  time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	loads := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = opts.MaxBackoff
			})
		}),
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

// scope is what a table is called with: the account, a region ("" for
// global tables) and the config for that region.
type scope struct {
	Account string
	Region  string
	Config  aws.Config
	Now     time.Time
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
	return ts
}

// Collect scans the account: global tables first (IAM, S3), then every
// region in parallel with a bound. Anything denied, throttled or disabled
// is a Gap; only an unreachable endpoint, rejected credentials or
// cancellation fail the whole collection.
func (c *Collector) Collect(ctx context.Context) (*collectors.Result, error) {
	now := c.opts.Now().UTC()
	id, err := sts.NewFromConfig(c.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("aws: identify the account with sts GetCallerIdentity: %w", err)
	}
	account := aws.ToString(id.Account)
	out := &collectors.Result{}
	global := scope{Account: account, Config: c.cfg, Now: now}

	regions, err := c.regions(ctx, global, out)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("aws scan", "account", account, "regions", regions)

	tables := All()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	out.Scope(global.inventory())
	for _, t := range tables {
		if !t.Global {
			continue
		}
		g.Go(func() error { return t.List(gctx, global, out) })
	}
	for _, region := range regions {
		cfg := c.cfg.Copy()
		cfg.Region = region
		rs := scope{Account: account, Region: region, Config: cfg, Now: now}
		out.Scope(rs.inventory())
		for _, t := range tables {
			if t.Global {
				continue
			}
			g.Go(func() error { return t.List(gctx, rs, out) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("aws scan of %s: %w", account, err)
	}
	link(out)
	out.Sort()
	return out, nil
}

// regions resolves which regions to scan. Requested regions that the
// account has not enabled become gaps.
func (c *Collector) regions(ctx context.Context, s scope, out *collectors.Result) ([]string, error) {
	resp, err := ec2.NewFromConfig(s.Config).DescribeRegions(ctx, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if err != nil {
		if fatal(err) || errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("aws: list regions with ec2 DescribeRegions: %w", err)
		}
		// Cannot list regions: scan what was asked for, or the config's region.
		if gerr := s.gap(out, "ec2", "DescribeRegions", "", err); gerr != nil {
			return nil, gerr
		}
		if len(c.opts.Regions) > 0 {
			return c.opts.Regions, nil
		}
		return []string{c.cfg.Region}, nil
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
// an instance assumes the roles of its instance profile.
func link(out *collectors.Result) {
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
