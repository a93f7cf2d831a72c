package emulator

import "encoding/xml"

// serveSTS answers GetCallerIdentity.
func serveSTS(e *Estate, r *request, _ int) (any, error) {
	if r.Action != "GetCallerIdentity" {
		return nil, errorf(400, "InvalidAction", "emulator: sts action %q not served", r.Action)
	}
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
	caller := e.AWS.Account.Caller
	if caller == "" {
		caller = "arn:" + e.AWS.Account.partition() + ":iam::" + e.AWS.Account.ID + ":user/posture-scanner"
	}
	v := resp{Result: result{Arn: caller, UserId: "AIDAEMULATED", Account: e.AWS.Account.ID}}
	v.Metadata.RequestId = "emulated"
	return v, nil
}
