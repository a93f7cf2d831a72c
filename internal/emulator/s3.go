package emulator

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// S3Estate is s3.json: the account's buckets and its account-wide block
// public access setting (S3 Control).
type S3Estate struct {
	// AccountPublicAccessBlock is the account's setting; nil when none is
	// configured (NoSuchPublicAccessBlockConfiguration).
	AccountPublicAccessBlock *S3PublicAccessBlock `json:"account_public_access_block,omitempty"`
	Buckets                  []S3Bucket           `json:"buckets"`
}

// S3Bucket is one bucket. A nil or empty setting answers the error S3
// answers for a bucket without it.
type S3Bucket struct {
	Name         string    `json:"name"`
	Region       string    `json:"region"`
	CreationDate time.Time `json:"creation_date"`
	// Policy is the bucket policy document. A JSON string is served
	// verbatim, so an estate can carry a malformed document.
	Policy json.RawMessage `json:"policy,omitempty"`
	// ACL lists the grants besides the owner's FULL_CONTROL.
	ACL               []S3Grant            `json:"acl,omitempty"`
	PublicAccessBlock *S3PublicAccessBlock `json:"public_access_block,omitempty"`
	Encryption        *S3Encryption        `json:"encryption,omitempty"`
	Versioning        string               `json:"versioning,omitempty"` // "Enabled", "Suspended", "" (never enabled)
	Website           *S3Website           `json:"website,omitempty"`
}

// S3Grant is one ACL grant: to a group (by URI) or a canonical user (by ID).
type S3Grant struct {
	Type       string `json:"type"` // "Group", "CanonicalUser", "AmazonCustomerByEmail"
	URI        string `json:"uri,omitempty"`
	ID         string `json:"id,omitempty"`
	Permission string `json:"permission"` // "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"
}

// S3PublicAccessBlock mirrors PublicAccessBlockConfiguration.
type S3PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"block_public_acls"`
	IgnorePublicAcls      bool `json:"ignore_public_acls"`
	BlockPublicPolicy     bool `json:"block_public_policy"`
	RestrictPublicBuckets bool `json:"restrict_public_buckets"`
}

// S3Encryption is the bucket's default encryption.
type S3Encryption struct {
	SSEAlgorithm   string `json:"sse_algorithm"` // "AES256", "aws:kms", "aws:kms:dsse"
	KMSMasterKeyID string `json:"kms_master_key_id,omitempty"`
}

// S3Website is the bucket's website configuration.
type S3Website struct {
	IndexDocument string `json:"index_document"`
	ErrorDocument string `json:"error_document,omitempty"`
}

const (
	s3Namespace      = "http://s3.amazonaws.com/doc/2006-03-01/"
	s3ControlPrefix  = "/v20180820/"
	s3ControlService = "s3control"
)

// s3Subresources maps the query key that selects a bucket subresource to
// the operation a GET on it is.
var s3Subresources = []struct{ key, action string }{
	{"location", "GetBucketLocation"},
	{"policy", "GetBucketPolicy"},
	{"acl", "GetBucketAcl"},
	{"publicAccessBlock", "GetPublicAccessBlock"},
	{"encryption", "GetBucketEncryption"},
	{"versioning", "GetBucketVersioning"},
	{"website", "GetBucketWebsite"},
}

// serveS3 answers S3's REST API, path-style (/bucket?policy), and the S3
// Control API (/v20180820/…), which the SDK also signs as service "s3".
// S3 Control requests are counted and faulted as service "s3control" so a
// test can tell the account's GetPublicAccessBlock from a bucket's.
func (s *Server) serveS3(w http.ResponseWriter, r *request) {
	hr := r.HTTP
	r.Params = hr.URL.Query()
	if strings.HasPrefix(hr.URL.Path, s3ControlPrefix) {
		s.serveS3Control(w, r)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(hr.URL.Path, "/"), "/")
	r.Action = s3Action(hr.Method, bucket, key, r.Params)
	if s.injected(w, r, func(e *apiError) { writeS3Error(w, e) }) {
		return
	}
	out, err := s.answerS3(r, bucket)
	if err != nil {
		writeS3Error(w, err)
		return
	}
	if doc, ok := out.(s3RawBody); ok {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
		return
	}
	writeXML(w, http.StatusOK, out)
}

// s3RawBody is an answer written as is (a bucket policy).
type s3RawBody []byte

// s3Action names the operation of a request, for routing, counting and
// faults.
func s3Action(method, bucket, key string, q map[string][]string) string {
	if method != http.MethodGet {
		return method + "Unsupported"
	}
	if bucket == "" {
		return "ListBuckets"
	}
	if key != "" {
		return "GetObject"
	}
	for _, sr := range s3Subresources {
		if _, ok := q[sr.key]; ok {
			return sr.action
		}
	}
	return "ListObjects"
}

func (s *Server) answerS3(r *request, name string) (any, *apiError) {
	e := r.Account // the account that signed
	if r.Action == "ListBuckets" {
		return s3ListBuckets(e, r, s.opts.PageSize)
	}
	i := slices.IndexFunc(e.S3.Buckets, func(b S3Bucket) bool { return b.Name == name })
	if i < 0 {
		return nil, errorf(404, "NoSuchBucket", "The specified bucket does not exist")
	}
	b := &e.S3.Buckets[i]
	// A bucket of an opt-in region is served only by its own region's
	// endpoint, and GetBucketLocation also by us-east-1's; S3 refuses
	// the rest this way.
	if r.Region != b.Region && e.Account.optIn(b.Region) && !(r.Action == "GetBucketLocation" && r.Region == "us-east-1") {
		return nil, errorf(400, "IllegalLocationConstraintException",
			"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", b.Region)
	}
	if r.Action == "GetBucketLocation" {
		// Answered from any other region, as S3 does.
		type location struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			NS      string   `xml:"xmlns,attr"`
			Value   string   `xml:",chardata"`
		}
		v := location{NS: s3Namespace}
		if b.Region != "us-east-1" {
			v.Value = b.Region
		}
		return v, nil
	}
	if r.Region != b.Region {
		return nil, errorf(400, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; the region '%s' is wrong; expecting '%s'", r.Region, b.Region)
	}
	switch r.Action {
	case "GetBucketPolicy":
		if len(b.Policy) == 0 {
			return nil, errorf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
		}
		var verbatim string
		if json.Unmarshal(b.Policy, &verbatim) == nil {
			return s3RawBody(verbatim), nil
		}
		return s3RawBody(b.Policy), nil
	case "GetBucketAcl":
		return s3BucketACL(e.Account.ID, b), nil
	case "GetPublicAccessBlock":
		if b.PublicAccessBlock == nil {
			return nil, errorf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		}
		return s3PublicAccessBlockXML(b.PublicAccessBlock), nil
	case "GetBucketEncryption":
		if b.Encryption == nil {
			return nil, errorf(404, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found")
		}
		type byDefault struct {
			SSEAlgorithm   string
			KMSMasterKeyID string `xml:",omitempty"`
		}
		type rule struct {
			ApplyServerSideEncryptionByDefault byDefault
			BucketKeyEnabled                   bool
		}
		type config struct {
			XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
			NS      string   `xml:"xmlns,attr"`
			Rule    rule
		}
		return config{NS: s3Namespace, Rule: rule{ApplyServerSideEncryptionByDefault: byDefault{
			SSEAlgorithm: b.Encryption.SSEAlgorithm, KMSMasterKeyID: b.Encryption.KMSMasterKeyID}}}, nil
	case "GetBucketVersioning":
		type config struct {
			XMLName xml.Name `xml:"VersioningConfiguration"`
			NS      string   `xml:"xmlns,attr"`
			Status  string   `xml:",omitempty"`
		}
		return config{NS: s3Namespace, Status: b.Versioning}, nil
	case "GetBucketWebsite":
		if b.Website == nil {
			return nil, errorf(404, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
		}
		type doc struct {
			Suffix string `xml:",omitempty"`
			Key    string `xml:",omitempty"`
		}
		type config struct {
			XMLName       xml.Name `xml:"WebsiteConfiguration"`
			NS            string   `xml:"xmlns,attr"`
			IndexDocument doc
			ErrorDocument *doc `xml:",omitempty"`
		}
		v := config{NS: s3Namespace, IndexDocument: doc{Suffix: b.Website.IndexDocument}}
		if b.Website.ErrorDocument != "" {
			v.ErrorDocument = &doc{Key: b.Website.ErrorDocument}
		}
		return v, nil
	}
	return nil, errorf(501, "NotImplemented", "emulator: s3 operation %s not served", r.Action)
}

// s3ListBuckets answers ListBuckets in name order, paginated with
// max-buckets and continuation-token; prefix and bucket-region filter. As
// S3 does, it names each bucket's region only when the request carries one
// of these parameters.
func s3ListBuckets(e *AWSEstate, r *request, server int) (any, *apiError) {
	withRegion := false
	for _, p := range []string{"max-buckets", "continuation-token", "prefix", "bucket-region"} {
		if _, ok := r.Params[p]; ok {
			withRegion = true
		}
	}
	var names []S3Bucket
	for _, b := range e.S3.Buckets {
		if strings.HasPrefix(b.Name, r.Get("prefix")) && (r.Get("bucket-region") == "" || r.Get("bucket-region") == b.Region) {
			names = append(names, b)
		}
	}
	slices.SortFunc(names, func(a, b S3Bucket) int { return strings.Compare(a.Name, b.Name) })
	size := server
	if v, err := strconv.Atoi(r.Get("max-buckets")); err == nil && v > 0 && v < size {
		size = v
	}
	from, to, next, err := page(len(names), r.Get("continuation-token"), size)
	if err != nil {
		return nil, err.(*apiError)
	}
	type bucket struct {
		Name         string
		CreationDate string
		BucketRegion string `xml:",omitempty"`
	}
	type result struct {
		XMLName           xml.Name `xml:"ListAllMyBucketsResult"`
		NS                string   `xml:"xmlns,attr"`
		Owner             s3Owner
		Buckets           []bucket `xml:"Buckets>Bucket"`
		ContinuationToken string   `xml:",omitempty"`
		Prefix            string   `xml:",omitempty"`
	}
	v := result{NS: s3Namespace, Owner: s3OwnerOf(e.Account.ID), ContinuationToken: next, Prefix: r.Get("prefix")}
	for _, b := range names[from:to] {
		x := bucket{Name: b.Name, CreationDate: b.CreationDate.UTC().Format("2006-01-02T15:04:05.000Z")}
		if withRegion {
			x.BucketRegion = b.Region
		}
		v.Buckets = append(v.Buckets, x)
	}
	return v, nil
}

type s3Owner struct {
	ID          string
	DisplayName string `xml:",omitempty"`
}

// s3OwnerOf is the account's canonical user, made up from its id.
func s3OwnerOf(account string) s3Owner {
	return s3Owner{ID: strings.Repeat("c0", 26) + account, DisplayName: "emulated-" + account}
}

// s3BucketACL is the AccessControlPolicy of b: the owner's FULL_CONTROL and
// the estate's grants.
func s3BucketACL(account string, b *S3Bucket) any {
	type grantee struct {
		XSI         string `xml:"xmlns:xsi,attr"`
		Type        string `xml:"xsi:type,attr"`
		ID          string `xml:",omitempty"`
		DisplayName string `xml:",omitempty"`
		URI         string `xml:",omitempty"`
	}
	type grant struct {
		Grantee    grantee
		Permission string
	}
	type policy struct {
		XMLName xml.Name `xml:"AccessControlPolicy"`
		NS      string   `xml:"xmlns,attr"`
		Owner   s3Owner
		Grants  []grant `xml:"AccessControlList>Grant"`
	}
	const xsi = "http://www.w3.org/2001/XMLSchema-instance"
	o := s3OwnerOf(account)
	v := policy{NS: s3Namespace, Owner: o, Grants: []grant{{
		Grantee:    grantee{XSI: xsi, Type: "CanonicalUser", ID: o.ID, DisplayName: o.DisplayName},
		Permission: "FULL_CONTROL",
	}}}
	for _, g := range b.ACL {
		v.Grants = append(v.Grants, grant{Grantee: grantee{XSI: xsi, Type: g.Type, ID: g.ID, URI: g.URI}, Permission: g.Permission})
	}
	return v
}

func s3PublicAccessBlockXML(p *S3PublicAccessBlock) any {
	type config struct {
		XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
		NS                    string   `xml:"xmlns,attr"`
		BlockPublicAcls       bool
		IgnorePublicAcls      bool
		BlockPublicPolicy     bool
		RestrictPublicBuckets bool
	}
	return config{NS: s3Namespace, BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
		BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets}
}

// serveS3Control answers the account's GetPublicAccessBlock. S3 Control
// wraps its errors in <ErrorResponse>.
func (s *Server) serveS3Control(w http.ResponseWriter, r *request) {
	hr := r.HTTP
	r.Service = s3ControlService
	r.Action = hr.Method + "Unsupported"
	if hr.Method == http.MethodGet && hr.URL.Path == s3ControlPrefix+"configuration/publicAccessBlock" {
		r.Action = "GetPublicAccessBlock"
	}
	writeErr := func(e *apiError) {
		type controlErr struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Error   struct {
				Code    string
				Message string
			}
			RequestId string
		}
		var v controlErr
		v.Error.Code, v.Error.Message, v.RequestId = e.Code, e.Message, "emulated"
		writeXML(w, e.Status, v)
	}
	if s.injected(w, r, writeErr) {
		return
	}
	e := r.Account // the account that signed
	switch {
	case r.Action != "GetPublicAccessBlock":
		writeErr(errorf(501, "NotImplemented", "emulator: s3control %s %s not served", hr.Method, hr.URL.Path))
	case hr.Header.Get("x-amz-account-id") != e.Account.ID:
		writeErr(errorf(403, "AccessDenied", "Access Denied"))
	case e.S3.AccountPublicAccessBlock == nil:
		writeErr(errorf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"))
	default:
		writeXML(w, http.StatusOK, s3PublicAccessBlockXML(e.S3.AccountPublicAccessBlock))
	}
}
