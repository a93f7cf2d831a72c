package gcp

import (
	"context"
	"strconv"
	"strings"
	"time"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// projectIAMTable reads the project's IAM policy (Resource Manager
// projects.getIamPolicy, version 3). Each binding becomes a policy
// resource named //cloudresourcemanager.googleapis.com/projects/P/bindings/ROLE
// (a conditional one adds /conditions/N, N its place in the policy), with
// a has_policy edge from each member: service accounts by their full
// resource name, users as principal://goog/subject/EMAIL and groups as
// principalSet://goog/group/EMAIL, both collected as resources. The
// policy's document says what the role grants in the terms features'
// admin-equivalence reads (roleGrants).
func projectIAMTable() table {
	return table{Service: "cloudresourcemanager", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		var p *crm.Policy
		err := cl.opts.do(ctx, func() (err error) { p, err = cl.crm.GetIamPolicy(ctx, s.Project); return err })
		if err != nil {
			return s.gap(out, "cloudresourcemanager", "projects.getIamPolicy", "", err)
		}
		out.Add(projectBindings(s, p)...)
		return nil
	}}
}

// unreadGrants marks the service accounts whose grants could not all be
// read, once every project is collected: when a project's IAM policy
// (projects.getIamPolicy) could not be read, what it grants is unknown to
// the project's own service accounts and to every service account a
// resource of the project runs as (an instance's, which may come from
// another project). Their lack of has_policy edges then reads as
// unknown, not as "no rights". Users and groups are not known at all
// without the policy.
func unreadGrants(out *collectors.Result) {
	unread := map[string]bool{}
	for _, g := range out.Gaps {
		if g.Cloud == inventory.GCP && g.Service == "cloudresourcemanager" && g.Operation == "projects.getIamPolicy" {
			unread[g.Account] = true
		}
	}
	if len(unread) == 0 {
		return
	}
	ids := map[string]bool{}
	for _, r := range out.Resources {
		if r.Cloud != inventory.GCP || !unread[r.Account] {
			continue
		}
		if r.Kind == inventory.KindServiceAccount {
			ids[r.ID] = true
		}
		for _, e := range r.Edges {
			if e.Relation == inventory.RelAssumes {
				ids[e.To] = true
			}
		}
	}
	for n, r := range out.Resources {
		if ids[r.ID] && r.ServiceAccount != nil {
			out.Resources[n].ServiceAccount.PermissionsUnknown = true
		}
	}
}

// roleGrants maps the project-level roles that are admin-equivalent to a
// statement features.AdminEquivalent recognises; other roles grant only
// their own name as an action, which is not admin-shaped.
//
//   - roles/owner: everything ("*" on "*").
//   - roles/editor: everything but IAM ("NotAction iam:*", the shape of
//     AWS PowerUserAccess), which AdminEquivalent counts as admin: an
//     editor changes every resource, and can act as the project's service
//     accounts through the resources it creates. Datadog and others count
//     the default compute service account's editor grant as dangerous.
//   - roles that grant or hand out identities (security admin, project IAM
//     admin, role admin, service account admin, user, token creator, key
//     admin, workload identity user): "iam:*", an escalation, since each
//     lets its holder grant itself or become a more privileged identity.
var roleGrants = map[string]inventory.Statement{
	"roles/owner":  {Effect: inventory.Allow, Actions: []string{"*"}, Resources: []string{"*"}},
	"roles/editor": {Effect: inventory.Allow, NotActions: []string{"iam:*"}, Resources: []string{"*"}},
}

var escalationRoles = []string{
	"roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin", "roles/iam.roleAdmin",
	"roles/iam.serviceAccountAdmin", "roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator",
	"roles/iam.serviceAccountKeyAdmin", "roles/iam.workloadIdentityUser",
}

// grantOf is the statement of a role as bound in a project.
func grantOf(role, resource string) inventory.Statement {
	st, ok := roleGrants[role]
	if !ok {
		st = inventory.Statement{Effect: inventory.Allow, Actions: []string{role}, Resources: []string{resource}}
		for _, r := range escalationRoles {
			if r == role {
				st = inventory.Statement{Effect: inventory.Allow, Actions: []string{"iam:*"}, Resources: []string{"*"}}
			}
		}
	}
	st.Sid = role
	return st
}

func projectBindings(s scope, p *crm.Policy) []inventory.Resource {
	var out []inventory.Resource
	principals := map[string]inventory.Resource{}
	project := "//cloudresourcemanager.googleapis.com/projects/" + s.Project
	for n, b := range p.Bindings {
		if b == nil || b.Role == "" {
			continue
		}
		id := project + "/bindings/" + b.Role
		st := grantOf(b.Role, project)
		if c := b.Condition; c != nil && c.Expression != "" {
			id += "/conditions/" + strconv.Itoa(n)
			st.Conditions = []inventory.Condition{{Operator: "CEL", Key: c.Title, Values: []string{c.Expression}}}
		}
		r := inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Kind: inventory.KindPolicy,
			NativeType: "iam.googleapis.com/Role", Name: b.Role,
			Policy: &inventory.Policy{Managed: true, Attachments: len(b.Members),
				Document: &inventory.PolicyDocument{Version: strconv.Itoa(int(p.Version)), Statements: []inventory.Statement{st}}}}
		for _, m := range b.Members {
			pid, principal := memberResource(s, m)
			if pid == "" {
				continue
			}
			// The edge is the member's; it is kept on the policy so that a
			// member outside the snapshot (another project's service
			// account) still reads as holding it.
			r.Edges = append(r.Edges, inventory.Edge{From: pid, Relation: inventory.RelHasPolicy, To: id})
			if principal != nil {
				principals[pid] = *principal
			}
		}
		out = append(out, r)
	}
	for _, pr := range principals {
		out = append(out, pr)
	}
	return out
}

// memberResource names an IAM member and, for users and groups, the
// resource that stands for it (service accounts are listed by IAM).
// Members that are not identities (allUsers, domain:, deleted:,
// projectOwner: …) name nothing.
func memberResource(s scope, member string) (string, *inventory.Resource) {
	kind, email, ok := strings.Cut(member, ":")
	if !ok {
		return "", nil
	}
	switch kind {
	case "serviceAccount":
		return serviceAccountName(s.Project, email), nil
	case "user":
		id := "principal://goog/subject/" + email
		// Console sign-in and 2-step verification live in Cloud Identity /
		// Workspace, which is not read: unknown, never "no password".
		return id, &inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Kind: inventory.KindUser,
			NativeType: "cloudidentity.googleapis.com/User", Name: email,
			User: &inventory.User{Unknown: []inventory.UserSetting{inventory.UserConsolePassword, inventory.UserMFADevices, inventory.UserAccessKeys}}}
	case "group":
		id := "principalSet://goog/group/" + email
		return id, &inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Kind: inventory.KindGroup,
			NativeType: "cloudidentity.googleapis.com/Group", Name: email, Group: &inventory.Group{}}
	}
	return "", nil
}

// serviceAccountsTable lists the project's service accounts (IAM
// projects.serviceAccounts.list) and each one's user-managed keys
// (projects.serviceAccounts.keys.list, keyTypes=USER_MANAGED). Google-
// managed keys rotate by themselves and are not listed. When a key was
// last used is not known: GCP tells it only through Policy Intelligence
// (Activity Analyzer), which is not read, so LastUsedKnown is false.
func serviceAccountsTable() table {
	return table{Service: "iam", List: func(ctx context.Context, cl *clients, s scope, out *collectors.Result) error {
		token := ""
		for {
			resp, err := func() (resp *iamAccountsPage, err error) {
				err = cl.opts.do(ctx, func() error {
					r, err := cl.iam.ListServiceAccounts(ctx, s.Project, token)
					if err == nil {
						resp = &iamAccountsPage{r.Accounts, r.NextPageToken}
					}
					return err
				})
				return resp, err
			}()
			if err != nil {
				return s.gap(out, "iam", "projects.serviceAccounts.list", "", err)
			}
			for _, a := range resp.accounts {
				if err := serviceAccount(ctx, cl, s, a, out); err != nil {
					return err
				}
			}
			if token = resp.next; token == "" {
				return nil
			}
		}
	}}
}

func serviceAccount(ctx context.Context, cl *clients, s scope, a *iam.ServiceAccount, out *collectors.Result) error {
	id := "//iam.googleapis.com/" + a.Name
	r := inventory.Resource{ID: id, Cloud: inventory.GCP, Account: s.Project, Kind: inventory.KindServiceAccount,
		NativeType: "iam.googleapis.com/ServiceAccount", Name: a.Email,
		ServiceAccount: &inventory.ServiceAccount{Email: a.Email, UniqueID: a.UniqueId, Disabled: a.Disabled,
			Default: strings.HasSuffix(a.Email, "-compute@developer.gserviceaccount.com") || strings.HasSuffix(a.Email, "@appspot.gserviceaccount.com")}}
	var keys []inventory.Resource
	err := cl.opts.do(ctx, func() error {
		resp, err := cl.iam.ListUserManagedKeys(ctx, a.Name)
		if err != nil {
			return err
		}
		keys = keys[:0]
		for _, k := range resp.Keys {
			kid := "//iam.googleapis.com/" + k.Name
			// A disabled account's keys cannot sign in either.
			key := &inventory.AccessKey{User: id, Active: !k.Disabled && !a.Disabled, LastUsedKnown: false}
			if t, err := time.Parse(time.RFC3339, k.ValidAfterTime); err == nil {
				key.Created = t.UTC()
			}
			if t, err := time.Parse(time.RFC3339, k.ValidBeforeTime); err == nil && !t.IsZero() && t.Before(s.Now) {
				key.Active = false // expired
			}
			keys = append(keys, inventory.Resource{ID: kid, Cloud: inventory.GCP, Account: s.Project, Kind: inventory.KindAccessKey,
				NativeType: "iam.googleapis.com/ServiceAccountKey", Name: lastSegment(k.Name), AccessKey: key})
		}
		return nil
	})
	if err != nil {
		if gerr := s.gap(out, "iam", "projects.serviceAccounts.keys.list", id, err); gerr != nil {
			return gerr
		}
	}
	for _, k := range keys {
		r.AddEdge(inventory.RelHasKey, k.ID)
	}
	out.Add(r)
	out.Add(keys...)
	return nil
}

// iamAccountsPage is one page of service accounts.
type iamAccountsPage struct {
	accounts []*iam.ServiceAccount
	next     string
}
