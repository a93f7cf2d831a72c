// Package emulator serves an estate description over the wire protocols the
// clouds' SDKs speak, on 127.0.0.1. One listener serves all three clouds:
// SigV4-signed requests are AWS, Azure Resource Manager paths
// (/subscriptions/…, /providers/…) are Azure, and the rest are Google APIs. The same code serves the collector tests,
// `make demo` and benchmarks. For AWS it speaks the query protocol (EC2, IAM,
// RDS, STS, ELBv2, classic ELB: form-encoded POST, XML answers), S3's REST XML,
// Lambda's REST JSON, Organizations' and KMS's JSON 1.1 and SQS's JSON 1.0; the service and region of each request are read
// from its SigV4 credential scope, so one listener serves every service, as
// AWS_ENDPOINT_URL expects. The access key of that scope says which account
// answers: keys that STS AssumeRole handed out ("ASIA" + the account id)
// are the member account's, any other key is the root account's.
//
// Faults (access denied, throttling, server errors, dropped or unanswered
// connections) and latency can be injected per service, action and region,
// so tests prove that collectors turn them into Gaps and retry.
package emulator

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tune a server.
type Options struct {
	// PageSize bounds list answers when the client asks for no smaller
	// page, so pagination is exercised even on small estates. Default 2.
	PageSize int
	// Latency is added to every request.
	Latency time.Duration
	// Faults are injected into matching requests.
	Faults []Fault
}

// FaultKind is what an injected fault answers.
type FaultKind string

const (
	FaultDenied   FaultKind = "denied"   // the service's access denied error
	FaultThrottle FaultKind = "throttle" // the service's throttling error
	FaultServer   FaultKind = "server"   // HTTP 500
	FaultOptIn    FaultKind = "optin"    // region or service not subscribed
	// FaultDrop closes the connection without an answer, as a reset or
	// an egress proxy that refuses the endpoint does.
	FaultDrop FaultKind = "drop"
	// FaultHang never answers; the request waits until the client gives up.
	FaultHang FaultKind = "hang"
)

// Fault injects an error into requests that match Service (SigV4 service
// name: "ec2", "iam", "s3", "rds", "sts", "organizations",
// "elasticloadbalancing", "lambda", "sqs", "kms"; "elb" for classic ELB,
// which signs as "elasticloadbalancing" but is told apart by its API
// version), Action ("" for any; the query Action,
// for S3 the operation name such as "GetBucketPolicy", for Organizations
// the target's operation such as "ListAccounts", for Lambda
// "ListFunctions" or "GetFunctionUrlConfig"; for Inspector2, SSM and EKS
// the operation name, such as "ListFindings", "DescribeInstancePatchStates"
// or "DescribeCluster"; services "inspector2", "ssm", "eks"), Region ("" for any) and
// Account (the AWS account whose credentials signed the request; "" for
// any). Times bounds how often it fires (0: always); with Each it bounds
// how often it fires for each distinct call (same access key, region,
// action and parameters), so every call fails Times times, then is served.
type Fault struct {
	Service string    `json:"service"`
	Action  string    `json:"action,omitempty"`
	Region  string    `json:"region,omitempty"`
	Account string    `json:"account,omitempty"`
	Kind    FaultKind `json:"kind"`
	Times   int       `json:"times,omitempty"`
	Each    bool      `json:"each,omitempty"`
}

// Server is a running emulator.
type Server struct {
	estate *Estate
	opts   Options
	srv    *http.Server
	ln     net.Listener

	mu     sync.Mutex
	fired  map[string]int // fault index, and the call with Each -> times fired
	counts map[string]int // "service/Action" -> requests seen
}

// Start serves estate on addr ("127.0.0.1:0" picks a free port).
func Start(estate *Estate, addr string, opts Options) (*Server, error) {
	if estate == nil {
		return nil, errors.New("start emulator: no estate")
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 2
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start emulator on %s: %w", addr, err)
	}
	s := &Server{estate: estate, opts: opts, ln: ln, fired: map[string]int{}, counts: map[string]int{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the base endpoint to give the SDKs.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server: in-flight requests get a moment to finish, then
// every connection is closed (idle keep-alive connections of SDK clients
// would otherwise hold Shutdown for seconds).
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return s.srv.Close()
}

// Requests reports how many requests of service/action were served,
// ("ec2", "DescribeInstances"), faults included.
func (s *Server) Requests(service, action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[service+"/"+action]
}

// request is one decoded call.
type request struct {
	Service string
	Region  string
	// AccessKey signed the request; Account is the AWS account it
	// belongs to.
	AccessKey string
	Account   *AWSEstate
	Action    string
	Params    map[string][]string // query form values, or URL query for REST
	HTTP      *http.Request
	Body      []byte
}

// Get returns the first value of a parameter.
func (r *request) Get(name string) string {
	if v := r.Params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// List returns a query-protocol list parameter: Name.1, Name.2, … (EC2 style),
// also accepting Name.member.1 (awsquery style).
func (r *request) List(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := r.Params[name+"."+strconv.Itoa(i)]
		if !ok {
			v, ok = r.Params[name+".member."+strconv.Itoa(i)]
		}
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// Filters decodes EC2's Filter.N.Name / Filter.N.Value.M.
func (r *request) Filters() map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		name := r.Get("Filter." + strconv.Itoa(i) + ".Name")
		if name == "" {
			return out
		}
		out[name] = r.List("Filter." + strconv.Itoa(i) + ".Value")
	}
}

// apiError is an error answered in the service's wire format.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorf builds an apiError.
func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ServeHTTP routes by the SigV4 credential scope.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if s.opts.Latency > 0 {
		select {
		case <-time.After(s.opts.Latency):
		case <-hr.Context().Done():
			return
		}
	}
	auth := hr.Header.Get("Authorization")
	service, region := scope(auth)
	if service == "" {
		// Not AWS: the exploitation feeds, Azure Resource Manager paths,
		// else Google APIs.
		if isFeedPath(hr.URL.Path) {
			s.serveFeed(w, hr)
			return
		}
		if isAzurePath(hr.URL.Path) {
			s.serveAzure(w, hr)
		} else {
			s.serveGCP(w, hr)
		}
		return
	}
	req := &request{Service: service, Region: region, HTTP: hr, AccessKey: accessKey(auth)}
	acct, aerr := s.estate.signer(req.AccessKey)
	if aerr != nil {
		switch service {
		case "s3":
			writeS3Error(w, aerr)
		case "organizations", "lambda":
			writeAWSJSONError(w, aerr)
		case "sqs":
			writeSQSError(w, aerr)
		case "kms", "inspector2", "ssm", "eks":
			writeAWSJSONError(w, aerr)
		default:
			writeQueryError(w, service, aerr)
		}
		return
	}
	req.Account = acct
	switch service {
	case "s3":
		s.serveS3(w, req)
		return
	case "organizations":
		s.serveOrganizations(w, req)
		return
	case "lambda":
		s.serveLambda(w, req)
		return
	case "sqs":
		s.serveSQS(w, req)
		return
	case "kms":
		s.serveKMS(w, req)
		return
	case "inspector2":
		s.serveInspector2(w, req)
		return
	case "ssm":
		s.serveSSM(w, req)
		return
	case "eks":
		s.serveEKS(w, req)
		return
	}
	if err := hr.ParseForm(); err != nil {
		writeQueryError(w, service, errorf(400, "MalformedQueryString", "%v", err))
		return
	}
	req.Params = hr.PostForm
	if len(req.Params) == 0 {
		req.Params = hr.Form
	}
	req.Action = req.Get("Action")
	if service == "elasticloadbalancing" && req.Get("Version") == elbClassicVersion {
		service, req.Service = elbClassicService, elbClassicService
	}
	if s.injected(w, req, func(e *apiError) { writeQueryError(w, service, e) }) {
		return
	}
	h, ok := queryHandlers[service]
	if !ok {
		writeQueryError(w, service, errorf(400, "UnknownService", "emulator does not serve %q", service))
		return
	}
	out, err := h(s.view(acct), req, s.opts.PageSize)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = errorf(500, "InternalError", "%v", err)
		}
		writeQueryError(w, service, ae)
		return
	}
	writeXML(w, http.StatusOK, out)
}

// queryHandler answers one query-protocol service. out is marshalled as XML.
type queryHandler func(e *Estate, r *request, pageSize int) (out any, err error)

// queryHandlers lists the query-protocol services, explicitly.
var queryHandlers = map[string]queryHandler{
	"sts": serveSTS,
	"ec2": serveEC2,
	"iam": serveIAM,
	"rds": serveRDS,
	// elasticloadbalancing is ELBv2's signing name.
	"elasticloadbalancing": serveELBv2,
	// elb is classic ELB (Version 2012-06-01), signed as
	// elasticloadbalancing too.
	elbClassicService: serveELB,
}

// injected counts r and answers it with the fault that matches it, if any:
// an error written by write, a dropped connection or no answer. It reports
// whether r was answered.
func (s *Server) injected(w http.ResponseWriter, r *request, write func(*apiError)) bool {
	f, ok := s.fault(r)
	if !ok {
		return false
	}
	switch f.Kind {
	case FaultDrop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // net/http closes the connection
	case FaultHang:
		<-r.HTTP.Context().Done() // the client gave up, or the server closes
		return true
	}
	write(faultError(r.Service, f.Kind))
	return true
}

// fault returns the fault injected into r, if any, and counts the request.
func (s *Server) fault(r *request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[r.Service+"/"+r.Action]++
	for i, f := range s.opts.Faults {
		if f.Service != r.Service || (f.Action != "" && f.Action != r.Action) || (f.Region != "" && f.Region != r.Region) {
			continue
		}
		if f.Account != "" && (r.Account == nil || r.Account.Account.ID != f.Account) {
			continue
		}
		key := strconv.Itoa(i)
		if f.Each {
			key += " " + r.AccessKey + " " + r.Region + " " + r.HTTP.URL.Path + "?" + url.Values(r.Params).Encode()
		}
		if f.Times > 0 && s.fired[key] >= f.Times {
			continue
		}
		s.fired[key]++
		return f, true
	}
	return Fault{}, false
}

func faultError(service string, k FaultKind) *apiError {
	switch k {
	case FaultDenied:
		switch service {
		case "ec2":
			return errorf(403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
		case "lambda":
			return errorf(403, "AccessDeniedException", "User: arn:aws:iam::000000000000:user/emulated is not authorized to perform this action")
		default:
			return errorf(403, "AccessDenied", "User: arn:aws:iam::000000000000:user/emulated is not authorized to perform this action")
		}
	case FaultThrottle:
		switch service {
		case "ec2":
			return errorf(503, "RequestLimitExceeded", "Request limit exceeded.")
		case "s3":
			return errorf(503, "SlowDown", "Please reduce your request rate.")
		case "lambda":
			return errorf(429, "TooManyRequestsException", "Rate exceeded")
		default:
			return errorf(400, "Throttling", "Rate exceeded")
		}
	case FaultOptIn:
		return errorf(401, "OptInRequired", "You are not subscribed to this service.")
	default:
		return errorf(500, "InternalError", "injected server error")
	}
}

// scope reads service and region from
// "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, …".
func scope(auth string) (service, region string) {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", ""
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[2]
}

// accessKey reads the access key id from
// "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, …".
func accessKey(auth string) string {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	key, _, _ := strings.Cut(auth[i+len("Credential="):], "/")
	return key
}

// view is the estate as account acct sees it: the loaded estate for the
// root account, else one whose AWS part is the member's. The query
// handlers serve e.AWS, so they answer for whichever account signed.
func (s *Server) view(acct *AWSEstate) *Estate {
	if acct == &s.estate.AWS {
		return s.estate
	}
	return &Estate{AWS: *acct, Organization: s.estate.Organization, Members: s.estate.Members, root: &s.estate.AWS}
}

// writeXML writes v with the XML header.
func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// writeQueryError writes an error in EC2's or awsquery's format.
func writeQueryError(w http.ResponseWriter, service string, e *apiError) {
	if service == "ec2" {
		type ec2Err struct {
			XMLName xml.Name `xml:"Response"`
			Errors  struct {
				Error struct {
					Code    string
					Message string
				}
			}
			RequestID string
		}
		var v ec2Err
		v.Errors.Error.Code, v.Errors.Error.Message, v.RequestID = e.Code, e.Message, "emulated"
		writeXML(w, e.Status, v)
		return
	}
	type queryErr struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   struct {
			Type    string
			Code    string
			Message string
		}
		RequestId string
	}
	var v queryErr
	v.Error.Type = "Sender"
	if e.Status >= 500 {
		v.Error.Type = "Receiver"
	}
	v.Error.Code, v.Error.Message, v.RequestId = e.Code, e.Message, "emulated"
	writeXML(w, e.Status, v)
}

// writeS3Error writes an error in S3's REST format.
func writeS3Error(w http.ResponseWriter, e *apiError) {
	type s3Err struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string
		Message   string
		RequestId string
	}
	writeXML(w, e.Status, s3Err{Code: e.Code, Message: e.Message, RequestId: "emulated"})
}

// page returns the items of one page of n items starting at the token
// (an index as text), and the next token ("" on the last page).
func page(n int, token string, max int) (from, to int, next string, err error) {
	if token != "" {
		from, err = strconv.Atoi(token)
		if err != nil || from < 0 || from > n {
			return 0, 0, "", errorf(400, "InvalidParameterValue", "invalid pagination token %q", token)
		}
	}
	to = min(from+max, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next, nil
}

// pageSize picks the smaller of the client's MaxResults/MaxItems/MaxRecords
// and the server's page size.
func pageSize(r *request, server int) int {
	for _, p := range []string{"MaxResults", "MaxItems", "MaxRecords", "max-keys"} {
		if v, err := strconv.Atoi(r.Get(p)); err == nil && v > 0 && v < server {
			return v
		}
	}
	return server
}

// awsJSONRequest reads the preamble every AWS JSON-protocol service (JSON
// 1.0 and 1.1) shares: a POST whose X-Amz-Target is target+operation, its
// body, then any fault injected for it. writeErr writes an error in the
// service's form. It sets r.Action and r.Body, and reports false when it
// has answered already.
func (s *Server) awsJSONRequest(w http.ResponseWriter, r *request, service, target string, writeErr func(*apiError)) bool {
	hr := r.HTTP
	op, ok := strings.CutPrefix(hr.Header.Get("X-Amz-Target"), target)
	if !ok || hr.Method != http.MethodPost {
		writeErr(errorf(400, "UnknownOperationException", "emulator: %s %s %q not served", service, hr.Method, hr.Header.Get("X-Amz-Target")))
		return false
	}
	r.Action = op
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		writeErr(errorf(400, "SerializationException", "read body: %v", err))
		return false
	}
	r.Body = body
	return !s.injected(w, r, writeErr)
}

// decodeJSON reads a JSON-protocol request body into in; an empty body
// leaves in as it is.
func decodeJSON(body []byte, in any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return errorf(400, "SerializationException", "%v", err)
	}
	return nil
}

// regional returns the items of region, sorted by the key of each.
func regional[T any](items []T, region string, of func(T) (region, key string)) []T {
	var out []T
	for _, it := range items {
		if r, _ := of(it); r == region {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b T) int {
		_, ka := of(a)
		_, kb := of(b)
		return strings.Compare(ka, kb)
	})
	return out
}
