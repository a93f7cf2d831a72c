package remediate

import (
	"fmt"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

const fixRunPatchBaseline = "aws.ssm.run_patch_baseline"

// Scanner-finding and patch-state signals a patch run removes.
const (
	SigKnownExploitedCVE inventory.SignalID = "patches.known_exploited_cve"
	SigHighEPSSCVE       inventory.SignalID = "patches.high_epss_cve"
	SigCriticalVuln      inventory.SignalID = "patches.critical_vulnerability"
	SigMissingSecPatches inventory.SignalID = "patches.missing_security_patches"
)

// ssmRunPatchBaseline installs the instance's missing patches through
// Systems Manager's AWS-RunPatchBaseline document. A finding in a package
// the patch baseline does not cover (an application's own library, such
// as log4j in a jar) is not fixed by it: the rescan shows that. An
// instance Systems Manager does not manage gets a plan for a person.
func ssmRunPatchBaseline() Fix {
	return Fix{
		ID: fixRunPatchBaseline, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigKnownExploitedCVE, SigHighEPSSCVE, SigCriticalVuln, SigMissingSecPatches},
		Title:   "Install missing patches with SSM Patch Manager",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			if r.Kind != inventory.KindInstance {
				return nil, nil // a function is fixed by redeploying its package, not by a patch run
			}
			id := nativeID(r.ID)
			region := regionOf(r.ID, r.Region)
			what := "its missing patches"
			if cves := sig.Evidence["cves"]; cves != "" {
				what = "the packages behind " + cves
			}
			p := Plan{
				ID:       planID(fixRunPatchBaseline, r.ID, ""),
				Fix:      fixRunPatchBaseline,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    "Patch " + label(id, r) + " with AWS-RunPatchBaseline",
				BlastRadius: BlastRadius{Resources: append([]string{r.ID}, in.Graph.In(r.ID, inventory.RelTargets)...),
					Note: "installs packages and reboots the instance if a patch needs it (RebootIfNeeded): what runs on it restarts; run it in a maintenance window, or drain it from its load balancers first."},
				Reversible:  false,
				Automatable: false,
				Why:         "installed packages are not rolled back by a call, and the reboot needs a window a person picks",
			}
			if r.Instance == nil || r.Instance.Patches == nil {
				p.Change = fmt.Sprintf("Update %s on %s. Systems Manager does not manage it (no SSM agent, or no instance profile allowing it): install the agent and attach AmazonSSMManagedInstanceCore, then run AWS-RunPatchBaseline, or update the packages by hand.", what, label(id, r))
				return []Plan{finish(p)}, nil
			}
			p.Change = fmt.Sprintf("Run AWS-RunPatchBaseline with Operation=Install on %s to install %s that its patch baseline approves; the rescan shows what is left.", label(id, r), what)
			p.Calls = []Call{{Service: "ssm", Operation: "SendCommand", Region: region, Params: map[string]any{
				"DocumentName": "AWS-RunPatchBaseline",
				"InstanceIds":  []string{id},
				"Parameters":   map[string][]string{"Operation": {"Install"}, "RebootOption": {"RebootIfNeeded"}},
				"Comment":      "posture: " + strings.TrimPrefix(string(sig.ID), "patches."),
			}}}
			p.Terraform = fmt.Sprintf("# patch %s on a schedule\nresource \"aws_ssm_association\" \"patch_%s\" {\n  name                = \"AWS-RunPatchBaseline\"\n  schedule_expression = \"cron(0 3 ? * SUN *)\"\n  parameters = {\n    Operation    = \"Install\"\n    RebootOption = \"RebootIfNeeded\"\n  }\n  targets {\n    key    = \"InstanceIds\"\n    values = [\"%s\"]\n  }\n}\n", id, strings.ReplaceAll(id, "-", "_"), id)
			return []Plan{finish(p)}, nil
		},
	}
}
