// Package gcp collects Google Cloud configuration into the normalized
// inventory with Google's Go clients: Compute Engine (cloud.google.com/go/
// compute/apiv1, REST), Cloud Storage (cloud.google.com/go/storage), and the
// discovery clients of google.golang.org/api for Resource Manager, IAM,
// Cloud SQL Admin (sqladmin/v1beta4), GKE (container/v1) and OS Config
// (osconfig/v1: vulnerability reports, read once every project's
// instances are known, osconfig.go). Load balancers are forwarding rules
// resolved to their instances (loadbalancer.go).
// One file per service declares its table and the small interface of the
// client methods it calls.
//
// Credentials are Google application default credentials (read-only
// cloud-platform scope). Options.Endpoint points every API at one base URL
// (an emulator on loopback) without authentication. Without it, Cloud
// Storage honours STORAGE_EMULATOR_HOST as Google's library does, but
// only on loopback (and with a warning): any other host is refused.
//
// Ids are full resource names as Cloud Asset Inventory writes them
// ("//compute.googleapis.com/projects/P/zones/Z/instances/N"), NativeType
// the CAI asset type. Facts that have no CAI asset of their own are named
// in the same scheme (see names.go).
package gcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/sync/errgroup"
	crm "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/option"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// Options configure a GCP collection.
type Options struct {
	// Projects are the project ids to scan; empty: every ACTIVE project
	// the credentials can list (Resource Manager projects.list).
	Projects []string
	// Organization is an organization id ("123456789012"): when set and
	// Projects is empty, only the ACTIVE listed projects whose ancestry
	// (Resource Manager projects.getAncestry) includes
	// organizations/Organization are scanned; a project whose ancestry
	// cannot be read is a Gap and is not scanned. Named Projects are
	// scanned as named, whatever their organization.
	Organization string
	// Endpoint is the base URL of every Google API ("http://127.0.0.1:8080",
	// an emulator); "" for Google's own. Without credentials, only a
	// loopback endpoint is accepted.
	Endpoint string
	// Concurrency bounds the projects scanned at once; default 4.
	Concurrency int
	// MaxAttempts bounds the attempts of each call, with exponential
	// backoff on throttling (429, RESOURCE_EXHAUSTED, 503) and server
	// errors; default 6.
	MaxAttempts int
	MaxBackoff  time.Duration // default 20s
	// Timeout bounds each HTTP attempt; default 60s.
	Timeout time.Duration
	// SecretSalt keys the fingerprints of secrets found in instance
	// metadata values (internal/secrets): the store's own random salt.
	// nil: a salt derived from each project id (secrets.AccountSalt),
	// which is weaker: anyone who knows the project id can test a guessed
	// secret against a report.
	SecretSalt []byte
	Now        func() time.Time
	Logger     *slog.Logger
}

// readOnlyScope is the OAuth scope asked of application default
// credentials: posture only reads.
const readOnlyScope = "https://www.googleapis.com/auth/cloud-platform.read-only"

// Collector collects GCP projects.
type Collector struct {
	opts Options
	// client are the options every Google client is built with: the
	// endpoint and an HTTP client (authenticated unless Endpoint is set).
	client []option.ClientOption
	// storage are those of the Cloud Storage client.
	storage []option.ClientOption
}

// New checks the options and finds the credentials: none with a loopback
// Endpoint, else application default credentials.
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
	c := &Collector{opts: opts}
	plain := &http.Client{Timeout: opts.Timeout}
	if opts.Endpoint != "" {
		base := strings.TrimRight(opts.Endpoint, "/")
		if err := loopback(base); err != nil {
			return nil, err
		}
		c.client = []option.ClientOption{option.WithEndpoint(base), option.WithoutAuthentication(), option.WithHTTPClient(plain)}
		c.storage = []option.ClientOption{option.WithEndpoint(base + "/storage/v1/"), option.WithoutAuthentication(), option.WithHTTPClient(plain)}
		return c, nil
	}
	storageEmulator := false
	if host := os.Getenv("STORAGE_EMULATOR_HOST"); host != "" {
		// The library points itself at the emulator, unauthenticated: a
		// leftover setting would replace the real buckets with the
		// emulator's. Only one on this machine is accepted, and said.
		u := host
		if !strings.Contains(u, "://") {
			u = "http://" + u
		}
		if err := loopback(u); err != nil {
			return nil, fmt.Errorf("gcp: STORAGE_EMULATOR_HOST=%q sends Cloud Storage calls to a host that is not this machine, without credentials; unset it to read the real buckets", host)
		}
		opts.Logger.Warn("gcp: Cloud Storage is read from the emulator named by STORAGE_EMULATOR_HOST, not from Google", "host", host)
		storageEmulator = true
	}
	creds, err := google.FindDefaultCredentials(ctx, readOnlyScope)
	if err != nil {
		return nil, fmt.Errorf("gcp: find application default credentials: %w", err)
	}
	authed := &http.Client{Timeout: opts.Timeout, Transport: &oauth2.Transport{Source: creds.TokenSource, Base: http.DefaultTransport}}
	c.client = []option.ClientOption{option.WithHTTPClient(authed)}
	c.storage = c.client
	if storageEmulator {
		c.storage = []option.ClientOption{option.WithHTTPClient(plain)}
	}
	if len(opts.Projects) == 0 && creds.ProjectID != "" {
		opts.Logger.Debug("gcp credentials", "project", creds.ProjectID)
	}
	return c, nil
}

// loopback refuses an endpoint that is not on this machine: without
// credentials, posture talks only to a local emulator.
func loopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("gcp: endpoint %q is not a URL (want http://127.0.0.1:PORT)", endpoint)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("gcp: endpoint %q is not a loopback address: an endpoint is used without credentials, so only an emulator on this machine (127.0.0.1, ::1, localhost) is accepted", endpoint)
}

// endpointOption is the endpoint of the discovery-based clients, whose
// paths are relative to a base ending in "/".
func (c *Collector) discovery() []option.ClientOption {
	if c.opts.Endpoint == "" {
		return c.client
	}
	return append([]option.ClientOption{option.WithEndpoint(strings.TrimRight(c.opts.Endpoint, "/") + "/")}, c.client[1:]...)
}

// Cloud is GCP.
func (c *Collector) Cloud() inventory.Cloud { return inventory.GCP }

// scope is what a table is called with: one project.
type scope struct {
	Project string
	Now     time.Time
	// SecretSalt is Options.SecretSalt (nil: derived from Project).
	SecretSalt []byte
}

func (s scope) inventory() inventory.Scope {
	return inventory.Scope{Cloud: inventory.GCP, Account: s.Project}
}

// gap records err as a gap of this project. It returns err unchanged when
// the error is fatal to the whole run, and nil otherwise.
func (s scope) gap(out *collectors.Result, service, operation, resource string, err error) error {
	if fatal(err) {
		return fmt.Errorf("gcp %s %s (project %s): %w", service, operation, s.Project, err)
	}
	msg := errorMessage(err)
	if classify(err) == inventory.GapRegionDisabled {
		msg = "the " + service + " API is not enabled in project " + s.Project + ": " + msg
	}
	out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: s.Project, Service: service, Operation: operation,
		Resource: resource, Reason: classify(err), Message: msg})
	return nil
}

// table is one service's collection of a project.
type table struct {
	Service string
	List    func(ctx context.Context, c *clients, s scope, out *collectors.Result) error
}

// All lists every table, explicitly.
func All() []table {
	return []table{computeTable(), loadBalancerTable(), storageTable(), projectIAMTable(), serviceAccountsTable(), sqlTable(), gkeTable()}
}

// Collect scans the projects, at most Options.Concurrency at once, each
// project's tables in parallel. What is denied, not enabled, throttled
// past retries or unreachable is a Gap of its project. Only rejected
// credentials, cancellation, or not reaching Google at all to list the
// projects fail the whole collection.
func (c *Collector) Collect(ctx context.Context) (*collectors.Result, error) {
	now := c.opts.Now().UTC()
	cl, err := c.newClients(ctx)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := &collectors.Result{}
	projects := c.opts.Projects
	if len(projects) == 0 {
		if projects, err = c.listProjects(ctx, cl); err != nil {
			return nil, err
		}
		if c.opts.Organization != "" {
			if projects, err = c.inOrganization(ctx, cl, projects, out); err != nil {
				return nil, err
			}
		}
	}
	c.opts.Logger.Info("gcp scan", "projects", projects)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for _, p := range projects {
		s := scope{Project: p, Now: now, SecretSalt: c.opts.SecretSalt}
		out.Scope(s.inventory())
		g.Go(func() error {
			pg, pctx := errgroup.WithContext(gctx)
			for _, t := range All() {
				pg.Go(func() error { return t.List(pctx, cl, s, out) })
			}
			return pg.Wait()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gcp scan: %w", err)
	}
	cl.networks.match(out)
	// OS Config lists one zone at a time: the zones are those the
	// instances collected are in.
	if err := c.vulnerabilities(ctx, cl, out); err != nil {
		return nil, err
	}
	unreadGrants(out)
	link(out)
	out.Sort()
	return out, nil
}

// listProjects lists the ACTIVE projects the credentials can see.
func (c *Collector) listProjects(ctx context.Context, cl *clients) ([]string, error) {
	var out []string
	token := ""
	for {
		var resp *projectsPage
		err := c.do(ctx, func() (err error) { resp, err = cl.crm.ListProjects(ctx, token); return err })
		if err != nil {
			return nil, fmt.Errorf("gcp: list projects with cloudresourcemanager projects.list: %w", err)
		}
		for _, p := range resp.Projects {
			if p.LifecycleState == "" || p.LifecycleState == "ACTIVE" {
				out = append(out, p.ProjectId)
			}
		}
		if token = resp.Next; token == "" {
			break
		}
	}
	if len(out) == 0 {
		return nil, errors.New("gcp: the credentials can list no active project; name them with Options.Projects")
	}
	return out, nil
}

// inOrganization keeps the projects whose ancestry includes the
// organization Options.Organization, reading each project's ancestry
// (projects.getAncestry, Options.Concurrency at once). A project whose
// ancestry cannot be read is a gap: whether it belongs is unknown, and it
// is not scanned. No project found, and none unknown, is an error.
func (c *Collector) inOrganization(ctx context.Context, cl *clients, projects []string, out *collectors.Result) ([]string, error) {
	org := strings.TrimPrefix(c.opts.Organization, "organizations/")
	keep := make([]bool, len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for i, p := range projects {
		g.Go(func() error {
			var resp *crm.GetAncestryResponse
			err := c.do(gctx, func() (err error) { resp, err = cl.crm.GetAncestry(gctx, p); return err })
			if err != nil {
				return scope{Project: p}.gap(out, "cloudresourcemanager", "projects.getAncestry", "//cloudresourcemanager.googleapis.com/projects/"+p, err)
			}
			for _, a := range resp.Ancestor {
				if a.ResourceId != nil && a.ResourceId.Type == "organization" && a.ResourceId.Id == org {
					keep[i] = true
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var in []string
	for i, p := range projects {
		if keep[i] {
			in = append(in, p)
		}
	}
	if len(in) == 0 && len(out.Gaps) == 0 {
		return nil, fmt.Errorf("gcp: no active project the credentials can list is in organizations/%s", org)
	}
	return in, nil
}

// link merges principals seen in more than one project: users and groups
// are named by email, not by project, so each keeps one resource whose
// Account is the first project (in id order) that granted it a role.
func link(out *collectors.Result) {
	seen := map[string]int{}
	var keep []inventory.Resource
	for _, r := range out.Resources {
		if r.Kind != inventory.KindUser && r.Kind != inventory.KindGroup {
			keep = append(keep, r)
			continue
		}
		i, ok := seen[r.ID]
		if !ok {
			seen[r.ID] = len(keep)
			keep = append(keep, r)
			continue
		}
		if r.Account < keep[i].Account {
			keep[i].Account = r.Account
		}
		keep[i].Edges = append(keep[i].Edges, r.Edges...)
	}
	out.Resources = keep
}
