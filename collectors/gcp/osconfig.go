package gcp

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/posture-dev/posture/collectors"
	"github.com/posture-dev/posture/internal/inventory"
)

// osconfigAPI is what the vulnerability pass asks of OS Config (VM
// Manager, osconfig v1).
type osconfigAPI interface {
	ListVulnerabilityReports(ctx context.Context, parent, pageToken string) (*osconfig.ListVulnerabilityReportsResponse, error)
}

type osconfigClient struct{ s *osconfig.Service }

func (c *osconfigClient) ListVulnerabilityReports(ctx context.Context, parent, token string) (*osconfig.ListVulnerabilityReportsResponse, error) {
	call := c.s.Projects.Locations.Instances.VulnerabilityReports.List(parent).Context(ctx)
	if token != "" {
		call = call.PageToken(token)
	}
	return call.Do()
}

// osconfigList is the operation the pass calls, as gaps name it.
const osconfigList = "projects.locations.instances.vulnerabilityReports.list"

// vulnerabilities reads the OS Config vulnerability reports of the
// instances collected, once every table of every project is done: for
// each project, projects.locations.instances.vulnerabilityReports.list
// with parent projects/P/locations/ZONE/instances/- for each zone that
// holds one of its instances (the API lists one zone at a time), every
// page. A report is named projects/NUMBER/locations/ZONE/instances/ID
// (the numeric instance id, or its name)/vulnerabilityReport; it becomes
// the instance's Vulnerabilities:
//
//   - Source inventory.ScannerOSConfig, ScannedAt the report's updateTime.
//   - One finding per vulnerability: CVE details.cve; Severity
//     details.severity in lower case (MINIMAL and NONE are informational,
//     none given is untriaged); CVSS details.cvssV3.baseScore, else
//     details.cvssV2Score; Package the installed inventory items
//     (installedInventoryItemIds and items[]; "installedPackage-NAME:ARCH:VERSION"
//     reads "NAME VERSION"), else the available ones; FixAvailable
//     whether an available inventory item (an upgrade) fixes it;
//     FirstObserved its createTime.
//
// An instance in a zone listed without a report is not scanned (no OS
// Config agent or inventory): it gets no Vulnerabilities. The API not
// enabled in a project is one gap and no Vulnerabilities; denied is one
// gap and the instances of the zones not yet read Unknown; another failure (throttled
// past retries, unreachable) is a gap of its zone and its instances
// Unknown. A report on an instance not collected is dropped, and counted
// in the log.
func (c *Collector) vulnerabilities(ctx context.Context, cl *clients, out *collectors.Result) error {
	cl.networks.mu.Lock()
	byProject := map[string][]instanceNet{}
	for _, i := range cl.networks.instances {
		byProject[i.project] = append(byProject[i.project], i)
	}
	cl.networks.mu.Unlock()
	projects := make([]string, 0, len(byProject))
	for p := range byProject {
		projects = append(projects, p)
	}
	slices.Sort(projects)
	found := make([]map[string]*inventory.Vulnerabilities, len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.Concurrency)
	for n, p := range projects {
		g.Go(func() (err error) {
			found[n], err = c.osconfigProject(gctx, cl.osconfig, p, byProject[p], out)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for n := range out.Resources {
		r := &out.Resources[n]
		if r.Cloud != inventory.GCP || r.Kind != inventory.KindInstance {
			continue
		}
		for _, f := range found {
			if v := f[r.ID]; v != nil {
				r.Vulnerabilities = v
			}
		}
	}
	return nil
}

// osconfigProject reads the reports of one project's zones and returns
// the instances' Vulnerabilities by instance id. The error is fatal to
// the run.
func (c *Collector) osconfigProject(ctx context.Context, api osconfigAPI, project string, instances []instanceNet, out *collectors.Result) (map[string]*inventory.Vulnerabilities, error) {
	s := scope{Project: project}
	ids := map[string]string{} // "ZONE/ID" and "ZONE/NAME" -> resource id
	var zones []string
	for _, i := range instances {
		zone := pathValue(i.id, "zones")
		zones = appendUniq(zones, zone)
		ids[zone+"/"+lastSegment(i.id)] = i.id
		if i.number != "" {
			ids[zone+"/"+i.number] = i.id
		}
	}
	slices.Sort(zones)
	found := map[string]*inventory.Vulnerabilities{}
	unknown := func(zone string) {
		for _, i := range instances {
			if pathValue(i.id, "zones") == zone {
				found[i.id] = &inventory.Vulnerabilities{Source: inventory.ScannerOSConfig, Unknown: true}
			}
		}
	}
	dropped := 0
	for n, zone := range zones {
		parent := "projects/" + project + "/locations/" + zone + "/instances/-"
		var reports []*osconfig.VulnerabilityReport
		token := ""
		var err error
		for {
			var resp *osconfig.ListVulnerabilityReportsResponse
			if err = c.do(ctx, func() (err error) { resp, err = api.ListVulnerabilityReports(ctx, parent, token); return err }); err != nil {
				break
			}
			reports = append(reports, resp.VulnerabilityReports...)
			if token = resp.NextPageToken; token == "" {
				break
			}
		}
		if err != nil {
			if fatal(err) {
				return nil, s.gap(out, "osconfig", osconfigList, "", err)
			}
			switch classify(err) {
			case inventory.GapRegionDisabled:
				out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: project, Service: "osconfig", Operation: osconfigList, Reason: inventory.GapRegionDisabled,
					Message: "the OS Config API is not enabled in project " + project + ", so its instances' vulnerabilities are not scanned: " + errorMessage(err)})
				return nil, nil
			case inventory.GapAccessDenied:
				out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: project, Service: "osconfig", Operation: osconfigList, Reason: inventory.GapAccessDenied,
					Message: "the vulnerability reports of project " + project + " could not be read (" + parent + "): " + errorMessage(err)})
				for _, z := range zones[n:] {
					unknown(z)
				}
				return found, nil
			}
			out.Gap(inventory.Gap{Cloud: inventory.GCP, Account: project, Region: zone, Service: "osconfig", Operation: osconfigList, Reason: classify(err),
				Message: "the vulnerability reports of " + zone + " could not be read: " + errorMessage(err)})
			unknown(zone)
			continue
		}
		for _, rep := range reports {
			id, ok := ids[pathValue(rep.Name, "locations")+"/"+pathValue(rep.Name, "instances")]
			if !ok {
				dropped++
				continue
			}
			found[id] = vulnerabilityReport(rep)
		}
	}
	if dropped > 0 {
		c.opts.Logger.Info("gcp: vulnerability reports on instances not collected were dropped", "project", project, "reports", dropped)
	}
	return found, nil
}

// vulnerabilityReport maps one report.
func vulnerabilityReport(rep *osconfig.VulnerabilityReport) *inventory.Vulnerabilities {
	v := &inventory.Vulnerabilities{Source: inventory.ScannerOSConfig, ScannedAt: parseTime(rep.UpdateTime)}
	for _, x := range rep.Vulnerabilities {
		d := x.Details
		if d == nil {
			d = &osconfig.VulnerabilityReportVulnerabilityDetails{}
		}
		installed := slices.Clone(x.InstalledInventoryItemIds)
		available := slices.Clone(x.AvailableInventoryItemIds)
		for _, it := range x.Items {
			installed = appendUniq(installed, it.InstalledInventoryItemId)
			available = appendUniq(available, it.AvailableInventoryItemId)
		}
		f := inventory.Vulnerability{CVE: d.Cve, Severity: osconfigSeverity(d.Severity), CVSS: d.CvssV2Score,
			Package: inventoryPackages(installed), FirstObserved: parseTime(x.CreateTime)}
		if d.CvssV3 != nil && d.CvssV3.BaseScore > 0 {
			f.CVSS = d.CvssV3.BaseScore
		}
		if f.Package == "" {
			f.Package = inventoryPackages(available)
		}
		fix := len(available) > 0
		f.FixAvailable = &fix
		v.Findings = append(v.Findings, f)
	}
	slices.SortStableFunc(v.Findings, func(a, b inventory.Vulnerability) int {
		return cmp.Or(strings.Compare(a.CVE, b.CVE), strings.Compare(a.Package, b.Package))
	})
	return v
}

// osconfigSeverity is a severity as the inventory writes it.
func osconfigSeverity(s string) string {
	switch s = strings.ToLower(s); s {
	case "critical", "high", "medium", "low":
		return s
	case "minimal", "none":
		return "informational"
	case "", "vulnerability_severity_level_unspecified", "severity_unspecified":
		return "untriaged"
	}
	return s
}

// inventoryPackages reads inventory item ids
// ("installedPackage-policykit-1:x86_64:0.105-18+deb9u1") as
// "policykit-1 0.105-18+deb9u1", joined by ", "; an id of another shape is
// kept as it is.
func inventoryPackages(ids []string) string {
	var out []string
	for _, id := range ids {
		p, ok := strings.CutPrefix(id, "installedPackage-")
		if !ok {
			p, ok = strings.CutPrefix(id, "availablePackage-")
		}
		if parts := strings.SplitN(p, ":", 3); ok && len(parts) == 3 && parts[0] != "" {
			p = parts[0] + " " + parts[2]
		}
		out = appendUniq(out, p)
	}
	return strings.Join(out, ", ")
}

// parseTime reads an RFC 3339 time; zero when absent or unreadable.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
