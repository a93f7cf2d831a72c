package remediate

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

// CIS AWS Foundations password policy values (1.8 length, 1.9 reuse).
const (
	cisMinPasswordLength = 14
	cisReusePrevention   = 24
)

const fixDeactivateKey = "aws.iam.deactivate_unused_key"

func iamDeactivateUnusedKey() Fix {
	return Fix{
		ID: fixDeactivateKey, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigAccessKeyUnused},
		Title:   "Deactivate the unused access key",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			owner, user, keyID, err := keyOwner(r)
			if err != nil || owner == "" {
				return nil, err // a root key: passwords.root_access_keys plans it
			}
			call := func(status string) Call {
				return Call{Service: "iam", Operation: "UpdateAccessKey",
					Params: map[string]any{"UserName": user, "AccessKeyId": keyID, "Status": status}}
			}
			idle := "has not been used for 90 days"
			if lu := sig.Evidence["last_used"]; lu != "" {
				idle = "was last used " + lu
			}
			return []Plan{finish(Plan{
				ID:          planID(fixDeactivateKey, r.ID, ""),
				Fix:         fixDeactivateKey,
				Signal:      sig.ID,
				Resource:    r.ID,
				Title:       fmt.Sprintf("Deactivate unused access key %s of %s", keyID, user),
				Change:      fmt.Sprintf("Set access key %s of user %s to Inactive; it %s. The key is kept, so it can be turned back on.", keyID, user, idle),
				Calls:       []Call{call("Inactive")},
				Rollback:    []Call{call("Active")},
				Terraform:   fmt.Sprintf("# in the aws_iam_access_key of %s\nstatus = \"Inactive\"\n", keyID),
				BlastRadius: BlastRadius{Resources: []string{owner}, Note: "anything still signing requests with this key (scripts, CI, applications outside AWS) is refused."},
				Reversible:  true,
				Automatable: true,
				Why:         "reversible: the key is deactivated, not deleted",
			})}, nil
		},
	}
}

// keyOwner returns the owning user's resource id and name and the key id of
// an access key resource. owner is "" for a root key; a key whose owner is
// not recorded is an error, because an IAM key call without a user name
// acts on the caller's own keys.
func keyOwner(r *inventory.Resource) (owner, user, keyID string, err error) {
	if r.AccessKey == nil {
		return "", "", "", errors.New("access key attributes not collected")
	}
	if r.AccessKey.Root {
		return "", "", "", nil
	}
	if r.AccessKey.User == "" {
		return "", "", "", errors.New("access key owner not recorded")
	}
	return r.AccessKey.User, nativeID(r.AccessKey.User), nativeID(r.ID), nil
}

const fixRotateKey = "aws.iam.rotate_access_key"

func iamRotateKey() Fix {
	return Fix{
		ID: fixRotateKey, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigAccessKeyOld},
		Title:   "Rotate the old access key",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			owner, user, keyID, err := keyOwner(r)
			if err != nil || owner == "" {
				return nil, err
			}
			update := func(status string) Call {
				return Call{Service: "iam", Operation: "UpdateAccessKey",
					Params: map[string]any{"UserName": user, "AccessKeyId": keyID, "Status": status}}
			}
			age := ""
			if d := sig.Evidence["days"]; d != "" {
				age = " (" + d + " days old)"
			}
			return []Plan{finish(Plan{
				ID:       planID(fixRotateKey, r.ID, ""),
				Fix:      fixRotateKey,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    fmt.Sprintf("Rotate access key %s of %s", keyID, user),
				Change: fmt.Sprintf("Rotate access key %s%s of user %s, in three steps with pauses: "+
					"1. create a new key (CreateAccessKey) and put it where the old one is used; "+
					"2. once nothing uses the old key (its last-used date stops moving), deactivate it (UpdateAccessKey Inactive); "+
					"3. after a grace period without complaints, delete it (DeleteAccessKey). "+
					"Until step 3 the rollback turns the old key back on. Better still, replace the key with a role.", keyID, age, user),
				Calls: []Call{
					{Service: "iam", Operation: "CreateAccessKey", Params: map[string]any{"UserName": user}},
					update("Inactive"),
					{Service: "iam", Operation: "DeleteAccessKey", Params: map[string]any{"UserName": user, "AccessKeyId": keyID}},
				},
				Rollback:    []Call{update("Active")},
				BlastRadius: BlastRadius{Resources: []string{owner}, Note: "everything that uses the old key must be given the new one before it is deactivated."},
				Reversible:  false,
				Automatable: false,
				Why:         "a person must move the users of the key to the new one; deleting the old key cannot be undone",
			})}, nil
		},
	}
}

const fixPasswordPolicy = "aws.iam.set_password_policy"

func iamSetPasswordPolicy() Fix {
	return Fix{
		ID: fixPasswordPolicy, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigWeakPasswordPolicy},
		Title:   "Set the account password policy to the CIS values",
		Plan:    planPasswordPolicy,
	}
}

// passwordPolicyParams are UpdateAccountPasswordPolicy's parameters for p.
// Zero numbers are left out (AWS then applies its default).
func passwordPolicyParams(p inventory.PasswordPolicy) map[string]any {
	m := map[string]any{
		"RequireSymbols":             p.RequireSymbols,
		"RequireNumbers":             p.RequireNumbers,
		"RequireUppercaseCharacters": p.RequireUppercase,
		"RequireLowercaseCharacters": p.RequireLowercase,
	}
	if p.MinLength > 0 {
		m["MinimumPasswordLength"] = p.MinLength
	}
	if p.MaxAgeDays > 0 {
		m["MaxPasswordAge"] = p.MaxAgeDays
	}
	if p.ReusePrevention > 0 {
		m["PasswordReusePrevention"] = p.ReusePrevention
	}
	return m
}

// cisPolicy is the CIS policy, keeping whatever p already has that is
// stricter (a longer minimum, a longer reuse history, a maximum age).
func cisPolicy(p inventory.PasswordPolicy) inventory.PasswordPolicy {
	if !p.Present {
		p = inventory.PasswordPolicy{}
	}
	return inventory.PasswordPolicy{
		Present:          true,
		MinLength:        max(p.MinLength, cisMinPasswordLength),
		RequireSymbols:   true,
		RequireNumbers:   true,
		RequireUppercase: true,
		RequireLowercase: true,
		MaxAgeDays:       p.MaxAgeDays,
		ReusePrevention:  max(p.ReusePrevention, cisReusePrevention),
	}
}

func planPasswordPolicy(in Input, sig inventory.Signal) ([]Plan, error) {
	r := in.Graph.Resource(sig.Resource)
	if r.AccountInfo == nil || r.AccountInfo.PasswordPolicy == nil {
		return nil, errors.New("password policy not collected")
	}
	cur := *r.AccountInfo.PasswordPolicy
	want := cisPolicy(cur)
	params := passwordPolicyParams(want)
	params["AllowUsersToChangePassword"] = true
	rollback := Call{Service: "iam", Operation: "DeleteAccountPasswordPolicy", Params: map[string]any{}}
	note := "applies at each console user's next password change; current passwords keep working."
	if cur.Present {
		rollback = Call{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: passwordPolicyParams(cur)}
		note += " The scan does not record AllowUsersToChangePassword and HardExpiry: the fix sets the first to true, the rollback leaves both at AWS's default (false)."
	}
	var users []string
	for _, x := range in.Graph.Resources() {
		if x.Kind == inventory.KindUser && x.Cloud == r.Cloud && x.Account == r.Account && x.User != nil && x.User.ConsolePassword {
			users = append(users, x.ID)
		}
	}
	tf := fmt.Sprintf("resource \"aws_iam_account_password_policy\" \"this\" {\n  minimum_password_length        = %d\n  require_symbols                = true\n  require_numbers                = true\n  require_uppercase_characters   = true\n  require_lowercase_characters   = true\n  allow_users_to_change_password = true\n  password_reuse_prevention      = %d\n",
		want.MinLength, want.ReusePrevention)
	if want.MaxAgeDays > 0 {
		tf += fmt.Sprintf("  max_password_age               = %d\n", want.MaxAgeDays)
	}
	tf += "}\n"
	change := fmt.Sprintf("Set the password policy of account %s: at least %d characters, symbols, numbers, upper and lower case required, the last %d passwords not reused, users may change their own",
		r.Account, want.MinLength, want.ReusePrevention)
	if want.MaxAgeDays > 0 {
		change += fmt.Sprintf(", maximum age %d days kept", want.MaxAgeDays)
	}
	change += "."
	if w := sig.Evidence["weaknesses"]; w != "" {
		change += " Today: " + w + "."
	}
	return []Plan{finish(Plan{
		ID:          planID(fixPasswordPolicy, r.ID, ""),
		Fix:         fixPasswordPolicy,
		Signal:      sig.ID,
		Resource:    r.ID,
		Title:       "Set a CIS password policy on account " + r.Account,
		Change:      change,
		Calls:       []Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: params}},
		Rollback:    []Call{rollback},
		Terraform:   tf,
		BlastRadius: BlastRadius{Resources: users, Note: "every IAM user with a console password in the account: " + note},
		Reversible:  true,
		Automatable: true,
		Why:         "reversible: the rollback restores the previous policy",
	})}, nil
}

const fixRootKeys = "aws.iam.delete_root_access_keys"

func iamDeleteRootKeys() Fix {
	return Fix{
		ID: fixRootKeys, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigRootAccessKeys},
		Title:   "Delete the root user's access keys",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			keys := "its access keys"
			if k := sig.Evidence["keys"]; k != "" {
				var ids []string
				for _, id := range strings.Split(k, ",") {
					ids = append(ids, nativeID(strings.TrimSpace(id)))
				}
				keys = "access keys " + strings.Join(ids, ", ")
			}
			return []Plan{finish(Plan{
				ID:       planID(fixRootKeys, r.ID, ""),
				Fix:      fixRootKeys,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    "Delete the root user's access keys in account " + r.Account,
				Change: fmt.Sprintf("Sign in as the root user of account %s and remove %s (Security credentials page, or with root credentials: iam UpdateAccessKey {AccessKeyId, Status: Inactive}, "+
					"wait for anything that breaks, then iam DeleteAccessKey {AccessKeyId}). Move whatever used them to an IAM role.", r.Account, keys),
				BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: "anything signing requests with root keys stops working."},
				Reversible:  false,
				Automatable: false,
				Why:         "only the root user can do it, and deleting a key cannot be undone",
			})}, nil
		},
	}
}

const fixEnableMFA = "aws.iam.enable_user_mfa"

func iamEnableMFA() Fix {
	return Fix{
		ID: fixEnableMFA, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigConsoleWithoutMFA},
		Title:   "Enroll an MFA device for the console user",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			user := nativeID(r.ID)
			return []Plan{finish(Plan{
				ID:       planID(fixEnableMFA, r.ID, ""),
				Fix:      fixEnableMFA,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    "Enroll MFA for console user " + user,
				Change: fmt.Sprintf("User %s signs in to the console with a password only. Have the user assign an MFA device (Security credentials, Assign MFA device; "+
					"or iam CreateVirtualMFADevice, then iam EnableMFADevice {UserName: %q, SerialNumber, AuthenticationCode1, AuthenticationCode2} with two codes from the device). "+
					"If the user does not need the console, remove the password instead (iam DeleteLoginProfile {UserName: %q}).", user, user, user),
				BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: "only this user: they need the device to sign in from then on."},
				Reversible:  false,
				Automatable: false,
				Why:         "the user must hold the device and enter its codes",
			})}, nil
		},
	}
}

const fixDetachAdmin = "aws.iam.detach_admin_policy"

func iamDetachAdminPolicy() Fix {
	return Fix{
		ID: fixDetachAdmin, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigExposedAdminRole},
		Title:   "Detach the admin-equivalent policy from the exposed instance's role",
		Plan:    planDetachAdmin,
	}
}

func planDetachAdmin(in Input, sig inventory.Signal) ([]Plan, error) {
	roleID, policyID := sig.Evidence["role"], sig.Evidence["policy"]
	if roleID == "" || policyID == "" {
		return nil, errors.New("evidence names no role or policy")
	}
	role := in.Graph.Resource(roleID)
	if role == nil {
		return nil, fmt.Errorf("role %s not in snapshot", roleID)
	}
	roleName := nativeID(roleID)
	// The evidence's "via" is not read: on this signal it names the
	// firewall of the exposure. Whether the policy is the role's own is
	// read from the role.
	attached := slices.Contains(in.Graph.Out(roleID, inventory.RelHasPolicy), policyID)
	inline := false
	if role.Role != nil {
		attached = attached || slices.Contains(role.Role.AttachedPolicies, policyID)
		inline = slices.Contains(role.Role.InlinePolicies, policyID)
	}
	if pol := in.Graph.Resource(policyID); pol != nil && pol.Policy != nil && !pol.Policy.Managed {
		inline, attached = inline || attached, false
	}
	if !attached && !inline {
		return nil, fmt.Errorf("policy %s is not attached to role %s", policyID, roleID)
	}

	// Everything that runs with the role: the instances assuming it (the
	// collector resolves instance profiles to these edges) and the flagged
	// instance.
	affected := append([]string{sig.Resource}, in.Graph.In(roleID, inventory.RelAssumes)...)
	note := "every workload running with the role loses what the policy granted; give the role a least-privilege policy first (IAM Access Analyzer can generate one from CloudTrail activity)."
	inst := in.Graph.Resource(sig.Resource)
	p := Plan{
		ID:          planID(fixDetachAdmin, roleID, policyID),
		Fix:         fixDetachAdmin,
		Signal:      sig.ID,
		Resource:    roleID,
		BlastRadius: BlastRadius{Resources: affected, Note: note},
		Automatable: false,
		Why:         "a person must decide what the role really needs before its admin rights go",
	}
	exposed := label(nativeID(sig.Resource), inst)
	if inline {
		name := nativeID(policyID)
		p.Title = fmt.Sprintf("Remove inline admin policy %s from role %s", name, roleName)
		p.Change = fmt.Sprintf("Role %s, used by internet-exposed instance %s, has an admin-equivalent inline policy %s. Save its document (iam GetRolePolicy), "+
			"then replace it with a least-privilege policy (iam PutRolePolicy) or delete it (iam DeleteRolePolicy {RoleName: %q, PolicyName: %q}). "+
			"Alternatively take the role off the instance, or stop exposing the instance.", roleName, exposed, name, roleName, name)
		return []Plan{finish(p)}, nil
	}
	call := func(op string) Call {
		return Call{Service: "iam", Operation: op, Params: map[string]any{"RoleName": roleName, "PolicyArn": policyID}}
	}
	p.Title = fmt.Sprintf("Detach %s from role %s", nativeID(policyID), roleName)
	p.Change = fmt.Sprintf("Detach managed policy %s from role %s, used by internet-exposed instance %s. "+
		"Attach a least-privilege policy first; alternatively take the role off the instance, or stop exposing the instance.", policyID, roleName, exposed)
	p.Calls = []Call{call("DetachRolePolicy")}
	p.Rollback = []Call{call("AttachRolePolicy")}
	p.Terraform = fmt.Sprintf("# delete the aws_iam_role_policy_attachment (or the managed_policy_arns entry) that attaches\n#   %s\n# to role %q\n", policyID, roleName)
	p.Reversible = true
	return []Plan{finish(p)}, nil
}
