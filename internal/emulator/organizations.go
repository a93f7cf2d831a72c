package emulator

import (
	"encoding/json"
	"net/http"
)

// organizationsTarget prefixes the X-Amz-Target of AWS Organizations
// operations (JSON 1.1 protocol).
const organizationsTarget = "AWSOrganizationsV20161128."

// serveOrganizations answers AWS Organizations (awsJson1_1: POST, the
// operation in X-Amz-Target, JSON body and answer). It serves ListAccounts
// to the management account, the estate's root, from organization.json.
// An estate without one answers AWSOrganizationsNotInUseException; any
// other account, AccessDeniedException.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *request) {
	if !s.awsJSONRequest(w, r, "organizations", organizationsTarget, func(e *apiError) { writeAWSJSONError(w, organizationsFault(e)) }) {
		return
	}
	op := r.Action
	if op != "ListAccounts" {
		writeAWSJSONError(w, errorf(400, "UnknownOperationException", "emulator: organizations %s not served", op))
		return
	}
	org := s.estate.Organization
	switch {
	case org == nil:
		writeAWSJSONError(w, errorf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization."))
		return
	case r.Account != &s.estate.AWS:
		writeAWSJSONError(w, errorf(400, "AccessDeniedException", "You don't have permissions to access this resource."))
		return
	}
	var in struct {
		MaxResults int
		NextToken  string
	}
	if aerr := decodeJSON(r.Body, &in); aerr != nil {
		writeAWSJSONError(w, aerr)
		return
	}
	size := s.opts.PageSize
	if in.MaxResults > 0 && in.MaxResults < size {
		size = in.MaxResults
	}
	from, to, next, err := page(len(org.Accounts), in.NextToken, size)
	if err != nil {
		writeAWSJSONError(w, errorf(400, "InvalidInputException", "%v", err))
		return
	}
	mgmt := s.estate.AWS.Account
	orgID := org.ID
	if orgID == "" {
		orgID = "o-" + mgmt.ID[len(mgmt.ID)-10:]
	}
	type account struct {
		Id, Arn, Name, Email, Status, State, JoinedMethod string
	}
	out := struct {
		Accounts  []account
		NextToken string `json:",omitempty"`
	}{Accounts: []account{}, NextToken: next}
	for _, a := range org.Accounts[from:to] {
		status := a.Status
		if status == "" {
			status = "ACTIVE"
		}
		method := "INVITED"
		if a.ID == mgmt.ID {
			method = "CREATED"
		}
		out.Accounts = append(out.Accounts, account{
			Id: a.ID, Name: a.Name, Email: a.Email, Status: status, State: status, JoinedMethod: method,
			Arn: "arn:" + mgmt.partition() + ":organizations::" + mgmt.ID + ":account/" + orgID + "/" + a.ID,
		})
	}
	writeAWSJSON(w, http.StatusOK, out)
}

// organizationsFault maps an injected fault to Organizations' error codes.
func organizationsFault(e *apiError) *apiError {
	switch e.Code {
	case "AccessDenied":
		return errorf(e.Status, "AccessDeniedException", "%s", e.Message)
	case "Throttling":
		return errorf(e.Status, "TooManyRequestsException", "%s", e.Message)
	case "InternalError":
		return errorf(e.Status, "ServiceException", "%s", e.Message)
	}
	return e
}

// writeAWSJSON writes v as a JSON 1.1 answer.
func writeAWSJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeAWSJSONError writes an error as the JSON protocols do: the code in
// X-Amzn-ErrorType and in the body's __type.
func writeAWSJSONError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeAWSJSON(w, e.Status, map[string]string{"__type": e.Code, "message": e.Message})
}
