package aws

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

// iamEncode encodes a document the way IAM returns it (RFC 3986).
func iamEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *inventory.PolicyDocument
	}{
		{
			name: "single statement object, strings",
			text: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
			want: &inventory.PolicyDocument{Version: "2012-10-17", Statements: []inventory.Statement{
				{Effect: inventory.Allow, Actions: []string{"*"}, Resources: []string{"*"}}}},
		},
		{
			name: "statement array, lists, sid, not-action and not-resource",
			text: `{"Version":"2012-10-17","Id":"x","Statement":[
				{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*"]},
				{"Effect":"Deny","NotAction":"iam:*","NotResource":["arn:aws:iam::*:role/x","*"]}]}`,
			want: &inventory.PolicyDocument{Version: "2012-10-17", Statements: []inventory.Statement{
				{Sid: "A", Effect: inventory.Allow, Actions: []string{"s3:GetObject", "s3:PutObject"}, Resources: []string{"arn:aws:s3:::b/*"}},
				{Effect: inventory.Deny, NotActions: []string{"iam:*"}, NotResources: []string{"arn:aws:iam::*:role/x", "*"}}}},
		},
		{
			name: "principal star",
			text: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{
				{Effect: inventory.Allow, Principals: []string{"*"}, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"}}}},
		},
		{
			name: "principal kinds, AWS star and account id normalised, sorted",
			text: `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{
				"Service":["ec2.amazonaws.com","lambda.amazonaws.com"],
				"AWS":["arn:aws:iam::999988887777:role/r","123456789012","*"],
				"Federated":"cognito-identity.amazonaws.com",
				"CanonicalUser":"79a59df900b949e55d96a1e698fbace"}}}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Allow, Actions: []string{"sts:AssumeRole"},
				Principals: []string{"*", "AWS:arn:aws:iam::123456789012:root", "AWS:arn:aws:iam::999988887777:role/r",
					"CanonicalUser:79a59df900b949e55d96a1e698fbace", "Federated:cognito-identity.amazonaws.com",
					"Service:ec2.amazonaws.com", "Service:lambda.amazonaws.com"}}}},
		},
		{
			name: "not-principal",
			text: `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Deny,
				NotPrincipals: []string{"AWS:arn:aws:iam::111122223333:root"}, Actions: []string{"s3:*"}, Resources: []string{"*"}}}},
		},
		{
			name: "conditions keep their values, sorted by operator and key",
			text: `{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"sts:AssumeRole",
				"Condition":{"StringEquals":{"sts:ExternalId":"x","aws:PrincipalOrgID":["o-2","o-1"]},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Allow,
				Principals: []string{"AWS:arn:aws:iam::999988887777:root"}, Actions: []string{"sts:AssumeRole"},
				Conditions: []inventory.Condition{
					{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
					{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-1", "o-2"}},
					{Operator: "StringEquals", Key: "sts:ExternalId", Values: []string{"x"}},
				}}}},
		},
		{
			name: "condition values of every JSON type, a repeated operator merged, wildcards kept",
			text: `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
				"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10},
				"IpAddress":{"aws:SourceIp":["0.0.0.0/0","203.0.113.0/24"]},"StringLike":{"aws:PrincipalOrgID":"*"},
				"Null":{"aws:SourceVpce":"false"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{{Effect: inventory.Allow,
				Principals: []string{"*"}, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/*"},
				Conditions: []inventory.Condition{
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
					{Operator: "IpAddress", Key: "aws:SourceIp", Values: []string{"0.0.0.0/0", "203.0.113.0/24"}},
					{Operator: "Null", Key: "aws:SourceVpce", Values: []string{"false"}},
					{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
					{Operator: "StringLike", Key: "aws:PrincipalOrgID", Values: []string{"*"}},
				}}}},
		},
		{
			name: "url-encoded as IAM returns it, with a literal plus and a percent",
			text: iamEncode(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a+b%c d"}]}`),
			want: &inventory.PolicyDocument{Version: "2012-10-17", Statements: []inventory.Statement{
				{Effect: inventory.Allow, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/a+b%c d"}}}},
		},
		{
			name: "raw JSON holding a percent sign is not url-decoded",
			text: ` {"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/100%25"}}`,
			want: &inventory.PolicyDocument{Statements: []inventory.Statement{
				{Effect: inventory.Allow, Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/100%25"}}}},
		},
		{
			name: "empty statement list",
			text: `{"Version":"2012-10-17","Statement":[]}`,
			want: &inventory.PolicyDocument{Version: "2012-10-17", Statements: []inventory.Statement{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePolicy("arn:aws:iam::111122223333:policy/p", tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePolicy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyMalformed(t *testing.T) {
	const name = "arn:aws:iam::111122223333:policy/broken"
	tests := []struct {
		name string
		text string
		want string // the error, after "parse policy <name>: "
	}{
		{"empty", "  ", "empty document"},
		{"syntax error", `{"Statement":[{"Effect":"Allow",}]}`, "at offset 32: invalid character '}' looking for beginning of object key string"},
		{"truncated", `{"Statement":[{"Effect":"Allow"`, "at offset 31: unexpected end of document"},
		{"url-encoded syntax error", iamEncode(`{"Statement": [{"Effect": }]}`), "at offset 26: invalid character '}' looking for beginning of value"},
		{"bad url encoding", "%7B%ZZ", "url-decode document: invalid URL escape \"%ZZ\""},
		{"trailing data", `{"Statement":[]} {}`, "at offset 17: unexpected data after the document"},
		{"not an object", `["Allow"]`, "at offset 0: policy document must be an object"},
		{"no statement", `{"Version":"2012-10-17"}`, "at offset 0: policy has no Statement"},
		{"unknown top-level element", `{"Version":"2012-10-17","Statment":[]}`, "at offset 24: unknown policy element \"Statment\""},
		{"version not a string", `{"Version":2012,"Statement":[]}`, "at offset 11: Version must be a string"},
		{"statement a string", `{"Statement":"Allow"}`, "at offset 13: Statement must be an object or an array of objects"},
		{"statement element not an object", `{"Statement":[1]}`, "at offset 14: statement 0 must be an object"},
		{"action a number", `{"Statement":[{"Effect":"Allow","Action":"*"},{"Effect":"Allow","Action":7}]}`, "at offset 73: statement 1: Action must be a string or an array of strings"},
		{"resource list with a number", `{"Statement":{"Effect":"Allow","Action":"*","Resource":["a",2]}}`, "at offset 60: statement 0: Resource must be a string or an array of strings"},
		{"bad effect", `{"Statement":{"Effect":"Permit","Action":"*"}}`, "at offset 23: statement 0: Effect \"Permit\" is neither Allow nor Deny"},
		{"no effect", `{"Statement":{"Action":"*"}}`, "at offset 13: statement 0 has no Effect"},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`, "at offset 13: statement 0 must have exactly one of Action and NotAction"},
		{"action and not-action", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"*"}}`, "at offset 13: statement 0 must have exactly one of Action and NotAction"},
		{"unknown statement element", `{"Statement":{"Effect":"Allow","Action":"*","Actions":"*"}}`, "at offset 44: statement 0: unknown element \"Actions\""},
		{"principal a bare arn", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"arn:aws:iam::1:root"}}`, "at offset 56: statement 0: Principal must be \"*\" or an object, not \"arn:aws:iam::1:root\""},
		{"unknown principal type", `{"Statement":{"Effect":"Allow","Action":"*","Principal":{"User":"x"}}}`, "at offset 57: statement 0: unknown Principal type \"User\""},
		{"condition not an object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":"x"}}}`, "at offset 72: statement 0: Condition operator StringEquals must be an object"},
		{"condition value null", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":null}}}}`, "at offset 77: statement 0: Condition StringEquals k must be a string, boolean or number, or an array of them"},
		{"condition value an object", `{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":["a",{}]}}}}`, "at offset 82: statement 0: Condition StringEquals k must be a string, boolean or number, or an array of them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePolicy(name, tt.text)
			if err == nil {
				t.Fatalf("parsePolicy = %+v, want an error", got)
			}
			if diff := cmp.Diff("parse policy "+name+": "+tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyPartition(t *testing.T) {
	text := `{"Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`
	for _, tt := range []struct{ name, want string }{
		{"arn:aws-us-gov:iam::111122223333:role/r", "AWS:arn:aws-us-gov:iam::123456789012:root"},
		{"arn:aws-cn:s3:::bucket", "AWS:arn:aws-cn:iam::123456789012:root"},
		{"arn:aws:iam::111122223333:role/r", "AWS:arn:aws:iam::123456789012:root"},
	} {
		doc, err := parsePolicy(tt.name, text)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Statements[0].Principals; len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: principals %v, want %s", tt.name, got, tt.want)
		}
	}
}
