package remediate

import "strings"

// arnParts splits an ARN into service, region, account and resource
// ("arn:aws:ec2:us-east-1:111:security-group/sg-1" -> "ec2", "us-east-1",
// "111", "security-group/sg-1"). ok is false when s is not an ARN.
func arnParts(s string) (service, region, account, resource string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", "", "", "", false
	}
	return parts[2], parts[3], parts[4], parts[5], true
}

// nativeID returns the cloud's short id of a resource from its ARN: the
// part after the resource type, and for IAM paths the last segment.
//
//	arn:aws:ec2:r:a:security-group/sg-1    -> sg-1
//	arn:aws:ec2:r:a:instance/i-1           -> i-1
//	arn:aws:rds:r:a:db:orders              -> orders
//	arn:aws:iam::a:user/ops/alice          -> alice
//	arn:aws:iam::a:role/web                -> web
//	arn:aws:s3:::my-bucket                 -> my-bucket
//
// A string that is not an ARN is returned as it is (collectors may use
// native ids where the cloud has no ARN).
func nativeID(s string) string {
	_, _, _, res, ok := arnParts(s)
	if !ok {
		return s
	}
	if i := strings.LastIndex(res, "/"); i >= 0 {
		return res[i+1:]
	}
	if i := strings.Index(res, ":"); i >= 0 { // rds "db:name"
		return res[i+1:]
	}
	return res
}

// region returns the resource's region, falling back to its ARN's.
func regionOf(id, recorded string) string {
	if recorded != "" {
		return recorded
	}
	_, region, _, _, _ := arnParts(id)
	return region
}
