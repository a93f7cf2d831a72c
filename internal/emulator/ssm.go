package emulator

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// SSMEstate is ssm.json: the instances Systems Manager manages, in every
// region, with the patch state Patch Manager last reported for each.
type SSMEstate struct {
	Instances []SSMInstance `json:"instances"`
}

// SSMInstance is one managed node. ResourceType is "EC2Instance" (the
// default) or "ManagedInstance" (a hybrid node, "mi-…"); PatchState is
// nil when Patch Manager never scanned it.
type SSMInstance struct {
	Region          string         `json:"region"`
	InstanceID      string         `json:"instance_id"`
	ResourceType    string         `json:"resource_type,omitempty"`
	PingStatus      string         `json:"ping_status,omitempty"` // "Online" (default), "ConnectionLost", "Inactive"
	PlatformType    string         `json:"platform_type,omitempty"`
	PlatformName    string         `json:"platform_name,omitempty"`
	PlatformVersion string         `json:"platform_version,omitempty"`
	AgentVersion    string         `json:"agent_version,omitempty"`
	LastPing        time.Time      `json:"last_ping"`
	PatchState      *SSMPatchState `json:"patch_state,omitempty"`
}

// SSMPatchState is an instance's patch summary (InstancePatchState).
type SSMPatchState struct {
	BaselineID             string    `json:"baseline_id,omitempty"`
	PatchGroup             string    `json:"patch_group,omitempty"`
	Operation              string    `json:"operation,omitempty"` // "Scan" (default) or "Install"
	Installed              int       `json:"installed"`
	InstalledOther         int       `json:"installed_other,omitempty"`
	InstalledPendingReboot int       `json:"installed_pending_reboot,omitempty"`
	InstalledRejected      int       `json:"installed_rejected,omitempty"`
	Missing                int       `json:"missing"`
	Failed                 int       `json:"failed"`
	NotApplicable          int       `json:"not_applicable,omitempty"`
	CriticalNonCompliant   int       `json:"critical_non_compliant,omitempty"`
	SecurityNonCompliant   int       `json:"security_non_compliant,omitempty"`
	OtherNonCompliant      int       `json:"other_non_compliant,omitempty"`
	OperationStart         time.Time `json:"operation_start"`
	OperationEnd           time.Time `json:"operation_end"`
}

// ssmTarget prefixes the X-Amz-Target of Systems Manager operations
// (JSON 1.1).
const ssmTarget = "AmazonSSM."

// serveSSM answers Systems Manager's JSON 1.1: DescribeInstanceInformation
// (paginated with MaxResults, 5 to 50, and NextToken) and
// DescribeInstancePatchStates (1 to 50 InstanceIds; MaxResults 10 to 100),
// for the request's region, within the limits AWS enforces.
func (s *Server) serveSSM(w http.ResponseWriter, r *request) {
	if !s.awsJSONRequest(w, r, "ssm", ssmTarget, func(e *apiError) { writeAWSJSONError(w, restJSONFault(e)) }) {
		return
	}
	op := r.Action
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeAWSJSONError(w, errorf(400, "UnrecognizedClientException", "The security token included in the request is invalid."))
		return
	}
	var in struct {
		InstanceIds                   []string
		MaxResults                    int
		NextToken                     string
		Filters                       json.RawMessage
		InstanceInformationFilterList json.RawMessage
	}
	if aerr := decodeJSON(r.Body, &in); aerr != nil {
		writeAWSJSONError(w, aerr)
		return
	}
	insts := regional(e.AWS.SSM.Instances, r.Region, func(x SSMInstance) (string, string) { return x.Region, x.InstanceID })
	invalid := func(format string, args ...any) {
		writeAWSJSONError(w, errorf(400, "ValidationException", format, args...))
	}
	switch op {
	case "DescribeInstanceInformation":
		if len(in.Filters) > 0 || len(in.InstanceInformationFilterList) > 0 {
			invalid("emulator: ssm DescribeInstanceInformation filters not served")
			return
		}
		if in.MaxResults != 0 && (in.MaxResults < 5 || in.MaxResults > 50) {
			invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 5 and 50", in.MaxResults)
			return
		}
		from, to, next, err := page(len(insts), in.NextToken, min(cmp.Or(in.MaxResults, 50), s.opts.PageSize))
		if err != nil {
			writeAWSJSONError(w, errorf(400, "InvalidNextToken", "%v", err))
			return
		}
		list := []map[string]any{}
		for _, i := range insts[from:to] {
			list = append(list, map[string]any{
				"InstanceId": i.InstanceID, "PingStatus": cmp.Or(i.PingStatus, "Online"),
				"LastPingDateTime": epochSeconds(i.LastPing), "AgentVersion": cmp.Or(i.AgentVersion, "3.3.1611.0"),
				"IsLatestVersion": false, "PlatformType": cmp.Or(i.PlatformType, "Linux"),
				"PlatformName": i.PlatformName, "PlatformVersion": i.PlatformVersion,
				"ResourceType": cmp.Or(i.ResourceType, "EC2Instance"), "SourceId": i.InstanceID, "SourceType": "AWS::EC2::Instance",
			})
		}
		out := map[string]any{"InstanceInformationList": list}
		if next != "" {
			out["NextToken"] = next
		}
		writeAWSJSON(w, http.StatusOK, out)
	case "DescribeInstancePatchStates":
		if len(in.InstanceIds) < 1 || len(in.InstanceIds) > 50 {
			invalid("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length between 1 and 50 (got %d)", len(in.InstanceIds))
			return
		}
		if in.MaxResults != 0 && (in.MaxResults < 10 || in.MaxResults > 100) {
			invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 10 and 100", in.MaxResults)
			return
		}
		var states []map[string]any
		for _, id := range in.InstanceIds {
			i := slices.IndexFunc(insts, func(x SSMInstance) bool { return x.InstanceID == id })
			if i < 0 || insts[i].PatchState == nil {
				continue
			}
			states = append(states, ssmPatchStateJSON(id, insts[i].PatchState))
		}
		from, to, next, err := page(len(states), in.NextToken, min(cmp.Or(in.MaxResults, 100), s.opts.PageSize))
		if err != nil {
			writeAWSJSONError(w, errorf(400, "InvalidNextToken", "%v", err))
			return
		}
		out := map[string]any{"InstancePatchStates": append([]map[string]any{}, states[from:to]...)}
		if next != "" {
			out["NextToken"] = next
		}
		writeAWSJSON(w, http.StatusOK, out)
	default:
		writeAWSJSONError(w, errorf(400, "UnknownOperationException", "emulator: ssm %s not served", op))
	}
}

func ssmPatchStateJSON(id string, p *SSMPatchState) map[string]any {
	return map[string]any{
		"InstanceId": id, "BaselineId": cmp.Or(p.BaselineID, "pb-0c10e65780EXAMPLE"), "PatchGroup": p.PatchGroup,
		"Operation": cmp.Or(p.Operation, "Scan"), "RebootOption": "NoReboot",
		"InstalledCount": p.Installed, "InstalledOtherCount": p.InstalledOther,
		"InstalledPendingRebootCount": p.InstalledPendingReboot, "InstalledRejectedCount": p.InstalledRejected,
		"MissingCount": p.Missing, "FailedCount": p.Failed, "NotApplicableCount": p.NotApplicable,
		"UnreportedNotApplicableCount": 0,
		"CriticalNonCompliantCount":    p.CriticalNonCompliant, "SecurityNonCompliantCount": p.SecurityNonCompliant,
		"OtherNonCompliantCount": p.OtherNonCompliant,
		"OperationStartTime":     epochSeconds(p.OperationStart), "OperationEndTime": epochSeconds(p.OperationEnd),
	}
}
