package inventory

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

func TestInternetWide(t *testing.T) {
	tests := []struct {
		src     string
		wide    bool
		breadth int
	}{
		{"0.0.0.0/0", true, 0},
		{"::/0", true, 0},
		{"*", true, 0},
		{"Internet", true, 0},
		{"any", true, 0},
		{"0.0.0.0/1", true, 1},
		{"128.0.0.0/1", true, 1},
		{"::/1", true, 1},
		{"2000::/3", true, 3},
		{"3.0.0.0/8", true, 8},
		{"3.1.2.3/8", true, 8},
		{"172.0.0.0/8", true, 8},
		{"10.0.0.0/8", false, 0},
		{"127.0.0.0/8", false, 0},
		{"0.0.0.0/8", false, 0},
		{"224.0.0.0/4", false, 0},
		{"fc00::/7", false, 0},
		{"3.0.0.0/9", false, 0},
		{"203.0.113.0/24", false, 0},
		{"pl-12345678", false, 0},
		{"sg-1", false, 0},
		{"", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			wide, breadth := InternetWide(tt.src)
			if wide != tt.wide || breadth != tt.breadth {
				t.Errorf("InternetWide(%q) = %t, %d, want %t, %d", tt.src, wide, breadth, tt.wide, tt.breadth)
			}
		})
	}
}

func TestNormalizeProtocol(t *testing.T) {
	tests := map[string]string{
		"-1": "all", "*": "all", "Any": "all", "ALL": "all", "": "all",
		"6": "tcp", "TCP": "tcp", "17": "udp", "udp": "udp",
		"1": "icmp", "icmp": "icmp", "58": "icmpv6", "icmpv6": "icmpv6",
		"50": "50", "GRE": "gre",
	}
	for in, want := range tests {
		if got := NormalizeProtocol(in); got != want {
			t.Errorf("NormalizeProtocol(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUniqueSorted(t *testing.T) {
	in := []string{"b", "", "a", "b"}
	got := UniqueSorted(in)
	if want := []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("UniqueSorted = %q, want %q", got, want)
	}
	if want := []string{"b", "", "a", "b"}; !slices.Equal(in, want) {
		t.Errorf("UniqueSorted changed its input to %q, want %q", in, want)
	}
	if got := UniqueSorted([]string{""}); got != nil {
		t.Errorf("UniqueSorted([\"\"]) = %q, want nil", got)
	}
}

func TestConditionString(t *testing.T) {
	c := Condition{Operator: "StringEquals", Key: "aws:SourceVpce", Values: []string{"vpce-1", "vpce-2"}}
	if got, want := c.String(), `StringEquals aws:SourceVpce ["vpce-1" "vpce-2"]`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestConditionJSON(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Condition
	}{
		{"as written now", `[{"operator":"StringEquals","key":"aws:SourceVpce","values":["vpce-1"]}]`,
			[]Condition{{Operator: "StringEquals", Key: "aws:SourceVpce", Values: []string{"vpce-1"}}}},
		{"legacy string form, without values", `["StringEquals aws:SourceVpce"]`,
			[]Condition{{Operator: "StringEquals", Key: "aws:SourceVpce"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Condition
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Unmarshal = %#v, want %#v", got, tt.want)
			}
		})
	}
	if err := json.Unmarshal([]byte(`[7]`), new([]Condition)); err == nil {
		t.Error("Unmarshal of a number succeeded, want an error")
	}
}
