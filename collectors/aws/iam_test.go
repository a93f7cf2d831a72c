package aws

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

const demoAccount = "arn:aws:iam::111122223333:"

// resourceByID finds a resource, or nil.
func resourceByID(rs []inventory.Resource, id string) *inventory.Resource {
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i]
		}
	}
	return nil
}

// idsOfKind lists the ids of one kind, in order.
func idsOfKind(rs []inventory.Resource, k inventory.Kind) []string {
	var out []string
	for _, r := range rs {
		if r.Kind == k {
			out = append(out, r.ID)
		}
	}
	return out
}

func TestIAMDemo(t *testing.T) {
	res, srv := scanEstate(t, "demo", emulator.Options{}, Options{})
	if gaps := gapsOf(res.Gaps, "iam"); len(gaps) != 0 {
		t.Errorf("iam gaps on the demo estate: %v", gaps)
	}
	iamRes := byNativeType(res.Resources, "AWS::IAM::")
	golden(t, "aws_iam.json", iamRes)

	// 16 entities (4 users, 2 groups, 5 roles, 5 policies) at 2 a page.
	if got := srv.Requests("iam", "GetAccountAuthorizationDetails"); got != 8 {
		t.Errorf("GetAccountAuthorizationDetails requests = %d, want 8 (one per page of 2)", got)
	}
	if diff := cmp.Diff([]string{demoAccount + "user/alice", demoAccount + "user/bob", demoAccount + "user/carol", demoAccount + "user/ci-deploy"},
		idsOfKind(iamRes, inventory.KindUser)); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{demoAccount + "role/app-role", demoAccount + "role/audit-cross-account", demoAccount + "role/eks-cluster-role", demoAccount + "role/web-admin-role", demoAccount + "role/web-scoped-role"},
		idsOfKind(iamRes, inventory.KindRole)); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}

	// The customer managed policy's default version (v2) is the one parsed.
	app := resourceByID(iamRes, demoAccount+"policy/app-policy")
	if app == nil || app.Policy.Document == nil || len(app.Policy.Document.Statements) != 2 {
		t.Errorf("app-policy = %+v, want its default version v2 with 2 statements", app)
	}
	// Instances join their roles through the instance profile.
	web := resourceByID(iamRes, demoAccount+"role/web-admin-role")
	if web == nil || !cmp.Equal(web.Role.InstanceProfiles, []string{demoAccount + "instance-profile/web-admin-profile"}) {
		t.Errorf("web-admin-role = %+v, want instance profile web-admin-profile", web)
	}
}

func TestIAMThrottledThenServed(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
		{Service: "iam", Action: "GetAccountAuthorizationDetails", Kind: emulator.FaultThrottle, Times: 2},
		{Service: "iam", Action: "ListAccessKeys", Kind: emulator.FaultThrottle, Times: 2},
	}}, Options{})
	if gaps := gapsOf(res.Gaps, "iam"); len(gaps) != 0 {
		t.Errorf("iam gaps after throttling within the retries: %v", gaps)
	}
	if got := len(idsOfKind(res.Resources, inventory.KindUser)); got != 4 {
		t.Errorf("users = %d, want 4", got)
	}
	if got := len(idsOfKind(res.Resources, inventory.KindAccessKey)); got != 3 {
		t.Errorf("access keys = %d, want 3", got)
	}
}

func TestIAMDenied(t *testing.T) {
	users := []string{demoAccount + "user/alice", demoAccount + "user/bob", demoAccount + "user/carol", demoAccount + "user/ci-deploy"}
	account := demoAccount + "account"
	tests := []struct {
		action string
		// gapResources are the resources the access_denied gaps are about.
		gapResources []string
		check        func(t *testing.T, rs []inventory.Resource)
	}{
		{
			action:       "ListAccessKeys",
			gapResources: users,
			check: func(t *testing.T, rs []inventory.Resource) {
				if keys := idsOfKind(rs, inventory.KindAccessKey); len(keys) != 0 {
					t.Errorf("access keys = %v, want none (unknown)", keys)
				}
				// The rest of the service is still read.
				alice := resourceByID(rs, demoAccount+"user/alice")
				if alice == nil || !alice.User.ConsolePassword {
					t.Errorf("alice = %+v, want her console password still read", alice)
				}
				acct := resourceByID(rs, account)
				if acct == nil || acct.AccountInfo.PasswordPolicy == nil || !acct.AccountInfo.PasswordPolicy.Present {
					t.Errorf("account = %+v, want its password policy still read", acct)
				}
			},
		},
		{
			action:       "GetLoginProfile",
			gapResources: users,
			check: func(t *testing.T, rs []inventory.Resource) {
				for _, id := range users {
					u := resourceByID(rs, id)
					if u == nil || u.User.Known(inventory.UserConsolePassword) {
						t.Errorf("%s: console password should be marked unknown, got %+v", id, u)
					}
				}
			},
		},
		{
			action:       "GetAccountPasswordPolicy",
			gapResources: []string{account},
			check: func(t *testing.T, rs []inventory.Resource) {
				acct := resourceByID(rs, account)
				if acct == nil {
					t.Fatal("no account resource")
				}
				if acct.AccountInfo.PasswordPolicy != nil {
					t.Errorf("password policy = %+v, want nil (unknown), not absent or weak", acct.AccountInfo.PasswordPolicy)
				}
				if acct.AccountInfo.RootMFA == nil || *acct.AccountInfo.RootMFA {
					t.Errorf("root MFA = %v, want false still read from the summary", acct.AccountInfo.RootMFA)
				}
				if keys := idsOfKind(rs, inventory.KindAccessKey); len(keys) != 3 {
					t.Errorf("access keys = %v, want 3", keys)
				}
			},
		},
		{
			action:       "GetAccountSummary",
			gapResources: []string{account},
			check: func(t *testing.T, rs []inventory.Resource) {
				acct := resourceByID(rs, account)
				if acct == nil {
					t.Fatal("no account resource")
				}
				if acct.AccountInfo.RootMFA != nil || acct.AccountInfo.RootAccessKeys != nil {
					t.Errorf("root MFA %v, root keys %v: want both nil (unknown)", acct.AccountInfo.RootMFA, acct.AccountInfo.RootAccessKeys)
				}
			},
		},
		{
			action:       "GetAccessKeyLastUsed",
			gapResources: []string{demoAccount + "user/alice/access-key/AKIAALICE00000000001", demoAccount + "user/bob/access-key/AKIABOB0000000000001", demoAccount + "user/ci-deploy/access-key/AKIACIDEPLOY00000001"},
			check: func(t *testing.T, rs []inventory.Resource) {
				for _, r := range rs {
					if r.AccessKey != nil && (r.AccessKey.LastUsedKnown || !r.AccessKey.LastUsed.IsZero()) {
						t.Errorf("%s: last used %v known %v, want unknown", r.ID, r.AccessKey.LastUsed, r.AccessKey.LastUsedKnown)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			res, _ := scanEstate(t, "demo", emulator.Options{Faults: []emulator.Fault{
				{Service: "iam", Action: tt.action, Kind: emulator.FaultDenied},
			}}, Options{})
			var gotResources []string
			for _, g := range gapsOf(res.Gaps, "iam") {
				if g.Operation != tt.action || g.Reason != inventory.GapAccessDenied {
					t.Errorf("unexpected gap %v", g)
					continue
				}
				gotResources = append(gotResources, g.Resource)
			}
			if diff := cmp.Diff(tt.gapResources, gotResources); diff != "" {
				t.Errorf("access_denied gaps about (-want +got):\n%s", diff)
			}
			rs := byNativeType(res.Resources, "AWS::IAM::")
			if got := len(idsOfKind(rs, inventory.KindUser)); got != 4 {
				t.Errorf("users = %d, want 4", got)
			}
			if got := len(idsOfKind(rs, inventory.KindRole)); got != 5 {
				t.Errorf("roles = %d, want 5", got)
			}
			tt.check(t, rs)
		})
	}
}

func TestIAMMalformedPolicy(t *testing.T) {
	res, _ := scanEstate(t, filepath.Join("testdata", "estates", "malformed-policy"), emulator.Options{}, Options{})
	const acct = "arn:aws:iam::444455556666:"
	broken, inline := acct+"policy/broken-policy", acct+"user/dave/inline/bad-action"
	want := []inventory.Gap{
		{Cloud: inventory.AWS, Account: "444455556666", Service: "iam", Operation: "GetAccountAuthorizationDetails",
			Resource: broken, Reason: inventory.GapMalformed,
			Message: "parse policy " + broken + ": at offset 77: invalid character '\"' after object key:value pair"},
		{Cloud: inventory.AWS, Account: "444455556666", Service: "iam", Operation: "GetAccountAuthorizationDetails",
			Resource: inline, Reason: inventory.GapMalformed,
			Message: "parse policy " + inline + ": at offset 63: statement 0: Action must be a string or an array of strings"},
	}
	if diff := cmp.Diff(want, gapsOf(res.Gaps, "iam")); diff != "" {
		t.Errorf("iam gaps (-want +got):\n%s", diff)
	}
	for _, id := range []string{broken, inline} {
		r := resourceByID(res.Resources, id)
		if r == nil || r.Policy == nil || r.Policy.Document != nil {
			t.Errorf("%s = %+v, want a policy with no document", id, r)
		}
	}
	// The scan carried on: the good policy, the role's trust and the user's
	// edges are all there.
	good := resourceByID(res.Resources, acct+"policy/good-policy")
	if good == nil || good.Policy.Document == nil || good.Policy.Attachments != 2 {
		t.Errorf("good-policy = %+v, want parsed with 2 attachments", good)
	}
	role := resourceByID(res.Resources, acct+"role/ok-role")
	if role == nil || role.Role.Trust == nil || !cmp.Equal(role.Role.Trust.Statements[0].Principals, []string{"Service:ec2.amazonaws.com"}) {
		t.Errorf("ok-role = %+v, want its trust policy parsed", role)
	}
	dave := resourceByID(res.Resources, acct+"user/dave")
	wantEdges := []inventory.Edge{
		{From: acct + "user/dave", Relation: inventory.RelHasPolicy, To: broken},
		{From: acct + "user/dave", Relation: inventory.RelHasPolicy, To: acct + "policy/good-policy"},
		{From: acct + "user/dave", Relation: inventory.RelHasPolicy, To: inline},
		{From: acct + "user/dave", Relation: inventory.RelHasKey, To: acct + "user/dave/access-key/AKIADAVENEVERUSED001"},
	}
	if dave == nil || !cmp.Equal(dave.Edges, wantEdges) {
		t.Errorf("dave = %+v, want edges %v", dave, wantEdges)
	}

	// A key never used: IAM answers N/A and no date; known, zero.
	key := resourceByID(res.Resources, acct+"user/dave/access-key/AKIADAVENEVERUSED001")
	wantKey := inventory.AccessKey{User: acct + "user/dave", Active: false, Created: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), LastUsedKnown: true}
	if key == nil || !cmp.Equal(*key.AccessKey, wantKey) {
		t.Errorf("dave's key = %+v, want %+v", key, wantKey)
	}
}

// TestIAMThrottledBeyondRetryQuota: every per-user call of 80 users is
// throttled twice before it is served, 480 retries in all on one IAM
// client. The SDK's default client-side retry quota (500 tokens, 5 a
// retry) would run dry about a hundred retries in and fail the rest at
// once; without that quota every call is retried and served.
func TestIAMThrottledBeyondRetryQuota(t *testing.T) {
	const n = 80
	var users []string
	for i := range n {
		users = append(users, fmt.Sprintf(`{"UserName": "user-%02d", "CreateDate": "2024-01-01T00:00:00Z"}`, i))
	}
	dir := writeEstate(t, map[string]string{
		"account.json": `{"id": "111122223333", "regions": [{"name": "us-east-1", "opt_in_status": "opt-in-not-required"}]}`,
		"iam.json":     `{"Users": [` + strings.Join(users, ",") + `]}`,
	})
	var faults []emulator.Fault
	for _, action := range []string{"GetLoginProfile", "ListMFADevices", "ListAccessKeys"} {
		faults = append(faults, emulator.Fault{Service: "iam", Action: action, Kind: emulator.FaultThrottle, Times: 2, Each: true})
	}
	res, srv := scanEstate(t, dir, emulator.Options{Faults: faults}, Options{})
	if gaps := gapsOf(res.Gaps, "iam"); len(gaps) != 0 {
		t.Errorf("iam gaps = %d, want none; first: %v", len(gaps), gaps[0])
	}
	if got := len(idsOfKind(res.Resources, inventory.KindUser)); got != n {
		t.Errorf("users = %d, want %d", got, n)
	}
	for _, action := range []string{"GetLoginProfile", "ListMFADevices", "ListAccessKeys"} {
		if got := srv.Requests("iam", action); got != 3*n {
			t.Errorf("%s requests = %d, want %d (each user's call throttled twice, then served)", action, got, 3*n)
		}
	}
}
