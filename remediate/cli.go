package remediate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// cliService maps an API service name to the AWS CLI's command where they
// differ.
var cliService = map[string]string{"s3": "s3api"}

// CLI renders calls as AWS CLI command lines: the operation in kebab case,
// one flag per parameter in name order, booleans as --flag / --no-flag,
// structures and lists as single-quoted JSON, --region when the call has
// one.
func CLI(calls []Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, cliLine(c))
	}
	return out
}

func cliLine(c Call) string {
	svc := c.Service
	if s, ok := cliService[svc]; ok {
		svc = s
	}
	parts := []string{"aws", svc, kebab(c.Operation)}
	if c.Region != "" {
		parts = append(parts, "--region", c.Region)
	}
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		flag := "--" + kebab(k)
		switch v := c.Params[k].(type) {
		case bool:
			if !v {
				flag = "--no-" + kebab(k)
			}
			parts = append(parts, flag)
		case string:
			parts = append(parts, flag, shellQuote(v))
		case int, int32, int64, float64:
			parts = append(parts, flag, fmt.Sprint(v))
		default:
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			parts = append(parts, flag, shellQuote(string(b)))
		}
	}
	return strings.Join(parts, " ")
}

// kebab turns an API name into its CLI form: "RevokeSecurityGroupIngress"
// -> "revoke-security-group-ingress", "DBInstanceIdentifier" ->
// "db-instance-identifier", "HttpTokens" -> "http-tokens".
func kebab(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./:=@,+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
