package emulator

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// IAMEstate is iam.json, in IAM's own terms. Policy documents are JSON
// objects, or JSON strings holding the document's text verbatim (so an
// estate can carry a malformed document); either way they are answered
// URL-encoded, as IAM does.
type IAMEstate struct {
	// AccountSummary adds to or overrides GetAccountSummary's SummaryMap;
	// Users, Groups, Roles and Policies default to the estate's counts.
	AccountSummary map[string]int32 `json:"AccountSummary,omitempty"`
	// PasswordPolicy is nil when the account has none (NoSuchEntity).
	PasswordPolicy *IAMPasswordPolicy `json:"PasswordPolicy,omitempty"`
	Users          []IAMUser          `json:"Users,omitempty"`
	Groups         []IAMGroup         `json:"Groups,omitempty"`
	Roles          []IAMRole          `json:"Roles,omitempty"`
	Policies       []IAMManagedPolicy `json:"Policies,omitempty"`
}

// IAMPasswordPolicy mirrors GetAccountPasswordPolicy's PasswordPolicy.
type IAMPasswordPolicy struct {
	MinimumPasswordLength      int   `json:"MinimumPasswordLength,omitempty"`
	RequireSymbols             bool  `json:"RequireSymbols,omitempty"`
	RequireNumbers             bool  `json:"RequireNumbers,omitempty"`
	RequireUppercaseCharacters bool  `json:"RequireUppercaseCharacters,omitempty"`
	RequireLowercaseCharacters bool  `json:"RequireLowercaseCharacters,omitempty"`
	AllowUsersToChangePassword bool  `json:"AllowUsersToChangePassword,omitempty"`
	ExpirePasswords            bool  `json:"ExpirePasswords,omitempty"`
	MaxPasswordAge             *int  `json:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    *int  `json:"PasswordReusePrevention,omitempty"`
	HardExpiry                 *bool `json:"HardExpiry,omitempty"`
}

// IAMTag is a tag of a user or role.
type IAMTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// IAMInlinePolicy is an inline policy of a user, group or role.
type IAMInlinePolicy struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

// IAMUser is one user with its credentials.
type IAMUser struct {
	UserName   string    `json:"UserName"`
	UserId     string    `json:"UserId,omitempty"` // derived from the name when empty
	Path       string    `json:"Path,omitempty"`   // "/" when empty
	CreateDate time.Time `json:"CreateDate"`
	Tags       []IAMTag  `json:"Tags,omitempty"`
	// LoginProfile is nil when the user has no console password.
	LoginProfile *IAMLoginProfile `json:"LoginProfile,omitempty"`
	MFADevices   []IAMMFADevice   `json:"MFADevices,omitempty"`
	AccessKeys   []IAMAccessKey   `json:"AccessKeys,omitempty"`
	// GroupList names the groups the user is a member of.
	GroupList          []string          `json:"GroupList,omitempty"`
	AttachedPolicyArns []string          `json:"AttachedPolicyArns,omitempty"`
	UserPolicyList     []IAMInlinePolicy `json:"UserPolicyList,omitempty"`
}

// IAMLoginProfile is a user's console password.
type IAMLoginProfile struct {
	CreateDate            time.Time `json:"CreateDate"`
	PasswordResetRequired bool      `json:"PasswordResetRequired,omitempty"`
}

// IAMMFADevice is an MFA device of a user.
type IAMMFADevice struct {
	SerialNumber string    `json:"SerialNumber"`
	EnableDate   time.Time `json:"EnableDate"`
}

// IAMAccessKey is an access key of a user.
type IAMAccessKey struct {
	AccessKeyId string    `json:"AccessKeyId"`
	Status      string    `json:"Status"` // Active, Inactive
	CreateDate  time.Time `json:"CreateDate"`
	// LastUsed is nil for a key never used (IAM then answers N/A).
	LastUsed *IAMAccessKeyLastUsed `json:"LastUsed,omitempty"`
}

// IAMAccessKeyLastUsed mirrors GetAccessKeyLastUsed's AccessKeyLastUsed.
type IAMAccessKeyLastUsed struct {
	LastUsedDate time.Time `json:"LastUsedDate"`
	ServiceName  string    `json:"ServiceName"`
	Region       string    `json:"Region"`
}

// IAMGroup is one group.
type IAMGroup struct {
	GroupName          string            `json:"GroupName"`
	GroupId            string            `json:"GroupId,omitempty"`
	Path               string            `json:"Path,omitempty"`
	CreateDate         time.Time         `json:"CreateDate"`
	AttachedPolicyArns []string          `json:"AttachedPolicyArns,omitempty"`
	GroupPolicyList    []IAMInlinePolicy `json:"GroupPolicyList,omitempty"`
}

// IAMRole is one role.
type IAMRole struct {
	RoleName                 string            `json:"RoleName"`
	RoleId                   string            `json:"RoleId,omitempty"`
	Path                     string            `json:"Path,omitempty"`
	CreateDate               time.Time         `json:"CreateDate"`
	Tags                     []IAMTag          `json:"Tags,omitempty"`
	AssumeRolePolicyDocument json.RawMessage   `json:"AssumeRolePolicyDocument"`
	AttachedPolicyArns       []string          `json:"AttachedPolicyArns,omitempty"`
	RolePolicyList           []IAMInlinePolicy `json:"RolePolicyList,omitempty"`
	// InstanceProfileNames name the role's instance profiles (path "/").
	InstanceProfileNames []string `json:"InstanceProfileNames,omitempty"`
}

// IAMManagedPolicy is a customer or AWS managed policy.
type IAMManagedPolicy struct {
	// Arn is required for AWS managed policies (arn:aws:iam::aws:policy/…);
	// for customer managed ones it is derived from Path and PolicyName.
	Arn        string    `json:"Arn,omitempty"`
	PolicyName string    `json:"PolicyName,omitempty"` // derived from Arn when empty
	PolicyId   string    `json:"PolicyId,omitempty"`
	Path       string    `json:"Path,omitempty"`
	CreateDate time.Time `json:"CreateDate"`
	UpdateDate time.Time `json:"UpdateDate,omitzero"`
	// Document is the shorthand for a single default version "v1".
	Document          json.RawMessage    `json:"Document,omitempty"`
	PolicyVersionList []IAMPolicyVersion `json:"PolicyVersionList,omitempty"`
}

// IAMPolicyVersion is one version of a managed policy.
type IAMPolicyVersion struct {
	VersionId        string          `json:"VersionId"`
	IsDefaultVersion bool            `json:"IsDefaultVersion,omitempty"`
	CreateDate       time.Time       `json:"CreateDate,omitzero"`
	Document         json.RawMessage `json:"Document"`
}

const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// serveIAM answers the IAM reads the collector makes.
func serveIAM(e *Estate, r *request, pageSize int) (any, error) {
	x := iamView{acct: e.AWS.Account.ID, part: e.AWS.Account.partition(), est: &e.AWS.IAM}
	var result any
	var err error
	switch r.Action {
	case "GetAccountAuthorizationDetails":
		result, err = x.authorizationDetails(r, pageSize)
	case "GetLoginProfile":
		result, err = x.loginProfile(r)
	case "ListMFADevices":
		result, err = x.mfaDevices(r, pageSize)
	case "ListAccessKeys":
		result, err = x.accessKeys(r, pageSize)
	case "GetAccessKeyLastUsed":
		result, err = x.accessKeyLastUsed(r)
	case "GetAccountSummary":
		result = x.accountSummary()
	case "GetAccountPasswordPolicy":
		result, err = x.passwordPolicy()
	default:
		return nil, errorf(400, "InvalidAction", "emulator: iam action %q not served", r.Action)
	}
	if err != nil {
		return nil, err
	}
	return iamResponse{
		XMLName:  xml.Name{Space: iamNS, Local: r.Action + "Response"},
		Result:   iamResult{XMLName: xml.Name{Local: r.Action + "Result"}, Body: result},
		Metadata: iamMetadata{RequestId: "emulated"},
	}, nil
}

type iamResponse struct {
	XMLName  xml.Name
	Result   iamResult
	Metadata iamMetadata `xml:"ResponseMetadata"`
}

type iamResult struct {
	XMLName xml.Name
	Body    any
}

// MarshalXML writes the result element with the body's fields inline.
func (r iamResult) MarshalXML(enc *xml.Encoder, start xml.StartElement) error {
	return enc.EncodeElement(r.Body, xml.StartElement{Name: r.XMLName})
}

type iamMetadata struct {
	RequestId string
}

// iamView answers from one estate.
type iamView struct {
	acct string
	part string // ARN partition
	est  *IAMEstate
}

func iamPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func iamID(prefix, name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s%016X", prefix, h.Sum64())
}

func iamTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// iamDocument renders an estate document as IAM answers it: URL-encoded
// (RFC 3986: spaces as %20).
func iamDocument(raw json.RawMessage) string {
	var text string
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		if err := json.Unmarshal(t, &text); err != nil {
			text = string(t)
		}
	} else {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			text = string(raw)
		} else {
			text = b.String()
		}
	}
	return strings.ReplaceAll(url.QueryEscape(text), "+", "%20")
}

func (x iamView) userArn(u *IAMUser) string {
	return "arn:" + x.part + ":iam::" + x.acct + ":user" + iamPath(u.Path) + u.UserName
}

func (x iamView) groupArn(g *IAMGroup) string {
	return "arn:" + x.part + ":iam::" + x.acct + ":group" + iamPath(g.Path) + g.GroupName
}

func (x iamView) roleArn(r *IAMRole) string {
	return "arn:" + x.part + ":iam::" + x.acct + ":role" + iamPath(r.Path) + r.RoleName
}

func (x iamView) policyArn(p *IAMManagedPolicy) string {
	if p.Arn != "" {
		return p.Arn
	}
	return "arn:" + x.part + ":iam::" + x.acct + ":policy" + iamPath(p.Path) + p.PolicyName
}

func policyName(p *IAMManagedPolicy) string {
	if p.PolicyName != "" {
		return p.PolicyName
	}
	return p.Arn[strings.LastIndex(p.Arn, "/")+1:]
}

func (x iamView) user(name string) (*IAMUser, error) {
	for i := range x.est.Users {
		if x.est.Users[i].UserName == name {
			return &x.est.Users[i], nil
		}
	}
	return nil, errorf(404, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

// XML shapes.

type iamMembers[T any] struct {
	Members []T `xml:"member"`
}

type iamTagXML struct{ Key, Value string }

type iamAttachedPolicyXML struct{ PolicyName, PolicyArn string }

type iamPolicyDetailXML struct{ PolicyName, PolicyDocument string }

type iamUserDetailXML struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              string
	UserPolicyList          iamMembers[iamPolicyDetailXML]
	GroupList               iamMembers[string]
	AttachedManagedPolicies iamMembers[iamAttachedPolicyXML]
	Tags                    iamMembers[iamTagXML]
}

type iamGroupDetailXML struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              string
	GroupPolicyList         iamMembers[iamPolicyDetailXML]
	AttachedManagedPolicies iamMembers[iamAttachedPolicyXML]
}

type iamInstanceProfileXML struct {
	Path                string
	InstanceProfileName string
	InstanceProfileId   string
	Arn                 string
	CreateDate          string
}

type iamRoleDetailXML struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	InstanceProfileList      iamMembers[iamInstanceProfileXML]
	RolePolicyList           iamMembers[iamPolicyDetailXML]
	AttachedManagedPolicies  iamMembers[iamAttachedPolicyXML]
	Tags                     iamMembers[iamTagXML]
}

type iamPolicyVersionXML struct {
	Document         string
	VersionId        string
	IsDefaultVersion bool
	CreateDate       string
}

type iamManagedPolicyXML struct {
	PolicyName        string
	PolicyId          string
	Arn               string
	Path              string
	DefaultVersionId  string
	AttachmentCount   int
	IsAttachable      bool
	CreateDate        string
	UpdateDate        string
	PolicyVersionList iamMembers[iamPolicyVersionXML]
}

func inlineXML(ps []IAMInlinePolicy) iamMembers[iamPolicyDetailXML] {
	var out iamMembers[iamPolicyDetailXML]
	for _, p := range ps {
		out.Members = append(out.Members, iamPolicyDetailXML{PolicyName: p.PolicyName, PolicyDocument: iamDocument(p.PolicyDocument)})
	}
	return out
}

func attachedXML(arns []string) iamMembers[iamAttachedPolicyXML] {
	var out iamMembers[iamAttachedPolicyXML]
	for _, a := range arns {
		out.Members = append(out.Members, iamAttachedPolicyXML{PolicyName: a[strings.LastIndex(a, "/")+1:], PolicyArn: a})
	}
	return out
}

func tagsXML(tags []IAMTag) iamMembers[iamTagXML] {
	var out iamMembers[iamTagXML]
	for _, t := range tags {
		out.Members = append(out.Members, iamTagXML(t))
	}
	return out
}

// authorizationDetails pages over users, groups, roles and policies, in
// that order, as one list: a page may end in the middle of any of them.
func (x iamView) authorizationDetails(r *request, pageSize int) (any, error) {
	filter := r.List("Filter")
	want := func(entity string) bool { return len(filter) == 0 || slices.Contains(filter, entity) }
	type entity struct {
		user   *IAMUser
		group  *IAMGroup
		role   *IAMRole
		policy *IAMManagedPolicy
	}
	var all []entity
	if want("User") {
		for i := range x.est.Users {
			all = append(all, entity{user: &x.est.Users[i]})
		}
	}
	if want("Group") {
		for i := range x.est.Groups {
			all = append(all, entity{group: &x.est.Groups[i]})
		}
	}
	if want("Role") {
		for i := range x.est.Roles {
			all = append(all, entity{role: &x.est.Roles[i]})
		}
	}
	for i := range x.est.Policies {
		p := &x.est.Policies[i]
		aws := strings.HasPrefix(x.policyArn(p), "arn:"+x.part+":iam::aws:")
		if aws && want("AWSManagedPolicy") || !aws && want("LocalManagedPolicy") {
			all = append(all, entity{policy: p})
		}
	}
	from, to, next, err := page(len(all), r.Get("Marker"), pageSize)
	if err != nil {
		return nil, err
	}
	var out struct {
		UserDetailList  iamMembers[iamUserDetailXML]
		GroupDetailList iamMembers[iamGroupDetailXML]
		RoleDetailList  iamMembers[iamRoleDetailXML]
		Policies        iamMembers[iamManagedPolicyXML]
		IsTruncated     bool
		Marker          string `xml:",omitempty"`
	}
	for _, en := range all[from:to] {
		switch {
		case en.user != nil:
			u := en.user
			d := iamUserDetailXML{Path: iamPath(u.Path), UserName: u.UserName, UserId: u.UserId, Arn: x.userArn(u),
				CreateDate: iamTime(u.CreateDate), UserPolicyList: inlineXML(u.UserPolicyList),
				GroupList: iamMembers[string]{Members: u.GroupList}, AttachedManagedPolicies: attachedXML(u.AttachedPolicyArns),
				Tags: tagsXML(u.Tags)}
			if d.UserId == "" {
				d.UserId = iamID("AIDA", u.UserName)
			}
			out.UserDetailList.Members = append(out.UserDetailList.Members, d)
		case en.group != nil:
			g := en.group
			d := iamGroupDetailXML{Path: iamPath(g.Path), GroupName: g.GroupName, GroupId: g.GroupId, Arn: x.groupArn(g),
				CreateDate: iamTime(g.CreateDate), GroupPolicyList: inlineXML(g.GroupPolicyList),
				AttachedManagedPolicies: attachedXML(g.AttachedPolicyArns)}
			if d.GroupId == "" {
				d.GroupId = iamID("AGPA", g.GroupName)
			}
			out.GroupDetailList.Members = append(out.GroupDetailList.Members, d)
		case en.role != nil:
			ro := en.role
			d := iamRoleDetailXML{Path: iamPath(ro.Path), RoleName: ro.RoleName, RoleId: ro.RoleId, Arn: x.roleArn(ro),
				CreateDate: iamTime(ro.CreateDate), AssumeRolePolicyDocument: iamDocument(ro.AssumeRolePolicyDocument),
				RolePolicyList: inlineXML(ro.RolePolicyList), AttachedManagedPolicies: attachedXML(ro.AttachedPolicyArns),
				Tags: tagsXML(ro.Tags)}
			if d.RoleId == "" {
				d.RoleId = iamID("AROA", ro.RoleName)
			}
			for _, name := range ro.InstanceProfileNames {
				d.InstanceProfileList.Members = append(d.InstanceProfileList.Members, iamInstanceProfileXML{
					Path: "/", InstanceProfileName: name, InstanceProfileId: iamID("AIPA", name),
					Arn: "arn:" + x.part + ":iam::" + x.acct + ":instance-profile/" + name, CreateDate: iamTime(ro.CreateDate)})
			}
			out.RoleDetailList.Members = append(out.RoleDetailList.Members, d)
		default:
			out.Policies.Members = append(out.Policies.Members, x.managedPolicy(en.policy))
		}
	}
	out.IsTruncated, out.Marker = next != "", next
	return out, nil
}

func (x iamView) managedPolicy(p *IAMManagedPolicy) iamManagedPolicyXML {
	arn := x.policyArn(p)
	d := iamManagedPolicyXML{PolicyName: policyName(p), PolicyId: p.PolicyId, Arn: arn, Path: iamPath(p.Path),
		IsAttachable: true, CreateDate: iamTime(p.CreateDate), UpdateDate: iamTime(p.CreateDate)}
	if !p.UpdateDate.IsZero() {
		d.UpdateDate = iamTime(p.UpdateDate)
	}
	if d.PolicyId == "" {
		d.PolicyId = iamID("ANPA", arn)
	}
	versions := p.PolicyVersionList
	if len(versions) == 0 && len(p.Document) > 0 {
		versions = []IAMPolicyVersion{{VersionId: "v1", IsDefaultVersion: true, Document: p.Document}}
	}
	for _, v := range versions {
		created := v.CreateDate
		if created.IsZero() {
			created = p.CreateDate
		}
		if v.IsDefaultVersion {
			d.DefaultVersionId = v.VersionId
		}
		d.PolicyVersionList.Members = append(d.PolicyVersionList.Members, iamPolicyVersionXML{
			Document: iamDocument(v.Document), VersionId: v.VersionId, IsDefaultVersion: v.IsDefaultVersion, CreateDate: iamTime(created)})
	}
	for _, u := range x.est.Users {
		if slices.Contains(u.AttachedPolicyArns, arn) {
			d.AttachmentCount++
		}
	}
	for _, g := range x.est.Groups {
		if slices.Contains(g.AttachedPolicyArns, arn) {
			d.AttachmentCount++
		}
	}
	for _, ro := range x.est.Roles {
		if slices.Contains(ro.AttachedPolicyArns, arn) {
			d.AttachmentCount++
		}
	}
	return d
}

func (x iamView) loginProfile(r *request) (any, error) {
	u, err := x.user(r.Get("UserName"))
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, errorf(404, "NoSuchEntity", "Login Profile for User %s cannot be found.", u.UserName)
	}
	var out struct {
		LoginProfile struct {
			UserName              string
			CreateDate            string
			PasswordResetRequired bool
		}
	}
	out.LoginProfile.UserName = u.UserName
	out.LoginProfile.CreateDate = iamTime(u.LoginProfile.CreateDate)
	out.LoginProfile.PasswordResetRequired = u.LoginProfile.PasswordResetRequired
	return out, nil
}

func (x iamView) mfaDevices(r *request, pageSize int) (any, error) {
	u, err := x.user(r.Get("UserName"))
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(len(u.MFADevices), r.Get("Marker"), pageSize)
	if err != nil {
		return nil, err
	}
	type device struct{ UserName, SerialNumber, EnableDate string }
	var out struct {
		MFADevices  iamMembers[device]
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}
	for _, d := range u.MFADevices[from:to] {
		out.MFADevices.Members = append(out.MFADevices.Members, device{u.UserName, d.SerialNumber, iamTime(d.EnableDate)})
	}
	out.IsTruncated, out.Marker = next != "", next
	return out, nil
}

func (x iamView) accessKeys(r *request, pageSize int) (any, error) {
	u, err := x.user(r.Get("UserName"))
	if err != nil {
		return nil, err
	}
	from, to, next, err := page(len(u.AccessKeys), r.Get("Marker"), pageSize)
	if err != nil {
		return nil, err
	}
	type key struct{ UserName, AccessKeyId, Status, CreateDate string }
	var out struct {
		AccessKeyMetadata iamMembers[key]
		IsTruncated       bool
		Marker            string `xml:",omitempty"`
	}
	for _, k := range u.AccessKeys[from:to] {
		out.AccessKeyMetadata.Members = append(out.AccessKeyMetadata.Members, key{u.UserName, k.AccessKeyId, k.Status, iamTime(k.CreateDate)})
	}
	out.IsTruncated, out.Marker = next != "", next
	return out, nil
}

func (x iamView) accessKeyLastUsed(r *request) (any, error) {
	id := r.Get("AccessKeyId")
	for _, u := range x.est.Users {
		for _, k := range u.AccessKeys {
			if k.AccessKeyId != id {
				continue
			}
			var out struct {
				UserName          string
				AccessKeyLastUsed struct {
					LastUsedDate string `xml:",omitempty"`
					ServiceName  string
					Region       string
				}
			}
			out.UserName = u.UserName
			out.AccessKeyLastUsed.ServiceName, out.AccessKeyLastUsed.Region = "N/A", "N/A"
			if k.LastUsed != nil {
				out.AccessKeyLastUsed.LastUsedDate = iamTime(k.LastUsed.LastUsedDate)
				out.AccessKeyLastUsed.ServiceName = k.LastUsed.ServiceName
				out.AccessKeyLastUsed.Region = k.LastUsed.Region
			}
			return out, nil
		}
	}
	return nil, errorf(404, "NoSuchEntity", "The Access Key with id %s cannot be found.", id)
}

func (x iamView) accountSummary() any {
	summary := map[string]int32{
		"Users":  int32(len(x.est.Users)),
		"Groups": int32(len(x.est.Groups)),
		"Roles":  int32(len(x.est.Roles)),
	}
	var local int32
	for i := range x.est.Policies {
		if !strings.HasPrefix(x.policyArn(&x.est.Policies[i]), "arn:"+x.part+":iam::aws:") {
			local++
		}
	}
	summary["Policies"] = local
	for k, v := range x.est.AccountSummary {
		summary[k] = v
	}
	type entry struct {
		Key   string `xml:"key"`
		Value int32  `xml:"value"`
	}
	var out struct {
		SummaryMap struct {
			Entries []entry `xml:"entry"`
		}
	}
	for _, k := range slices.Sorted(maps.Keys(summary)) {
		out.SummaryMap.Entries = append(out.SummaryMap.Entries, entry{k, summary[k]})
	}
	return out
}

func (x iamView) passwordPolicy() (any, error) {
	p := x.est.PasswordPolicy
	if p == nil {
		return nil, errorf(404, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.", x.acct)
	}
	var out struct {
		PasswordPolicy iamPasswordPolicyXML
	}
	out.PasswordPolicy = iamPasswordPolicyXML(*p)
	return out, nil
}

// iamPasswordPolicyXML is IAMPasswordPolicy as IAM answers it.
type iamPasswordPolicyXML struct {
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	ExpirePasswords            bool
	MaxPasswordAge             *int  `xml:",omitempty"`
	PasswordReusePrevention    *int  `xml:",omitempty"`
	HardExpiry                 *bool `xml:",omitempty"`
}
