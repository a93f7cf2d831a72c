package remediate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/remediate"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// *features.Graph is the graph remediate plans from.
var _ remediate.Graph = (*features.Graph)(nil)

const (
	acct         = "111122223333"
	region       = "us-east-1"
	bucketRegion = "eu-west-1"
	sgWeb        = "arn:aws:ec2:us-east-1:111122223333:security-group/sg-web"
	sgDB         = "arn:aws:ec2:us-east-1:111122223333:security-group/sg-db"
	web1         = "arn:aws:ec2:us-east-1:111122223333:instance/i-web1"
	web2         = "arn:aws:ec2:us-east-1:111122223333:instance/i-web2"
	dbID         = "arn:aws:rds:us-east-1:111122223333:db:orders"
	bucket       = "arn:aws:s3:::acme-public"
	site         = "arn:aws:s3:::acme-site"
	roleID       = "arn:aws:iam::111122223333:role/web-role"
	profile      = "arn:aws:iam::111122223333:instance-profile/web-profile"
	admin        = "arn:aws:iam::aws:policy/AdministratorAccess"
	alice        = "arn:aws:iam::111122223333:user/ops/alice"
	keyID        = "arn:aws:iam::111122223333:user/ops/alice/access-key/AKIAALICE"
	account      = "arn:aws:iam::111122223333:root"
	subnet       = "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-pub"
	vpc          = "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"
	rtb          = "arn:aws:ec2:us-east-1:111122223333:route-table/rtb-pub"
	igw          = "arn:aws:ec2:us-east-1:111122223333:internet-gateway/igw-1"
)

var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func res(id string, kind inventory.Kind, name string) inventory.Resource {
	r := inventory.Resource{ID: id, Cloud: inventory.AWS, Account: acct, Kind: kind, Name: name}
	if !strings.HasPrefix(id, "arn:aws:iam") && !strings.HasPrefix(id, "arn:aws:s3") {
		r.Region = region
	}
	return r
}

func instance(id, name string, fws ...string) inventory.Resource {
	r := res(id, inventory.KindInstance, name)
	r.Instance = &inventory.Instance{
		State: "running", NetworkID: vpc, SubnetID: subnet, PublicIPs: []string{"203.0.113." + name[len(name)-1:]},
		Firewalls: fws, InstanceProfile: profile, ImageID: "ami-old", ImageCreated: now.AddDate(-2, 0, 0),
		Metadata: &inventory.Metadata{Enabled: true, HopLimit: 1},
	}
	for _, fw := range fws {
		r.AddEdge(inventory.RelProtectedBy, fw)
	}
	r.AddEdge(inventory.RelAssumes, roleID)
	return r
}

// estate is a small AWS account with one of every problem the catalogue
// fixes: two public web instances sharing an SSH-open group (IMDSv1, an
// admin role, an old image), a public database, two public buckets (one a
// website), an old unused key, a weak password policy, root keys and a
// console user without MFA.
func estate() []inventory.Resource {
	network := res(vpc, inventory.KindNetwork, "main")
	network.Network = &inventory.Network{CIDRs: []string{"10.0.0.0/16"}}
	sn := res(subnet, inventory.KindSubnet, "public")
	sn.Subnet = &inventory.Subnet{NetworkID: vpc, CIDR: "10.0.1.0/24"}
	gw := res(igw, inventory.KindGateway, "")
	gw.Gateway = &inventory.Gateway{Type: "internet", Networks: []string{vpc}}
	rt := res(rtb, inventory.KindRouteTable, "")
	rt.RouteTable = &inventory.RouteTable{NetworkID: vpc, Subnets: []string{subnet}, Routes: []inventory.Route{
		{Destination: "10.0.0.0/16", Target: "local", TargetKind: "local"},
		{Destination: "0.0.0.0/0", Target: igw, TargetKind: "internet_gateway"},
	}}

	web := res(sgWeb, inventory.KindFirewall, "web")
	web.Firewall = &inventory.Firewall{NetworkID: vpc, Rules: []inventory.FirewallRule{
		{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp", Ports: inventory.PortRange{From: 22, To: 22},
			Sources: []string{"10.0.0.0/8", "0.0.0.0/0", "::/0"}, Description: "ssh"},
		{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp", Ports: inventory.PortRange{From: 443, To: 443},
			Sources: []string{"0.0.0.0/0"}},
	}}
	dbsg := res(sgDB, inventory.KindFirewall, "db")
	dbsg.Firewall = &inventory.Firewall{NetworkID: vpc, Rules: []inventory.FirewallRule{
		{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp", Ports: inventory.PortRange{From: 5000, To: 6000},
			Sources: []string{"0.0.0.0/0"}},
	}}

	db := res(dbID, inventory.KindDatabase, "orders")
	db.Database = &inventory.Database{Engine: "postgres", EngineVersion: "11.22", PubliclyAccessible: true, Port: 5432,
		Endpoint: "orders.abc.us-east-1.rds.amazonaws.com", Firewalls: []string{sgDB}, SubnetIDs: []string{subnet}, NetworkID: vpc}
	db.AddEdge(inventory.RelProtectedBy, sgDB)

	// Buckets live in another region than the rest: their calls must go
	// there.
	pub := res(bucket, inventory.KindBucket, "acme-public")
	pub.Region = bucketRegion
	pub.Bucket = &inventory.Bucket{PublicACLGrants: []inventory.ACLGrant{{Grantee: "AllUsers", Permission: "READ"}}}
	web3 := res(site, inventory.KindBucket, "acme-site")
	web3.Region = bucketRegion
	web3.Bucket = &inventory.Bucket{Website: true,
		BlockPublicAccess: &inventory.BlockPublicAccess{BlockPublicACLs: true, IgnorePublicACLs: true},
		Policy: &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Allow, Principals: []string{"*"},
			Actions: []string{"s3:GetObject"}, Resources: []string{site + "/*"}}}}}

	role := res(roleID, inventory.KindRole, "web-role")
	role.Role = &inventory.Role{AttachedPolicies: []string{admin}, InstanceProfiles: []string{profile}}
	pol := res(admin, inventory.KindPolicy, "AdministratorAccess")
	pol.Policy = &inventory.Policy{Managed: true, AWSManaged: true, Document: &inventory.PolicyDocument{Statements: []inventory.Statement{
		{Effect: inventory.Allow, Actions: []string{"*"}, Resources: []string{"*"}}}}}

	user := res(alice, inventory.KindUser, "alice")
	user.User = &inventory.User{ConsolePassword: true}
	key := res(keyID, inventory.KindAccessKey, "AKIAALICE")
	key.AccessKey = &inventory.AccessKey{User: alice, Active: true, Created: now.AddDate(0, 0, -400),
		LastUsed: now.AddDate(0, 0, -200), LastUsedKnown: true}

	rootKeys := 1
	mfa := true
	acc := res(account, inventory.KindAccount, acct)
	acc.AccountInfo = &inventory.AccountInfo{RootMFA: &mfa, RootAccessKeys: &rootKeys,
		PasswordPolicy: &inventory.PasswordPolicy{Present: true, MinLength: 8, RequireNumbers: true, MaxAgeDays: 60, ReusePrevention: 5}}

	return []inventory.Resource{network, sn, gw, rt, web, dbsg, instance(web1, "web-1", sgWeb), instance(web2, "web-2", sgWeb),
		db, pub, web3, role, pol, user, key, acc}
}

func graph(rs []inventory.Resource) *features.Graph { return features.NewGraph(rs, nil) }

// brief is the part of a plan the fix tests pin down exactly.
type brief struct {
	ID          string
	Resource    string
	Calls       []remediate.Call
	Rollback    []remediate.Call
	Blast       []string
	Reversible  bool
	Automatable bool
}

func briefs(ps []remediate.Plan) []brief {
	var out []brief
	for _, p := range ps {
		out = append(out, brief{p.ID, p.Resource, p.Calls, p.Rollback, p.BlastRadius.Resources, p.Reversible, p.Automatable})
	}
	return out
}

func sig(id inventory.SignalID, resource string, ev map[string]string) inventory.Signal {
	return inventory.Signal{ID: id, Resource: resource, Evidence: ev}
}

func perm(proto string, from, to int, ranges ...map[string]any) map[string]any {
	p := map[string]any{"IpProtocol": proto, "FromPort": from, "ToPort": to}
	var v4, v6 []any
	for _, r := range ranges {
		if _, ok := r["CidrIpv6"]; ok {
			v6 = append(v6, r)
		} else {
			v4 = append(v4, r)
		}
	}
	if v4 != nil {
		p["IpRanges"] = v4
	}
	if v6 != nil {
		p["Ipv6Ranges"] = v6
	}
	return p
}

func TestFixPlans(t *testing.T) {
	imds := func(tokens string) remediate.Call {
		return remediate.Call{Service: "ec2", Operation: "ModifyInstanceMetadataOptions", Region: region,
			Params: map[string]any{"InstanceId": "i-web1", "HttpTokens": tokens, "HttpEndpoint": "enabled"}}
	}
	rdsPublic := func(v bool) remediate.Call {
		return remediate.Call{Service: "rds", Operation: "ModifyDBInstance", Region: region,
			Params: map[string]any{"DBInstanceIdentifier": "orders", "PubliclyAccessible": v, "ApplyImmediately": true}}
	}
	bpa := func(name string, a, b, c, d bool) remediate.Call {
		return remediate.Call{Service: "s3", Operation: "PutPublicAccessBlock", Region: bucketRegion, Params: map[string]any{"Bucket": name,
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": a, "IgnorePublicAcls": b, "BlockPublicPolicy": c, "RestrictPublicBuckets": d}}}
	}
	key := func(op, status string) remediate.Call {
		p := map[string]any{"UserName": "alice", "AccessKeyId": "AKIAALICE"}
		if status != "" {
			p["Status"] = status
		}
		return remediate.Call{Service: "iam", Operation: op, Params: p}
	}
	attach := func(op string) remediate.Call {
		return remediate.Call{Service: "iam", Operation: op, Params: map[string]any{"RoleName": "web-role", "PolicyArn": admin}}
	}

	tests := []struct {
		name    string
		edit    func(rs []inventory.Resource) // changes the estate for this case
		signal  inventory.Signal
		want    []brief
		wantErr string
	}{
		{
			name:   "admin port: revoke exactly the public sources of the ssh rule",
			signal: sig("ports.admin_port_internet", web1, map[string]string{"port": "22", "protocol": "tcp", "source": "0.0.0.0/0", "via": sgWeb}),
			want: []brief{{
				ID: "aws.ec2.revoke_public_ingress@" + sgWeb + "#tcp:22-22:0.0.0.0/0,::/0", Resource: sgWeb,
				Calls: []remediate.Call{{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: region, Params: map[string]any{
					"GroupId": "sg-web", "IpPermissions": []any{perm("tcp", 22, 22, map[string]any{"CidrIp": "0.0.0.0/0"}, map[string]any{"CidrIpv6": "::/0"})}}}},
				Rollback: []remediate.Call{{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Region: region, Params: map[string]any{
					"GroupId": "sg-web", "IpPermissions": []any{perm("tcp", 22, 22,
						map[string]any{"CidrIp": "0.0.0.0/0", "Description": "ssh"}, map[string]any{"CidrIpv6": "::/0", "Description": "ssh"})}}}},
				Blast: []string{web1, web2}, Reversible: true, Automatable: true,
			}},
		},
		{
			name:   "db port without evidence: the database's own port, resolved from its group",
			signal: sig("ports.db_port_internet", dbID, nil),
			want: []brief{{
				ID: "aws.ec2.revoke_public_ingress@" + sgDB + "#tcp:5000-6000:0.0.0.0/0", Resource: sgDB,
				Calls: []remediate.Call{{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: region, Params: map[string]any{
					"GroupId": "sg-db", "IpPermissions": []any{perm("tcp", 5000, 6000, map[string]any{"CidrIp": "0.0.0.0/0"})}}}},
				Rollback: []remediate.Call{{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Region: region, Params: map[string]any{
					"GroupId": "sg-db", "IpPermissions": []any{perm("tcp", 5000, 6000, map[string]any{"CidrIp": "0.0.0.0/0"})}}}},
				Blast: []string{dbID}, Reversible: true, Automatable: true,
			}},
		},
		{
			name: "all-traffic rule on a second group: both rules must go",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == web1 {
						rs[i].Instance.Firewalls = append(rs[i].Instance.Firewalls, sgDB)
					}
					if rs[i].ID == sgDB {
						rs[i].Firewall.Rules = []inventory.FirewallRule{{Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "-1", Sources: []string{"0.0.0.0/0"}}}
					}
				}
			},
			signal: sig("ports.admin_port_internet", web1, map[string]string{"port": "22", "via": sgWeb}),
			want: []brief{
				{
					ID: "aws.ec2.revoke_public_ingress@" + sgDB + "#-1:0.0.0.0/0", Resource: sgDB,
					Calls: []remediate.Call{{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: region, Params: map[string]any{
						"GroupId": "sg-db", "IpPermissions": []any{map[string]any{"IpProtocol": "-1", "IpRanges": []any{map[string]any{"CidrIp": "0.0.0.0/0"}}}}}}},
					Rollback: []remediate.Call{{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Region: region, Params: map[string]any{
						"GroupId": "sg-db", "IpPermissions": []any{map[string]any{"IpProtocol": "-1", "IpRanges": []any{map[string]any{"CidrIp": "0.0.0.0/0"}}}}}}},
					Blast: []string{web1, dbID}, Reversible: true, Automatable: true,
				},
				{
					ID: "aws.ec2.revoke_public_ingress@" + sgWeb + "#tcp:22-22:0.0.0.0/0,::/0", Resource: sgWeb,
					Calls: []remediate.Call{{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: region, Params: map[string]any{
						"GroupId": "sg-web", "IpPermissions": []any{perm("tcp", 22, 22, map[string]any{"CidrIp": "0.0.0.0/0"}, map[string]any{"CidrIpv6": "::/0"})}}}},
					Rollback: []remediate.Call{{Service: "ec2", Operation: "AuthorizeSecurityGroupIngress", Region: region, Params: map[string]any{
						"GroupId": "sg-web", "IpPermissions": []any{perm("tcp", 22, 22,
							map[string]any{"CidrIp": "0.0.0.0/0", "Description": "ssh"}, map[string]any{"CidrIpv6": "::/0", "Description": "ssh"})}}}},
					Blast: []string{web1, web2}, Reversible: true, Automatable: true,
				},
			},
		},
		{
			name: "port signal whose group is missing from the snapshot is an error",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == sgWeb {
						rs[i].Firewall = nil
					}
				}
			},
			signal:  sig("ports.admin_port_internet", web1, map[string]string{"port": "22", "via": sgWeb}),
			wantErr: "security groups not in snapshot: " + sgWeb,
		},
		{
			name:   "public database",
			signal: sig("ports.public_database", dbID, map[string]string{"publicly_accessible": "true"}),
			want: []brief{{ID: "aws.rds.disable_public_access@" + dbID, Resource: dbID,
				Calls: []remediate.Call{rdsPublic(false)}, Rollback: []remediate.Call{rdsPublic(true)},
				Blast: []string{dbID}, Reversible: true, Automatable: true}},
		},
		{
			name:   "public bucket without a block: rollback deletes the block",
			signal: sig("privileges.public_bucket", bucket, map[string]string{"acl_grants": "AllUsers:READ"}),
			want: []brief{{ID: "aws.s3.block_public_access@" + bucket, Resource: bucket,
				Calls:    []remediate.Call{bpa("acme-public", true, true, true, true)},
				Rollback: []remediate.Call{{Service: "s3", Operation: "DeletePublicAccessBlock", Region: bucketRegion, Params: map[string]any{"Bucket": "acme-public"}}},
				Blast:    []string{bucket}, Reversible: true, Automatable: true}},
		},
		{
			name:   "public website bucket with a partial block: rollback restores it, a person decides",
			signal: sig("privileges.public_bucket", site, map[string]string{"policy_statement": "#0"}),
			want: []brief{{ID: "aws.s3.block_public_access@" + site, Resource: site,
				Calls:    []remediate.Call{bpa("acme-site", true, true, true, true)},
				Rollback: []remediate.Call{bpa("acme-site", true, true, false, false)},
				Blast:    []string{site}, Reversible: true, Automatable: false}},
		},
		{
			name: "public bucket whose region is not recorded: a person decides",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == bucket {
						rs[i].Region = ""
					}
				}
			},
			signal: sig("privileges.public_bucket", bucket, map[string]string{"acl_grants": "AllUsers:READ"}),
			want: []brief{{ID: "aws.s3.block_public_access@" + bucket, Resource: bucket,
				Calls: []remediate.Call{func() remediate.Call {
					c := bpa("acme-public", true, true, true, true)
					c.Region = ""
					return c
				}()},
				Rollback: []remediate.Call{{Service: "s3", Operation: "DeletePublicAccessBlock", Params: map[string]any{"Bucket": "acme-public"}}},
				Blast:    []string{bucket}, Reversible: true, Automatable: false}},
		},
		{
			name: "public bucket whose block settings could not be read: no rollback, a person decides",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == bucket {
						rs[i].Bucket.Unknown = []inventory.BucketSetting{inventory.BucketBlockPublicAccess}
					}
				}
			},
			signal: sig("privileges.public_bucket", bucket, map[string]string{"acl_grants": "AllUsers:READ"}),
			want: []brief{{ID: "aws.s3.block_public_access@" + bucket, Resource: bucket,
				Calls: []remediate.Call{bpa("acme-public", true, true, true, true)},
				Blast: []string{bucket}, Reversible: false, Automatable: false}},
		},
		{
			name:   "imdsv1 on an exposed instance",
			signal: sig("passwords.imdsv1_exposed", web1, map[string]string{"tokens_required": "false"}),
			want: []brief{{ID: "aws.ec2.require_imdsv2@" + web1, Resource: web1,
				Calls: []remediate.Call{imds("required")}, Rollback: []remediate.Call{imds("optional")},
				Blast: []string{web1}, Reversible: true, Automatable: true}},
		},
		{
			name:   "unused access key",
			signal: sig("passwords.access_key_unused", keyID, map[string]string{"user": alice, "last_used": "2025-08-13", "days": "200"}),
			want: []brief{{ID: "aws.iam.deactivate_unused_key@" + keyID, Resource: keyID,
				Calls: []remediate.Call{key("UpdateAccessKey", "Inactive")}, Rollback: []remediate.Call{key("UpdateAccessKey", "Active")},
				Blast: []string{alice}, Reversible: true, Automatable: true}},
		},
		{
			name: "access key without an owner is an error, never a call on the caller's keys",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == keyID {
						rs[i].AccessKey.User = ""
					}
				}
			},
			signal:  sig("passwords.access_key_unused", keyID, nil),
			wantErr: "access key owner not recorded",
		},
		{
			name:   "old access key: rotation, for a person",
			signal: sig("passwords.access_key_old", keyID, map[string]string{"days": "400"}),
			want: []brief{{ID: "aws.iam.rotate_access_key@" + keyID, Resource: keyID,
				Calls: []remediate.Call{
					{Service: "iam", Operation: "CreateAccessKey", Params: map[string]any{"UserName": "alice"}},
					key("UpdateAccessKey", "Inactive"),
					key("DeleteAccessKey", ""),
				},
				Rollback: []remediate.Call{key("UpdateAccessKey", "Active")},
				Blast:    []string{alice}, Reversible: false, Automatable: false}},
		},
		{
			name:   "weak password policy: CIS values, stricter max age kept, rollback to the old policy",
			signal: sig("passwords.weak_password_policy", account, nil),
			want: []brief{{ID: "aws.iam.set_password_policy@" + account, Resource: account,
				Calls: []remediate.Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: map[string]any{
					"MinimumPasswordLength": 14, "RequireSymbols": true, "RequireNumbers": true, "RequireUppercaseCharacters": true,
					"RequireLowercaseCharacters": true, "PasswordReusePrevention": 24, "MaxPasswordAge": 60, "AllowUsersToChangePassword": true}}},
				Rollback: []remediate.Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: map[string]any{
					"MinimumPasswordLength": 8, "RequireSymbols": false, "RequireNumbers": true, "RequireUppercaseCharacters": false,
					"RequireLowercaseCharacters": false, "PasswordReusePrevention": 5, "MaxPasswordAge": 60}}},
				Blast: []string{alice}, Reversible: true, Automatable: true}},
		},
		{
			name: "no password policy: stricter existing length kept, rollback deletes the policy",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == account {
						rs[i].AccountInfo.PasswordPolicy = &inventory.PasswordPolicy{Present: false}
					}
				}
			},
			signal: sig("passwords.weak_password_policy", account, nil),
			want: []brief{{ID: "aws.iam.set_password_policy@" + account, Resource: account,
				Calls: []remediate.Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: map[string]any{
					"MinimumPasswordLength": 14, "RequireSymbols": true, "RequireNumbers": true, "RequireUppercaseCharacters": true,
					"RequireLowercaseCharacters": true, "PasswordReusePrevention": 24, "AllowUsersToChangePassword": true}}},
				Rollback: []remediate.Call{{Service: "iam", Operation: "DeleteAccountPasswordPolicy", Params: map[string]any{}}},
				Blast:    []string{alice}, Reversible: true, Automatable: true}},
		},
		{
			name: "a longer existing minimum length is kept",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == account {
						rs[i].AccountInfo.PasswordPolicy = &inventory.PasswordPolicy{Present: true, MinLength: 20, RequireSymbols: true,
							RequireNumbers: true, RequireUppercase: true, RequireLowercase: true, ReusePrevention: 3}
					}
				}
			},
			signal: sig("passwords.weak_password_policy", account, nil),
			want: []brief{{ID: "aws.iam.set_password_policy@" + account, Resource: account,
				Calls: []remediate.Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: map[string]any{
					"MinimumPasswordLength": 20, "RequireSymbols": true, "RequireNumbers": true, "RequireUppercaseCharacters": true,
					"RequireLowercaseCharacters": true, "PasswordReusePrevention": 24, "AllowUsersToChangePassword": true}}},
				Rollback: []remediate.Call{{Service: "iam", Operation: "UpdateAccountPasswordPolicy", Params: map[string]any{
					"MinimumPasswordLength": 20, "RequireSymbols": true, "RequireNumbers": true, "RequireUppercaseCharacters": true,
					"RequireLowercaseCharacters": true, "PasswordReusePrevention": 3}}},
				Blast: []string{alice}, Reversible: true, Automatable: true}},
		},
		{
			name:   "exposed admin role: detach the managed policy, every instance with the role in the blast radius",
			signal: sig("privileges.exposed_admin_role", web1, map[string]string{"role": roleID, "policy": admin, "via": roleID, "grant": "*"}),
			want: []brief{{ID: "aws.iam.detach_admin_policy@" + roleID + "#" + admin, Resource: roleID,
				Calls: []remediate.Call{attach("DetachRolePolicy")}, Rollback: []remediate.Call{attach("AttachRolePolicy")},
				Blast: []string{web1, web2}, Reversible: true, Automatable: false}},
		},
		{
			name: "exposed admin role through an inline policy: described, no calls",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					switch rs[i].ID {
					case roleID:
						rs[i].Role.AttachedPolicies, rs[i].Role.InlinePolicies = nil, []string{admin}
					case admin:
						rs[i].Policy.Managed, rs[i].Policy.AWSManaged = false, false
					}
				}
			},
			signal: sig("privileges.exposed_admin_role", web1, map[string]string{"role": roleID, "policy": admin}),
			want: []brief{{ID: "aws.iam.detach_admin_policy@" + roleID + "#" + admin, Resource: roleID,
				Blast: []string{web1, web2}, Reversible: false, Automatable: false}},
		},
		{
			name: "exposed admin role whose policy is not the role's own is an error",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == roleID {
						rs[i].Role.AttachedPolicies = nil
					}
				}
			},
			signal:  sig("privileges.exposed_admin_role", web1, map[string]string{"role": roleID, "policy": admin}),
			wantErr: "is not attached to role",
		},
		{
			name:   "root access keys: manual",
			signal: sig("passwords.root_access_keys", account, map[string]string{"root_access_keys": "1"}),
			want: []brief{{ID: "aws.iam.delete_root_access_keys@" + account, Resource: account,
				Blast: []string{account}, Reversible: false, Automatable: false}},
		},
		{
			name:   "console user without MFA: manual",
			signal: sig("passwords.console_without_mfa", alice, nil),
			want: []brief{{ID: "aws.iam.enable_user_mfa@" + alice, Resource: alice,
				Blast: []string{alice}, Reversible: false, Automatable: false}},
		},
		{
			name:   "end-of-life engine: manual",
			signal: sig("patches.eol_engine", dbID, nil),
			want: []brief{{ID: "aws.rds.upgrade_engine@" + dbID, Resource: dbID,
				Blast: []string{dbID}, Reversible: false, Automatable: false}},
		},
		{
			name:   "old image: manual",
			signal: sig("patches.image_age", web1, map[string]string{"days": "730"}),
			want: []brief{{ID: "aws.ec2.replace_old_image@" + web1, Resource: web1,
				Blast: []string{web1}, Reversible: false, Automatable: false}},
		},
		{
			name: "KEV finding on an SSM-managed instance: AWS-RunPatchBaseline, a plan for a person",
			edit: func(rs []inventory.Resource) {
				for i := range rs {
					if rs[i].ID == web1 {
						rs[i].Instance.Patches = &inventory.PatchCompliance{Source: "aws.ssm", Missing: 3}
					}
				}
			},
			signal: sig("patches.known_exploited_cve", web1, map[string]string{"cves": "CVE-2024-1086"}),
			want: []brief{{ID: "aws.ssm.run_patch_baseline@" + web1, Resource: web1,
				Calls: []remediate.Call{{Service: "ssm", Operation: "SendCommand", Region: region, Params: map[string]any{
					"DocumentName": "AWS-RunPatchBaseline", "InstanceIds": []string{"i-web1"},
					"Parameters": map[string][]string{"Operation": {"Install"}, "RebootOption": {"RebootIfNeeded"}},
					"Comment":    "posture: known_exploited_cve"}}},
				Blast: []string{web1}, Reversible: false, Automatable: false}},
		},
		{
			name:   "KEV finding on an instance SSM does not manage: what to do, no calls",
			signal: sig("patches.known_exploited_cve", web1, map[string]string{"cves": "CVE-2024-1086"}),
			want: []brief{{ID: "aws.ssm.run_patch_baseline@" + web1, Resource: web1,
				Blast: []string{web1}, Reversible: false, Automatable: false}},
		},
		{
			name:   "a signal no fix handles yields nothing",
			signal: sig("passwords.root_without_mfa", account, nil),
		},
		{
			name:   "an unknown signal never yields a plan",
			signal: inventory.Signal{ID: "ports.admin_port_internet", Resource: web1, Unknown: true, Evidence: map[string]string{"ports": "22"}},
		},
		{
			name:   "a resource of another cloud yields nothing",
			edit:   func(rs []inventory.Resource) { rs[len(rs)-1].Cloud = inventory.GCP },
			signal: sig("passwords.weak_password_policy", account, nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := estate()
			if tt.edit != nil {
				tt.edit(rs)
			}
			in := remediate.Input{Graph: graph(rs)}
			got, err := remediate.Plans(in, map[string][]inventory.Signal{tt.signal.Resource: {tt.signal}})
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Plans error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Plans: %v", err)
			}
			if diff := cmp.Diff(briefs(got), tt.want); diff != "" {
				t.Errorf("plans (-got +want):\n%s", diff)
			}
			for _, p := range got {
				if p.Signal != tt.signal.ID || p.Title == "" || p.Change == "" || p.Why == "" {
					t.Errorf("plan %s: signal %q, title %q, change %q, why %q", p.ID, p.Signal, p.Title, p.Change, p.Why)
				}
				if len(p.CLI) != len(p.Calls) {
					t.Errorf("plan %s: %d CLI lines for %d calls", p.ID, len(p.CLI), len(p.Calls))
				}
				if p.Reversible && len(p.Rollback) == 0 {
					t.Errorf("plan %s: reversible without rollback", p.ID)
				}
			}
		})
	}
}

// detected runs the real detectors over the estate.
func detected(t *testing.T, rs []inventory.Resource) (remediate.Input, map[string][]inventory.Signal) {
	t.Helper()
	g := graph(rs)
	return remediate.Input{Graph: g}, features.Detect(g, now)
}

func TestSharedSecurityGroupIsOnePlan(t *testing.T) {
	in, signals := detected(t, estate())
	for _, id := range []string{web1, web2} {
		found := false
		for _, s := range signals[id] {
			found = found || (s.ID == "ports.admin_port_internet" && !s.Unknown)
		}
		if !found {
			t.Fatalf("detectors found no admin port signal on %s: %+v", id, signals[id])
		}
	}
	plans, err := remediate.Plans(in, signals)
	if err != nil {
		t.Fatalf("Plans: %v", err)
	}
	var got []brief
	for _, p := range plans {
		if p.Resource == sgWeb {
			got = append(got, briefs([]remediate.Plan{p})...)
		}
	}
	if len(got) != 1 {
		t.Fatalf("plans on %s: %d, want 1: %+v", sgWeb, len(got), got)
	}
	if diff := cmp.Diff(got[0].Blast, []string{web1, web2}); diff != "" {
		t.Errorf("blast radius (-got +want):\n%s", diff)
	}
}

func TestPlansStable(t *testing.T) {
	ids := func() []string {
		in, signals := detected(t, estate())
		plans, err := remediate.Plans(in, signals)
		if err != nil {
			t.Fatalf("Plans: %v", err)
		}
		var out []string
		for _, p := range plans {
			out = append(out, p.ID)
		}
		return out
	}
	first := ids()
	for range 5 {
		if diff := cmp.Diff(ids(), first); diff != "" {
			t.Fatalf("plan ids differ between runs (-got +want):\n%s", diff)
		}
	}
	want := []string{
		"aws.ec2.revoke_public_ingress@" + sgDB + "#tcp:5000-6000:0.0.0.0/0",
		"aws.ec2.revoke_public_ingress@" + sgWeb + "#tcp:22-22:0.0.0.0/0,::/0",
		"aws.rds.disable_public_access@" + dbID,
		"aws.s3.block_public_access@" + bucket,
		"aws.s3.block_public_access@" + site,
		"aws.ec2.require_imdsv2@" + web1,
		"aws.ec2.require_imdsv2@" + web2,
		"aws.iam.deactivate_unused_key@" + keyID,
		"aws.iam.set_password_policy@" + account,
		"aws.iam.delete_root_access_keys@" + account,
		"aws.iam.enable_user_mfa@" + alice,
		"aws.iam.detach_admin_policy@" + roleID + "#" + admin,
		"aws.iam.rotate_access_key@" + keyID,
		"aws.rds.upgrade_engine@" + dbID,
		"aws.ec2.replace_old_image@" + web1,
		"aws.ec2.replace_old_image@" + web2,
	}
	if diff := cmp.Diff(first, want); diff != "" {
		t.Errorf("plan ids (-got +want):\n%s", diff)
	}
}

func TestCatalogue(t *testing.T) {
	known := make(map[inventory.SignalID]bool)
	for _, d := range features.Catalogue() {
		known[d.ID] = true
	}
	fixes := make(map[string]bool)
	handled := make(map[inventory.SignalID]string)
	for _, f := range remediate.Catalogue() {
		if f.ID == "" || f.Title == "" || f.Plan == nil || len(f.Signals) == 0 || f.Cloud == "" {
			t.Errorf("fix %q is incomplete", f.ID)
		}
		if fixes[f.ID] {
			t.Errorf("fix id %s is not unique", f.ID)
		}
		fixes[f.ID] = true
		for _, s := range f.Signals {
			if !known[s] {
				t.Errorf("fix %s handles %s, which features does not detect", f.ID, s)
			}
			if other, dup := handled[s]; dup {
				t.Errorf("signal %s is handled by %s and %s", s, other, f.ID)
			}
			handled[s] = f.ID
		}
	}
	// The catalogue of signals names the fix that removes each signal; it
	// must be the fix remediate uses for it.
	for _, d := range features.Catalogue() {
		if d.Fix != "" && handled[d.ID] != d.Fix {
			t.Errorf("features says %s is fixed by %q, remediate uses %q", d.ID, d.Fix, handled[d.ID])
		}
	}
}

func TestText(t *testing.T) {
	in, signals := detected(t, estate())
	plans, err := remediate.Plans(in, signals)
	if err != nil {
		t.Fatalf("Plans: %v", err)
	}
	plans[0].RiskBefore, plans[0].RiskAfter = 0.82, 0.31 // as the caller fills them
	var buf bytes.Buffer
	if err := remediate.Text(&buf, plans); err != nil {
		t.Fatalf("Text: %v", err)
	}
	golden(t, "plans.txt", buf.Bytes())

	buf.Reset()
	if err := remediate.Text(&buf, nil); err != nil {
		t.Fatalf("Text: %v", err)
	}
	golden(t, "no_plans.txt", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(got), string(want)); diff != "" {
		t.Errorf("%s (-got +want):\n%s", path, diff)
	}
}

// TestSuppressedSignalsPlanNothing: a signal a mutelist suppressed feeds no
// plan, but a plan that another, unsuppressed signal needs stays — the
// shared security group is one plan for web-1 and web-2.
func TestSuppressedSignalsPlanNothing(t *testing.T) {
	const ssh, imds = inventory.SignalID("ports.admin_port_internet"), inventory.SignalID("passwords.imdsv1_exposed")
	type muted struct {
		resource string
		signal   inventory.SignalID
	}
	for _, tc := range []struct {
		name  string
		muted []muted
		want  map[string]int // plans per resource the calls change, for the resources checked
	}{
		{"nothing suppressed", nil, map[string]int{sgWeb: 1, web1: 2, web2: 2}},
		{"web-1's SSH: web-2 still needs the shared group's plan", []muted{{web1, ssh}}, map[string]int{sgWeb: 1, web1: 2, web2: 2}},
		{"SSH on both: no plan on the group", []muted{{web1, ssh}, {web2, ssh}}, map[string]int{sgWeb: 0, web1: 2, web2: 2}},
		{"web-1's IMDSv1: only web-2's metadata plan", []muted{{web1, imds}}, map[string]int{sgWeb: 1, web1: 1, web2: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, signals := detected(t, estate())
			for _, m := range tc.muted {
				found := false
				for i, s := range signals[m.resource] {
					if s.ID == m.signal {
						signals[m.resource][i].Suppressed = &inventory.Suppression{Rule: "test", Reason: "accepted"}
						found = true
					}
				}
				if !found {
					t.Fatalf("no %s on %s to suppress", m.signal, m.resource)
				}
			}
			plans, err := remediate.Plans(in, signals)
			if err != nil {
				t.Fatalf("Plans: %v", err)
			}
			got := map[string]int{}
			for id := range tc.want {
				got[id] = 0
			}
			for _, p := range plans {
				if _, ok := tc.want[p.Resource]; ok {
					got[p.Resource]++
				}
				for _, m := range tc.muted {
					if p.Signal == m.signal && p.Resource == m.resource {
						t.Errorf("plan %s fixes the suppressed %s on %s", p.ID, m.signal, m.resource)
					}
				}
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("plans per resource (-got +want):\n%s", diff)
			}
		})
	}
}
