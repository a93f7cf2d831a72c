package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/inspector2"
	"github.com/aws/aws-sdk-go-v2/service/inspector2/types"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// inspectorService is Amazon Inspector's name in gaps (its signing name).
const inspectorService = "inspector2"

// inspector2API is what the inspector2 table calls on an Inspector2 client.
type inspector2API interface {
	BatchGetAccountStatus(context.Context, *inspector2.BatchGetAccountStatusInput, ...func(*inspector2.Options)) (*inspector2.BatchGetAccountStatusOutput, error)
	ListCoverage(context.Context, *inspector2.ListCoverageInput, ...func(*inspector2.Options)) (*inspector2.ListCoverageOutput, error)
	ListFindings(context.Context, *inspector2.ListFindingsInput, ...func(*inspector2.Options)) (*inspector2.ListFindingsOutput, error)
}

func inspector2Tables() []table {
	return []table{{Service: inspectorService, List: func(ctx context.Context, s scope, out *collectors.Result) error {
		return listInspectorFindings(ctx, s, out, inspector2.NewFromConfig(s.Config))
	}}}
}

// inspectorType is a kind of resource posture collects that Inspector
// scans for package vulnerabilities.
type inspectorType struct {
	Resource types.ResourceType // as findings and coverage name it
	Kind     inventory.Kind
	Name     string // in gaps: "EC2", "Lambda"
	// State is the account's scanning state for the type.
	State func(*types.ResourceState) *types.State
}

var inspectorTypes = []inspectorType{
	{types.ResourceTypeAwsEc2Instance, inventory.KindInstance, "EC2", func(rs *types.ResourceState) *types.State { return rs.Ec2 }},
	{types.ResourceTypeAwsLambdaFunction, inventory.KindFunction, "Lambda", func(rs *types.ResourceState) *types.State { return rs.Lambda }},
}

// Page sizes: the largest each operation accepts.
const (
	inspectorCoveragePage = 200
	inspectorFindingsPage = 100
)

// listInspectorFindings reads the package vulnerabilities Amazon Inspector
// reports on the region's EC2 instances and Lambda functions, and records
// them for the resources they are on (scope.Enrich):
//
//   - BatchGetAccountStatus says whether EC2 and Lambda scanning are on. A
//     type that is off is a gap saying so, and its resources get no
//     Vulnerabilities: no scanner reported on them. If the status cannot
//     be read, coverage decides.
//   - ListCoverage lists the resources Inspector scans: an actively scanned
//     resource with no finding gets Vulnerabilities with no Findings, and
//     ScannedAt from its last scan. A resource Inspector knows but does
//     not scan (an instance without the SSM agent, a stopped one) gets
//     none. If coverage cannot be read, every resource of a type being
//     scanned in the region is unknown.
//   - ListFindings lists the ACTIVE package-vulnerability findings. If they
//     cannot all be read, the covered resources are marked Unknown (with
//     the findings read so far).
//
// Only the scanned account's own resources are read: a delegated
// administrator's view of its members is left to their own scans.
func listInspectorFindings(ctx context.Context, s scope, out *collectors.Result, c inspector2API) error {
	scanned, err := inspectorStatus(ctx, s, out, c)
	if err != nil || len(scanned) == 0 {
		return err
	}
	covered, err := inspectorCoverage(ctx, s, out, c, scanned)
	if err != nil {
		return err
	}
	found, complete, err := inspectorFindings(ctx, s, out, c, scanned)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for id := range covered {
		ids[id] = true
	}
	for id := range found {
		ids[id] = true
	}
	for id := range ids {
		cov, isCovered := covered[id]
		if !isCovered && len(found[id]) == 0 {
			continue
		}
		s.Enrich.setVulns(id, &inventory.Vulnerabilities{Source: inventory.ScannerInspector, Unknown: !complete,
			ScannedAt: cov, Findings: sortedFindings(found[id])})
	}
	return nil
}

// inspectorStatus returns the types whose scanning is on in the region,
// or whose state is unknown; a type that is off is a gap.
func inspectorStatus(ctx context.Context, s scope, out *collectors.Result, c inspector2API) ([]inspectorType, error) {
	resp, err := c.BatchGetAccountStatus(ctx, &inspector2.BatchGetAccountStatusInput{AccountIds: []string{s.Account}})
	if err != nil {
		return inspectorTypes, s.gap(out, inspectorService, "BatchGetAccountStatus", "", err)
	}
	var state *types.AccountState
	for i := range resp.Accounts {
		if aws.ToString(resp.Accounts[i].AccountId) == s.Account {
			state = &resp.Accounts[i]
		}
	}
	if state == nil || state.ResourceState == nil {
		reason, msg := inventory.GapError, "the account's status was not returned"
		for _, f := range resp.FailedAccounts {
			if aws.ToString(f.AccountId) == s.Account {
				msg = string(f.ErrorCode) + ": " + aws.ToString(f.ErrorMessage)
				if f.ErrorCode == types.ErrorCodeAccessDenied {
					reason = inventory.GapAccessDenied
				}
			}
		}
		out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Service: inspectorService,
			Operation: "BatchGetAccountStatus", Reason: reason, Message: msg})
		return inspectorTypes, nil
	}
	var on []inspectorType
	for _, t := range inspectorTypes {
		st := t.State(state.ResourceState)
		if st == nil {
			on = append(on, t) // not said: coverage decides
			continue
		}
		switch st.Status {
		case types.StatusDisabled, types.StatusSuspended, types.StatusSuspending:
			msg := fmt.Sprintf("Inspector2 not enabled for %s in %s/%s (status %s)", t.Name, s.Account, s.Region, st.Status)
			if st.ErrorCode != "" {
				msg += ": " + string(st.ErrorCode) + " " + aws.ToString(st.ErrorMessage)
			}
			out.Gap(inventory.Gap{Cloud: inventory.AWS, Account: s.Account, Region: s.Region, Service: inspectorService,
				Operation: "BatchGetAccountStatus", Reason: inventory.GapRegionDisabled, Message: msg})
		default: // ENABLED, ENABLING, DISABLING: findings may exist
			on = append(on, t)
		}
	}
	return on, nil
}

// inspectorCoverage returns the resources Inspector actively scans, by
// resource id, with when it last scanned each. If coverage cannot be read
// the region's resources of the scanned types are marked unknown.
func inspectorCoverage(ctx context.Context, s scope, out *collectors.Result, c inspector2API, scanned []inspectorType) (map[string]time.Time, error) {
	filter := &types.CoverageFilterCriteria{
		AccountId: []types.CoverageStringFilter{{Comparison: types.CoverageStringComparisonEquals, Value: aws.String(s.Account)}},
	}
	for _, t := range scanned {
		filter.ResourceType = append(filter.ResourceType,
			types.CoverageStringFilter{Comparison: types.CoverageStringComparisonEquals, Value: aws.String(string(t.Resource))})
	}
	// One row per resource and scan type: only package scanning reports
	// CVEs in installed packages (a NETWORK row is reachability analysis,
	// a CODE row Lambda code scanning), so only it counts as covered.
	filter.ScanType = []types.CoverageStringFilter{{Comparison: types.CoverageStringComparisonEquals, Value: aws.String(string(types.ScanTypePackage))}}
	covered := map[string]time.Time{}
	p := inspector2.NewListCoveragePaginator(c, &inspector2.ListCoverageInput{FilterCriteria: filter, MaxResults: aws.Int32(inspectorCoveragePage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			for _, t := range scanned {
				s.Enrich.unknownVulns(s.Region, t.Kind, inventory.ScannerInspector)
			}
			return covered, s.gap(out, inspectorService, "ListCoverage", "", err)
		}
		for _, r := range page.CoveredResources {
			if r.ScanType != types.ScanTypePackage || r.ScanStatus == nil || r.ScanStatus.StatusCode != types.ScanStatusCodeActive {
				continue // known to Inspector, not package-scanned
			}
			id := s.inspectorResourceID(types.ResourceType(r.ResourceType), aws.ToString(r.ResourceId), aws.ToString(r.AccountId), s.Region)
			covered[id] = aws.ToTime(r.LastScannedAt).UTC()
		}
	}
	return covered, nil
}

// inspectorFindings returns the ACTIVE package-vulnerability findings by
// resource id, and whether all were read (a gap says why not).
func inspectorFindings(ctx context.Context, s scope, out *collectors.Result, c inspector2API, scanned []inspectorType) (map[string][]inventory.Vulnerability, bool, error) {
	eq := func(v string) types.StringFilter {
		return types.StringFilter{Comparison: types.StringComparisonEquals, Value: aws.String(v)}
	}
	filter := &types.FilterCriteria{
		AwsAccountId:  []types.StringFilter{eq(s.Account)},
		FindingStatus: []types.StringFilter{eq(string(types.FindingStatusActive))},
		FindingType:   []types.StringFilter{eq(string(types.FindingTypePackageVulnerability))},
	}
	want := map[types.ResourceType]bool{}
	for _, t := range scanned {
		filter.ResourceType = append(filter.ResourceType, eq(string(t.Resource)))
		want[t.Resource] = true
	}
	found := map[string][]inventory.Vulnerability{}
	p := inspector2.NewListFindingsPaginator(c, &inspector2.ListFindingsInput{FilterCriteria: filter, MaxResults: aws.Int32(inspectorFindingsPage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return found, false, s.gap(out, inspectorService, "ListFindings", "", err)
		}
		for _, f := range page.Findings {
			if f.Status != types.FindingStatusActive || f.Type != types.FindingTypePackageVulnerability {
				continue
			}
			v := inspectorVulnerability(f)
			for _, r := range f.Resources {
				if !want[r.Type] {
					continue
				}
				region := aws.ToString(r.Region)
				if region == "" {
					region = s.Region
				}
				id := s.inspectorResourceID(r.Type, aws.ToString(r.Id), aws.ToString(f.AwsAccountId), region)
				found[id] = append(found[id], v)
			}
		}
	}
	return found, true, nil
}

// inspectorResourceID is the id posture's other tables give the resource
// Inspector names: an instance's ARN for its instance id, a function's
// unqualified ARN (Inspector may name a version, "…:function:f:$LATEST";
// the lambda table collects the function as a whole).
func (s scope) inspectorResourceID(t types.ResourceType, id, account, region string) string {
	if account == "" {
		account = s.Account
	}
	switch t {
	case types.ResourceTypeAwsEc2Instance:
		if !strings.HasPrefix(id, "arn:") {
			return s.arn("ec2", region, account, "instance/"+id)
		}
	case types.ResourceTypeAwsLambdaFunction:
		if !strings.HasPrefix(id, "arn:") {
			return s.arn("lambda", region, account, "function:"+id)
		}
		if parts := strings.Split(id, ":"); len(parts) == 8 && parts[5] == "function" {
			return strings.Join(parts[:7], ":")
		}
	}
	return id
}

// inspectorVulnerability maps one finding: its CVE (Inspector's own id
// when the vulnerability has no CVE), severity in lower case, the
// Inspector score (its CVSS base score adjusted to the resource, else the
// NVD base score), the first vulnerable package and its installed version,
// and whether a fix exists (a PARTIAL fix counts: some of the packages
// can be updated).
func inspectorVulnerability(f types.Finding) inventory.Vulnerability {
	v := inventory.Vulnerability{
		Severity:      strings.ToLower(string(f.Severity)),
		CVSS:          inspectorCVSS(f),
		FirstObserved: aws.ToTime(f.FirstObservedAt).UTC(),
	}
	if d := f.PackageVulnerabilityDetails; d != nil {
		v.CVE = aws.ToString(d.VulnerabilityId)
		if len(d.VulnerablePackages) > 0 {
			v.Package = packageVersion(d.VulnerablePackages[0])
		}
	}
	if v.CVE == "" {
		v.CVE = aws.ToString(f.Title)
	}
	switch f.FixAvailable {
	case types.FixAvailableYes, types.FixAvailablePartial:
		v.FixAvailable = aws.Bool(true)
	case types.FixAvailableNo:
		v.FixAvailable = aws.Bool(false)
	}
	return v
}

// inspectorCVSS is the finding's Inspector score, else the base score of
// its NVD CVSS entry of the highest version, else of any entry.
func inspectorCVSS(f types.Finding) float64 {
	if f.InspectorScore != nil {
		return *f.InspectorScore
	}
	d := f.PackageVulnerabilityDetails
	if d == nil {
		return 0
	}
	best, bestRank := 0.0, ""
	for _, c := range d.Cvss {
		if c.BaseScore == nil {
			continue
		}
		rank := "0"
		if strings.EqualFold(aws.ToString(c.Source), "NVD") {
			rank = "1"
		}
		rank += aws.ToString(c.Version)
		if rank > bestRank {
			best, bestRank = *c.BaseScore, rank
		}
	}
	return best
}

// packageVersion names a package with its installed version:
// "openssl 1.0.2k-24.amzn2.0.6" (version-release for OS packages).
func packageVersion(p types.VulnerablePackage) string {
	v := aws.ToString(p.Version)
	if r := aws.ToString(p.Release); r != "" {
		v += "-" + r
	}
	return strings.TrimSpace(aws.ToString(p.Name) + " " + v)
}

// sortedFindings orders a resource's findings by CVE then package, one of
// each pair (a function's versions can repeat a finding).
func sortedFindings(vs []inventory.Vulnerability) []inventory.Vulnerability {
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].CVE != vs[j].CVE {
			return vs[i].CVE < vs[j].CVE
		}
		return vs[i].Package < vs[j].Package
	})
	var out []inventory.Vulnerability
	for i, v := range vs {
		if i > 0 && v.CVE == vs[i-1].CVE && v.Package == vs[i-1].Package {
			continue
		}
		out = append(out, v)
	}
	return out
}
