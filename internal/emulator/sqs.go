package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// SQSEstate is sqs.json: the account's queues, in every region.
type SQSEstate struct {
	Queues []SQSQueue `json:"queues"`
}

// SQSQueue is one queue. Policy is its access policy, written as a JSON
// object, or as a JSON string holding the policy's text (so an estate can
// hold one that does not parse); absent: the queue has none.
type SQSQueue struct {
	Region string          `json:"region"`
	Name   string          `json:"name"`
	Policy json.RawMessage `json:"policy,omitempty"`
	// SQSManagedSSE is SSE-SQS; KMSMasterKeyID a KMS key (id, ARN or
	// alias) for SSE-KMS.
	SQSManagedSSE  bool              `json:"sqs_managed_sse,omitempty"`
	KMSMasterKeyID string            `json:"kms_master_key_id,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// sqsTarget prefixes the X-Amz-Target of SQS operations (JSON 1.0).
const sqsTarget = "AmazonSQS."

func (q SQSQueue) url(e *Estate) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", q.Region, e.AWS.Account.ID, q.Name)
}

func (q SQSQueue) arn(e *Estate) string {
	return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", e.AWS.Account.partition(), q.Region, e.AWS.Account.ID, q.Name)
}

// serveSQS answers SQS's JSON 1.0 protocol (query compatible: errors carry
// their query code in X-Amzn-Query-Error): ListQueues (paginated with
// MaxResults and NextToken), GetQueueAttributes and ListQueueTags, for
// the request's region.
func (s *Server) serveSQS(w http.ResponseWriter, r *request) {
	if !s.awsJSONRequest(w, r, "sqs", sqsTarget, func(e *apiError) { writeSQSError(w, e) }) {
		return
	}
	op := r.Action
	e := s.view(r.Account)
	if reg := e.AWS.Account.region(r.Region); reg == nil || reg.OptInStatus == "not-opted-in" {
		writeSQSError(w, errorf(403, "InvalidClientTokenId", "The security token included in the request is invalid."))
		return
	}
	var in struct {
		QueueUrl       string
		AttributeNames []string
		MaxResults     int
		NextToken      string
	}
	if aerr := decodeJSON(r.Body, &in); aerr != nil {
		writeSQSError(w, aerr)
		return
	}
	queues := regional(e.AWS.SQS.Queues, r.Region, func(x SQSQueue) (string, string) { return x.Region, x.Name })
	byURL := func() (SQSQueue, bool) {
		i := slices.IndexFunc(queues, func(q SQSQueue) bool { return q.url(e) == in.QueueUrl })
		if i < 0 {
			writeSQSError(w, errorf(400, "QueueDoesNotExist", "The specified queue does not exist."))
			return SQSQueue{}, false
		}
		return queues[i], true
	}

	switch op {
	case "ListQueues":
		// SQS pages only when the caller sets MaxResults; without it, it
		// answers the first 1000 queues and no token.
		size := 1000
		if in.MaxResults > 0 {
			size = min(in.MaxResults, s.opts.PageSize)
		}
		from, to, next, err := page(len(queues), in.NextToken, size)
		if err != nil {
			writeSQSError(w, errorf(400, "InvalidAddress", "%v", err))
			return
		}
		out := map[string]any{}
		var urls []string
		for _, q := range queues[from:to] {
			urls = append(urls, q.url(e))
		}
		if len(urls) > 0 {
			out["QueueUrls"] = urls
		}
		if next != "" && in.MaxResults > 0 {
			out["NextToken"] = next
		}
		writeSQSJSON(w, http.StatusOK, out)
	case "GetQueueAttributes":
		q, ok := byURL()
		if !ok {
			return
		}
		pol := strings.TrimSpace(policyText(q.Policy))
		all := map[string]string{
			"QueueArn":               q.arn(e),
			"SqsManagedSseEnabled":   fmt.Sprint(q.SQSManagedSSE),
			"VisibilityTimeout":      "30",
			"MessageRetentionPeriod": "345600",
			"DelaySeconds":           "0",
		}
		if pol != "" {
			all["Policy"] = pol
		}
		if q.KMSMasterKeyID != "" {
			all["KmsMasterKeyId"] = q.KMSMasterKeyID
			all["KmsDataKeyReusePeriodSeconds"] = "300"
		}
		attrs := map[string]string{}
		for _, name := range in.AttributeNames {
			if name == "All" {
				maps.Copy(attrs, all)
			} else if v, ok := all[name]; ok {
				attrs[name] = v
			}
		}
		out := map[string]any{}
		if len(attrs) > 0 {
			out["Attributes"] = attrs
		}
		writeSQSJSON(w, http.StatusOK, out)
	case "ListQueueTags":
		q, ok := byURL()
		if !ok {
			return
		}
		out := map[string]any{}
		if len(q.Tags) > 0 {
			out["Tags"] = q.Tags
		}
		writeSQSJSON(w, http.StatusOK, out)
	default:
		writeSQSError(w, errorf(400, "UnsupportedOperation", "emulator: sqs %s not served", op))
	}
}

// writeSQSJSON writes v as a JSON 1.0 answer.
func writeSQSJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: marshal answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeSQSError writes an error as SQS's JSON protocol does: the JSON
// error type in __type and, for its query-compatible clients, the query
// error code and fault in X-Amzn-Query-Error. Injected faults come in the
// query codes of the other services and are mapped to SQS's own.
func writeSQSError(w http.ResponseWriter, e *apiError) {
	typ, query := e.Code, e.Code
	switch e.Code {
	case "AccessDenied":
		typ = "com.amazon.coral.service#AccessDeniedException"
	case "Throttling":
		typ, query = "com.amazonaws.sqs#RequestThrottled", "RequestThrottled"
	case "InvalidClientTokenId":
		typ = "com.amazon.coral.service#UnrecognizedClientException"
	case "QueueDoesNotExist":
		typ, query = "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"
	case "OptInRequired":
		typ = "com.amazon.coral.service#OptInRequired"
	case "InternalError":
		typ = "com.amazonaws.sqs#InternalError"
	}
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", query+";"+fault)
	writeSQSJSON(w, e.Status, map[string]string{"__type": typ, "message": e.Message})
}
