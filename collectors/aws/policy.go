package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

// parsePolicy parses an AWS policy document (identity, trust or resource
// policy) into the normalized form. text is the document as the API gave
// it: raw JSON (S3 GetBucketPolicy) or URL-encoded JSON (IAM, RFC 3986).
// name identifies the policy in errors (its ARN or resource id); errors
// carry the byte offset in the decoded JSON where the problem lies.
//
// Normalization: Statement, Action, Resource and principal values may be a
// single value or an array; principals become "*", "AWS:<arn>",
// "Service:<name>", "Federated:<provider>", "CanonicalUser:<id>" (an
// {"AWS": "*"} principal is "*", a bare account id is its root ARN);
// conditions keep their values, one inventory.Condition per operator and
// key, sorted.
func parsePolicy(name, text string) (*inventory.PolicyDocument, error) {
	doc, err := decodePolicyText(text)
	if err != nil {
		return nil, fmt.Errorf("parse policy %s: %w", name, err)
	}
	out, err := parsePolicyJSON(doc, partitionOfARN(name))
	if err != nil {
		var pe *policyError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("parse policy %s: at offset %d: %s", name, pe.Offset, pe.Msg)
		}
		return nil, fmt.Errorf("parse policy %s: %w", name, err)
	}
	return out, nil
}

// decodePolicyText undoes IAM's URL encoding. Text that already starts as
// a JSON object is taken as it is, so raw documents with '%' in them
// survive.
func decodePolicyText(text string) ([]byte, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, errors.New("empty document")
	}
	if t[0] == '{' {
		return []byte(t), nil
	}
	// RFC 3986 encoding: '+' is a literal plus, not a space.
	d, err := url.PathUnescape(t)
	if err != nil {
		return nil, fmt.Errorf("url-decode document: %w", err)
	}
	return []byte(strings.TrimSpace(d)), nil
}

// policyError is a problem at a byte offset of the document.
type policyError struct {
	Offset int64
	Msg    string
}

func (e *policyError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

func errAt(off int64, format string, args ...any) error {
	return &policyError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// parsePolicyJSON parses a decoded document of the given partition ("aws",
// "aws-us-gov", "aws-cn"), which bare account-id principals are read in.
func parsePolicyJSON(doc []byte, partition string) (*inventory.PolicyDocument, error) {
	if err := checkSyntax(doc); err != nil {
		return nil, err
	}
	top, err := jsonObject(doc, 0, "policy document")
	if err != nil {
		return nil, err
	}
	out := &inventory.PolicyDocument{Statements: []inventory.Statement{}}
	var stmts *jsonValue
	for _, m := range top {
		switch m.Key {
		case "Version":
			if out.Version, err = jsonString(m.jsonValue, "Version"); err != nil {
				return nil, err
			}
		case "Id":
			if _, err = jsonString(m.jsonValue, "Id"); err != nil {
				return nil, err
			}
		case "Statement":
			stmts = &m.jsonValue
		default:
			return nil, errAt(m.KeyOffset, "unknown policy element %q", m.Key)
		}
	}
	if stmts == nil {
		return nil, errAt(0, "policy has no Statement")
	}
	var elems []jsonValue
	switch stmts.first() {
	case '{':
		elems = []jsonValue{*stmts}
	case '[':
		if elems, err = jsonArray(*stmts); err != nil {
			return nil, err
		}
	default:
		return nil, errAt(stmts.Offset, "Statement must be an object or an array of objects")
	}
	for i, e := range elems {
		s, err := parseStatement(e, i, partition)
		if err != nil {
			return nil, err
		}
		out.Statements = append(out.Statements, s)
	}
	return out, nil
}

// checkSyntax reports the first JSON syntax error with its offset, and
// anything after the document.
func checkSyntax(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the offending one included.
			return errAt(max(se.Offset-1, 0), "%v", se)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return errAt(int64(len(doc)), "unexpected end of document")
		}
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		rest := doc[end:]
		return errAt(end+int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n"))), "unexpected data after the document")
	}
	return nil
}

func parseStatement(v jsonValue, i int, partition string) (inventory.Statement, error) {
	var s inventory.Statement
	members, err := jsonObject(v.Raw, v.Offset, fmt.Sprintf("statement %d", i))
	if err != nil {
		return s, err
	}
	seen := map[string]bool{}
	for _, m := range members {
		seen[m.Key] = true
		var err error
		switch m.Key {
		case "Sid":
			s.Sid, err = jsonString(m.jsonValue, "Sid")
		case "Effect":
			var eff string
			if eff, err = jsonString(m.jsonValue, "Effect"); err == nil {
				switch eff {
				case "Allow":
					s.Effect = inventory.Allow
				case "Deny":
					s.Effect = inventory.Deny
				default:
					err = errAt(m.Offset, "statement %d: Effect %q is neither Allow nor Deny", i, eff)
				}
			}
		case "Action":
			s.Actions, err = stringOrList(m.jsonValue, "Action")
		case "NotAction":
			s.NotActions, err = stringOrList(m.jsonValue, "NotAction")
		case "Resource":
			s.Resources, err = stringOrList(m.jsonValue, "Resource")
		case "NotResource":
			s.NotResources, err = stringOrList(m.jsonValue, "NotResource")
		case "Principal":
			s.Principals, err = principals(m.jsonValue, "Principal", partition)
		case "NotPrincipal":
			s.NotPrincipals, err = principals(m.jsonValue, "NotPrincipal", partition)
		case "Condition":
			s.Conditions, err = conditions(m.jsonValue)
		default:
			err = errAt(m.KeyOffset, "statement %d: unknown element %q", i, m.Key)
		}
		if err != nil {
			var pe *policyError
			if errors.As(err, &pe) && !strings.HasPrefix(pe.Msg, "statement ") {
				pe.Msg = fmt.Sprintf("statement %d: %s", i, pe.Msg)
			}
			return s, err
		}
	}
	switch {
	case !seen["Effect"]:
		return s, errAt(v.Offset, "statement %d has no Effect", i)
	case seen["Action"] == seen["NotAction"]:
		return s, errAt(v.Offset, "statement %d must have exactly one of Action and NotAction", i)
	case seen["Resource"] && seen["NotResource"]:
		return s, errAt(v.Offset, "statement %d has both Resource and NotResource", i)
	case seen["Principal"] && seen["NotPrincipal"]:
		return s, errAt(v.Offset, "statement %d has both Principal and NotPrincipal", i)
	}
	return s, nil
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// principals normalizes a Principal or NotPrincipal element.
func principals(v jsonValue, field, partition string) ([]string, error) {
	if v.first() == '"' {
		s, err := jsonString(v, field)
		if err != nil {
			return nil, err
		}
		if s != "*" {
			return nil, errAt(v.Offset, "%s must be \"*\" or an object, not %q", field, s)
		}
		return []string{"*"}, nil
	}
	members, err := jsonObject(v.Raw, v.Offset, field)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range members {
		switch m.Key {
		case "AWS", "Service", "Federated", "CanonicalUser":
		default:
			return nil, errAt(m.KeyOffset, "unknown %s type %q", field, m.Key)
		}
		values, err := stringOrList(m.jsonValue, field+"."+m.Key)
		if err != nil {
			return nil, err
		}
		for _, p := range values {
			switch {
			case m.Key == "AWS" && p == "*":
				out = append(out, "*")
			case m.Key == "AWS" && accountID.MatchString(p):
				out = append(out, "AWS:arn:"+partition+":iam::"+p+":root")
			default:
				out = append(out, m.Key+":"+p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// conditions reads {"Operator": {"key": value or [values]}} into one
// Condition per operator and key, sorted by operator then key. Values may
// be strings, booleans or numbers (IAM accepts all three) and are kept as
// their text; an operator and key given twice have their values merged.
func conditions(v jsonValue) ([]inventory.Condition, error) {
	ops, err := jsonObject(v.Raw, v.Offset, "Condition")
	if err != nil {
		return nil, err
	}
	var out []inventory.Condition
	for _, op := range ops {
		keys, err := jsonObject(op.Raw, op.Offset, "Condition operator "+op.Key)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			values, err := conditionValues(k.jsonValue, "Condition "+op.Key+" "+k.Key)
			if err != nil {
				return nil, err
			}
			out = append(out, inventory.Condition{Operator: op.Key, Key: k.Key, Values: values})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(out, func(a, b inventory.Condition) int {
		if c := strings.Compare(a.Operator, b.Operator); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	merged := out[:1]
	for _, c := range out[1:] {
		last := &merged[len(merged)-1]
		if c.Operator == last.Operator && c.Key == last.Key {
			last.Values = append(last.Values, c.Values...)
			continue
		}
		merged = append(merged, c)
	}
	for i := range merged {
		slices.Sort(merged[i].Values)
		merged[i].Values = slices.Compact(merged[i].Values)
	}
	return merged, nil
}

// conditionValues reads a condition value: a string, boolean or number, or
// an array of them.
func conditionValues(v jsonValue, field string) ([]string, error) {
	scalar := func(e jsonValue) (string, error) {
		switch c := e.first(); {
		case c == '"':
			return jsonString(e, field)
		case c == 't' || c == 'f' || c == '-' || (c >= '0' && c <= '9'):
			return string(e.Raw), nil // JSON literal text: true, false, 10, 1.5
		}
		return "", errAt(e.Offset, "%s must be a string, boolean or number, or an array of them", field)
	}
	if v.first() != '[' {
		s, err := scalar(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
	elems, err := jsonArray(v)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, err := scalar(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// jsonValue is a raw JSON value with its offset in the document.
type jsonValue struct {
	Raw    json.RawMessage
	Offset int64
}

func (v jsonValue) first() byte {
	if len(v.Raw) == 0 {
		return 0
	}
	return v.Raw[0]
}

// jsonMember is one member of an object.
type jsonMember struct {
	Key       string
	KeyOffset int64
	jsonValue
}

// jsonObject splits an object into its members, in document order, with
// absolute offsets (base is the offset of data in the document). The
// document is known to be valid JSON.
func jsonObject(data []byte, base int64, what string) ([]jsonMember, error) {
	if len(data) == 0 || data[0] != '{' {
		return nil, errAt(base, "%s must be an object", what)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, errAt(base, "%s: %v", what, err)
	}
	var out []jsonMember
	for dec.More() {
		keyEnd := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, errAt(base+dec.InputOffset(), "%s: %v", what, err)
		}
		key, _ := tok.(string)
		// The key starts after the separator before it.
		keyOff := base + keyEnd + int64(bytes.IndexByte(data[keyEnd:], '"'))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errAt(base+dec.InputOffset(), "%s: %v", what, err)
		}
		out = append(out, jsonMember{Key: key, KeyOffset: keyOff,
			jsonValue: jsonValue{Raw: raw, Offset: base + dec.InputOffset() - int64(len(raw))}})
	}
	return out, nil
}

// jsonArray splits an array into its elements with absolute offsets.
func jsonArray(v jsonValue) ([]jsonValue, error) {
	dec := json.NewDecoder(bytes.NewReader(v.Raw))
	if _, err := dec.Token(); err != nil {
		return nil, errAt(v.Offset, "%v", err)
	}
	var out []jsonValue
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errAt(v.Offset+dec.InputOffset(), "%v", err)
		}
		out = append(out, jsonValue{Raw: raw, Offset: v.Offset + dec.InputOffset() - int64(len(raw))})
	}
	return out, nil
}

func jsonString(v jsonValue, field string) (string, error) {
	var s string
	if v.first() != '"' || json.Unmarshal(v.Raw, &s) != nil {
		return "", errAt(v.Offset, "%s must be a string", field)
	}
	return s, nil
}

// stringOrList reads a string or an array of strings.
func stringOrList(v jsonValue, field string) ([]string, error) {
	switch v.first() {
	case '"':
		s, err := jsonString(v, field)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		elems, err := jsonArray(v)
		if err != nil {
			return nil, err
		}
		out := make([]string, 0, len(elems))
		for _, e := range elems {
			s, err := jsonString(e, field)
			if err != nil {
				return nil, errAt(e.Offset, "%s must be a string or an array of strings", field)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, errAt(v.Offset, "%s must be a string or an array of strings", field)
	}
}

// partitionOfARN is the partition of an ARN ("aws", "aws-us-gov",
// "aws-cn"), "aws" when id is not an ARN.
func partitionOfARN(id string) string {
	if parts := strings.SplitN(id, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}
