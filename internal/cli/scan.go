package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/collectors"
	awscollector "github.com/posture-dev/posture/collectors/aws"
	azurecollector "github.com/posture-dev/posture/collectors/azure"
	gcpcollector "github.com/posture-dev/posture/collectors/gcp"
	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/scan"
	"github.com/posture-dev/posture/internal/store"
)

// ScanOptions are the flags of `posture scan`.
type ScanOptions struct {
	AWS                bool
	GCP                bool
	Projects           []string
	GCPOrganization    string
	GCPEndpoint        string
	Azure              bool
	Subscriptions      []string
	AzureEndpoint      string
	Profile            string
	Organization       bool
	Accounts           []string
	AssumeRole         string
	ExternalID         string
	AccountConcurrency int
	Regions            []string
	Endpoint           string
	Concurrency        int
	MaxAttempts        int
	Timeout            time.Duration
	Keep               int
}

// NewScanCommand builds `posture scan`.
func NewScanCommand(g *Global) *cobra.Command {
	var o ScanOptions
	cmd := &cobra.Command{
		Use:   "scan [--aws] [--gcp] [--azure] [flags]",
		Short: "Snapshot cloud configuration into the store",
		Long: `Scan reads configuration through the cloud's SDK with its standard credential
chain and commits it as one snapshot: AWS (profiles, SSO, roles), Google
application default credentials, Azure's DefaultAzureCredential. Clouds and
their scopes are scanned in parallel. What could not be read (access denied,
an API not enabled, throttled, a region, project, subscription or whole cloud
that failed) is recorded as a gap and the snapshot is marked partial; a scan
that fails entirely or is interrupted commits nothing and the last good
snapshot stays latest.

Endpoints: AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) are honoured as the
SDK defines them and --endpoint overrides every AWS service endpoint;
--gcp-endpoint sets every Google API (STORAGE_EMULATOR_HOST is honoured for
Cloud Storage as Google's library does); --azure-endpoint sets Azure Resource
Manager. Plain-http endpoints must be on loopback.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, explicit := g.ConfigPath, g.ConfigPath != ""
			if !explicit {
				path = defaultConfigPath()
			}
			if path != "" {
				c, err := loadConfig(path, explicit)
				if err != nil {
					return usageError("%v", err)
				}
				if err := applyConfig(cmd, c, path); err != nil {
					return usageError("%v", err)
				}
			}
			return runScan(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.AWS, "aws", false, "scan AWS (the account of the current credentials, or --organization / --accounts)")
	f.BoolVar(&o.GCP, "gcp", false, "scan Google Cloud with application default credentials")
	f.StringSliceVar(&o.Projects, "projects", nil, "GCP project ids (default: every active project the credentials can list)")
	f.StringVar(&o.GCPOrganization, "gcp-organization", "", "GCP organization id: scan only the listed projects under it (ignored with --projects)")
	f.StringVar(&o.GCPEndpoint, "gcp-endpoint", "", "base URL for every Google API (an emulator on loopback)")
	f.BoolVar(&o.Azure, "azure", false, "scan Azure with DefaultAzureCredential")
	f.StringSliceVar(&o.Subscriptions, "subscriptions", nil, "Azure subscription ids (default: every subscription the credentials can list)")
	f.StringVar(&o.AzureEndpoint, "azure-endpoint", "", "Azure Resource Manager base URL (an emulator on loopback)")
	f.StringVar(&o.Profile, "profile", "", "AWS shared config profile")
	f.BoolVar(&o.Organization, "organization", false, "scan every active account of the AWS Organization (from its management account), assuming --assume-role in each")
	f.StringSliceVar(&o.Accounts, "accounts", nil, "scan these AWS account ids, assuming --assume-role in each (the caller's own account is scanned directly)")
	f.StringVar(&o.AssumeRole, "assume-role", "OrganizationAccountAccessRole", "role name (with its path, if any) to assume in each account of --organization or --accounts")
	f.StringVar(&o.ExternalID, "external-id", "", "external id for the assumed role, when its trust policy requires one")
	f.IntVar(&o.AccountConcurrency, "account-concurrency", 4, "AWS accounts scanned at once")
	f.StringSliceVar(&o.Regions, "regions", nil, "AWS regions to scan (default: every enabled region)")
	f.StringVar(&o.Endpoint, "endpoint", "", "AWS endpoint URL for every service (an emulator or LocalStack)")
	f.IntVar(&o.Concurrency, "concurrency", 4, "AWS regions, GCP projects, Azure subscriptions scanned at once (per cloud)")
	f.IntVar(&o.MaxAttempts, "max-attempts", 6, "attempts per API call, with exponential backoff on throttling")
	f.DurationVar(&o.Timeout, "timeout", time.Minute, "limit for one HTTP attempt of an API call; a region that stops answering becomes a gap")
	f.IntVar(&o.Keep, "keep", 0, "after committing, keep only the newest N snapshots (0 keeps all)")
	return cmd
}

func runScan(cmd *cobra.Command, g *Global, o ScanOptions) error {
	if !o.AWS && !o.GCP && !o.Azure {
		return usageError("scan: choose at least one cloud: --aws, --gcp, --azure")
	}
	if o.Concurrency < 1 || o.AccountConcurrency < 1 {
		return usageError("scan: --concurrency and --account-concurrency must be at least 1")
	}
	if o.Organization && len(o.Accounts) > 0 {
		return usageError("scan: --organization and --accounts exclude each other")
	}
	if o.Keep < 0 {
		return usageError("scan: --keep must not be negative")
	}
	if o.Timeout <= 0 {
		return usageError("scan: --timeout must be positive")
	}
	ctx := cmd.Context()
	// Find out now, not after an hour of collection, whether the store can
	// be used at all. Its lock is not held while collecting, so reports and
	// scores keep working during a long scan.
	salt, err := storeSalt(ctx, g)
	if err != nil {
		return err
	}
	cs := collectorsFor(cmd.Context(), g, o, salt)

	start := time.Now()
	sopts := scan.Options{Now: g.Now, Logger: g.Logger()}
	collected, err := scan.Collect(ctx, cs, sopts)
	if err != nil {
		return err
	}
	st, err := openStoreWaiting(ctx, g, time.Minute)
	if err != nil {
		return fmt.Errorf("%w (the scan's results were not stored)", err)
	}
	defer st.Close()
	snap, err := scan.Commit(ctx, st, collected, sopts)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Out, "snapshot %s\n", snap.ID)

	// The snapshot is committed: what follows can only warn.
	x, err := assess.Exploitation(ctx, st, collected.Resources)
	if err != nil {
		fmt.Fprintf(g.Err, "posture: warning: %v; findings' exploitation is counted as unknown\n", err)
	}
	signals := assess.CountSignals(collected.Resources, snap.Gaps, snap.Finished, x)
	fmt.Fprintf(g.Out, "%s: %d resources in %d scopes, %d signals, %d gaps (%s)\n",
		snap.Status, snap.Resources, len(snap.Scopes), signals, len(snap.Gaps), time.Since(start).Round(time.Millisecond))
	for _, gp := range snap.Gaps {
		fmt.Fprintf(g.Err, "gap: %s\n", gp)
	}
	if o.Keep > 0 {
		if _, err := st.Retain(ctx, o.Keep); err != nil {
			fmt.Fprintf(g.Err, "posture: warning: snapshot %s is committed, but retention failed: %v\n", snap.ID, err)
		}
	}
	if snap.Status == inventory.StatusPartial {
		return &exitError{code: ExitPartial, err: fmt.Errorf("snapshot %s is partial: %d gaps", snap.ID, len(snap.Gaps))}
	}
	return nil
}

// collectorsFor builds one collector per chosen cloud. A cloud whose
// collector cannot even be set up (no credentials found) still takes part:
// it fails when collected, which makes it a gap when other clouds succeed
// and the scan's error when none does.
func collectorsFor(ctx context.Context, g *Global, o ScanOptions, salt []byte) []collectors.Collector {
	var cs []collectors.Collector
	add := func(cloud inventory.Cloud, c collectors.Collector, err error) {
		if err != nil {
			c = failed{cloud: cloud, err: err}
		}
		cs = append(cs, c)
	}
	if o.AWS {
		c, err := awscollector.New(ctx, awscollector.Options{
			Profile: o.Profile, Regions: o.Regions, Endpoint: o.Endpoint,
			Organization: o.Organization, Accounts: o.Accounts, AssumeRole: o.AssumeRole, ExternalID: o.ExternalID,
			AccountConcurrency: o.AccountConcurrency,
			Concurrency:        o.Concurrency, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout, Now: g.Now, Logger: g.Logger(),
			SecretSalt: salt,
		})
		add(inventory.AWS, c, err)
	}
	if o.GCP {
		c, err := gcpcollector.New(ctx, gcpcollector.Options{
			Projects: o.Projects, Organization: o.GCPOrganization, Endpoint: o.GCPEndpoint, SecretSalt: salt,
			Concurrency: o.Concurrency, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout, Now: g.Now, Logger: g.Logger(),
		})
		add(inventory.GCP, c, err)
	}
	if o.Azure {
		c, err := azurecollector.New(ctx, azurecollector.Options{
			Subscriptions: o.Subscriptions, Endpoint: o.AzureEndpoint,
			Concurrency: o.Concurrency, MaxAttempts: o.MaxAttempts, Timeout: o.Timeout, Now: g.Now, Logger: g.Logger(),
		})
		add(inventory.Azure, c, err)
	}
	return cs
}

// failed is a cloud whose collector could not be set up.
type failed struct {
	cloud inventory.Cloud
	err   error
}

func (f failed) Cloud() inventory.Cloud { return f.cloud }

func (f failed) Collect(context.Context) (*collectors.Result, error) { return nil, f.err }

// storeSalt opens the store briefly, proving it usable before a long
// collection, and reads its secret-fingerprint salt (waiting a little if a
// report holds the store). The store is not held while collecting.
func storeSalt(ctx context.Context, g *Global) ([]byte, error) {
	st, err := openStoreWaiting(ctx, g, time.Minute)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.SecretSalt(ctx)
}

// openStoreWaiting opens the store, waiting up to wait while another
// process (a report, a score) holds it.
func openStoreWaiting(ctx context.Context, g *Global, wait time.Duration) (*store.Store, error) {
	deadline := time.Now().Add(wait)
	for {
		st, err := g.OpenStore()
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// joinKinds formats kind counts for people.
func joinKinds(m map[inventory.Kind]int) string {
	var parts []string
	for _, k := range inventory.Kinds() {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}
