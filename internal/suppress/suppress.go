// Package suppress reads a mutelist — a YAML file of rules that accept
// known signals — and marks the signals it matches as suppressed. A
// suppressed signal stays in every report, marked with its rule and reason,
// but no longer raises a resource's risk and never feeds a fix.
//
//	rules:
//	  - name: bastion-ssh                  # optional; shown in reports
//	    signal: ports.admin_port_internet  # a signal id, or /regex/
//	    resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0bastion  # an id, or /regex/
//	    account: "111122223333"            # or /regex/
//	    region: us-east-1                  # or /regex/
//	    tags: {role: bastion}              # every tag must match; values may be /regex/
//	    reason: SSH is the bastion's job; the host allows keys only  # required
//	    expires: 2026-12-31                # optional: stops applying at 00:00 UTC that day
//	    unknown: true                      # optional: also suppress the signal when it could not be checked
//
// Rules are OR'ed, the fields of a rule AND'ed. A field left out matches
// anything, but a rule must have at least one of signal, resource, account,
// region and tags. A value written /…/ is a Go (RE2) regular expression that
// must match the whole value; anything else must be equal.
//
// An Unknown signal (a fact that could not be read) is suppressed only by a
// rule that says unknown: true: accepting "the bastion's SSH is open" does
// not accept "the bastion's security group could not be read". A rule
// without signal that selects by tags, account or region suppresses every
// signal there, critical ones included; it is allowed, and Warnings names
// it.
package suppress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/posture-dev/posture/internal/inventory"
)

// List is a parsed mutelist.
type List struct {
	Path  string // the file it was read from, for messages
	Rules []Rule
}

// Rule is one entry of the mutelist.
type Rule struct {
	Index    int // 1-based position in the file
	Line     int // where the rule starts in the file, 0 when unknown
	Name     string
	Signal   Pattern
	Resource Pattern
	Account  Pattern
	Region   Pattern
	Tags     map[string]Pattern
	Reason   string
	// Expires is when the rule stops applying; zero means never. A date
	// without a time is 00:00 UTC of that day.
	Expires time.Time
	// Unknown lets the rule suppress Unknown signals too (unknown: true).
	Unknown bool
}

// Pattern matches a value exactly, or by a whole-value regular expression
// when it was written /…/. The zero Pattern matches anything.
type Pattern struct {
	Text string         // as written, "" when the field was left out
	re   *regexp.Regexp // set when Text is /…/
}

// Set reports whether the field was given.
func (p Pattern) Set() bool { return p.Text != "" }

// Match reports whether v matches; an unset pattern matches anything.
func (p Pattern) Match(v string) bool {
	switch {
	case p.Text == "":
		return true
	case p.re != nil:
		return p.re.MatchString(v)
	default:
		return p.Text == v
	}
}

// Target is what a rule is matched against: one signal and the resource it
// sits on.
type Target struct {
	Signal   inventory.SignalID
	Resource string
	Account  string
	Region   string
	Tags     map[string]string
	// Unresolved is set when the resource is not in the snapshot: its
	// account, region and tags are unknown, so no rule that asks for them
	// matches.
	Unresolved bool
	// Unknown is set when the signal could not be checked
	// (inventory.Signal.Unknown); only a rule with Unknown matches it.
	Unknown bool
}

// Label names the rule in messages and reports: its name, or "rule N".
func (r Rule) Label() string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("rule %d", r.Index)
}

// Live reports whether the rule applies at now.
func (r Rule) Live(now time.Time) bool {
	return r.Expires.IsZero() || now.Before(r.Expires)
}

// Matches reports whether every field the rule gives matches t, and, for
// an Unknown target, whether the rule opts in to unknown signals. Expiry is
// not considered; see Live.
func (r Rule) Matches(t Target) bool {
	if t.Unknown && !r.Unknown {
		return false
	}
	if !r.Signal.Match(string(t.Signal)) || !r.Resource.Match(t.Resource) ||
		!r.Account.Match(t.Account) || !r.Region.Match(t.Region) {
		return false
	}
	if t.Unresolved && (r.Account.Set() || r.Region.Set() || len(r.Tags) > 0) {
		return false
	}
	for k, p := range r.Tags {
		v, ok := t.Tags[k]
		if !ok || !p.Match(v) {
			return false
		}
	}
	return true
}

// Suppression is what a signal the rule matches carries.
func (r Rule) Suppression() *inventory.Suppression {
	return &inventory.Suppression{Rule: r.Label(), Reason: r.Reason, Expires: r.Expires}
}

// Match returns the first rule live at now that matches t, or nil.
func (l *List) Match(t Target, now time.Time) *Rule {
	if l == nil {
		return nil
	}
	for i := range l.Rules {
		if r := &l.Rules[i]; r.Live(now) && r.Matches(t) {
			return r
		}
	}
	return nil
}

// Expired returns the rules that no longer apply at now, in file order.
func (l *List) Expired(now time.Time) []Rule {
	if l == nil {
		return nil
	}
	var out []Rule
	for _, r := range l.Rules {
		if !r.Live(now) {
			out = append(out, r)
		}
	}
	return out
}

// Applied counts the signals Apply marked, per rule, in List.Rules order.
type Applied []int

// Total is how many signals were marked in all.
func (a Applied) Total() int {
	n := 0
	for _, c := range a {
		n += c
	}
	return n
}

// Apply marks, in place, every signal of sigs (by resource id, as
// features.Detect returns them) that a rule live at now matches, and returns
// how many each rule marked (a signal counts for the first rule that
// matches it). resource looks up the resource a signal sits on, for its
// account, region and tags; when it returns nil, only rules that ask for
// none of those can match (an unknown resource is never assumed to match).
// An Unknown signal is marked only by a rule with Unknown set.
func (l *List) Apply(sigs map[string][]inventory.Signal, resource func(id string) *inventory.Resource, now time.Time) Applied {
	if l == nil || len(l.Rules) == 0 {
		return nil
	}
	n := make(Applied, len(l.Rules))
	for rid, ss := range sigs {
		for i := range ss {
			s := &ss[i]
			id := s.Resource
			if id == "" {
				id = rid
			}
			t := Target{Signal: s.ID, Resource: id, Unknown: s.Unknown}
			if r := resource(id); r != nil {
				t.Account, t.Region, t.Tags = r.Account, r.Region, r.Tags
			} else {
				t.Unresolved = true
			}
			if r := l.Match(t, now); r != nil {
				s.Suppressed = r.Suppression()
				n[r.Index-1]++
			}
		}
	}
	return n
}

// Warnings returns, in file order, one message per rule that has no signal
// but selects by tags, account or region: such a rule suppresses every
// signal there, critical ones included, and anyone who may tag a resource
// can bring it under a tags rule. They are allowed; the caller shows the
// messages (the CLI prints them on stderr).
func (l *List) Warnings() []string {
	if l == nil {
		return nil
	}
	var out []string
	for _, r := range l.Rules {
		if r.Signal.Set() || (len(r.Tags) == 0 && !r.Account.Set() && !r.Region.Set()) {
			continue
		}
		var scope []string
		if r.Resource.Set() {
			scope = append(scope, "resource "+r.Resource.Text)
		}
		if r.Account.Set() {
			scope = append(scope, "account "+r.Account.Text)
		}
		if r.Region.Set() {
			scope = append(scope, "region "+r.Region.Text)
		}
		if len(r.Tags) > 0 {
			keys := make([]string, 0, len(r.Tags))
			for k := range r.Tags {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			tags := make([]string, len(keys))
			for i, k := range keys {
				tags[i] = k + "=" + r.Tags[k].Text
			}
			scope = append(scope, "tags "+strings.Join(tags, ","))
		}
		msg := fmt.Sprintf("suppresses every signal of %s, critical ones included", strings.Join(scope, ", "))
		if len(r.Tags) > 0 {
			msg += "; anyone who can tag a resource can mute its findings"
		}
		msg += "; add signal: to name what it accepts"
		w := fmt.Sprintf("rule %d", r.Index)
		if r.Name != "" {
			w += fmt.Sprintf(" (%s)", r.Name)
		}
		if r.Line > 0 {
			w += fmt.Sprintf(" (line %d)", r.Line)
		}
		out = append(out, fmt.Sprintf("mutelist %s: %s %s", l.Path, w, msg))
	}
	return out
}

// CheckSignals returns an error naming every rule whose signal is an exact
// id that known does not know: a typo would otherwise suppress nothing,
// silently.
func (l *List) CheckSignals(known func(inventory.SignalID) bool) error {
	if l == nil {
		return nil
	}
	var errs []error
	for _, r := range l.Rules {
		if r.Signal.Set() && r.Signal.re == nil && !known(inventory.SignalID(r.Signal.Text)) {
			errs = append(errs, l.errorf(r.Index, r.Line, "signal %q is not a known signal id", r.Signal.Text))
		}
	}
	return errors.Join(errs...)
}

// Load reads and parses the mutelist at path.
func Load(path string) (*List, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mutelist %s: %w", path, err)
	}
	return Parse(path, b)
}

// ruleKeys are the keys a rule may have, in the order errors list them.
var ruleKeys = []string{"name", "signal", "resource", "account", "region", "tags", "reason", "expires", "unknown"}

// Parse parses a mutelist; path only names it in errors. Every problem is
// reported, each naming the file, the rule's position and its line.
func Parse(path string, b []byte) (*List, error) {
	l := &List{Path: path}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return l, nil // an empty file suppresses nothing
		}
		return nil, fmt.Errorf("mutelist %s: %w", path, err)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("mutelist %s: line %d: want a mapping with a \"rules\" list", path, root.Line)
	}
	var rules *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "rules" {
			return nil, fmt.Errorf("mutelist %s: line %d: unknown key %q; want \"rules\"", path, k.Line, k.Value)
		}
		rules = v
	}
	if rules == nil || rules.Tag == "!!null" {
		return l, nil
	}
	if rules.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("mutelist %s: line %d: rules must be a list", path, rules.Line)
	}
	var errs []error
	for i, n := range rules.Content {
		r, err := l.parseRule(i+1, n)
		if err != nil {
			errs = append(errs, err...)
			continue
		}
		l.Rules = append(l.Rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

func (l *List) errorf(index, line int, format string, args ...any) error {
	where := fmt.Sprintf("rule %d", index)
	if line > 0 {
		where += fmt.Sprintf(" (line %d)", line)
	}
	return fmt.Errorf("mutelist %s: %s: %s", l.Path, where, fmt.Sprintf(format, args...))
}

func (l *List) parseRule(index int, n *yaml.Node) (Rule, []error) {
	r := Rule{Index: index, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return r, []error{l.errorf(index, n.Line, "a rule must be a mapping of %s", strings.Join(ruleKeys, ", "))}
	}
	var errs []error
	bad := func(line int, format string, args ...any) {
		errs = append(errs, l.errorf(index, line, format, args...))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !slices.Contains(ruleKeys, key) {
			bad(k.Line, "unknown key %q; want one of %s", key, strings.Join(ruleKeys, ", "))
			continue
		}
		if seen[key] {
			bad(k.Line, "%s given twice", key)
			continue
		}
		seen[key] = true
		if key == "tags" {
			r.Tags = l.parseTags(v, bad)
			continue
		}
		if key == "unknown" {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&r.Unknown) != nil {
				bad(v.Line, "unknown must be true or false")
			}
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
			bad(v.Line, "%s must be a non-empty value (leave the key out to match anything)", key)
			continue
		}
		val := v.Value
		switch key {
		case "name":
			r.Name = val
		case "reason":
			r.Reason = strings.TrimSpace(val)
		case "expires":
			t, err := parseExpiry(val)
			if err != nil {
				bad(v.Line, "%v", err)
			}
			r.Expires = t
		default:
			p, err := compile(val)
			if err != nil {
				bad(v.Line, "%s: %v", key, err)
				continue
			}
			switch key {
			case "signal":
				r.Signal = p
			case "resource":
				r.Resource = p
			case "account":
				r.Account = p
			case "region":
				r.Region = p
			}
		}
	}
	if r.Reason == "" && !seen["reason"] {
		bad(n.Line, "reason is required: say why the signal is accepted")
	}
	if !seen["signal"] && !seen["resource"] && !seen["account"] && !seen["region"] && !seen["tags"] {
		bad(n.Line, "a rule needs at least one of signal, resource, account, region or tags")
	}
	return r, errs
}

func (l *List) parseTags(v *yaml.Node, bad func(int, string, ...any)) map[string]Pattern {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		bad(v.Line, "tags must be a non-empty mapping of tag key to value")
		return nil
	}
	out := make(map[string]Pattern, len(v.Content)/2)
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, tv := v.Content[i], v.Content[i+1]
		if _, dup := out[k.Value]; dup {
			bad(k.Line, "tag %q given twice", k.Value)
			continue
		}
		if tv.Kind != yaml.ScalarNode {
			bad(tv.Line, "tag %q must have a single value", k.Value)
			continue
		}
		if tv.Tag == "!!null" {
			out[k.Value] = Pattern{re: regexp.MustCompile(`^$`), Text: "//"}
			continue
		}
		p, err := compile(tv.Value)
		if err != nil {
			bad(tv.Line, "tag %q: %v", k.Value, err)
			continue
		}
		if !p.Set() { // tag present with an empty value
			p = Pattern{re: regexp.MustCompile(`^$`), Text: "//"}
		}
		out[k.Value] = p
	}
	return out
}

// compile turns a written value into a Pattern: /…/ is a regular
// expression anchored to the whole value.
func compile(s string) (Pattern, error) {
	if len(s) < 2 || s[0] != '/' || s[len(s)-1] != '/' {
		return Pattern{Text: s}, nil
	}
	expr := s[1 : len(s)-1]
	if expr == "" {
		return Pattern{}, errors.New("empty regular expression //")
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return Pattern{}, fmt.Errorf("regular expression %s: %w", s, err)
	}
	return Pattern{Text: s, re: re}, nil
}

// parseExpiry reads a date (2006-01-02, 00:00 UTC) or an RFC 3339 time.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expires %q: want a date (2006-01-02) or an RFC 3339 time", s)
	}
	return t.UTC(), nil
}
