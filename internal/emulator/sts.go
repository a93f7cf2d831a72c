package emulator

import (
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// assumedKeyPrefix starts the access key ids AssumeRole hands out; the
// account id follows ("ASIA111122223333").
const assumedKeyPrefix = "ASIA"

// signer returns the account whose access key signed a request: the
// account an assumed key names, or the root account for any other key.
// An assumed key of an account the estate does not hold is rejected, as
// AWS rejects a key it does not know.
func (e *Estate) signer(key string) (*AWSEstate, *apiError) {
	id, ok := strings.CutPrefix(key, assumedKeyPrefix)
	if !ok || !accountID(id) {
		return &e.AWS, nil
	}
	if a := e.awsAccount(id); a != nil {
		return a, nil
	}
	return nil, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// accountID reports whether s is a 12-digit account id.
func accountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// serveSTS answers GetCallerIdentity and AssumeRole for the account that
// signed.
func serveSTS(e *Estate, r *request, _ int) (any, error) {
	switch r.Action {
	case "GetCallerIdentity":
		return callerIdentity(e, r), nil
	case "AssumeRole":
		return assumeRole(e, r)
	}
	return nil, errorf(400, "InvalidAction", "emulator: sts action %q not served", r.Action)
}

func callerIdentity(e *Estate, r *request) any {
	type result struct {
		Arn     string
		UserId  string
		Account string
	}
	type resp struct {
		XMLName  xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result   result   `xml:"GetCallerIdentityResult"`
		Metadata struct {
			RequestId string
		} `xml:"ResponseMetadata"`
	}
	a := &e.AWS.Account
	caller := a.Caller
	if role, session, ok := assumedSession(r.HTTP.Header.Get("X-Amz-Security-Token"), a.ID); ok {
		caller = "arn:" + a.partition() + ":sts::" + a.ID + ":assumed-role/" + role + "/" + session
	}
	if caller == "" {
		caller = "arn:" + a.partition() + ":iam::" + a.ID + ":user/posture-scanner"
	}
	v := resp{Result: result{Arn: caller, UserId: "AIDAEMULATED", Account: a.ID}}
	v.Metadata.RequestId = "emulated"
	return v
}

// assumeRole hands out credentials of the role named by RoleArn when the
// target account's iam.json has that role and its trust policy names the
// calling account (its id, or the principal "*"). A trust policy with an
// sts:ExternalId condition also wants that ExternalId. Anything else is
// AccessDenied, as AWS answers it. The access key id is "ASIA" + the
// target account, so later requests are served from that account; the
// session token carries the role and session name for GetCallerIdentity.
func assumeRole(e *Estate, r *request) (any, error) {
	arn, session := r.Get("RoleArn"), r.Get("RoleSessionName")
	caller := e.AWS.Account
	who := caller.Caller
	if who == "" {
		who = "arn:" + caller.partition() + ":iam::" + caller.ID + ":user/posture-scanner"
	}
	denied := errorf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", who, arn)
	if arn == "" || session == "" {
		return nil, errorf(400, "ValidationError", "RoleArn and RoleSessionName are required")
	}
	// arn:<partition>:iam::<account>:role/<path/>name
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return nil, errorf(400, "ValidationError", "%q is not a role ARN", arn)
	}
	target := e.awsAccount(parts[4])
	if target == nil {
		return nil, denied
	}
	name := parts[5][strings.LastIndex(parts[5], "/")+1:]
	var trust string
	found := false
	for _, ro := range target.IAM.Roles {
		if ro.RoleName == name {
			found, trust = true, policyText(ro.AssumeRolePolicyDocument)
			break
		}
	}
	if !found || !trusts(trust, caller.ID) {
		return nil, denied
	}
	if strings.Contains(trust, "sts:ExternalId") {
		ext := r.Get("ExternalId")
		if ext == "" || !strings.Contains(trust, strconv.Quote(ext)) {
			return nil, denied
		}
	}
	duration := time.Hour
	if d, err := strconv.Atoi(r.Get("DurationSeconds")); err == nil && d > 0 {
		duration = time.Duration(d) * time.Second
	}

	type credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	type user struct {
		Arn           string
		AssumedRoleId string
	}
	type result struct {
		Credentials     credentials
		AssumedRoleUser user
	}
	type resp struct {
		XMLName  xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
		Result   result   `xml:"AssumeRoleResult"`
		Metadata struct {
			RequestId string
		} `xml:"ResponseMetadata"`
	}
	id := target.Account.ID
	v := resp{Result: result{
		Credentials: credentials{
			AccessKeyId:     assumedKeyPrefix + id,
			SecretAccessKey: "emulated",
			SessionToken:    "emulated/" + id + "/" + name + "/" + session,
			// The client's clock judges expiry, so this one is real time.
			Expiration: time.Now().Add(duration).UTC().Format(time.RFC3339),
		},
		AssumedRoleUser: user{
			Arn:           "arn:" + target.Account.partition() + ":sts::" + id + ":assumed-role/" + name + "/" + session,
			AssumedRoleId: "AROAEMULATED:" + session,
		},
	}}
	v.Metadata.RequestId = "emulated"
	return v, nil
}

// assumedSession reads the role and session name from a session token
// AssumeRole handed out for account.
func assumedSession(token, account string) (role, session string, ok bool) {
	rest, ok := strings.CutPrefix(token, "emulated/"+account+"/")
	if !ok {
		return "", "", false
	}
	return strings.Cut(rest, "/")
}

// policyText is a policy document's text: the JSON string's value, or the
// JSON object itself.
func policyText(doc json.RawMessage) string {
	var s string
	if json.Unmarshal(doc, &s) == nil {
		return s
	}
	return string(doc)
}

// trusts reports whether a trust policy's text names account (its id or
// its root ARN) or the principal "*". It is a reading of the text, enough
// for estates: an estate denies by leaving the account out.
func trusts(policy, account string) bool {
	if strings.Contains(policy, account) {
		return true
	}
	compact := strings.Join(strings.Fields(policy), "")
	return strings.Contains(compact, `"Principal":"*"`) || strings.Contains(compact, `"AWS":"*"`)
}
