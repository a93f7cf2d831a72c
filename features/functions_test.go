package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

const fnID = "arn:aws:lambda:eu-west-1:111122223333:function:orders-api"

// function is a Lambda function with a supported runtime, no URL and role
// role-fn (an assumes edge, as the collector writes it).
func function(mut func(*inventory.Function)) inventory.Resource {
	r := res(fnID, inventory.KindFunction)
	r.Function = &inventory.Function{Runtime: "python3.12", Role: "role-fn"}
	if mut != nil {
		mut(r.Function)
	}
	if r.Function.Role != "" {
		r.AddEdge(inventory.RelAssumes, r.Function.Role)
	}
	return r
}

func runtime(rt string) func(*inventory.Function) {
	return func(f *inventory.Function) { f.Runtime = rt }
}

func urlAuth(auth string) func(*inventory.Function) {
	return func(f *inventory.Function) { f.URLAuth = auth }
}

// fnEstate is the function with mut applied and its role role-fn, whose
// one policy grants grant.
func fnEstate(mut func(*inventory.Function), grant inventory.Statement) []inventory.Resource {
	return []inventory.Resource{function(mut), role("role-fn", "pol-fn"), policy("pol-fn", grant)}
}

func TestFunctionSignals(t *testing.T) {
	scoped := allow([]string{"dynamodb:GetItem"}, "arn:aws:dynamodb:eu-west-1:111122223333:table/orders")
	admin := allow([]string{"*"}, "*")
	bare := res(fnID, inventory.KindFunction) // attributes not collected
	tests := []struct {
		name   string
		estate []inventory.Resource
		id     inventory.SignalID
		keys   []string
		want   []hit
	}{
		// patches.eol_runtime
		{"python3.8 past its deprecation", fnEstate(runtime("python3.8"), scoped), "patches.eol_runtime",
			[]string{"runtime", "release", "deprecated", "days_past_deprecation", "table_as_of"},
			[]hit{{Evidence: map[string]string{"runtime": "python3.8", "release": "Python 3.8", "deprecated": "2024-10-14",
				"days_past_deprecation": itoa(days(now, date("2024-10-14"))), "table_as_of": day(RuntimeTableAsOf)}}}},
		{"java8 on Amazon Linux 1 past its deprecation", fnEstate(runtime("java8"), scoped), "patches.eol_runtime", []string{"release"},
			[]hit{{Evidence: map[string]string{"release": "Java 8 (Amazon Linux 1)"}}}},
		{"go1.x past its deprecation", fnEstate(runtime("go1.x"), scoped), "patches.eol_runtime", []string{"deprecated"},
			[]hit{{Evidence: map[string]string{"deprecated": "2024-01-08"}}}},
		{"safe twin: python3.12", fnEstate(nil, scoped), "patches.eol_runtime", nil, nil},
		{"safe twin: dotnet8 is deprecated only after now", fnEstate(runtime("dotnet8"), scoped), "patches.eol_runtime", nil, nil},
		{"safe twin: a python newer than the table", fnEstate(runtime("python3.15"), scoped), "patches.eol_runtime", nil, nil},
		{"safe twin: a node.js newer than the table", fnEstate(runtime("nodejs26.x"), scoped), "patches.eol_runtime", nil, nil},
		{"safe twin: a container image has no managed runtime", fnEstate(func(f *inventory.Function) { f.Runtime, f.PackageType = "", inventory.FunctionPackageImage }, scoped),
			"patches.eol_runtime", nil, nil},
		{"no runtime on a zip package: unknown, not a container image", fnEstate(func(f *inventory.Function) { f.Runtime, f.PackageType = "", inventory.FunctionPackageZip }, scoped),
			"patches.eol_runtime", []string{"package_type", "missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"package_type": "Zip", "missing": "runtime not recorded for a function that is not a container image"}}}},
		{"no runtime, package type not recorded: unknown", fnEstate(runtime(""), scoped), "patches.eol_runtime", []string{"package_type"},
			[]hit{{Unknown: true, Evidence: map[string]string{"package_type": "-"}}}},
		{"runtime not in the table: unknown", fnEstate(runtime("rust1.x"), scoped), "patches.eol_runtime", []string{"runtime", "missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"runtime": "rust1.x", "missing": "runtime not in the deprecation table"}}}},
		{"an older version missing from the table is unknown, not newer", fnEstate(runtime("dotnet9"), scoped), "patches.eol_runtime", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "runtime not in the deprecation table"}}}},
		{"function attributes missing: unknown", []inventory.Resource{bare}, "patches.eol_runtime", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "function attributes not collected"}}}},

		// ports.public_function_url
		{"url with auth NONE", fnEstate(urlAuth(inventory.FunctionURLNone), scoped), "ports.public_function_url", []string{"via", "url_auth", "source"},
			[]hit{{Evidence: map[string]string{"via": "function URL", "url_auth": "NONE", "source": "0.0.0.0/0"}}}},
		{"safe twin: url with auth AWS_IAM", fnEstate(urlAuth(inventory.FunctionURLIAM), scoped), "ports.public_function_url", nil, nil},
		{"safe twin: no url", fnEstate(nil, scoped), "ports.public_function_url", nil, nil},
		{"url configuration unreadable: unknown", fnEstate(func(f *inventory.Function) { f.URLUnknown = true }, scoped), "ports.public_function_url", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "function URL configuration could not be read"}}}},
		{"url auth type not understood: unknown", fnEstate(urlAuth("CUSTOM"), scoped), "ports.public_function_url", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "function URL auth type CUSTOM not understood"}}}},
		{"function attributes missing: url unknown", []inventory.Resource{bare}, "ports.public_function_url", []string{"missing"},
			[]hit{{Unknown: true, Evidence: map[string]string{"missing": "function attributes not collected"}}}},

		// privileges.exposed_admin_role on a function
		{"public url and an admin role", fnEstate(urlAuth(inventory.FunctionURLNone), admin), "privileges.exposed_admin_role",
			[]string{"role", "policy", "grant", "via", "url_auth"},
			[]hit{{Evidence: map[string]string{"role": "role-fn", "policy": "pol-fn", "grant": "*", "via": "function URL", "url_auth": "NONE"}}}},
		{"safe twin: IAM-authenticated url and an admin role", fnEstate(urlAuth(inventory.FunctionURLIAM), admin), "privileges.exposed_admin_role", nil, nil},
		{"safe twin: public url and a scoped role", fnEstate(urlAuth(inventory.FunctionURLNone), scoped), "privileges.exposed_admin_role", nil, nil},
		{"public url, role not in snapshot: unknown", []inventory.Resource{function(urlAuth(inventory.FunctionURLNone))}, "privileges.exposed_admin_role",
			[]string{"missing", "via"}, []hit{{Unknown: true, Evidence: map[string]string{"missing": "principal role-fn not in snapshot", "via": "function URL"}}}},
		{"admin role, url unreadable: unknown", fnEstate(func(f *inventory.Function) { f.URLUnknown = true }, admin), "privileges.exposed_admin_role",
			[]string{"role", "missing"}, []hit{{Unknown: true, Evidence: map[string]string{"role": "role-fn", "missing": "function URL configuration could not be read"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, fnID, tt.id, tt.keys)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestRuntimeTable(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range RuntimeTable {
		if seen[rt.ID] {
			t.Errorf("RuntimeTable lists %s twice", rt.ID)
		}
		seen[rt.ID] = true
		if rt.Deprecated.IsZero() || rt.Name == "" {
			t.Errorf("RuntimeTable entry %s lacks a date or name", rt.ID)
		}
		if newerThanRuntimeTable(rt.ID) {
			t.Errorf("RuntimeTable entry %s reads as newer than the table", rt.ID)
		}
	}
}
