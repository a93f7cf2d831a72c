package emulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// KMSEstate is kms.json: the account's KMS keys, in every region.
type KMSEstate struct {
	Keys []KMSKey `json:"keys"`
}

// KMSKey is one key. Policy is its key policy, as a JSON object or as a
// JSON string holding its text (see SQSQueue.Policy); absent: the default
// key policy (the account's root may do everything).
type KMSKey struct {
	Region      string          `json:"region"`
	ID          string          `json:"id"`                // a key id: "1234abcd-12ab-34cd-56ef-1234567890ab"
	Manager     string          `json:"manager,omitempty"` // "CUSTOMER" (default) or "AWS"
	Aliases     []string        `json:"aliases,omitempty"` // "alias/payments"
	Description string          `json:"description,omitempty"`
	State       string          `json:"state,omitempty"`    // "Enabled" (default), "Disabled", "PendingDeletion"
	KeySpec     string          `json:"key_spec,omitempty"` // "SYMMETRIC_DEFAULT" (default), "RSA_2048" …
	Origin      string          `json:"origin,omitempty"`   // "AWS_KMS" (default), "EXTERNAL" …
	Policy      json.RawMessage `json:"policy,omitempty"`
	// Rotation is whether automatic rotation is on (customer symmetric
	// keys; AWS managed keys always rotate).
	Rotation    bool              `json:"rotation,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	CreatedTime time.Time         `json:"created_time"`
}

// kmsTarget prefixes the X-Amz-Target of KMS operations (JSON 1.1).
const kmsTarget = "TrentService."

func (k KMSKey) arn(e *Estate) string {
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", e.AWS.Account.partition(), k.Region, e.AWS.Account.ID, k.ID)
}

func (k KMSKey) manager() string { return cmp.Or(k.Manager, "CUSTOMER") }
func (k KMSKey) state() string   { return cmp.Or(k.State, "Enabled") }
func (k KMSKey) keySpec() string { return cmp.Or(k.KeySpec, "SYMMETRIC_DEFAULT") }
func (k KMSKey) origin() string  { return cmp.Or(k.Origin, "AWS_KMS") }

// policy is the key policy's text; the default key policy when the estate
// gives none.
func (k KMSKey) policy(e *Estate) string {
	if text := strings.TrimSpace(policyText(k.Policy)); text != "" {
		return text
	}
	root := fmt.Sprintf("arn:%s:iam::%s:root", e.AWS.Account.partition(), e.AWS.Account.ID)
	return `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",` +
		`"Principal":{"AWS":"` + root + `"},"Action":"kms:*","Resource":"*"}]}`
}

// serveKMS answers KMS's JSON 1.1 protocol: ListKeys, ListAliases and
// ListResourceTags (paginated with Limit and Marker), DescribeKey,
// GetKeyPolicy and GetKeyRotationStatus, for the request's region. A key
// is named by its id, its ARN or one of its aliases.
func (s *Server) serveKMS(w http.ResponseWriter, r *request) {
	if !s.awsJSONRequest(w, r, "kms", kmsTarget, func(e *apiError) { writeAWSJSONError(w, kmsFault(e)) }) {
		return
	}
	op := r.Action
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeAWSJSONError(w, errorf(400, "UnrecognizedClientException", "The security token included in the request is invalid."))
		return
	}
	var in struct {
		KeyId      string
		PolicyName string
		Limit      int
		Marker     string
	}
	if aerr := decodeJSON(r.Body, &in); aerr != nil {
		writeAWSJSONError(w, aerr)
		return
	}
	keys := regional(e.AWS.KMS.Keys, r.Region, func(x KMSKey) (string, string) { return x.Region, x.ID })
	size := s.opts.PageSize
	if in.Limit > 0 && in.Limit < size {
		size = in.Limit
	}
	// paged writes one page of items under name, with KMS's NextMarker
	// and Truncated.
	paged := func(name string, n int, item func(i int) any) {
		from, to, next, err := page(n, in.Marker, size)
		if err != nil {
			writeAWSJSONError(w, errorf(400, "InvalidMarkerException", "%v", err))
			return
		}
		items := []any{}
		for i := from; i < to; i++ {
			items = append(items, item(i))
		}
		out := map[string]any{name: items, "Truncated": next != ""}
		if next != "" {
			out["NextMarker"] = next
		}
		writeAWSJSON(w, http.StatusOK, out)
	}
	byID := func() (KMSKey, bool) {
		id := strings.TrimPrefix(in.KeyId, "arn:"+e.AWS.Account.partition()+":kms:"+r.Region+":"+e.AWS.Account.ID+":")
		id = strings.TrimPrefix(id, "key/")
		i := slices.IndexFunc(keys, func(k KMSKey) bool { return k.ID == id || slices.Contains(k.Aliases, id) })
		if i < 0 {
			writeAWSJSONError(w, errorf(400, "NotFoundException", "Key '%s' does not exist", in.KeyId))
			return KMSKey{}, false
		}
		return keys[i], true
	}

	switch op {
	case "ListKeys":
		paged("Keys", len(keys), func(i int) any {
			return map[string]string{"KeyId": keys[i].ID, "KeyArn": keys[i].arn(e)}
		})
	case "ListAliases":
		type alias struct{ name, key string }
		var all []alias
		for _, k := range keys {
			for _, a := range k.Aliases {
				all = append(all, alias{a, k.ID})
			}
		}
		slices.SortFunc(all, func(a, b alias) int { return strings.Compare(a.name, b.name) })
		paged("Aliases", len(all), func(i int) any {
			return map[string]string{"AliasName": all[i].name, "TargetKeyId": all[i].key,
				"AliasArn": fmt.Sprintf("arn:%s:kms:%s:%s:%s", e.AWS.Account.partition(), r.Region, e.AWS.Account.ID, all[i].name)}
		})
	case "ListResourceTags":
		k, ok := byID()
		if !ok {
			return
		}
		tagKeys := slices.Sorted(maps.Keys(k.Tags))
		paged("Tags", len(tagKeys), func(i int) any {
			return map[string]string{"TagKey": tagKeys[i], "TagValue": k.Tags[tagKeys[i]]}
		})
	case "DescribeKey":
		k, ok := byID()
		if !ok {
			return
		}
		usage := "ENCRYPT_DECRYPT"
		if strings.HasPrefix(k.keySpec(), "ECC_") {
			usage = "SIGN_VERIFY"
		}
		md := map[string]any{
			"KeyId": k.ID, "Arn": k.arn(e), "AWSAccountId": e.AWS.Account.ID, "Description": k.Description,
			"CreationDate": float64(k.CreatedTime.Unix()), "Enabled": k.state() == "Enabled", "KeyState": k.state(),
			"KeyManager": k.manager(), "KeySpec": k.keySpec(), "CustomerMasterKeySpec": k.keySpec(), "KeyUsage": usage,
			"Origin": k.origin(), "MultiRegion": false,
		}
		if k.keySpec() == "SYMMETRIC_DEFAULT" {
			md["EncryptionAlgorithms"] = []string{"SYMMETRIC_DEFAULT"}
		}
		writeAWSJSON(w, http.StatusOK, map[string]any{"KeyMetadata": md})
	case "GetKeyPolicy":
		k, ok := byID()
		if !ok {
			return
		}
		if name := cmp.Or(in.PolicyName, "default"); name != "default" {
			writeAWSJSONError(w, errorf(400, "NotFoundException", "Policy %s does not exist", name))
			return
		}
		writeAWSJSON(w, http.StatusOK, map[string]any{"Policy": k.policy(e), "PolicyName": "default"})
	case "GetKeyRotationStatus":
		k, ok := byID()
		if !ok {
			return
		}
		switch {
		case k.keySpec() != "SYMMETRIC_DEFAULT" || k.origin() != "AWS_KMS":
			writeAWSJSONError(w, errorf(400, "UnsupportedOperationException", "%s key %s does not support automatic rotation", k.keySpec(), k.arn(e)))
			return
		case k.state() == "PendingDeletion":
			writeAWSJSONError(w, errorf(400, "KMSInvalidStateException", "%s is pending deletion.", k.arn(e)))
			return
		}
		on := k.Rotation || k.manager() == "AWS"
		out := map[string]any{"KeyId": k.arn(e), "KeyRotationEnabled": on}
		if on {
			out["RotationPeriodInDays"] = 365
		}
		writeAWSJSON(w, http.StatusOK, out)
	default:
		writeAWSJSONError(w, errorf(400, "UnsupportedOperationException", "emulator: kms %s not served", op))
	}
}

// kmsFault maps an injected fault to KMS's error codes.
func kmsFault(e *apiError) *apiError {
	switch e.Code {
	case "AccessDenied":
		return errorf(e.Status, "AccessDeniedException", "%s", e.Message)
	case "Throttling":
		return errorf(e.Status, "ThrottlingException", "%s", e.Message)
	case "InternalError":
		return errorf(e.Status, "KMSInternalException", "%s", e.Message)
	}
	return e
}
