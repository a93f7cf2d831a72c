package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Inspector2Estate is inspector2.json: Amazon Inspector's scanning status,
// coverage and findings in the account, by region. A region it does not
// list (and every region of an estate without the file) has EC2 and
// Lambda scanning enabled with nothing covered, so estates written before
// Inspector scan as they did.
type Inspector2Estate struct {
	Regions map[string]InspectorRegion `json:"regions"`
}

// InspectorRegion is Inspector in one region. EC2 and Lambda are the
// scanning status of each resource type: "ENABLED" (the default),
// "ENABLING", "DISABLED", "SUSPENDED" …
type InspectorRegion struct {
	EC2      string              `json:"ec2,omitempty"`
	Lambda   string              `json:"lambda,omitempty"`
	Coverage []InspectorCoverage `json:"coverage,omitempty"`
	Findings []InspectorFinding  `json:"findings,omitempty"`
}

// InspectorCoverage is one resource and scan type Inspector knows.
// ResourceID is an instance id or a function name. ScanType is "PACKAGE"
// (the default), "NETWORK" or "CODE": Inspector answers one row per
// resource and scan type. Status is "ACTIVE" (the default: it is scanned)
// or "INACTIVE", with Reason ("SUCCESSFUL" by default for an active one;
// "UNMANAGED_EC2_INSTANCE", "EC2_INSTANCE_STOPPED" …).
type InspectorCoverage struct {
	ResourceType  string    `json:"resource_type"` // "AWS_EC2_INSTANCE", "AWS_LAMBDA_FUNCTION"
	ScanType      string    `json:"scan_type,omitempty"`
	ResourceID    string    `json:"resource_id"`
	Status        string    `json:"status,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	LastScannedAt time.Time `json:"last_scanned_at,omitzero"`
}

// InspectorFinding is one package-vulnerability finding on a resource.
// Status is "ACTIVE" (the default), "SUPPRESSED" or "CLOSED"; FixAvailable
// "YES", "NO" or "PARTIAL".
type InspectorFinding struct {
	ResourceType     string             `json:"resource_type"`
	ResourceID       string             `json:"resource_id"`
	CVE              string             `json:"cve"`
	Title            string             `json:"title,omitempty"`
	Severity         string             `json:"severity"` // "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED"
	Status           string             `json:"status,omitempty"`
	InspectorScore   float64            `json:"inspector_score,omitempty"`
	CVSS             []InspectorCVSS    `json:"cvss,omitempty"`
	Packages         []InspectorPackage `json:"packages"`
	FixAvailable     string             `json:"fix_available,omitempty"`
	ExploitAvailable string             `json:"exploit_available,omitempty"` // "YES", "NO"
	FirstObservedAt  time.Time          `json:"first_observed_at"`
	LastObservedAt   time.Time          `json:"last_observed_at,omitzero"` // FirstObservedAt when zero
}

// InspectorCVSS is one CVSS score of a vulnerability.
type InspectorCVSS struct {
	Source    string  `json:"source"` // "NVD"
	Version   string  `json:"version"`
	BaseScore float64 `json:"base_score"`
	Vector    string  `json:"vector,omitempty"`
}

// InspectorPackage is one vulnerable package installed on the resource.
type InspectorPackage struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	Release        string `json:"release,omitempty"`
	Epoch          int    `json:"epoch,omitempty"`
	FixedIn        string `json:"fixed_in,omitempty"`
	PackageManager string `json:"package_manager,omitempty"` // "OS", "JAR", "PIP" …
}

// inspectorStatus is a type's scanning status, ENABLED by default.
func inspectorStatus(status string) string { return cmp.Or(status, "ENABLED") }

// inspectorOn reports whether a status lets findings be listed.
func inspectorOn(status string) bool {
	switch inspectorStatus(status) {
	case "DISABLED", "SUSPENDED", "SUSPENDING":
		return false
	}
	return true
}

// epochSeconds is the REST JSON and JSON 1.1 timestamp: seconds since the
// epoch, with fractions.
func epochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// serveInspector2 answers Amazon Inspector's REST JSON: BatchGetAccountStatus
// (POST /status/batch/get), ListCoverage (POST /coverage/list) and
// ListFindings (POST /findings/list), the lists paginated with maxResults
// and nextToken and filtered by the criteria the collector sends (account,
// resource type, finding status and type, resource id, vulnerability id,
// severity; EQUALS, NOT_EQUALS and PREFIX). Other criteria answer
// ValidationException, so a collector that relies on one notices.
func (s *Server) serveInspector2(w http.ResponseWriter, r *request) {
	hr := r.HTTP
	switch path := strings.TrimSuffix(hr.URL.Path, "/"); {
	case hr.Method == http.MethodPost && path == "/status/batch/get":
		r.Action = "BatchGetAccountStatus"
	case hr.Method == http.MethodPost && path == "/coverage/list":
		r.Action = "ListCoverage"
	case hr.Method == http.MethodPost && path == "/findings/list":
		r.Action = "ListFindings"
	default:
		r.Action = hr.Method + "Unsupported"
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		writeAWSJSONError(w, errorf(400, "ValidationException", "read body: %v", err))
		return
	}
	r.Body = body
	if s.injected(w, r, func(e *apiError) { writeAWSJSONError(w, restJSONFault(e)) }) {
		return
	}
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeAWSJSONError(w, errorf(403, "UnrecognizedClientException", "The security token included in the request is invalid."))
		return
	}
	var in struct {
		AccountIDs     []string                           `json:"accountIds"`
		FilterCriteria map[string][]inspectorStringFilter `json:"filterCriteria"`
		MaxResults     int                                `json:"maxResults"`
		NextToken      string                             `json:"nextToken"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeAWSJSONError(w, errorf(400, "ValidationException", "%v", err))
			return
		}
	}
	acct := e.AWS.Account
	reg := e.AWS.Inspector2.Regions[r.Region]
	var out any
	switch r.Action {
	case "BatchGetAccountStatus":
		out = inspectorAccountStatus(acct.ID, reg, in.AccountIDs)
	case "ListCoverage", "ListFindings":
		if !inspectorOn(reg.EC2) && !inspectorOn(reg.Lambda) {
			writeAWSJSONError(w, errorf(403, "AccessDeniedException", "Invoking account does not have access to perform this action: Amazon Inspector is not enabled in %s", r.Region))
			return
		}
		size := s.opts.PageSize
		if in.MaxResults > 0 && in.MaxResults < size {
			size = in.MaxResults
		}
		if r.Action == "ListCoverage" {
			out, err = inspectorCoverageList(e, r.Region, reg, in.FilterCriteria, in.NextToken, size)
		} else {
			out, err = inspectorFindingList(e, r.Region, reg, in.FilterCriteria, in.NextToken, size)
		}
		if err != nil {
			writeAWSJSONError(w, err.(*apiError))
			return
		}
	default:
		writeAWSJSONError(w, errorf(400, "ValidationException", "emulator: inspector2 %s %s not served", hr.Method, hr.URL.Path))
		return
	}
	writeRESTJSON(w, out)
}

// inspectorStringFilter is one StringFilter / CoverageStringFilter.
type inspectorStringFilter struct {
	Comparison string `json:"comparison"`
	Value      string `json:"value"`
}

// inspectorMatch reports whether the item's fields (criteria key ->
// value) pass every criterion: within one key, any EQUALS or PREFIX must
// match (when there is one) and no NOT_EQUALS may.
func inspectorMatch(criteria map[string][]inspectorStringFilter, fields map[string]string) (bool, error) {
	for key, fs := range criteria {
		v, known := fields[key]
		if !known {
			return false, errorf(400, "ValidationException", "emulator: inspector2 filter %q not served", key)
		}
		positive, matched := false, false
		for _, f := range fs {
			switch f.Comparison {
			case "EQUALS":
				positive = true
				matched = matched || v == f.Value
			case "PREFIX":
				positive = true
				matched = matched || strings.HasPrefix(v, f.Value)
			case "NOT_EQUALS":
				if v == f.Value {
					return false, nil
				}
			default:
				return false, errorf(400, "ValidationException", "emulator: inspector2 comparison %q not served", f.Comparison)
			}
		}
		if positive && !matched {
			return false, nil
		}
	}
	return true, nil
}

func inspectorAccountStatus(account string, reg InspectorRegion, ids []string) map[string]any {
	if len(ids) == 0 {
		ids = []string{account}
	}
	accounts, failed := []any{}, []any{}
	for _, id := range ids {
		if id != account {
			failed = append(failed, map[string]any{"accountId": id, "errorCode": "ACCESS_DENIED",
				"errorMessage": "The account is not a member of this administrator's organization"})
			continue
		}
		st := func(status string) map[string]any { return map[string]any{"status": inspectorStatus(status)} }
		overall := "DISABLED"
		if inspectorOn(reg.EC2) || inspectorOn(reg.Lambda) {
			overall = "ENABLED"
		}
		accounts = append(accounts, map[string]any{
			"accountId": id,
			"state":     map[string]any{"status": overall},
			"resourceState": map[string]any{
				"ec2": st(reg.EC2), "lambda": st(reg.Lambda),
				"ecr": st("DISABLED"), "lambdaCode": st("DISABLED"), "codeRepository": st("DISABLED"),
			},
		})
	}
	return map[string]any{"accounts": accounts, "failedAccounts": failed}
}

// inspectorResourceID is how Inspector names a resource: an instance by
// its id, a function by its ARN (findings name the version scanned).
func inspectorResourceID(e *Estate, region, typ, id string, qualified bool) string {
	if typ != "AWS_LAMBDA_FUNCTION" || strings.HasPrefix(id, "arn:") {
		return id
	}
	arn := LambdaFunction{Region: region, Name: id}.arn(e)
	if qualified {
		arn += ":$LATEST"
	}
	return arn
}

func inspectorCoverageList(e *Estate, region string, reg InspectorRegion, criteria map[string][]inspectorStringFilter, token string, size int) (map[string]any, error) {
	acct := e.AWS.Account
	var items []map[string]any
	for _, c := range reg.Coverage {
		id := inspectorResourceID(e, region, c.ResourceType, c.ResourceID, false)
		status := cmp.Or(c.Status, "ACTIVE")
		reason := c.Reason
		if reason == "" && status == "ACTIVE" {
			reason = "SUCCESSFUL"
		}
		scanType := cmp.Or(c.ScanType, "PACKAGE")
		ok, err := inspectorMatch(criteria, map[string]string{"accountId": acct.ID, "resourceType": c.ResourceType,
			"resourceId": id, "scanStatusCode": status, "scanStatusReason": reason, "scanType": scanType})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		item := map[string]any{"accountId": acct.ID, "resourceId": id, "resourceType": c.ResourceType,
			"scanType": scanType, "scanStatus": map[string]any{"statusCode": status, "reason": reason}}
		if !c.LastScannedAt.IsZero() {
			item["lastScannedAt"] = epochSeconds(c.LastScannedAt)
		}
		switch c.ResourceType {
		case "AWS_EC2_INSTANCE":
			item["scanMode"] = "EC2_SSM_AGENT_BASED"
			item["resourceMetadata"] = map[string]any{"ec2": map[string]any{"platform": "LINUX"}}
		case "AWS_LAMBDA_FUNCTION":
			item["resourceMetadata"] = map[string]any{"lambdaFunction": map[string]any{"functionName": c.ResourceID}}
		}
		items = append(items, item)
	}
	from, to, next, err := page(len(items), token, size)
	if err != nil {
		return nil, errorf(400, "ValidationException", "%v", err)
	}
	out := map[string]any{"coveredResources": append([]map[string]any{}, items[from:to]...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func inspectorFindingList(e *Estate, region string, reg InspectorRegion, criteria map[string][]inspectorStringFilter, token string, size int) (map[string]any, error) {
	acct := e.AWS.Account
	var items []map[string]any
	for i, f := range reg.Findings {
		id := inspectorResourceID(e, region, f.ResourceType, f.ResourceID, true)
		status := cmp.Or(f.Status, "ACTIVE")
		ok, err := inspectorMatch(criteria, map[string]string{"awsAccountId": acct.ID, "resourceType": f.ResourceType,
			"resourceId": id, "findingStatus": status, "findingType": "PACKAGE_VULNERABILITY",
			"vulnerabilityId": f.CVE, "severity": f.Severity})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		items = append(items, inspectorFindingJSON(e, region, i, f, id, status))
	}
	from, to, next, err := page(len(items), token, size)
	if err != nil {
		return nil, errorf(400, "ValidationException", "%v", err)
	}
	out := map[string]any{"findings": append([]map[string]any{}, items[from:to]...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func inspectorFindingJSON(e *Estate, region string, i int, f InspectorFinding, id, status string) map[string]any {
	acct := e.AWS.Account
	last := f.LastObservedAt
	if last.IsZero() {
		last = f.FirstObservedAt
	}
	var cvss []map[string]any
	for _, c := range f.CVSS {
		cvss = append(cvss, map[string]any{"source": c.Source, "version": c.Version, "baseScore": c.BaseScore, "scoringVector": c.Vector})
	}
	var pkgs []map[string]any
	for _, p := range f.Packages {
		pkg := map[string]any{"name": p.Name, "version": p.Version, "epoch": p.Epoch,
			"packageManager": cmp.Or(p.PackageManager, "OS")}
		if p.Release != "" {
			pkg["release"] = p.Release
		}
		if p.FixedIn != "" {
			pkg["fixedInVersion"] = p.FixedIn
		}
		pkgs = append(pkgs, pkg)
	}
	title := cmp.Or(f.Title, f.CVE)
	if len(f.Packages) > 0 && f.Title == "" {
		title = f.CVE + " - " + f.Packages[0].Name
	}
	details := map[string]any{"source": "NVD", "vulnerabilityId": f.CVE, "vulnerablePackages": pkgs,
		"vendorSeverity": f.Severity, "sourceUrl": "https://nvd.nist.gov/vuln/detail/" + f.CVE}
	if len(cvss) > 0 {
		details["cvss"] = cvss
	}
	res := map[string]any{"id": id, "type": f.ResourceType, "partition": acct.partition(), "region": region}
	out := map[string]any{
		"awsAccountId":                acct.ID,
		"findingArn":                  fmt.Sprintf("arn:%s:inspector2:%s:%s:finding/%s%s", acct.partition(), region, acct.ID, elbHash(f.ResourceID+f.CVE), elbHash(fmt.Sprint(i))),
		"description":                 title,
		"title":                       title,
		"type":                        "PACKAGE_VULNERABILITY",
		"status":                      status,
		"severity":                    f.Severity,
		"firstObservedAt":             epochSeconds(f.FirstObservedAt),
		"lastObservedAt":              epochSeconds(last),
		"updatedAt":                   epochSeconds(last),
		"remediation":                 map[string]any{"recommendation": map[string]any{"text": "None Provided"}},
		"resources":                   []any{res},
		"packageVulnerabilityDetails": details,
		"fixAvailable":                cmp.Or(f.FixAvailable, "NO"),
		"exploitAvailable":            cmp.Or(f.ExploitAvailable, "NO"),
	}
	if f.InspectorScore > 0 {
		out["inspectorScore"] = f.InspectorScore
	}
	return out
}

// restJSONFault maps an injected fault to the error codes of AWS's newer
// JSON services (Inspector2, EKS, SSM).
func restJSONFault(e *apiError) *apiError {
	switch e.Code {
	case "AccessDenied":
		return errorf(e.Status, "AccessDeniedException", "%s", e.Message)
	case "Throttling":
		return errorf(429, "ThrottlingException", "%s", e.Message)
	case "InternalError":
		return errorf(e.Status, "InternalServerException", "%s", e.Message)
	}
	return e
}

// writeRESTJSON writes v as a REST JSON answer.
func writeRESTJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
