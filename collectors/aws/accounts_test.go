package aws

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/store"
)

// The org estate: the management account 111111111111 (the caller), a
// member 222222222222 with OrganizationAccountAccessRole (and a role
// audit/ExternalAuditor that wants an external id), a member 333333333333
// without it, and a suspended account 444444444444. Every account lists
// the AWS managed AdministratorAccess; the management account shares its
// VPC and subnet with 222222222222.
const (
	orgEstate  = "testdata/estates/org"
	mgmt       = "111111111111"
	goodMember = "222222222222"
	badMember  = "333333333333"
	adminARN   = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// accountsOf lists the accounts the resources belong to.
func accountsOf(rs []inventory.Resource) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.Account) {
			out = append(out, r.Account)
		}
	}
	sort.Strings(out)
	return out
}

// accountGaps keeps the account-wide gaps (sts AssumeRole).
func accountGaps(gaps []inventory.Gap) []inventory.Gap {
	var out []inventory.Gap
	for _, g := range gaps {
		if g.Service == "sts" && g.Operation == "AssumeRole" {
			g.Message = "" // checked separately
			out = append(out, g)
		}
	}
	return out
}

func TestOrganization(t *testing.T) {
	res, srv := scanEstate(t, orgEstate, emulator.Options{}, Options{Organization: true})

	// The management account without a role, the good member through
	// it; the member without the role is a gap, the suspended account
	// is not tried.
	if diff := cmp.Diff([]string{mgmt, goodMember}, accountsOf(res.Resources)); diff != "" {
		t.Errorf("accounts scanned (-want +got):\n%s", diff)
	}
	want := []inventory.Gap{{Cloud: inventory.AWS, Account: badMember, Service: "sts", Operation: "AssumeRole", Reason: inventory.GapAccessDenied}}
	if diff := cmp.Diff(want, accountGaps(res.Gaps)); diff != "" {
		t.Errorf("account gaps (-want +got):\n%s", diff)
	}
	if len(res.Gaps) != 1 {
		t.Errorf("gaps = %v, want only the member without the role", res.Gaps)
	} else if msg := res.Gaps[0].Message; !strings.Contains(msg, "arn:aws:iam::"+badMember+":role/OrganizationAccountAccessRole") || !strings.Contains(msg, "AccessDenied") {
		t.Errorf("gap message %q does not name the role and the denial", msg)
	}
	// ListAccounts: 4 accounts at 2 a page; the member without the role
	// and the suspended account are on the second page.
	if got := srv.Requests("organizations", "ListAccounts"); got != 2 {
		t.Errorf("ListAccounts requests = %d, want 2 (one per page of 2)", got)
	}
	// One AssumeRole per other active account: none into the caller's own.
	if got := srv.Requests("sts", "AssumeRole"); got != 2 {
		t.Errorf("AssumeRole requests = %d, want 2", got)
	}
	// Scopes: each scanned account and its region, and the account that
	// could not be entered.
	var scopes []string
	for _, s := range res.Scopes {
		scopes = append(scopes, s.String())
	}
	wantScopes := []string{
		inventory.Scope{Cloud: inventory.AWS, Account: mgmt}.String(),
		inventory.Scope{Cloud: inventory.AWS, Account: mgmt, Region: "us-east-1"}.String(),
		inventory.Scope{Cloud: inventory.AWS, Account: goodMember}.String(),
		inventory.Scope{Cloud: inventory.AWS, Account: goodMember, Region: "us-east-1"}.String(),
		inventory.Scope{Cloud: inventory.AWS, Account: badMember}.String(),
	}
	sort.Strings(wantScopes)
	if diff := cmp.Diff(wantScopes, scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}

	// Each member's resources carry their own account, in their ARNs too.
	for _, tc := range []struct {
		id, account string
	}{
		{"arn:aws:iam::" + mgmt + ":user/org-admin", mgmt},
		{"arn:aws:iam::" + mgmt + ":account", mgmt},
		{"arn:aws:ec2:us-east-1:" + mgmt + ":security-group/sg-0mgmt0000000000001", mgmt},
		{"arn:aws:iam::" + goodMember + ":role/OrganizationAccountAccessRole", goodMember},
		{"arn:aws:iam::" + goodMember + ":account", goodMember},
		{"arn:aws:ec2:us-east-1:" + goodMember + ":security-group/sg-0work0000000000001", goodMember},
		{"arn:aws:s3:::workloads-data", goodMember},
	} {
		r := resourceByID(res.Resources, tc.id)
		if r == nil {
			t.Errorf("%s not collected", tc.id)
			continue
		}
		if r.Account != tc.account {
			t.Errorf("%s: account %q, want %q", tc.id, r.Account, tc.account)
		}
	}
	if r := resourceByID(res.Resources, "arn:aws:s3:::legacy-secrets"); r != nil {
		t.Errorf("a bucket of the account that could not be assumed was collected: %+v", r)
	}
	for _, r := range res.Resources {
		if a := arnAccount(r.ID); a != r.Account && a != "" && a != "aws" && r.Kind != inventory.KindBucket {
			t.Errorf("%s: account %q differs from its ARN's", r.ID, r.Account)
		}
	}
	golden(t, "aws_organization.json", struct {
		Resources []inventory.Resource
		Gaps      []inventory.Gap
	}{res.Resources, res.Gaps})
}

// The AWS managed policy every account lists is one resource (the store
// keys resources by kind and id, so two copies would overwrite each other):
// the lowest account's copy, with the attachments of all the accounts; the
// edges of both accounts reach it. A VPC shared by the management account
// is kept as its owner's.
func TestOrganizationSharedResources(t *testing.T) {
	res, _ := scanEstate(t, orgEstate, emulator.Options{}, Options{Organization: true})

	seen := map[string]bool{}
	for _, r := range res.Resources {
		key := string(r.Kind) + " " + r.ID
		if seen[key] {
			t.Errorf("%s collected twice", key)
		}
		seen[key] = true
	}
	admin := resourceByID(res.Resources, adminARN)
	if admin == nil || admin.Policy == nil {
		t.Fatalf("%s not collected", adminARN)
	}
	if admin.Account != mgmt || !admin.Policy.AWSManaged || admin.Policy.Attachments != 3 {
		t.Errorf("AdministratorAccess: account %q, aws managed %v, attachments %d; want %s, true, 3 (1 in the management account, 2 in the member)",
			admin.Account, admin.Policy.AWSManaged, admin.Policy.Attachments, mgmt)
	}
	for _, from := range []string{"arn:aws:iam::" + mgmt + ":user/org-admin", "arn:aws:iam::" + goodMember + ":role/OrganizationAccountAccessRole"} {
		r := resourceByID(res.Resources, from)
		if r == nil || !slices.Contains(r.Edges, inventory.Edge{From: from, Relation: inventory.RelHasPolicy, To: adminARN}) {
			t.Errorf("%s has no has_policy edge to %s", from, adminARN)
		}
	}
	for _, id := range []string{"arn:aws:ec2:us-east-1:" + mgmt + ":vpc/vpc-0shared00000000001", "arn:aws:ec2:us-east-1:" + mgmt + ":subnet/subnet-0shared0000000001"} {
		if r := resourceByID(res.Resources, id); r == nil || r.Account != mgmt {
			t.Errorf("%s: %+v, want the owner's copy (account %s)", id, r, mgmt)
		}
	}

	// Stored and read back, nothing is lost.
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	w, err := st.Begin(ctx, inventory.Snapshot{Clouds: []inventory.Cloud{inventory.AWS}, Scopes: res.Scopes})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, res.Resources...); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	back, err := st.Resources(ctx, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(res.Resources) {
		t.Errorf("stored %d resources, read back %d", len(res.Resources), len(back))
	}
}

func TestAccountsExplicit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		scanned    []string
		denied     []string
		assumeRole int // AssumeRole requests
	}{
		{
			name:    "members only: the caller's account is not scanned",
			opts:    Options{Accounts: []string{goodMember, badMember, goodMember}},
			scanned: []string{goodMember}, denied: []string{badMember}, assumeRole: 2,
		},
		{
			name:    "the caller's account is scanned without a role",
			opts:    Options{Accounts: []string{mgmt, goodMember}},
			scanned: []string{mgmt, goodMember}, assumeRole: 1,
		},
		{
			name:    "an account the caller cannot enter at all",
			opts:    Options{Accounts: []string{goodMember, "555555555555"}},
			scanned: []string{goodMember}, denied: []string{"555555555555"}, assumeRole: 2,
		},
		{
			name:    "a role with a path and an external id",
			opts:    Options{Accounts: []string{goodMember}, AssumeRole: "audit/ExternalAuditor", ExternalID: "posture-ext-1", AccountConcurrency: 1},
			scanned: []string{goodMember}, assumeRole: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, srv := scanEstate(t, orgEstate, emulator.Options{}, tc.opts)
			if diff := cmp.Diff(tc.scanned, accountsOf(res.Resources)); diff != "" {
				t.Errorf("accounts scanned (-want +got):\n%s", diff)
			}
			var denied []string
			for _, g := range accountGaps(res.Gaps) {
				if g.Reason == inventory.GapAccessDenied {
					denied = append(denied, g.Account)
				}
			}
			if diff := cmp.Diff(tc.denied, denied); diff != "" {
				t.Errorf("accounts denied (-want +got):\n%s", diff)
			}
			if got := srv.Requests("sts", "AssumeRole"); got != tc.assumeRole {
				t.Errorf("AssumeRole requests = %d, want %d", got, tc.assumeRole)
			}
			if got := srv.Requests("organizations", "ListAccounts"); got != 0 {
				t.Errorf("ListAccounts requests = %d, want none for an explicit list", got)
			}
		})
	}
}

// An external id the role wants and was not given: denied.
func TestAccountsExternalIDMissing(t *testing.T) {
	_, _, err := collectEstate(t, "us-east-1", orgEstate, emulator.Options{}, Options{Accounts: []string{goodMember}, AssumeRole: "audit/ExternalAuditor"})
	if err == nil || !strings.Contains(err.Error(), "no account could be scanned") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("err = %v, want no account scanned, access denied", err)
	}
}

// A member whose scan stops (its EC2 endpoint does not answer, so its
// regions cannot be listed) is a gap of that account; the others complete.
func TestAccountScanFails(t *testing.T) {
	res, _ := scanEstate(t, orgEstate, emulator.Options{Faults: []emulator.Fault{
		{Service: "ec2", Action: "DescribeRegions", Account: goodMember, Kind: emulator.FaultDrop},
	}}, Options{Accounts: []string{mgmt, goodMember}, MaxAttempts: 2})
	if diff := cmp.Diff([]string{mgmt}, accountsOf(res.Resources)); diff != "" {
		t.Errorf("accounts scanned (-want +got):\n%s", diff)
	}
	want := []inventory.Gap{{Cloud: inventory.AWS, Account: goodMember, Service: "sts", Operation: "AssumeRole", Reason: inventory.GapUnreachable}}
	if diff := cmp.Diff(want, accountGaps(res.Gaps)); diff != "" {
		t.Errorf("account gaps (-want +got):\n%s", diff)
	}
}

// ListAccounts from an account that is not the management account, or
// outside any organization: the set of accounts is unknown, so the scan
// fails instead of committing fewer accounts.
func TestOrganizationNotListable(t *testing.T) {
	for _, tc := range []struct {
		name, estate string
		faults       []emulator.Fault
		want         string
	}{
		{"not in an organization", "demo", nil, "AWSOrganizationsNotInUseException"},
		{"denied", orgEstate, []emulator.Fault{{Service: "organizations", Action: "ListAccounts", Kind: emulator.FaultDenied}}, "AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := collectEstate(t, "us-east-1", tc.estate, emulator.Options{Faults: tc.faults}, Options{Organization: true})
			if err == nil || !strings.Contains(err.Error(), "organizations ListAccounts") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a ListAccounts %s", err, tc.want)
			}
		})
	}
}

// A member of the organization calling ListAccounts is denied.
func TestOrganizationMemberCaller(t *testing.T) {
	e, err := emulator.Load(orgEstate)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(e, "127.0.0.1:0", emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("AWS_ENDPOINT_URL", srv.URL())
	// Keys of the member, as AssumeRole hands them out.
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIA"+goodMember)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "emulated")
	t.Setenv("AWS_SESSION_TOKEN", "emulated/"+goodMember+"/OrganizationAccountAccessRole/test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	c, err := New(context.Background(), Options{Organization: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), goodMember) {
		t.Errorf("err = %v, want ListAccounts denied to the member %s", err, goodMember)
	}
}

func TestAccountOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"both", Options{Organization: true, Accounts: []string{goodMember}}, "not both"},
		{"bad id", Options{Accounts: []string{"12345"}}, "12-digit"},
		{"role arn", Options{Accounts: []string{goodMember}, AssumeRole: "arn:aws:iam::222222222222:role/x"}, "not an ARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	o := Options{Organization: true}
	if err := o.accounts(); err != nil || o.AssumeRole != defaultAssumeRole || o.AccountConcurrency != 4 {
		t.Errorf("defaults: %v, role %q, concurrency %d", err, o.AssumeRole, o.AccountConcurrency)
	}
}

// mergeAccounts keeps one copy of an id: the owner's, else the lowest
// account's; AWS managed policies add up their attachments.
func TestMergeAccounts(t *testing.T) {
	policy := func(account string, n int) inventory.Resource {
		return inventory.Resource{ID: adminARN, Cloud: inventory.AWS, Account: account, Kind: inventory.KindPolicy,
			Policy: &inventory.Policy{Managed: true, AWSManaged: true, Attachments: n}}
	}
	subnet := "arn:aws:ec2:us-east-1:" + mgmt + ":subnet/subnet-1"
	shared := func(account, to string) inventory.Resource {
		r := inventory.Resource{ID: subnet, Cloud: inventory.AWS, Account: account, Region: "us-east-1", Kind: inventory.KindSubnet}
		r.AddEdge(inventory.RelIn, to)
		return r
	}
	part := func(rs ...inventory.Resource) *collectors.Result { return &collectors.Result{Resources: rs} }
	got := mergeAccounts([]*collectors.Result{
		part(policy(badMember, 0), shared(goodMember, "vpc-b")),
		part(policy(goodMember, 2)),
		part(policy(mgmt, 1), shared(mgmt, "vpc-a")),
	})
	first := shared(mgmt, "vpc-a")
	first.AddEdge(inventory.RelIn, "vpc-b")
	want := []inventory.Resource{first, policy(mgmt, 3)}
	if diff := cmp.Diff(want, got.Resources); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
}
