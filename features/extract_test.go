package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/posture-dev/posture/internal/inventory"
)

// named turns a vector into its non-zero features by name.
func named(v Vector) map[string]float64 {
	out := map[string]float64{}
	for i, x := range v.Values {
		if x != 0 {
			out[Current.Features[i].Name] = x
		}
	}
	return out
}

func TestExtract(t *testing.T) {
	// webEstate: the exposed i-1 with an old image assumes role-web, whose
	// one policy grants grant; v2 says whether IMDSv2 is enforced.
	webEstate := func(v2 bool, grant inventory.Statement, mods ...func(*inventory.Instance)) []inventory.Resource {
		inst := instance("i-1", func(in *inventory.Instance) {
			in.Metadata.TokensRequired = v2
			in.ImageCreated = now.AddDate(0, 0, -400)
			for _, m := range mods {
				m(in)
			}
		})
		inst.AddEdge(inventory.RelAssumes, "role-web")
		return append(replace(publicEstate(), inst), role("role-web", "pol-web"), policy("pol-web", grant))
	}
	adminGrant := allow([]string{"*"}, "*")
	exposedAdmin := func() []inventory.Resource { return webEstate(false, adminGrant) }
	awsKey := inventory.SecretFinding{Detector: "aws_access_key_id", Location: "user-data line 4", Fingerprint: "0f1e2d3c4b5a6978"}
	envPass := inventory.SecretFinding{Detector: "password_assignment", Location: "environment DB_PASSWORD", Fingerprint: "195827193687edc1"}
	tests := []struct {
		name   string
		estate []inventory.Resource
		gaps   []inventory.Gap
		target string
		want   map[string]float64
	}{
		{"exposed instance with admin role, imdsv1 and an old image", exposedAdmin(), nil, "i-1", map[string]float64{FNotScanned: 1,
			FInternetExposed: 1, FAdminPortInternet: 1, FExposedAdminRole: 1, FHoldsAdminRole: 1, FObtainablePriv: 1,
			FIMDSv1: 1, FIMDSv1Exposed: 1, FSSRFAdminPath: 1, FImageAge: 400.0 / 365, FImageOld: 1,
		}},
		{"imdsv2 twin keeps exposure and the admin role but not the credential theft path", webEstate(true, adminGrant), nil, "i-1", map[string]float64{FNotScanned: 1,
			FInternetExposed: 1, FAdminPortInternet: 1, FExposedAdminRole: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FImageAge: 400.0 / 365, FImageOld: 1,
		}},
		{"scoped-role twin keeps exposure and imdsv1 but not the credential theft path", webEstate(false, allow([]string{"s3:GetObject"}, "arn:aws:s3:::web-assets/*")), nil, "i-1", map[string]float64{FNotScanned: 1,
			FInternetExposed: 1, FAdminPortInternet: 1, FIMDSv1: 1, FIMDSv1Exposed: 1, FImageAge: 400.0 / 365, FImageOld: 1,
		}},
		{"secret in user data sets secret_in_text", webEstate(false, adminGrant, func(in *inventory.Instance) {
			in.Secrets = []inventory.SecretFinding{awsKey}
		}), nil, "i-1", map[string]float64{FNotScanned: 1,
			FInternetExposed: 1, FAdminPortInternet: 1, FExposedAdminRole: 1, FHoldsAdminRole: 1, FObtainablePriv: 1,
			FIMDSv1: 1, FIMDSv1Exposed: 1, FSSRFAdminPath: 1, FImageAge: 400.0 / 365, FImageOld: 1, FSecretInText: 1,
		}},
		{"unreadable user data is unknown, not secret-free", webEstate(false, adminGrant, func(in *inventory.Instance) { in.SecretsUnknown = true }), nil, "i-1",
			map[string]float64{FNotScanned: 1,
				FInternetExposed: 1, FAdminPortInternet: 1, FExposedAdminRole: 1, FHoldsAdminRole: 1, FObtainablePriv: 1,
				FIMDSv1: 1, FIMDSv1Exposed: 1, FSSRFAdminPath: 1, FImageAge: 400.0 / 365, FImageOld: 1, FUnknownData: 1,
			}},
		{"private twin keeps the role and imdsv1 but not the exposure", replace(exposedAdmin(), routeTable("rtb-1", false, []string{"subnet-1"}, natRoute)), nil, "i-1",
			map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FIMDSv1: 1, FImageAge: 400.0 / 365, FImageOld: 1}},
		{"image age capped at ten years", []inventory.Resource{instance("i-1", func(in *inventory.Instance) { in.ImageCreated = now.AddDate(-20, 0, 0) })}, nil, "i-1",
			map[string]float64{FNotScanned: 1, FImageAge: 10, FImageOld: 1, FUnknownData: 1}}, // unknown: no subnet, no firewall in the estate
		{"missing metadata: unknown, not safe", without(replace(publicEstate(), instance("i-1", func(in *inventory.Instance) { in.Metadata = nil })), "rtb-1"), nil, "i-1",
			map[string]float64{FNotScanned: 1, FImageAge: float64(days(now, now.AddDate(0, -1, 0))) / 365, FUnknownData: 1}},
		{"user mirrors its old key", []inventory.Resource{user("u-1", nil), key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -200) })}, nil, "u-1",
			map[string]float64{FKeyOld: 1}},
		{"the key itself", []inventory.Resource{user("u-1", nil), key(func(k *inventory.AccessKey) { k.Created = now.AddDate(0, 0, -200) })}, nil, "AKIA1",
			map[string]float64{FKeyOld: 1}},
		{"user mirrors an unknown key as unknown", []inventory.Resource{user("u-1", nil), key(func(k *inventory.AccessKey) { k.Created = zeroTime })}, nil, "u-1",
			map[string]float64{FUnknownData: 1}},
		{"user whose key list could not be read is unknown, not key-less", []inventory.Resource{user("u-1", func(u *inventory.User) {
			u.Unknown = []inventory.UserSetting{inventory.UserAccessKeys}
		})}, nil, "u-1", map[string]float64{FUnknownData: 1}},
		{"bucket with an unreadable policy is unknown", []inventory.Resource{func() inventory.Resource {
			b := res("arn:aws:s3:::b", inventory.KindBucket)
			b.Bucket = &inventory.Bucket{Unknown: []inventory.BucketSetting{inventory.BucketPolicy}}
			return b
		}()}, nil, "arn:aws:s3:::b", map[string]float64{FUnknownData: 1}},
		{"account without info is unknown", []inventory.Resource{res("arn:aws:iam::111122223333:root", inventory.KindAccount)}, nil, "arn:aws:iam::111122223333:root",
			map[string]float64{FUnknownData: 1}},
		{"weak account", []inventory.Resource{account(func(a *inventory.AccountInfo) { a.PasswordPolicy.MinLength = 6 })}, nil, "arn:aws:iam::111122223333:root",
			map[string]float64{FWeakPasswordPol: 1}},
		{"public database with an eol engine", append(publicEstate(), database(func(d *inventory.Database) { d.EngineVersion = "11.22" }),
			firewall("sg-db", sgRule("tcp", 5432, 5432, "0.0.0.0/0"))), nil, "db-1",
			map[string]float64{FInternetExposed: 1, FDBPortInternet: 1, FPublicDatabase: 1, FEOLEngine: 1}},
		{"public bucket", []inventory.Resource{func() inventory.Resource {
			b := res("arn:aws:s3:::b", inventory.KindBucket)
			b.Bucket = &inventory.Bucket{PublicACLGrants: []inventory.ACLGrant{{Grantee: "AllUsers", Permission: "READ"}}}
			return b
		}()}, nil, "arn:aws:s3:::b", map[string]float64{FPublicBucket: 1}},
		{"admin role", []inventory.Resource{role("role-1", "pol-admin"), policy("pol-admin", allow([]string{"iam:*"}, "*"))}, nil, "role-1",
			map[string]float64{FAdminEquivalent: 1, FObtainablePriv: 1}},
		{"service account holding an owner binding", []inventory.Resource{func() inventory.Resource {
			sa := res("sa-1", inventory.KindServiceAccount)
			sa.ServiceAccount = &inventory.ServiceAccount{Email: "sa-1@p.iam.gserviceaccount.com"}
			sa.AddEdge(inventory.RelHasPolicy, "pol-owner")
			return sa
		}(), policy("pol-owner", allow([]string{"*"}, "*"))}, nil, "sa-1", map[string]float64{FAdminEquivalent: 1, FObtainablePriv: 1}},
		{"service account whose grants could not be read is unknown, not harmless", []inventory.Resource{func() inventory.Resource {
			sa := res("sa-1", inventory.KindServiceAccount)
			sa.ServiceAccount = &inventory.ServiceAccount{PermissionsUnknown: true}
			return sa
		}()}, nil, "sa-1", map[string]float64{FUnknownData: 1}},

		// Functions: exposed through a URL anyone may invoke, holding their
		// role, their runtime's deprecation in eol_engine.
		{"public function with an admin role on a deprecated runtime", fnEstate(func(f *inventory.Function) {
			f.URLAuth, f.Runtime = inventory.FunctionURLNone, "python3.8"
		}, adminGrant), nil, fnID, map[string]float64{FNotScanned: 1, FInternetExposed: 1, FExposedAdminRole: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FEOLEngine: 1}},
		{"safe twin: IAM-authenticated function with a scoped role on a supported runtime", fnEstate(urlAuth(inventory.FunctionURLIAM),
			allow([]string{"dynamodb:GetItem"}, "*")), nil, fnID, map[string]float64{FNotScanned: 1}},
		{"secret in a function's environment sets secret_in_text", fnEstate(func(f *inventory.Function) {
			f.Secrets = []inventory.SecretFinding{envPass}
		}, adminGrant), nil, fnID, map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FSecretInText: 1}},
		{"function whose environment could not be read is unknown, not secret-free", fnEstate(func(f *inventory.Function) { f.SecretsUnknown = true }, adminGrant), nil, fnID,
			map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FUnknownData: 1}},
		{"private function still holds its admin role", fnEstate(nil, adminGrant), nil, fnID, map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1}},
		{"function whose url could not be read is unknown, not private", fnEstate(func(f *inventory.Function) { f.URLUnknown = true }, adminGrant), nil, fnID,
			map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FUnknownData: 1}},
		{"public function whose role is not in the snapshot is unknown", []inventory.Resource{function(urlAuth(inventory.FunctionURLNone))}, nil, fnID,
			map[string]float64{FNotScanned: 1, FInternetExposed: 1, FUnknownData: 1}},
		{"function on a runtime the table lacks is unknown", fnEstate(runtime("rust1.x"), adminGrant), nil, fnID,
			map[string]float64{FNotScanned: 1, FHoldsAdminRole: 1, FObtainablePriv: 1, FUnknownData: 1}},
		{"function without attributes is unknown", []inventory.Resource{res(fnID, inventory.KindFunction)}, nil, fnID,
			map[string]float64{FNotScanned: 1, FUnknownData: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph(tt.estate, tt.gaps)
			var got map[string]float64
			for _, v := range Extract(g, Detect(g, now), now) {
				if len(v.Values) != len(Current.Features) {
					t.Fatalf("vector of %s has %d values, schema has %d", v.Resource, len(v.Values), len(Current.Features))
				}
				if v.Resource == tt.target {
					got = named(v)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("features of %s (-got +want):\n%s", tt.target, diff)
			}
		})
	}
}

func TestExtractScopeGap(t *testing.T) {
	gap := func(account, region string) inventory.Gap {
		return inventory.Gap{Cloud: inventory.AWS, Account: account, Region: region, Service: "ec2", Reason: inventory.GapThrottled, Message: "gave up"}
	}
	tests := []struct {
		name string
		gap  inventory.Gap
		want float64
	}{
		{"same account and region", gap(acct, "eu-west-1"), 1},
		{"same account, global service", gap(acct, ""), 1},
		{"same account, other region", gap(acct, "us-east-1"), 0},
		{"other account", gap("999999999999", "eu-west-1"), 0},
		{"one resource's detail in the same account is not a scope gap", inventory.Gap{Cloud: inventory.AWS, Account: acct, Service: "iam",
			Operation: "GetLoginProfile", Resource: "arn:aws:iam::111122223333:user/alice", Reason: inventory.GapAccessDenied, Message: "denied"}, 0},
		{"one bucket's policy in the same region is not a scope gap", inventory.Gap{Cloud: inventory.AWS, Account: acct, Region: "eu-west-1", Service: "s3",
			Operation: "GetBucketPolicy", Resource: "arn:aws:s3:::b", Reason: inventory.GapAccessDenied, Message: "denied"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph(publicEstate(), []inventory.Gap{tt.gap})
			vs := Extract(g, Detect(g, now), now)
			if len(vs) != 1 || vs[0].Resource != "i-1" {
				t.Fatalf("Extract gave %d vectors (%v), want the one instance", len(vs), vs)
			}
			if got := vs[0].Values[Current.Index(FScopeGap)]; got != tt.want {
				t.Errorf("scope_gap = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExtractOrderAndScope(t *testing.T) {
	estate := append(publicEstate(), user("u-b", nil), user("u-a", nil), database(nil), firewall("sg-db", sgRule("tcp", 5432, 5432, "10.0.0.0/8")))
	g := NewGraph(estate, nil)
	var got []string
	for _, v := range Extract(g, Detect(g, now), now) {
		got = append(got, v.Resource)
	}
	want := []string{"db-1", "i-1", "u-a", "u-b"} // no firewalls, subnets or route tables
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("vector resources (-got +want):\n%s", diff)
	}
}
