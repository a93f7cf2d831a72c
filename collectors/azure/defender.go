package azure

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/security/armsecurity"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// defenderTables lists what Microsoft Defender for Cloud (Microsoft.Security)
// contributes: the vulnerability findings on the subscription's virtual
// machines, as the recommendation "Machines should have vulnerability
// findings resolved" (assessment vmFindingsAssessment) reports them. Its
// sub-assessments, one per finding and machine, carry the findings of
// Microsoft Defender Vulnerability Management (additionalData
// ServerVulnerabilityTvm), of the integrated Qualys scanner and of
// bring-your-own-license scanners (ServerVulnerabilityAssessment).
//
// Three calls, each a gap of its own when it fails:
//   - Pricings.Get VirtualMachines: a subscription whose Defender for
//     Servers plan is Free runs no vulnerability assessment; that is a gap
//     saying so (region_disabled), and its machines get no Vulnerabilities
//     unless a finding names them;
//   - Assessments.List: the recommendation's status per machine: Healthy
//     is a machine assessed with no open finding (Vulnerabilities without
//     Findings), Unhealthy one with findings;
//   - SubAssessments.ListAll: the findings, mapped to the VM their
//     resourceDetails.id names (case-insensitively; else the resource the
//     sub-assessment is nested under). Only Unhealthy sub-assessments are
//     open findings; one Vulnerability per CVE.
//
// A machine with no finding that the recommendation does not call Healthy
// gets no Vulnerabilities: Defender may not cover it, which cannot be told.
// When the findings could not be read (denied, throttled …) every machine
// of the subscription is Unknown; so is a machine the recommendation calls
// Unhealthy while no finding for it was read. A finding on a resource not
// collected (an Arc machine, a scale set instance) is dropped and counted
// in the log.
func defenderTables() []table {
	return []table{{Service: "security", List: collectDefender}}
}

// vmFindingsAssessment is the assessment key of "Machines should have
// vulnerability findings resolved".
const vmFindingsAssessment = "1195afff-c881-495e-9bc5-1486211ae03f"

// serverVulnerabilityTypes are the additionalData.assessedResourceType
// values of machine vulnerability findings: Qualys and BYOL scanners,
// Defender Vulnerability Management.
var serverVulnerabilityTypes = []string{"ServerVulnerabilityAssessment", "ServerVulnerabilityTvm"}

// defenderReport is what the security table read for link to apply to the
// subscription's VMs (applyDefender). Keys are resource ids in lower case.
type defenderReport struct {
	// planOff: Defender for Servers is Free in the subscription.
	planOff bool
	// findingsUnknown: the sub-assessments could not all be read.
	findingsUnknown bool
	// status is the vmFindingsAssessment status of each machine.
	status   map[string]armsecurity.AssessmentStatusCode
	findings map[string][]inventory.Vulnerability
	// scanned are the machines with a sub-assessment of any status, with
	// the latest time one was generated.
	scanned map[string]time.Time
}

func collectDefender(ctx context.Context, s scope, out *collectors.Result) error {
	rep := &defenderReport{status: map[string]armsecurity.AssessmentStatusCode{}, findings: map[string][]inventory.Vulnerability{}, scanned: map[string]time.Time{}}
	steps := []struct {
		op  string
		run func(context.Context, scope, *defenderReport) error
	}{
		{"Pricings.Get", serversPlan},
		{"Assessments.List", vmAssessments},
		{"SubAssessments.ListAll", vmFindings},
	}
	for _, st := range steps {
		err := st.run(ctx, s, rep)
		var off *planOffError
		switch {
		case errors.As(err, &off):
			rep.planOff = true
			out.Gap(inventory.Gap{Cloud: inventory.Azure, Account: s.Subscription, Service: "security", Operation: st.op,
				Resource: off.id, Reason: inventory.GapRegionDisabled, Message: off.Error()})
		case err != nil:
			if st.op == "SubAssessments.ListAll" && classify(err) != inventory.GapRegionDisabled {
				// Microsoft.Security not registered is Defender never used:
				// nothing assessed. Anything else leaves the findings
				// unknown.
				rep.findingsUnknown = true
			}
			if gerr := s.gap(out, "security", st.op, "", err); gerr != nil {
				return gerr
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	s.state.mu.Lock()
	s.state.defender = rep
	s.state.mu.Unlock()
	return nil
}

// planOffError says that Defender for Servers is off.
type planOffError struct{ id, tier string }

func (e *planOffError) Error() string {
	return fmt.Sprintf("Microsoft Defender for Servers is not enabled in the subscription (pricing tier %s): it runs no vulnerability assessment, so a machine without findings is not known to be free of them", e.tier)
}

// serversPlan reads the subscription's Defender for Servers plan.
func serversPlan(ctx context.Context, s scope, _ *defenderReport) error {
	client, err := armsecurity.NewPricingsClient(s.Cred, s.Options)
	if err != nil {
		return err
	}
	resp, err := client.Get(ctx, "subscriptions/"+s.Subscription, "VirtualMachines", nil)
	if err != nil {
		return err
	}
	if p := resp.Properties; p == nil || deref(p.PricingTier) != armsecurity.PricingTierStandard {
		tier := "unknown"
		if p != nil && p.PricingTier != nil {
			tier = string(*p.PricingTier)
		}
		return &planOffError{id: deref(resp.ID), tier: tier}
	}
	return nil
}

// vmAssessments reads the status of vmFindingsAssessment on each machine.
func vmAssessments(ctx context.Context, s scope, rep *defenderReport) error {
	client, err := armsecurity.NewAssessmentsClient(s.Cred, s.Options)
	if err != nil {
		return err
	}
	return each(ctx, client.NewListPager("subscriptions/"+s.Subscription, nil), func(page armsecurity.AssessmentsClientListResponse) {
		for _, a := range page.Value {
			if a == nil || !strings.EqualFold(deref(a.Name), vmFindingsAssessment) || a.Properties == nil || a.Properties.Status == nil {
				continue
			}
			id := ""
			if d, ok := a.Properties.ResourceDetails.(*armsecurity.AzureResourceDetails); ok {
				id = deref(d.ID)
			}
			if id == "" {
				id = assessedResource(deref(a.ID))
			}
			if id != "" {
				rep.status[strings.ToLower(id)] = deref(a.Properties.Status.Code)
			}
		}
	})
}

// assessedResource is the resource an assessment or sub-assessment id is
// nested under: the part before "/providers/Microsoft.Security/assessments/".
func assessedResource(id string) string {
	return parentID(id, "providers/Microsoft.Security/assessments")
}

// subAssessment is one sub-assessment as ARM writes it. The SDK's model
// decodes additionalData by its assessedResourceType and knows only the
// Qualys/BYOL shape: a Defender Vulnerability Management finding
// (ServerVulnerabilityTvm) would lose its CVEs, and it reads
// resourceDetails' keys in one case only. So each page's body is decoded
// here (encoding/json matches keys case-insensitively), the SDK still
// doing the paging, retries and authentication.
type subAssessment struct {
	ID         string `json:"id"`
	Properties struct {
		ID          string `json:"id"` // the scanner's id of the vulnerability
		DisplayName string `json:"displayName"`
		Status      struct {
			Code                string `json:"code"`
			Severity            string `json:"severity"`
			FirstEvaluationDate string `json:"firstEvaluationDate"`
		} `json:"status"`
		ResourceDetails struct {
			Source string `json:"source"`
			ID     string `json:"id"`
		} `json:"resourceDetails"`
		TimeGenerated  string             `json:"timeGenerated"`
		AdditionalData *vulnerabilityData `json:"additionalData"`
	} `json:"properties"`
}

// vulnerabilityData is a machine vulnerability's additionalData: the
// fields of ServerVulnerabilityAssessment (cve, cvss, patchable) and of
// Defender Vulnerability Management's ServerVulnerabilityTvm (which adds
// the software and its version, and a severity).
type vulnerabilityData struct {
	AssessedResourceType string `json:"assessedResourceType"`
	CVE                  []struct {
		Title string `json:"title"`
	} `json:"cve"`
	CVSS            map[string]struct{ Base *float64 } `json:"cvss"`
	Patchable       *bool                              `json:"patchable"`
	Severity        string                             `json:"severity"`
	SoftwareName    string                             `json:"softwareName"`
	SoftwareVersion string                             `json:"softwareVersion"`
}

var cvePattern = regexp.MustCompile(`(?i)^CVE-\d{4}-\d{4,}$`)

// vmFindings reads the sub-assessments of the subscription.
func vmFindings(ctx context.Context, s scope, rep *defenderReport) error {
	client, err := armsecurity.NewSubAssessmentsClient(s.Cred, s.Options)
	if err != nil {
		return err
	}
	p := client.NewListAllPager("subscriptions/"+s.Subscription, nil)
	for p.More() {
		var raw *http.Response
		if _, err := p.NextPage(policy.WithCaptureResponse(ctx, &raw)); err != nil {
			return err
		}
		if raw == nil {
			return errors.New("sub-assessments page: no response captured")
		}
		body, err := runtime.Payload(raw)
		if err != nil {
			return err
		}
		var page struct {
			Value []subAssessment `json:"value"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("sub-assessments page: %w", err)
		}
		for _, sa := range page.Value {
			rep.add(sa)
		}
	}
	return nil
}

// add records one sub-assessment if it is a machine vulnerability.
func (rep *defenderReport) add(sa subAssessment) {
	p := sa.Properties
	ad := p.AdditionalData
	if ad == nil {
		ad = &vulnerabilityData{}
	}
	if !strings.EqualFold(segment(sa.ID, "assessments"), vmFindingsAssessment) &&
		!slices.ContainsFunc(serverVulnerabilityTypes, func(t string) bool { return strings.EqualFold(t, ad.AssessedResourceType) }) {
		return // another recommendation's: SQL, containers, system updates …
	}
	resource := p.ResourceDetails.ID
	if resource == "" {
		resource = assessedResource(sa.ID)
	}
	if resource == "" {
		return
	}
	key := strings.ToLower(resource)
	generated := armTime(p.TimeGenerated)
	if t, ok := rep.scanned[key]; !ok || generated.After(t) {
		rep.scanned[key] = generated
	}
	if !strings.EqualFold(p.Status.Code, "Unhealthy") {
		return // resolved (Healthy) or not applicable
	}
	v := inventory.Vulnerability{
		Severity:      strings.ToLower(cmp.Or(p.Status.Severity, ad.Severity)),
		CVSS:          bestCVSS(ad.CVSS),
		Package:       strings.TrimSpace(ad.SoftwareName + " " + ad.SoftwareVersion),
		FixAvailable:  ad.Patchable,
		FirstObserved: armTime(cmp.Or(p.Status.FirstEvaluationDate, p.TimeGenerated)),
	}
	var cves []string
	for _, c := range ad.CVE {
		if t := strings.TrimSpace(c.Title); cvePattern.MatchString(t) {
			cves = appendUniq(cves, strings.ToUpper(t))
		}
	}
	if len(cves) == 0 {
		// No CVE list: the vulnerability's own id names it, a CVE or the
		// scanner's (a Qualys QID).
		for _, x := range []string{p.ID, p.DisplayName} {
			if cvePattern.MatchString(strings.TrimSpace(x)) {
				cves = []string{strings.ToUpper(strings.TrimSpace(x))}
				break
			}
		}
		if len(cves) == 0 {
			cves = []string{cmp.Or(strings.TrimSpace(p.ID), strings.TrimSpace(p.DisplayName), lastSegment(sa.ID))}
		}
	}
	for _, c := range cves {
		v.CVE = c
		rep.findings[key] = append(rep.findings[key], v)
	}
}

// bestCVSS is the base score of the newest CVSS version given, rounded to
// a tenth; 0 when none.
func bestCVSS(m map[string]struct{ Base *float64 }) float64 {
	var versions []string
	for v, c := range m {
		if c.Base != nil && *c.Base > 0 {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return 0
	}
	sort.Strings(versions)
	return math.Round(*m[versions[len(versions)-1]].Base*10) / 10
}

// armTime reads an ARM timestamp, with or without a zone (UTC then);
// zero when it is empty or unreadable.
func armTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// applyDefender sets the Vulnerabilities of the subscription's VMs from
// what collectDefender read (see defenderTables), once every table has
// run. Findings of resources not collected are counted in the log.
func applyDefender(s scope, out *collectors.Result) {
	s.state.mu.Lock()
	rep := s.state.defender
	s.state.mu.Unlock()
	if rep == nil {
		return
	}
	vms := map[string]bool{}
	for i := range out.Resources {
		r := &out.Resources[i]
		if r.Kind != inventory.KindInstance || r.NativeType != "Microsoft.Compute/virtualMachines" {
			continue
		}
		key := strings.ToLower(r.ID)
		vms[key] = true
		findings := mergeFindings(rep.findings[key])
		v := &inventory.Vulnerabilities{Source: inventory.ScannerDefender, ScannedAt: rep.scanned[key], Findings: findings}
		switch {
		case rep.findingsUnknown && !rep.planOff:
			v.Unknown = true
		case len(findings) > 0:
		case rep.status[key] == armsecurity.AssessmentStatusCodeUnhealthy:
			// Findings the sub-assessments did not hold.
			v.Unknown = true
		case rep.status[key] == armsecurity.AssessmentStatusCodeHealthy:
		default:
			continue // not known to be assessed
		}
		r.Vulnerabilities = v
	}
	dropped, resources := 0, 0
	for key, fs := range rep.findings {
		if !vms[key] {
			dropped += len(fs)
			resources++
		}
	}
	if dropped > 0 && s.Logger != nil {
		s.Logger.Info("defender findings on resources not collected dropped", "subscription", s.Subscription, "findings", dropped, "resources", resources)
	}
}

// mergeFindings sorts findings by CVE then package, one per CVE and
// package: the highest severity and score, the earliest sighting, fixable
// when any says so.
func mergeFindings(fs []inventory.Vulnerability) []inventory.Vulnerability {
	var out []inventory.Vulnerability
	for _, f := range fs {
		i := slices.IndexFunc(out, func(x inventory.Vulnerability) bool { return x.CVE == f.CVE && x.Package == f.Package })
		if i < 0 {
			out = append(out, f)
			continue
		}
		x := &out[i]
		if severityRank(f.Severity) > severityRank(x.Severity) {
			x.Severity = f.Severity
		}
		x.CVSS = max(x.CVSS, f.CVSS)
		if !f.FirstObserved.IsZero() && (x.FirstObserved.IsZero() || f.FirstObserved.Before(x.FirstObserved)) {
			x.FirstObserved = f.FirstObserved
		}
		if f.FixAvailable != nil && (x.FixAvailable == nil || *f.FixAvailable) {
			x.FixAvailable = f.FixAvailable
		}
	}
	slices.SortFunc(out, func(a, b inventory.Vulnerability) int {
		if c := strings.Compare(a.CVE, b.CVE); c != 0 {
			return c
		}
		return strings.Compare(a.Package, b.Package)
	})
	return out
}

func severityRank(s string) int {
	return slices.Index([]string{"informational", "low", "medium", "high", "critical"}, s)
}
