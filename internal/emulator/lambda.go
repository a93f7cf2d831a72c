package emulator

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// LambdaEstate is lambda.json: the account's functions, in every region.
type LambdaEstate struct {
	Functions []LambdaFunction `json:"functions"`
}

// LambdaFunction is one function. Role is a role name of the account (or
// a role ARN); URL is its function URL, nil when it has none.
type LambdaFunction struct {
	Region       string            `json:"region"`
	Name         string            `json:"name"`
	Runtime      string            `json:"runtime,omitempty"`
	PackageType  string            `json:"package_type,omitempty"` // "Zip" (default) or "Image"
	Handler      string            `json:"handler,omitempty"`
	Role         string            `json:"role"`
	Environment  map[string]string `json:"environment,omitempty"`
	LastModified time.Time         `json:"last_modified"`
	URL          *LambdaURL        `json:"url,omitempty"`
}

// LambdaURL is a function URL configuration.
type LambdaURL struct {
	AuthType string `json:"auth_type"` // "NONE" or "AWS_IAM"
}

const (
	lambdaFunctionsPath = "/2015-03-31/functions"
	lambdaURLPrefix     = "/2021-10-31/functions/"
)

func (f LambdaFunction) arn(e *Estate) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", e.AWS.Account.partition(), f.Region, e.AWS.Account.ID, f.Name)
}

// lambdaTime is Lambda's own timestamp format.
func lambdaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// serveLambda answers Lambda's REST JSON: ListFunctions (GET
// /2015-03-31/functions, paginated with MaxItems and Marker) and
// GetFunctionUrlConfig (GET /2021-10-31/functions/NAME/url).
func (s *Server) serveLambda(w http.ResponseWriter, r *request) {
	hr := r.HTTP
	r.Params = hr.URL.Query()
	path := strings.TrimSuffix(hr.URL.Path, "/")
	name := ""
	switch {
	case hr.Method == http.MethodGet && path == lambdaFunctionsPath:
		r.Action = "ListFunctions"
	case hr.Method == http.MethodGet && strings.HasPrefix(path, lambdaURLPrefix) && strings.HasSuffix(path, "/url"):
		r.Action = "GetFunctionUrlConfig"
		name, _ = url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, lambdaURLPrefix), "/url"))
	default:
		r.Action = hr.Method + "Unsupported"
	}
	if s.injected(w, r, func(e *apiError) { writeAWSJSONError(w, e) }) {
		return
	}
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeAWSJSONError(w, errorf(403, "UnrecognizedClientException", "The security token included in the request is invalid."))
		return
	}
	var fns []LambdaFunction
	for _, f := range e.AWS.Lambda.Functions {
		if f.Region == r.Region {
			fns = append(fns, f)
		}
	}
	slices.SortFunc(fns, func(a, b LambdaFunction) int { return strings.Compare(a.Name, b.Name) })

	switch r.Action {
	case "ListFunctions":
		from, to, next, err := page(len(fns), r.Get("Marker"), pageSize(r, s.opts.PageSize))
		if err != nil {
			writeAWSJSONError(w, err.(*apiError))
			return
		}
		out := map[string]any{}
		list := []map[string]any{}
		for _, f := range fns[from:to] {
			role := f.Role
			if !strings.HasPrefix(role, "arn:") {
				role = fmt.Sprintf("arn:%s:iam::%s:role/%s", e.AWS.Account.partition(), e.AWS.Account.ID, role)
			}
			fn := map[string]any{"FunctionName": f.Name, "FunctionArn": f.arn(e), "Role": role,
				"Handler": f.Handler, "LastModified": lambdaTime(f.LastModified), "PackageType": cmp.Or(f.PackageType, "Zip"),
				"Version": "$LATEST", "Architectures": []string{"x86_64"}, "MemorySize": 128, "Timeout": 3}
			if f.Runtime != "" {
				fn["Runtime"] = f.Runtime
			}
			if len(f.Environment) > 0 {
				fn["Environment"] = map[string]any{"Variables": f.Environment}
			}
			list = append(list, fn)
		}
		out["Functions"] = list
		if next != "" {
			out["NextMarker"] = next
		}
		writeAWSJSON(w, http.StatusOK, out)
	case "GetFunctionUrlConfig":
		i := slices.IndexFunc(fns, func(f LambdaFunction) bool { return f.Name == name || f.arn(e) == name })
		if i < 0 {
			writeAWSJSONError(w, errorf(404, "ResourceNotFoundException", "Function not found: %s", name))
			return
		}
		f := fns[i]
		if f.URL == nil {
			writeAWSJSONError(w, errorf(404, "ResourceNotFoundException", "The resource you requested does not exist."))
			return
		}
		writeAWSJSON(w, http.StatusOK, map[string]any{
			"FunctionUrl":      fmt.Sprintf("https://%s.lambda-url.%s.on.aws/", elbHash(f.Name)[:16], f.Region),
			"FunctionArn":      f.arn(e),
			"AuthType":         f.URL.AuthType,
			"CreationTime":     lambdaTime(f.LastModified),
			"LastModifiedTime": lambdaTime(f.LastModified),
			"InvokeMode":       "BUFFERED",
		})
	default:
		writeAWSJSONError(w, errorf(400, "InvalidAction", "emulator: lambda %s %s not served", hr.Method, hr.URL.Path))
	}
}
