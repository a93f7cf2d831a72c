// Package azure collects Azure configuration through Azure Resource
// Manager with the Azure SDK for Go into the normalized inventory. One file
// per service (network, compute, storage, authorization, sql, keyvault,
// containerservice, load balancers, Defender for Cloud) declares what it
// lists; a subscription is the scope, and subscriptions are scanned in
// parallel with a bound.
//
// Credentials come from azidentity.NewDefaultAzureCredential (environment,
// workload identity, managed identity, Azure CLI …), allowed to get tokens
// for any tenant: a subscription listed by Subscriptions.List is scanned
// with a token of its own tenant (its tenantId). A subscription whose
// token is refused (another tenant the credential cannot reach, a
// credential rejected there) is a gap of that subscription; only when
// every subscription is refused does the scan fail.
//
// Options.Endpoint points every client at another Resource Manager. The
// token must be for that cloud: an https URL of a national cloud
// (management.chinacloudapi.cn, management.usgovcloudapi.net) selects
// that cloud's configuration, its Entra ID authority and its Resource
// Manager audience, for the clients and the credential alike; another
// https URL (Azure Stack Hub, a proxy) asks for a token with the endpoint
// itself as the audience, from the authority in AZURE_AUTHORITY_HOST, else
// the public cloud's. An http URL is accepted only on loopback (an
// emulator), where a static token is sent.
package azure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// Options configure an Azure collection.
type Options struct {
	// Subscriptions to scan; empty: every subscription the credential
	// sees (Subscriptions.List).
	Subscriptions []string
	// Endpoint is the Resource Manager base URL; "" is Azure's public
	// cloud. http is accepted only on loopback (127.0.0.1, localhost,
	// [::1]), with a static token: the emulator.
	Endpoint string
	// Concurrency bounds the subscriptions scanned at once; default 4.
	// Each subscription's services run beside each other.
	Concurrency int
	// MaxAttempts bounds the tries of one call, with exponential backoff
	// on throttling (429), 5xx and dropped connections; default 6.
	MaxAttempts int
	// MaxBackoff scales the exponential backoff: the first wait is
	// min(1s, MaxBackoff), then it roughly doubles; default 20s.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After a throttling answer may ask
	// for and still be honoured; default 60s. Resource Manager often asks
	// for 30 s or more; a longer one is not waited for and the call is a
	// throttled gap. The SDK has one cap for both, so every wait is
	// bounded by max(MaxBackoff, MaxRetryAfter), and the whole call by
	// the context.
	MaxRetryAfter time.Duration
	// Timeout bounds each HTTP attempt; default 60s.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	// Credential overrides the credential (tests, callers with their own
	// chain); nil: DefaultAzureCredential, or the static token on a
	// loopback http Endpoint.
	Credential azcore.TokenCredential
}

// Collector collects Azure subscriptions.
type Collector struct {
	opts Options
	cred azcore.TokenCredential
	arm  *arm.ClientOptions
}

// New checks the options and sets up the credential and client options.
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
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 60 * time.Second
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
	c := &Collector{opts: opts, cred: opts.Credential}
	co := &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Retry: policy.RetryOptions{
				MaxRetries:    int32(opts.MaxAttempts - 1),
				RetryDelay:    min(time.Second, opts.MaxBackoff),
				MaxRetryDelay: max(opts.MaxBackoff, opts.MaxRetryAfter),
				TryTimeout:    opts.Timeout,
			},
			Transport: &http.Client{Timeout: opts.Timeout},
		},
		// A scanner reads: it never registers resource providers in the
		// customer's subscription, which the ARM pipeline would otherwise
		// do on a MissingSubscriptionRegistration answer.
		DisableRPRegistration: true,
	}
	var credCloud cloud.Configuration // zero: AZURE_AUTHORITY_HOST, else the public cloud
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("azure endpoint %q: want an http(s) URL", opts.Endpoint)
		}
		if u.Scheme == "http" {
			if !loopback(u.Hostname()) {
				return nil, fmt.Errorf("azure endpoint %q: http is allowed on loopback only (127.0.0.1, localhost, [::1]); use https", opts.Endpoint)
			}
			co.InsecureAllowCredentialWithHTTP = true
			if c.cred == nil {
				c.cred = staticToken{}
			}
		}
		co.Cloud, credCloud = cloudFor(u)
	}
	if c.cred == nil {
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: policy.ClientOptions{Cloud: credCloud},
			// Subscriptions of other tenants get tokens of their tenant.
			AdditionallyAllowedTenants: []string{"*"},
		})
		if err != nil {
			return nil, fmt.Errorf("azure credential (DefaultAzureCredential): %w", err)
		}
		c.cred = cred
	}
	c.arm = co
	return c, nil
}

// cloudFor is the cloud configuration of a Resource Manager endpoint u,
// for the clients and for the credential: a national cloud's own when u
// is its Resource Manager; else u as both the endpoint and the token's
// audience, with the authority left to the credential
// (AZURE_AUTHORITY_HOST, else the public cloud's).
func cloudFor(u *url.URL) (clients, credential cloud.Configuration) {
	base := strings.TrimSuffix(u.String(), "/")
	if u.Scheme == "https" && (u.Path == "" || u.Path == "/") {
		for _, c := range []cloud.Configuration{cloud.AzurePublic, cloud.AzureChina, cloud.AzureGovernment} {
			if rm, ok := c.Services[cloud.ResourceManager]; ok && strings.EqualFold(strings.TrimSuffix(rm.Endpoint, "/"), base) {
				return c, c
			}
		}
	}
	return cloud.Configuration{
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: base, Audience: base},
		},
	}, cloud.Configuration{}
}

// tenantCredential asks cred for tokens of one tenant.
type tenantCredential struct {
	cred   azcore.TokenCredential
	tenant string
}

func (t tenantCredential) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if o.TenantID == "" {
		o.TenantID = t.tenant
	}
	return t.cred.GetToken(ctx, o)
}

// loopback reports whether host is 127.0.0.1 (any 127/8), ::1 or localhost.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// staticToken is the credential sent to a loopback emulator: "emulator",
// or "emulator/<tenant>" when asked for a tenant.
type staticToken struct{}

func (staticToken) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok := "emulator"
	if o.TenantID != "" {
		tok += "/" + o.TenantID
	}
	return azcore.AccessToken{Token: tok, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Cloud is Azure.
func (c *Collector) Cloud() inventory.Cloud { return inventory.Azure }

// scope is what a table is called with: one subscription, the clients'
// credential and options, and the state the tables of the subscription
// share for linking.
type scope struct {
	Subscription string
	Cred         azcore.TokenCredential
	Options      *arm.ClientOptions
	Now          time.Time
	Logger       *slog.Logger
	state        *subscriptionState
}

func (s scope) inventory() inventory.Scope {
	return inventory.Scope{Cloud: inventory.Azure, Account: s.Subscription}
}

// gap records err as a gap of the subscription; it returns an error when
// the subscription's scan must stop: a *refusedError when its token is
// refused (scanSubscription turns that into one gap of the subscription),
// nil otherwise.
func (s scope) gap(out *collectors.Result, service, operation, resource string, err error) error {
	if fatal(err) {
		return &refusedError{service: service, operation: operation, err: err}
	}
	out.Gap(inventory.Gap{Cloud: inventory.Azure, Account: s.Subscription, Service: service, Operation: operation,
		Resource: resource, Reason: classify(err), Message: message(err)})
	return nil
}

// resource starts a resource of the subscription from ARM's common fields.
func (s scope) resource(id string, kind inventory.Kind, native string, name, location *string, tags map[string]*string) inventory.Resource {
	r := inventory.Resource{ID: id, Cloud: inventory.Azure, Account: s.Subscription, Region: deref(location),
		Kind: kind, NativeType: native, Name: deref(name)}
	if len(tags) > 0 {
		r.Tags = make(map[string]string, len(tags))
		for k, v := range tags {
			r.Tags[k] = deref(v)
		}
	}
	return r
}

// table is one thing a service lists in a subscription.
type table struct {
	Service string
	List    func(ctx context.Context, s scope, out *collectors.Result) error
}

// All lists every table, explicitly.
func All() []table {
	var ts []table
	ts = append(ts, networkTables()...)
	ts = append(ts, computeTables()...)
	ts = append(ts, storageTables()...)
	ts = append(ts, authorizationTables()...)
	ts = append(ts, sqlTables()...)
	ts = append(ts, keyVaultTables()...)
	ts = append(ts, containerServiceTables()...)
	ts = append(ts, loadBalancerTables()...)
	ts = append(ts, defenderTables()...)
	return ts
}

// refusedError is a call whose token was refused: no further call of the
// subscription can succeed.
type refusedError struct {
	service, operation string
	err                error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("%s %s: credential refused: %v", e.service, e.operation, e.err)
}

func (e *refusedError) Unwrap() error { return e.err }

// Collect scans the subscriptions, at most Options.Concurrency at once,
// each subscription's tables in parallel. Anything denied, throttled or
// unreachable is a Gap of its subscription, and so is a subscription whose
// token is refused (another tenant). Cancellation, failing to list the
// subscriptions, a credential refused by every subscription, or an
// endpoint that answered no call at all fail the collection.
func (c *Collector) Collect(ctx context.Context) (*collectors.Result, error) {
	now := c.opts.Now().UTC()
	subs, err := c.subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(subs))
	for i, sub := range subs {
		ids[i] = sub.id
	}
	c.opts.Logger.Info("azure scan", "subscriptions", ids)
	out := &collectors.Result{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	var mu sync.Mutex
	var refused []error
	for _, sub := range subs {
		cred := c.cred
		if sub.tenant != "" {
			cred = tenantCredential{cred: c.cred, tenant: sub.tenant}
		}
		s := scope{Subscription: sub.id, Cred: cred, Options: c.arm, Now: now, Logger: c.opts.Logger, state: newSubscriptionState()}
		out.Scope(s.inventory())
		g.Go(func() error {
			err := scanSubscription(gctx, s, out)
			var re *refusedError
			if !errors.As(err, &re) {
				return err
			}
			// Another tenant, or a credential this subscription refuses:
			// nothing of it can be read, the others go on.
			c.opts.Logger.Warn("azure subscription refused the credential", "subscription", sub.id, "tenant", sub.tenant, "error", message(re.err))
			out.Gap(inventory.Gap{Cloud: inventory.Azure, Account: sub.id, Service: re.service, Operation: re.operation,
				Reason: inventory.GapAccessDenied, Message: "credential refused for the subscription (another tenant?): " + message(re.err)})
			mu.Lock()
			refused = append(refused, fmt.Errorf("subscription %s: %w", sub.id, re))
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("azure scan: %w", err)
	}
	if len(refused) == len(subs) {
		return nil, fmt.Errorf("azure: every subscription refused the credential: %w", errors.Join(refused...))
	}
	if len(out.Resources) == 0 && len(out.Gaps) > 0 && !slices.ContainsFunc(out.Gaps, func(g inventory.Gap) bool {
		return g.Reason != inventory.GapUnreachable
	}) {
		return nil, fmt.Errorf("azure: Resource Manager did not answer any call: %s", out.Gaps[0].Message)
	}
	out.Resources = mergeDuplicates(out.Resources)
	out.Sort()
	return out, nil
}

// subscription is one subscription to scan and its tenant, "" when not
// known (named by Options.Subscriptions: the credential's default tenant).
type subscription struct{ id, tenant string }

// subscriptions resolves what to scan: Options.Subscriptions, else every
// subscription the credential can list, with its tenant.
func (c *Collector) subscriptions(ctx context.Context) ([]subscription, error) {
	if len(c.opts.Subscriptions) > 0 {
		var subs []subscription
		for _, s := range c.opts.Subscriptions {
			if s = strings.TrimSpace(s); s != "" && !slices.ContainsFunc(subs, func(x subscription) bool { return x.id == s }) {
				subs = append(subs, subscription{id: s})
			}
		}
		return subs, nil
	}
	client, err := armsubscriptions.NewClient(c.cred, c.arm)
	if err != nil {
		return nil, fmt.Errorf("azure: subscriptions client: %w", err)
	}
	var subs []subscription
	p := client.NewListPager(nil)
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("azure: list subscriptions (pass --subscriptions to name them): %w", err)
		}
		for _, s := range page.Value {
			if id := deref(s.SubscriptionID); id != "" && !slices.ContainsFunc(subs, func(x subscription) bool { return x.id == id }) {
				subs = append(subs, subscription{id: id, tenant: deref(s.TenantID)})
			}
		}
	}
	if len(subs) == 0 {
		return nil, errors.New("azure: the credential sees no subscription (pass --subscriptions to name them)")
	}
	return subs, nil
}

// scanSubscription runs every table of one subscription in parallel, then
// links what they read across services. A *refusedError drops what was
// read: the caller records the subscription's gap.
func scanSubscription(ctx context.Context, s scope, out *collectors.Result) error {
	sub := &collectors.Result{}
	g, gctx := errgroup.WithContext(ctx)
	for _, t := range All() {
		g.Go(func() error { return t.List(gctx, s, sub) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	link(s, sub)
	out.Merge(sub)
	return nil
}

// subscriptionState is what the tables of one subscription record for
// linking: facts that are not resources of their own.
type subscriptionState struct {
	mu sync.Mutex
	// publicIPs maps a public IP address resource id (lower case) to its
	// address and SKU.
	publicIPs map[string]publicIP
	// principals maps the principal (object) id of a managed identity to
	// the identity's resource id.
	principals map[string]string
	// permissionsUnknown is set when the role definitions or assignments
	// could not all be read: the grants of every managed identity are
	// unknown.
	permissionsUnknown bool
	// lbs holds what each load balancer and application gateway refers
	// to, by its id (lower case), for link to resolve (loadbalancer.go).
	lbs map[string]*lbRefs
	// defender is what Defender for Cloud reported on the machines
	// (defender.go); nil when its table did not run.
	defender *defenderReport
}

func newSubscriptionState() *subscriptionState {
	return &subscriptionState{publicIPs: map[string]publicIP{}, principals: map[string]string{}, lbs: map[string]*lbRefs{}}
}

// publicIP is what is kept of a public IP address resource.
type publicIP struct {
	address string // "" when none is allocated
	sku     string // "Basic", "Standard"; "" when ARM gives none (Basic)
}

// each reads every page of p, calling f with each; the first error is
// returned with what was read before it kept.
func each[T any](ctx context.Context, p *runtime.Pager[T], f func(T)) error {
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		f(page)
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// derefs returns the non-empty strings of ps.
func derefs(ps []*string) []string {
	var out []string
	for _, p := range ps {
		if v := deref(p); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// appendUniq appends v unless it is empty or already present.
func appendUniq(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// lastSegment is the name at the end of an ARM id.
func lastSegment(id string) string {
	return id[strings.LastIndex(id, "/")+1:]
}

// segment returns the value after key ("resourceGroups") in an ARM id,
// case-insensitively.
func segment(id, key string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], key) {
			return parts[i+1]
		}
	}
	return ""
}

// parentID cuts an ARM id before "/<key>/": the virtual network of a
// subnet id is parentID(id, "subnets").
func parentID(id, key string) string {
	lower := strings.ToLower(id)
	if i := strings.Index(lower, "/"+strings.ToLower(key)+"/"); i >= 0 {
		return id[:i]
	}
	return ""
}
