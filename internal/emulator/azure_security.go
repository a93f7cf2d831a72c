package emulator

import "strings"

// azureSecurityFile is the file of an estate's azure/ directory that holds
// Microsoft Defender for Cloud's view of it (Microsoft.Security), each
// resource as ARM answers a GET of it:
//
//   - pricings (Microsoft.Security/pricings, "/subscriptions/S/providers/
//     Microsoft.Security/pricings/VirtualMachines"), read by Pricings.Get;
//   - assessments (Microsoft.Security/assessments, nested under the
//     resource assessed: "<vm id>/providers/Microsoft.Security/assessments/
//     <assessment key>"), listed by Assessments.List at a scope;
//   - sub-assessments (Microsoft.Security/assessments/subAssessments,
//     "<assessment id>/subAssessments/<id>"), one per finding and
//     resource, listed by SubAssessments.ListAll (parseSecurityARM).
//
// A subscription without the file has no Defender data: lists are empty
// and Pricings.Get is 404.
const azureSecurityFile = "security.json"

// parseSecurityARM decodes the Microsoft.Security list that parseARM's
// general rule does not: "{scope}/providers/Microsoft.Security/
// subAssessments", every sub-assessment under the scope (prefix is the
// path's segments before "providers"), whatever its assessment and the
// resource it is nested under (SubAssessments.ListAll). c is parseARM's
// reading of the path.
func parseSecurityARM(c armCall, prefix []string) (armCall, bool) {
	if !strings.EqualFold(c.Type, "Microsoft.Security/subAssessments") {
		return c, false
	}
	c.Type, c.Action = "Microsoft.Security/assessments/subAssessments", "SubAssessments.ListAll"
	c.Under, c.Direct = "/"+strings.ToLower(strings.Join(prefix, "/"))+"/", false
	return c, true
}

// defaultSecurityResource answers a GET of a Microsoft.Security resource
// that every subscription has whether or not the estate lists it: a
// Defender plan (pricings/{name}) not listed is on the Free tier, as ARM
// answers for a subscription that never enabled it.
func defaultSecurityResource(c armCall, p string) (any, bool) {
	if !strings.EqualFold(c.Action, "Pricings.Get") {
		return nil, false
	}
	name := p[strings.LastIndex(p, "/")+1:]
	return map[string]any{"id": p, "name": name, "type": "Microsoft.Security/pricings",
		"properties": map[string]any{"pricingTier": "Free", "freeTrialRemainingTime": "P30D", "deprecated": false}}, true
}
