package remediate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNativeID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:ec2:us-east-1:111122223333:security-group/sg-0abc", "sg-0abc"},
		{"arn:aws:ec2:us-east-1:111122223333:instance/i-0123", "i-0123"},
		{"arn:aws:rds:eu-west-1:111122223333:db:orders", "orders"},
		{"arn:aws:iam::111122223333:user/ops/alice", "alice"},
		{"arn:aws:iam::111122223333:role/web-role", "web-role"},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"},
		{"arn:aws:s3:::my-bucket", "my-bucket"},
		{"arn:aws:iam::111122223333:user/alice/accesskey/AKIAEXAMPLE", "AKIAEXAMPLE"},
		{"arn:aws:iam::111122223333:user/ops/alice/access-key/AKIAEXAMPLE", "AKIAEXAMPLE"},
		{"sg-0abc", "sg-0abc"},
		{"AKIAEXAMPLE", "AKIAEXAMPLE"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := nativeID(tt.in); got != tt.want {
				t.Errorf("nativeID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRegionOf(t *testing.T) {
	tests := []struct{ id, recorded, want string }{
		{"arn:aws:ec2:us-east-1:1:instance/i-1", "", "us-east-1"},
		{"arn:aws:ec2:us-east-1:1:instance/i-1", "eu-west-1", "eu-west-1"},
		{"arn:aws:iam::1:role/r", "", ""},
		{"i-1", "", ""},
	}
	for _, tt := range tests {
		if got := regionOf(tt.id, tt.recorded); got != tt.want {
			t.Errorf("regionOf(%q, %q) = %q, want %q", tt.id, tt.recorded, got, tt.want)
		}
	}
}

func TestKebab(t *testing.T) {
	tests := []struct{ in, want string }{
		{"RevokeSecurityGroupIngress", "revoke-security-group-ingress"},
		{"ModifyDBInstance", "modify-db-instance"},
		{"DBInstanceIdentifier", "db-instance-identifier"},
		{"HttpTokens", "http-tokens"},
		{"PublicAccessBlockConfiguration", "public-access-block-configuration"},
		{"MaxPasswordAge", "max-password-age"},
		{"Ipv6Ranges", "ipv6-ranges"},
	}
	for _, tt := range tests {
		if got := kebab(tt.in); got != tt.want {
			t.Errorf("kebab(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCLI(t *testing.T) {
	calls := []Call{
		{Service: "rds", Operation: "ModifyDBInstance", Region: "eu-west-1",
			Params: map[string]any{"DBInstanceIdentifier": "orders", "PubliclyAccessible": false, "ApplyImmediately": true}},
		{Service: "s3", Operation: "DeletePublicAccessBlock", Params: map[string]any{"Bucket": "my-bucket"}},
		{Service: "ec2", Operation: "RevokeSecurityGroupIngress", Region: "us-east-1",
			Params: map[string]any{"GroupId": "sg-1", "IpPermissions": []any{map[string]any{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
				"IpRanges": []any{map[string]any{"CidrIp": "0.0.0.0/0", "Description": "bob's"}}}}}},
	}
	want := []string{
		"aws rds modify-db-instance --region eu-west-1 --apply-immediately --db-instance-identifier orders --no-publicly-accessible",
		"aws s3api delete-public-access-block --bucket my-bucket",
		`aws ec2 revoke-security-group-ingress --region us-east-1 --group-id sg-1 --ip-permissions '[{"FromPort":22,"IpProtocol":"tcp","IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"bob'\''s"}],"ToPort":22}]'`,
	}
	if diff := cmp.Diff(CLI(calls), want); diff != "" {
		t.Errorf("CLI (-got +want):\n%s", diff)
	}
}
