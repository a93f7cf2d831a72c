package aws

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// iamTables lists what the iam service contributes: its principals and
// policies, and the account's own identity settings. Both are global.
func iamTables() []table {
	return []table{
		{Service: "iam", Global: true, List: listIAMPrincipals},
		{Service: "iam", Global: true, List: listIAMAccount},
	}
}

// iamAPI is the part of the IAM client this file calls.
type iamAPI interface {
	GetAccountAuthorizationDetails(context.Context, *iam.GetAccountAuthorizationDetailsInput, ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	GetAccountPasswordPolicy(context.Context, *iam.GetAccountPasswordPolicyInput, ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error)
}

// iamUserConcurrency bounds the per-user detail calls in flight.
const iamUserConcurrency = 8

// Native types of the IAM resources.
const (
	iamUserType          = "AWS::IAM::User"
	iamGroupType         = "AWS::IAM::Group"
	iamRoleType          = "AWS::IAM::Role"
	iamManagedPolicyType = "AWS::IAM::ManagedPolicy"
	iamInlinePolicyType  = "AWS::IAM::Policy"
	iamAccessKeyType     = "AWS::IAM::AccessKey"
	iamAccountType       = "AWS::IAM::Account"
)

// iamInlineID names an inline policy, which has no ARN of its own:
// "<principal arn>/inline/<policy name>".
func iamInlineID(principal, name string) string { return principal + "/inline/" + name }

// iamAccessKeyID names an access key, which has no ARN of its own:
// "<user arn>/access-key/<access key id>".
func iamAccessKeyID(user, keyID string) string { return user + "/access-key/" + keyID }

// listIAMPrincipals reads users, groups, roles and managed policies with
// GetAccountAuthorizationDetails, then each user's console password, MFA
// devices and access keys.
func listIAMPrincipals(ctx context.Context, s scope, out *collectors.Result) error {
	var c iamAPI = iam.NewFromConfig(s.Config)
	var d iam.GetAccountAuthorizationDetailsOutput
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeUser, types.EntityTypeRole, types.EntityTypeGroup,
			types.EntityTypeLocalManagedPolicy, types.EntityTypeAWSManagedPolicy},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			// Keep what arrived; the gap says the rest is unknown.
			if gerr := s.gap(out, "iam", "GetAccountAuthorizationDetails", "", err); gerr != nil {
				return gerr
			}
			break
		}
		d.UserDetailList = append(d.UserDetailList, page.UserDetailList...)
		d.GroupDetailList = append(d.GroupDetailList, page.GroupDetailList...)
		d.RoleDetailList = append(d.RoleDetailList, page.RoleDetailList...)
		d.Policies = append(d.Policies, page.Policies...)
	}

	b := iamBuilder{s: s, out: out}
	groups := map[string]string{} // name -> ARN
	for _, g := range d.GroupDetailList {
		groups[aws.ToString(g.GroupName)] = aws.ToString(g.Arn)
		b.group(g)
	}
	for _, r := range d.RoleDetailList {
		b.role(r)
	}
	for _, mp := range d.Policies {
		b.managedPolicy(mp)
	}
	users := make([]inventory.Resource, len(d.UserDetailList))
	for i, u := range d.UserDetailList {
		users[i] = b.user(u, groups)
	}
	out.Add(b.resources...)

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(iamUserConcurrency)
	for i := range users {
		g.Go(func() error {
			keys, err := iamUserCredentials(gctx, c, s, out, &users[i])
			out.Add(keys...)
			return err
		})
	}
	err := g.Wait()
	out.Add(users...)
	return err
}

// iamBuilder turns authorization details into resources.
type iamBuilder struct {
	s         scope
	out       *collectors.Result
	resources []inventory.Resource
}

func (b *iamBuilder) resource(id, name string, kind inventory.Kind, native string) inventory.Resource {
	return inventory.Resource{ID: id, Cloud: inventory.AWS, Account: b.s.Account, Kind: kind, NativeType: native, Name: name}
}

// parse parses a policy document, recording a malformed one as a gap
// about resource; the result is nil then.
func (b *iamBuilder) parse(resource, text string) *inventory.PolicyDocument {
	doc, err := parsePolicy(resource, text)
	if err != nil {
		b.out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: b.s.Account, Region: b.s.Region, Service: "iam",
			Operation: "GetAccountAuthorizationDetails", Resource: resource, Reason: inventory.GapMalformed, Message: err.Error()})
		return nil
	}
	return doc
}

// policies records a principal's attached and inline policies, with its
// has_policy edges, and adds the inline policies as resources.
func (b *iamBuilder) policies(r *inventory.Resource, attached []types.AttachedPolicy, inline []types.PolicyDetail) (arns, ids []string) {
	for _, a := range attached {
		arn := aws.ToString(a.PolicyArn)
		arns = append(arns, arn)
		r.AddEdge(inventory.RelHasPolicy, arn)
	}
	for _, p := range inline {
		name := aws.ToString(p.PolicyName)
		id := iamInlineID(r.ID, name)
		ids = append(ids, id)
		r.AddEdge(inventory.RelHasPolicy, id)
		ip := b.resource(id, name, inventory.KindPolicy, iamInlinePolicyType)
		ip.Policy = &inventory.Policy{Document: b.parse(id, aws.ToString(p.PolicyDocument))}
		b.resources = append(b.resources, ip)
	}
	return arns, ids
}

func (b *iamBuilder) user(u types.UserDetail, groups map[string]string) inventory.Resource {
	r := b.resource(aws.ToString(u.Arn), aws.ToString(u.UserName), inventory.KindUser, iamUserType)
	r.Tags = tagMap(u.Tags, iamTag)
	r.User = &inventory.User{Created: aws.ToTime(u.CreateDate)}
	for _, name := range u.GroupList {
		arn, ok := groups[name]
		if !ok {
			// Not in the answer (it was cut short): groups live at path "/" unless told otherwise.
			arn = b.s.arn("iam", "", b.s.Account, "group/"+name)
		}
		r.User.Groups = append(r.User.Groups, arn)
		r.AddEdge(inventory.RelMemberOf, arn)
	}
	r.User.AttachedPolicies, r.User.InlinePolicies = b.policies(&r, u.AttachedManagedPolicies, u.UserPolicyList)
	return r
}

func (b *iamBuilder) group(g types.GroupDetail) {
	r := b.resource(aws.ToString(g.Arn), aws.ToString(g.GroupName), inventory.KindGroup, iamGroupType)
	r.Group = &inventory.Group{}
	r.Group.AttachedPolicies, r.Group.InlinePolicies = b.policies(&r, g.AttachedManagedPolicies, g.GroupPolicyList)
	b.resources = append(b.resources, r)
}

func (b *iamBuilder) role(ro types.RoleDetail) {
	r := b.resource(aws.ToString(ro.Arn), aws.ToString(ro.RoleName), inventory.KindRole, iamRoleType)
	r.Tags = tagMap(ro.Tags, iamTag)
	r.Role = &inventory.Role{Created: aws.ToTime(ro.CreateDate)}
	if ro.AssumeRolePolicyDocument != nil {
		r.Role.Trust = b.parse(r.ID, aws.ToString(ro.AssumeRolePolicyDocument))
	}
	r.Role.AttachedPolicies, r.Role.InlinePolicies = b.policies(&r, ro.AttachedManagedPolicies, ro.RolePolicyList)
	for _, ip := range ro.InstanceProfileList {
		r.Role.InstanceProfiles = append(r.Role.InstanceProfiles, aws.ToString(ip.Arn))
	}
	b.resources = append(b.resources, r)
}

func (b *iamBuilder) managedPolicy(mp types.ManagedPolicyDetail) {
	arn := aws.ToString(mp.Arn)
	r := b.resource(arn, aws.ToString(mp.PolicyName), inventory.KindPolicy, iamManagedPolicyType)
	r.Policy = &inventory.Policy{Managed: true, AWSManaged: strings.HasPrefix(arn, "arn:"+b.s.Partition+":iam::aws:"),
		Attachments: int(aws.ToInt32(mp.AttachmentCount))}
	def := aws.ToString(mp.DefaultVersionId)
	found := false
	for _, v := range mp.PolicyVersionList {
		if v.IsDefaultVersion || def != "" && aws.ToString(v.VersionId) == def {
			r.Policy.Document = b.parse(arn, aws.ToString(v.Document))
			found = true
			break
		}
	}
	if !found {
		b.out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: b.s.Account, Region: b.s.Region, Service: "iam",
			Operation: "GetAccountAuthorizationDetails", Resource: arn, Reason: inventory.GapMalformed,
			Message: "the answer holds no default version (" + def + ") of the policy"})
	}
	b.resources = append(b.resources, r)
}

// iamUserCredentials fills in u's console password and MFA devices and
// returns its access keys. Whatever cannot be read is a gap about u.
func iamUserCredentials(ctx context.Context, c iamAPI, s scope, out *collectors.Result, u *inventory.Resource) ([]inventory.Resource, error) {
	name := aws.String(u.Name)

	_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name})
	var nse *types.NoSuchEntityException
	switch {
	case err == nil:
		u.User.ConsolePassword = true
	case errors.As(err, &nse):
		u.User.ConsolePassword = false
	default:
		u.User.Unknown = append(u.User.Unknown, inventory.UserConsolePassword)
		if gerr := s.gap(out, "iam", "GetLoginProfile", u.ID, err); gerr != nil {
			return nil, gerr
		}
	}

	mfa := iam.NewListMFADevicesPaginator(c, &iam.ListMFADevicesInput{UserName: name})
	for mfa.HasMorePages() {
		page, err := mfa.NextPage(ctx)
		if err != nil {
			u.User.Unknown = append(u.User.Unknown, inventory.UserMFADevices)
			if gerr := s.gap(out, "iam", "ListMFADevices", u.ID, err); gerr != nil {
				return nil, gerr
			}
			break
		}
		for _, d := range page.MFADevices {
			u.User.MFADevices = append(u.User.MFADevices, inventory.MFADevice{Serial: aws.ToString(d.SerialNumber), Since: aws.ToTime(d.EnableDate)})
		}
	}

	var keys []inventory.Resource
	kp := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: name})
	for kp.HasMorePages() {
		page, err := kp.NextPage(ctx)
		if err != nil {
			u.User.Unknown = append(u.User.Unknown, inventory.UserAccessKeys)
			if gerr := s.gap(out, "iam", "ListAccessKeys", u.ID, err); gerr != nil {
				return keys, gerr
			}
			break
		}
		for _, k := range page.AccessKeyMetadata {
			key, err := iamAccessKey(ctx, c, s, out, u, k)
			if err != nil {
				return keys, err
			}
			u.AddEdge(inventory.RelHasKey, key.ID)
			keys = append(keys, key)
		}
	}
	return keys, nil
}

func iamAccessKey(ctx context.Context, c iamAPI, s scope, out *collectors.Result, u *inventory.Resource, k types.AccessKeyMetadata) (inventory.Resource, error) {
	keyID := aws.ToString(k.AccessKeyId)
	r := inventory.Resource{ID: iamAccessKeyID(u.ID, keyID), Cloud: inventory.AWS, Account: s.Account,
		Kind: inventory.KindAccessKey, NativeType: iamAccessKeyType, Name: keyID,
		AccessKey: &inventory.AccessKey{User: u.ID, Active: k.Status == types.StatusTypeActive, Created: aws.ToTime(k.CreateDate)}}
	used, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
	if err != nil {
		return r, s.gap(out, "iam", "GetAccessKeyLastUsed", r.ID, err)
	}
	// A key never used has no date (service and region read "N/A").
	r.AccessKey.LastUsedKnown = true
	if used.AccessKeyLastUsed != nil {
		r.AccessKey.LastUsed = aws.ToTime(used.AccessKeyLastUsed.LastUsedDate)
	}
	return r, nil
}

// listIAMAccount reads the account's identity settings into one
// iam.account resource: root MFA and keys, counts, password policy.
func listIAMAccount(ctx context.Context, s scope, out *collectors.Result) error {
	var c iamAPI = iam.NewFromConfig(s.Config)
	r := inventory.Resource{ID: s.arn("iam", "", s.Account, "account"), Cloud: inventory.AWS, Account: s.Account,
		Kind: inventory.KindAccount, NativeType: iamAccountType, Name: s.Account, AccountInfo: &inventory.AccountInfo{}}
	info := r.AccountInfo

	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		if gerr := s.gap(out, "iam", "GetAccountSummary", r.ID, err); gerr != nil {
			return gerr
		}
	} else {
		m := sum.SummaryMap
		if v, ok := m[string(types.SummaryKeyTypeAccountMFAEnabled)]; ok {
			info.RootMFA = aws.Bool(v > 0)
		}
		if v, ok := m[string(types.SummaryKeyTypeAccountAccessKeysPresent)]; ok {
			info.RootAccessKeys = aws.Int(int(v))
		}
		info.Users = int(m[string(types.SummaryKeyTypeUsers)])
		info.Roles = int(m[string(types.SummaryKeyTypeRoles)])
	}

	pp, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	var nse *types.NoSuchEntityException
	switch {
	case err == nil && pp.PasswordPolicy != nil:
		p := pp.PasswordPolicy
		info.PasswordPolicy = &inventory.PasswordPolicy{Present: true,
			MinLength:        int(aws.ToInt32(p.MinimumPasswordLength)),
			RequireSymbols:   p.RequireSymbols,
			RequireNumbers:   p.RequireNumbers,
			RequireUppercase: p.RequireUppercaseCharacters,
			RequireLowercase: p.RequireLowercaseCharacters,
			MaxAgeDays:       int(aws.ToInt32(p.MaxPasswordAge)),
			ReusePrevention:  int(aws.ToInt32(p.PasswordReusePrevention)),
		}
	case errors.As(err, &nse):
		info.PasswordPolicy = &inventory.PasswordPolicy{Present: false}
	case err != nil:
		if gerr := s.gap(out, "iam", "GetAccountPasswordPolicy", r.ID, err); gerr != nil {
			return gerr
		}
	}
	out.Add(r)
	return nil
}

// iamTag reads an IAM tag for tagMap.
func iamTag(t types.Tag) (key, value *string) { return t.Key, t.Value }
