package gcp

import (
	"context"
	"fmt"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	crm "google.golang.org/api/cloudresourcemanager/v1"
	container "google.golang.org/api/container/v1"
	iam "google.golang.org/api/iam/v1"
	osconfig "google.golang.org/api/osconfig/v1"
	sqladmin "google.golang.org/api/sqladmin/v1beta4"
)

// clients are the Google clients of one collection, shared by every
// project (they are safe for concurrent use). Each table sees only the
// small interface of what it calls.
type clients struct {
	compute computeAPI
	storage storageAPI
	crm     crmAPI
	iam     iamAPI
	sql     sqlAPI
	// container is GKE.
	container containerAPI
	// lb reads forwarding rules and what they forward to (loadbalancer.go).
	lb lbAPI
	// osconfig reads OS Config vulnerability reports (osconfig.go).
	osconfig osconfigAPI
	// networks gathers, across projects, what matching firewall rules to
	// instances needs; it is not a client but lives as long as they do.
	networks *networkIndex
	closers  []func() error
	opts     *Collector
}

func (cl *clients) Close() {
	for _, c := range cl.closers {
		_ = c()
	}
}

// newClients builds the clients with the collector's endpoint, HTTP client
// and credentials.
func (c *Collector) newClients(ctx context.Context) (*clients, error) {
	cl := &clients{opts: c, networks: newNetworkIndex()}
	ok := false
	defer func() {
		if !ok {
			cl.Close()
		}
	}()
	cc := &computeClients{opts: c.callOptions()}
	var err error
	if cc.instances, err = compute.NewInstancesRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute instances client: %w", err)
	}
	cl.closers = append(cl.closers, cc.instances.Close)
	if cc.firewalls, err = compute.NewFirewallsRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute firewalls client: %w", err)
	}
	cl.closers = append(cl.closers, cc.firewalls.Close)
	if cc.networks, err = compute.NewNetworksRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute networks client: %w", err)
	}
	cl.closers = append(cl.closers, cc.networks.Close)
	if cc.subnetworks, err = compute.NewSubnetworksRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute subnetworks client: %w", err)
	}
	cl.closers = append(cl.closers, cc.subnetworks.Close)
	if cc.routes, err = compute.NewRoutesRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute routes client: %w", err)
	}
	cl.closers = append(cl.closers, cc.routes.Close)
	if cc.disks, err = compute.NewDisksRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute disks client: %w", err)
	}
	cl.closers = append(cl.closers, cc.disks.Close)
	if cc.images, err = compute.NewImagesRESTClient(ctx, c.client...); err != nil {
		return nil, fmt.Errorf("gcp: compute images client: %w", err)
	}
	cl.closers = append(cl.closers, cc.images.Close)
	cl.compute = cc
	if cl.lb, err = newLBClients(ctx, c.client, c.callOptions(), &cl.closers); err != nil {
		return nil, err
	}

	sc, err := storage.NewClient(ctx, c.storage...)
	if err != nil {
		return nil, fmt.Errorf("gcp: storage client: %w", err)
	}
	cl.closers = append(cl.closers, sc.Close)
	sc.SetRetry(storage.WithMaxAttempts(c.opts.MaxAttempts),
		storage.WithBackoff(gax.Backoff{Initial: 100 * time.Millisecond, Max: c.opts.MaxBackoff, Multiplier: 2}))
	cl.storage = &storageClient{c: sc}

	crmSvc, err := crm.NewService(ctx, c.discovery()...)
	if err != nil {
		return nil, fmt.Errorf("gcp: cloudresourcemanager client: %w", err)
	}
	cl.crm = &crmClient{s: crmSvc}
	iamSvc, err := iam.NewService(ctx, c.discovery()...)
	if err != nil {
		return nil, fmt.Errorf("gcp: iam client: %w", err)
	}
	cl.iam = &iamClient{s: iamSvc}
	sqlSvc, err := sqladmin.NewService(ctx, c.discovery()...)
	if err != nil {
		return nil, fmt.Errorf("gcp: sqladmin client: %w", err)
	}
	cl.sql = &sqlClient{s: sqlSvc}
	gkeSvc, err := container.NewService(ctx, c.discovery()...)
	if err != nil {
		return nil, fmt.Errorf("gcp: container client: %w", err)
	}
	cl.container = &containerClient{s: gkeSvc}
	osSvc, err := osconfig.NewService(ctx, c.discovery()...)
	if err != nil {
		return nil, fmt.Errorf("gcp: osconfig client: %w", err)
	}
	cl.osconfig = &osconfigClient{s: osSvc}
	ok = true
	return cl, nil
}

// crmAPI is what the collector asks of Resource Manager.
type crmAPI interface {
	ListProjects(ctx context.Context, pageToken string) (*projectsPage, error)
	GetIamPolicy(ctx context.Context, project string) (*crm.Policy, error)
	GetAncestry(ctx context.Context, project string) (*crm.GetAncestryResponse, error)
}

// projectsPage is one page of projects.list.
type projectsPage struct {
	Projects []*crm.Project
	Next     string
}

type crmClient struct{ s *crm.Service }

func (c *crmClient) ListProjects(ctx context.Context, token string) (*projectsPage, error) {
	call := c.s.Projects.List().Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	resp, err := call.Do()
	if err != nil {
		return nil, err
	}
	return &projectsPage{Projects: resp.Projects, Next: resp.NextPageToken}, nil
}

func (c *crmClient) GetIamPolicy(ctx context.Context, project string) (*crm.Policy, error) {
	// Version 3 returns conditional bindings as they are.
	return c.s.Projects.GetIamPolicy(project, &crm.GetIamPolicyRequest{
		Options: &crm.GetPolicyOptions{RequestedPolicyVersion: 3},
	}).Context(ctx).Do()
}

func (c *crmClient) GetAncestry(ctx context.Context, project string) (*crm.GetAncestryResponse, error) {
	return c.s.Projects.GetAncestry(project, &crm.GetAncestryRequest{}).Context(ctx).Do()
}

// iamAPI is what the collector asks of IAM.
type iamAPI interface {
	ListServiceAccounts(ctx context.Context, project, pageToken string) (*iam.ListServiceAccountsResponse, error)
	ListUserManagedKeys(ctx context.Context, name string) (*iam.ListServiceAccountKeysResponse, error)
}

type iamClient struct{ s *iam.Service }

func (c *iamClient) ListServiceAccounts(ctx context.Context, project, token string) (*iam.ListServiceAccountsResponse, error) {
	call := c.s.Projects.ServiceAccounts.List("projects/" + project).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

func (c *iamClient) ListUserManagedKeys(ctx context.Context, name string) (*iam.ListServiceAccountKeysResponse, error) {
	return c.s.Projects.ServiceAccounts.Keys.List(name).KeyTypes("USER_MANAGED").Context(ctx).Do()
}
