package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// defaultAssumeRole is the role Organizations creates in the accounts it
// creates, and so the one most organizations can assume.
const defaultAssumeRole = "OrganizationAccountAccessRole"

// sessionName names posture's sessions in the accounts' CloudTrail.
const sessionName = "posture-scan"

// multiAccount reports whether the scan covers named accounts rather than
// the caller's alone.
func (o *Options) multiAccount() bool { return o.Organization || len(o.Accounts) > 0 }

// accounts checks and completes the many-accounts options.
func (o *Options) accounts() error {
	if o.Organization && len(o.Accounts) > 0 {
		return errors.New("aws: scan either the organization or a list of accounts, not both")
	}
	for _, a := range o.Accounts {
		if !isAccountID(a) {
			return fmt.Errorf("aws: account %q is not a 12-digit account id", a)
		}
	}
	if strings.HasPrefix(o.AssumeRole, "arn:") {
		return fmt.Errorf("aws: the role to assume is a name (with its path, if any), not an ARN: %q", o.AssumeRole)
	}
	if o.AssumeRole == "" {
		o.AssumeRole = defaultAssumeRole
	}
	if o.AccountConcurrency <= 0 {
		o.AccountConcurrency = 4
	}
	return nil
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// collectAccounts scans the accounts of Options.Accounts or of the
// caller's organization, at most Options.AccountConcurrency at once. Each
// account other than the caller's is read through Options.AssumeRole; the
// caller's own account, when it is one of them, with the caller's
// credentials: assuming a role there would need a role the management
// account usually lacks (Organizations creates its role only in the
// accounts it creates), for no other view of it. An account that cannot
// be assumed, or whose scan stops, is one gap for that account (sts
// AssumeRole, no region, no resource, so it covers the whole account) and
// the others complete. It fails only when no account could be scanned, or
// on cancellation.
func (c *Collector) collectAccounts(ctx context.Context, caller scope) (*collectors.Result, error) {
	ids, err := c.targets(ctx, caller)
	if err != nil {
		return nil, err
	}
	c.opts.Logger.Info("aws accounts", "caller", caller.Account, "accounts", ids, "role", c.opts.AssumeRole)

	parts := make([]*collectors.Result, len(ids))
	scanned := make([]bool, len(ids))
	var g errgroup.Group
	g.SetLimit(c.opts.AccountConcurrency)
	for i, id := range ids {
		g.Go(func() error {
			parts[i], scanned[i] = c.account(ctx, caller, id)
			return nil // an account's failure is a gap in its part
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("aws scan of %d accounts: %w", len(ids), err)
	}
	if !slices.Contains(scanned, true) {
		var msgs []string
		for _, p := range parts {
			for _, gp := range p.Gaps {
				msgs = append(msgs, gp.Account+": "+gp.Message)
			}
		}
		return nil, fmt.Errorf("aws: no account could be scanned: %s", strings.Join(msgs, "; "))
	}
	return mergeAccounts(parts), nil
}

// targets lists the accounts to scan, each once: Options.Accounts as
// given, or the ACTIVE accounts of the caller's organization. Accounts of
// the organization in any other state (suspended, closing) cannot be
// entered and are left out, with a log line.
func (c *Collector) targets(ctx context.Context, caller scope) ([]string, error) {
	if !c.opts.Organization {
		var ids []string
		for _, a := range c.opts.Accounts {
			if !slices.Contains(ids, a) {
				ids = append(ids, a)
			}
		}
		return ids, nil
	}
	accounts, err := organizationAccounts(ctx, caller)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range accounts {
		if a.State != "ACTIVE" {
			c.opts.Logger.Info("aws account skipped", "account", a.ID, "name", a.Name, "state", a.State)
			continue
		}
		if !slices.Contains(ids, a.ID) {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("aws: the organization of %s has no ACTIVE account", caller.Account)
	}
	return ids, nil
}

// account scans one account and reports whether it could be scanned; if
// not, the result holds the account's scope and the gap saying why.
func (c *Collector) account(ctx context.Context, caller scope, id string) (*collectors.Result, bool) {
	s := caller
	s.Account = id
	role := ""
	if id != caller.Account {
		role = caller.arn("iam", "", id, "role/"+c.opts.AssumeRole)
		cfg, err := c.assume(ctx, caller.Config, role)
		if err != nil {
			return accountGap(id, err, "assume "+role+": "+err.Error()), false
		}
		s.Config = cfg
	}
	res, err := c.scanAccount(ctx, s)
	if err != nil {
		msg := "scan of account " + id + " stopped: " + err.Error()
		if role != "" {
			msg = "scan of account " + id + " as " + role + " stopped: " + err.Error()
		}
		return accountGap(id, err, msg), false
	}
	return res, true
}

// assume returns the config of a session in role, assumed with the
// caller's credentials. The credentials are cached and refreshed a minute
// before they expire, so a scan longer than a session goes on. One
// AssumeRole call is made here, so that a role that cannot be assumed is
// known before the account's scan starts.
func (c *Collector) assume(ctx context.Context, caller aws.Config, role string) (aws.Config, error) {
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(caller), role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = sessionName
		if c.opts.ExternalID != "" {
			o.ExternalID = aws.String(c.opts.ExternalID)
		}
	})
	creds := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = time.Minute
	})
	if _, err := creds.Retrieve(ctx); err != nil {
		return aws.Config{}, err
	}
	cfg := caller.Copy()
	cfg.Credentials = creds
	return cfg, nil
}

// accountGap is the result of an account that could not be scanned: its
// scope, and one gap covering it.
func accountGap(id string, err error, msg string) *collectors.Result {
	out := &collectors.Result{}
	out.Scope(inventory.Scope{Cloud: inventory.AWS, Account: id})
	out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: id, Service: "sts", Operation: "AssumeRole",
		Reason: classify(err), Message: msg})
	return out
}

// mergeAccounts joins the accounts' results into one. The store keeps one
// resource per kind and id, and the graph one per id, so a resource that
// two accounts both list is kept once:
//   - AWS managed policies (arn:aws:iam::aws:policy/…) are listed by every
//     account; they are one policy, the same document everywhere. The copy
//     of the lowest account id is kept, and its Attachments count the
//     attachments in all the accounts scanned.
//   - A resource shared from another account (a RAM-shared subnet or VPC)
//     is listed by its owner and by the accounts it is shared with, with
//     the owner's ARN. The owner's copy (the account in the ARN) is kept.
//
// The edges of both copies are kept.
func mergeAccounts(parts []*collectors.Result) *collectors.Result {
	out := &collectors.Result{}
	for _, p := range parts {
		out.Merge(p)
	}
	index := make(map[string]int, len(out.Resources))
	kept := make([]inventory.Resource, 0, len(out.Resources))
	for _, r := range out.Resources {
		i, dup := index[r.ID]
		if !dup {
			index[r.ID] = len(kept)
			kept = append(kept, r)
			continue
		}
		kept[i] = oneCopy(kept[i], r)
	}
	out.Resources = kept
	out.Sort()
	return out
}

// oneCopy merges two accounts' copies of one resource (see mergeAccounts).
func oneCopy(a, b inventory.Resource) inventory.Resource {
	if preferred(b, a) {
		a, b = b, a
	}
	if a.Policy != nil && b.Policy != nil && a.Policy.AWSManaged {
		p := *a.Policy
		p.Attachments += b.Policy.Attachments
		a.Policy = &p
	}
	edges := slices.Clone(a.Edges)
	for _, e := range b.Edges {
		if !slices.Contains(edges, e) {
			edges = append(edges, e)
		}
	}
	a.Edges = edges
	return a
}

// preferred reports whether copy a is kept over copy b: the owner's copy
// (the account in the resource's ARN), else the lowest account id.
func preferred(a, b inventory.Resource) bool {
	owner := arnAccount(a.ID)
	if ao, bo := a.Account == owner, b.Account == owner; ao != bo {
		return ao
	}
	return a.Account < b.Account
}

// arnAccount is the account field of an ARN ("aws" for AWS managed
// policies), "" for text that is not an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
