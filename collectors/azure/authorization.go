package azure

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// authorizationTables lists what Microsoft.Authorization contributes: the
// role assignments of the subscription (at subscription, resource group
// and resource scope) with their role definitions.
//
// Each distinct (role definition, scope) pair becomes one iam.policy
// resource with the id ARM would give the definition at that scope
// ("<scope>/providers/Microsoft.Authorization/roleDefinitions/<guid>"),
// and each principal gets a has_policy edge to it: a managed identity the
// scan saw on a VM (by principal id), else a principal resource by
// principalType: users are iam.user, groups iam.group, service principals
// (and anything else) iam.service_account, with ids
// "/providers/Microsoft.Graph/<users|groups|servicePrincipals>/<object id>".
//
// The policy's Document is the role's permissions in the vocabulary the
// features read (see roleDocument): Owner is admin-equivalent; User Access
// Administrator too (it can assign itself any role); Contributor counts as
// admin-equivalent like AWS's PowerUserAccess (everything but access
// management). Only at subscription scope (or above) is the statement's
// resource "*"; at a resource group or a resource it is that scope, which
// is not the whole account.
func authorizationTables() []table {
	return []table{{Service: "authorization", List: collectAuthorization}}
}

// roleDef is what is kept of a role definition.
type roleDef struct {
	name        string
	actions     []string
	notActions  []string
	hasNotBlock bool
}

// When the role definitions or the role assignments cannot all be read,
// every managed identity of the subscription is marked PermissionsUnknown
// (by link, once compute has recorded them): an identity with no
// has_policy edge is then unknown, not harmless.
func collectAuthorization(ctx context.Context, s scope, out *collectors.Result) error {
	unknown := func() {
		s.state.mu.Lock()
		s.state.permissionsUnknown = true
		s.state.mu.Unlock()
	}
	defsClient, err := armauthorization.NewRoleDefinitionsClient(s.Cred, s.Options)
	if err != nil {
		unknown()
		return s.gap(out, "authorization", "RoleDefinitions.List", "", err)
	}
	assignClient, err := armauthorization.NewRoleAssignmentsClient(s.Subscription, s.Cred, s.Options)
	if err != nil {
		unknown()
		return s.gap(out, "authorization", "RoleAssignments.ListForSubscription", "", err)
	}
	subScope := "/subscriptions/" + s.Subscription
	defs := map[string]*roleDef{} // guid (lower case) -> definition
	defsRead := true
	if err := each(ctx, defsClient.NewListPager(subScope, nil), func(page armauthorization.RoleDefinitionsClientListResponse) {
		for _, d := range page.Value {
			if d == nil || d.ID == nil || d.Properties == nil {
				continue
			}
			rd := &roleDef{name: deref(d.Properties.RoleName)}
			for _, p := range d.Properties.Permissions {
				if p == nil {
					continue
				}
				rd.actions = append(rd.actions, derefs(p.Actions)...)
				rd.notActions = append(rd.notActions, derefs(p.NotActions)...)
			}
			defs[strings.ToLower(lastSegment(*d.ID))] = rd
		}
	}); err != nil {
		defsRead = false
		unknown()
		if gerr := s.gap(out, "authorization", "RoleDefinitions.List", "", err); gerr != nil {
			return gerr
		}
	}
	type principal struct{ id, kind string }
	policies := map[string]*inventory.Resource{}
	var order []string
	assignments := map[principal][]string{} // principal -> policy ids
	var principals []principal
	err = each(ctx, assignClient.NewListForSubscriptionPager(nil), func(page armauthorization.RoleAssignmentsClientListForSubscriptionResponse) {
		for _, a := range page.Value {
			if a == nil || a.Properties == nil {
				continue
			}
			p := a.Properties
			scopeID := strings.TrimSuffix(deref(p.Scope), "/")
			if scopeID == "" {
				scopeID = "/"
			}
			guid := strings.ToLower(lastSegment(deref(p.RoleDefinitionID)))
			polID := strings.TrimSuffix(scopeID, "/") + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
			pol := policies[polID]
			if pol == nil {
				def := defs[guid]
				name := guid
				if def != nil {
					name = def.name
				}
				r := inventory.Resource{ID: polID, Cloud: inventory.Azure, Account: s.Subscription, Kind: inventory.KindPolicy,
					NativeType: "Microsoft.Authorization/roleDefinitions", Name: name + " at " + scopeID}
				r.Policy = &inventory.Policy{Managed: true}
				if def != nil {
					r.Policy.Document = roleDocument(def, scopeID, s.Subscription)
				}
				pol = &r
				policies[polID] = pol
				order = append(order, polID)
			}
			pol.Policy.Attachments++
			pr := principal{id: strings.ToLower(deref(p.PrincipalID)), kind: string(deref(p.PrincipalType))}
			if _, ok := assignments[pr]; !ok {
				principals = append(principals, pr)
			}
			assignments[pr] = appendUniq(assignments[pr], polID)
		}
	})
	if err != nil {
		unknown()
		if gerr := s.gap(out, "authorization", "RoleAssignments.ListForSubscription", "", err); gerr != nil {
			return gerr
		}
	}
	if !defsRead {
		for _, id := range order {
			out.Gap(inventory.Gap{Cloud: inventory.Azure, Account: s.Subscription, Service: "authorization",
				Operation: "RoleDefinitions.List", Resource: id, Reason: inventory.GapError,
				Message: "role definition not read: the policy's permissions are unknown"})
		}
	}
	for _, id := range order {
		out.Add(*policies[id])
	}
	// Principals are resolved to managed identities by link, once compute
	// has recorded their principal ids; meanwhile they are kept as
	// principal resources with the edges.
	for _, pr := range principals {
		r := principalResource(s, pr.id, pr.kind)
		for _, pol := range assignments[pr] {
			r.AddEdge(inventory.RelHasPolicy, pol)
		}
		out.Add(r)
	}
	return nil
}

// principalResource is the resource of an Entra principal.
func principalResource(s scope, objectID, principalType string) inventory.Resource {
	r := inventory.Resource{Cloud: inventory.Azure, Account: s.Subscription, Name: objectID}
	switch principalType {
	case "User":
		r.ID, r.Kind, r.NativeType = "/providers/Microsoft.Graph/users/"+objectID, inventory.KindUser, "Microsoft.Graph/users"
		// Sign-in methods and MFA live in Microsoft Graph, not in ARM.
		r.User = &inventory.User{Unknown: []inventory.UserSetting{inventory.UserConsolePassword, inventory.UserMFADevices, inventory.UserAccessKeys}}
	case "Group", "ForeignGroup":
		r.ID, r.Kind, r.NativeType = "/providers/Microsoft.Graph/groups/"+objectID, inventory.KindGroup, "Microsoft.Graph/groups"
		r.Group = &inventory.Group{}
	default:
		r.ID, r.Kind, r.NativeType = "/providers/Microsoft.Graph/servicePrincipals/"+objectID, inventory.KindServiceAccount, "Microsoft.Graph/servicePrincipals"
		r.ServiceAccount = &inventory.ServiceAccount{UniqueID: objectID}
	}
	return r
}

// neutralAuthorization is the action the features' vocabulary uses for
// "may change any identity's permissions": granting
// Microsoft.Authorization/roleAssignments/write is that, in Azure.
const neutralAuthorization = "iam:*"

// roleAssignmentWrite is the Azure action that grants any role.
const roleAssignmentWrite = "microsoft.authorization/roleassignments/write"

// roleDocument writes a role's permissions as a policy document the
// features read the same way for every cloud:
//   - Actions with "*" and NotActions become a NotAction statement, the
//     same meaning; NotActions that exclude role assignment writes become
//     the neutral "iam:*", and the other exclusions of one Azure action
//     (no wildcard) are dropped: no neutral action names them, and they
//     would only pad the list. Contributor is so "NotAction iam:*, …".
//   - Other Actions stay as written, plus "iam:*" when they grant role
//     assignment writes (User Access Administrator's
//     Microsoft.Authorization/*). NotActions beside them are ignored,
//     which may only over-grant (conservative).
//
// The resource is "*" at subscription scope or above, else the scope.
func roleDocument(d *roleDef, scopeID, subscription string) *inventory.PolicyDocument {
	resource := scopeID
	lower := strings.ToLower(scopeID)
	if lower == "/" || lower == "/subscriptions/"+strings.ToLower(subscription) || strings.HasPrefix(lower, "/providers/microsoft.management/managementgroups/") {
		resource = "*"
	}
	st := inventory.Statement{Sid: d.name, Effect: inventory.Allow, Resources: []string{resource}}
	star := false
	for _, a := range d.actions {
		if a == "*" {
			star = true
		}
	}
	switch {
	case star && len(d.notActions) > 0:
		for _, na := range d.notActions {
			switch {
			case azureMatch(na, roleAssignmentWrite):
				st.NotActions = appendUniq(st.NotActions, neutralAuthorization)
			case strings.Contains(na, "*"):
				st.NotActions = appendUniq(st.NotActions, na)
			}
		}
		if len(st.NotActions) == 0 {
			st.Actions = []string{"*"}
		}
	default:
		grantsAuthorization := false
		for _, a := range d.actions {
			st.Actions = appendUniq(st.Actions, a)
			if azureMatch(a, roleAssignmentWrite) {
				grantsAuthorization = true
			}
		}
		if grantsAuthorization && !star {
			st.Actions = appendUniq(st.Actions, neutralAuthorization)
		}
		if len(st.Actions) == 0 {
			return &inventory.PolicyDocument{Statements: []inventory.Statement{}}
		}
	}
	return &inventory.PolicyDocument{Version: "azure-rbac", Statements: []inventory.Statement{st}}
}

// azureMatch matches an Azure RBAC action pattern ('*' any run, case
// insensitive) against an action.
func azureMatch(pattern, action string) bool {
	return wildcard(strings.ToLower(pattern), strings.ToLower(action))
}

// wildcard matches '*' as any run of characters, '/' included.
func wildcard(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if wildcard(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && p[0] == s[0] && wildcard(p[1:], s[1:])
}
