package aws

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"golang.org/x/sync/errgroup"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/secrets"
)

// lambdaAPI is what the lambda table calls on a Lambda client.
type lambdaAPI interface {
	ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetFunctionUrlConfig(context.Context, *lambda.GetFunctionUrlConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error)
}

// functionURLConcurrency bounds the GetFunctionUrlConfig calls of one
// region in flight at once.
const functionURLConcurrency = 8

// envLocation names a function's environment in findings:
// "environment DB_PASSWORD".
const envLocation = "environment"

func lambdaTables() []table {
	return []table{{Service: "lambda", List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listFunctions(ctx, s, out, lambda.NewFromConfig(s.Config))
	}}}
}

// listFunctions lists the region's functions (their $LATEST version),
// scans their environment variables for secrets and reads their function
// URL's auth type. Environment values are dropped here: only the names and
// the findings (detector, "environment VAR", a salted fingerprint) are
// kept. The functions of the pages read before a failure are kept; the
// failure is a gap. A function whose URL configuration could not be read
// is marked URLUnknown, one whose environment could not be decrypted
// SecretsUnknown, each with a gap.
func listFunctions(ctx context.Context, s scope, out *collectors.Result, c lambdaAPI) error {
	salt := s.SecretSalt
	if salt == nil {
		salt = secrets.AccountSalt(s.Account)
	}
	var rs []inventory.Resource
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if gerr := s.gap(out, "lambda", "ListFunctions", "", err); gerr != nil {
				return gerr
			}
			break
		}
		for _, fn := range page.Functions {
			r := function(s, fn, salt)
			if e := fn.Environment; e != nil && e.Error != nil {
				out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Service: "lambda",
					Operation: "ListFunctions", Resource: r.ID, Reason: inventory.GapError,
					Message: "environment of " + r.Name + " could not be read: " + aws.ToString(e.Error.ErrorCode)})
			}
			rs = append(rs, r)
		}
	}
	if err := functionURLs(ctx, s, out, c, rs); err != nil {
		return err
	}
	for _, r := range rs {
		out.Add(r)
	}
	return nil
}

// function normalizes one function. The environment's values are scanned
// and dropped; its names are kept.
func function(s scope, fn types.FunctionConfiguration, salt []byte) inventory.Resource {
	f := &inventory.Function{Runtime: string(fn.Runtime), PackageType: string(fn.PackageType), Role: aws.ToString(fn.Role)}
	r := inventory.Resource{ID: aws.ToString(fn.FunctionArn), Cloud: inventory.AWS, Account: s.Account, Region: s.Region,
		Kind: inventory.KindFunction, NativeType: "AWS::Lambda::Function", Name: aws.ToString(fn.FunctionName), Function: f}
	if r.ID == "" {
		r.ID = s.arn("lambda", s.Region, s.Account, "function:"+r.Name)
	}
	if f.Role != "" {
		r.AddEdge(inventory.RelAssumes, f.Role)
	}
	if e := fn.Environment; e != nil {
		if e.Error != nil {
			f.SecretsUnknown = true
		}
		for name := range e.Variables {
			f.EnvKeys = append(f.EnvKeys, name)
		}
		sort.Strings(f.EnvKeys)
		for _, name := range f.EnvKeys {
			f.Secrets = append(f.Secrets, scanEnv(name, e.Variables[name], salt)...)
		}
	}
	return r
}

// scanEnv scans one environment variable as the assignment NAME="value",
// so that detectors keyed on the name (passwords, tokens) see it. Findings
// are located "environment NAME", with the line when the value spans
// several.
func scanEnv(name, value string, salt []byte) []inventory.SecretFinding {
	text := name + "=" + value
	if !strings.ContainsAny(value, "\"\n") {
		text = name + `="` + value + `"`
	}
	loc := envLocation + " " + name
	var out []inventory.SecretFinding
	for _, f := range secrets.ScanLiteral(text, loc, salt) {
		if !strings.Contains(value, "\n") {
			f.Location = loc
		}
		out = append(out, inventory.SecretFinding(f))
	}
	return out
}

// functionURLs reads the function URL configuration of each function
// (GetFunctionUrlConfig, at most functionURLConcurrency at once): a
// function with none answers ResourceNotFoundException, which is "no URL".
func functionURLs(ctx context.Context, s scope, out *collectors.Result, c lambdaAPI, rs []inventory.Resource) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(functionURLConcurrency)
	for i := range rs {
		f := rs[i].Function
		id := rs[i].ID
		g.Go(func() error {
			resp, err := c.GetFunctionUrlConfig(gctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(id)})
			if err != nil {
				if _, ok := errors.AsType[*types.ResourceNotFoundException](err); ok {
					return nil
				}
				f.URLUnknown = true
				return s.gap(out, "lambda", "GetFunctionUrlConfig", id, err)
			}
			f.URLAuth = string(resp.AuthType)
			return nil
		})
	}
	return g.Wait()
}
