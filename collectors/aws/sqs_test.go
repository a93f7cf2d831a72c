package aws

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/emulator"
	"github.com/posture-dev/posture/internal/inventory"
)

func TestSQSDemo(t *testing.T) {
	res, _ := scanEstate(t, "demo", emulator.Options{}, Options{Regions: []string{"us-east-1", "eu-west-1"}})
	golden(t, "aws_sqs.json", byNativeType(res.Resources, "AWS::SQS::"))
	if gaps := gapsOf(res.Gaps, "sqs"); len(gaps) != 0 {
		t.Errorf("unexpected sqs gaps: %v", gaps)
	}
}

// queueEstate holds three queues in us-east-1, so the server's page size
// of 2 takes two pages: q1 public and SSE-SQS, q2 SSE-KMS with no policy,
// q3 unencrypted with a policy that does not parse.
var queueEstate = map[string]string{
	"account.json": pagingEstate["account.json"],
	"sqs.json": `{"queues": [
		{"region": "us-east-1", "name": "q1", "sqs_managed_sse": true, "tags": {"team": "a"},
		 "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]}},
		{"region": "us-east-1", "name": "q2", "kms_master_key_id": "alias/aws/sqs"},
		{"region": "us-east-1", "name": "q3", "policy": "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sqs:*\", \"Resource\": \"*\", \"Bogus\": 1}]}"}
	]}`,
}

// summarizeQueue is one line per queue.
func summarizeQueue(r inventory.Resource) string {
	q := r.Queue
	s := r.Name + " encrypted=" + strconv.FormatBool(q.Encrypted)
	switch {
	case q.PolicyUnknown:
		s += " policy=unknown"
	case q.Policy == nil:
		s += " policy=none"
	default:
		s += " statements=" + strconv.Itoa(len(q.Policy.Statements))
	}
	if len(r.Tags) > 0 {
		s += " team=" + r.Tags["team"]
	}
	return s
}

func TestSQSQueues(t *testing.T) {
	tests := []struct {
		name   string
		faults []emulator.Fault
		want   []inventory.Gap // Message is not compared
		got    []string
	}{
		{
			name: "all read; a malformed policy is unknown",
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs",
				Operation: "GetQueueAttributes", Resource: "arn:aws:sqs:us-east-1:111122223333:q3", Reason: inventory.GapMalformed}},
			got: []string{"q1 encrypted=true statements=1 team=a", "q2 encrypted=true policy=none", "q3 encrypted=false policy=unknown"},
		},
		{
			name:   "ListQueues denied",
			faults: []emulator.Fault{{Service: "sqs", Action: "ListQueues", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs",
				Operation: "ListQueues", Reason: inventory.GapAccessDenied}},
		},
		{
			name:   "GetQueueAttributes denied: policies unknown, queues kept",
			faults: []emulator.Fault{{Service: "sqs", Action: "GetQueueAttributes", Kind: emulator.FaultDenied}},
			want: []inventory.Gap{
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs", Operation: "GetQueueAttributes",
					Resource: "arn:aws:sqs:us-east-1:111122223333:q1", Reason: inventory.GapAccessDenied},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs", Operation: "GetQueueAttributes",
					Resource: "arn:aws:sqs:us-east-1:111122223333:q2", Reason: inventory.GapAccessDenied},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs", Operation: "GetQueueAttributes",
					Resource: "arn:aws:sqs:us-east-1:111122223333:q3", Reason: inventory.GapAccessDenied},
			},
			got: []string{"q1 encrypted=false policy=unknown team=a", "q2 encrypted=false policy=unknown", "q3 encrypted=false policy=unknown"},
		},
		{
			name:   "ListQueueTags denied: queues kept untagged",
			faults: []emulator.Fault{{Service: "sqs", Action: "ListQueueTags", Kind: emulator.FaultDenied, Times: 1}},
			want: []inventory.Gap{
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs", Operation: "GetQueueAttributes",
					Resource: "arn:aws:sqs:us-east-1:111122223333:q3", Reason: inventory.GapMalformed},
				{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs", Operation: "ListQueueTags",
					Reason: inventory.GapAccessDenied},
			},
		},
		{
			name:   "throttled within retries",
			faults: []emulator.Fault{{Service: "sqs", Kind: emulator.FaultThrottle, Times: 3}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs",
				Operation: "GetQueueAttributes", Resource: "arn:aws:sqs:us-east-1:111122223333:q3", Reason: inventory.GapMalformed}},
			got: []string{"q1 encrypted=true statements=1 team=a", "q2 encrypted=true policy=none", "q3 encrypted=false policy=unknown"},
		},
		{
			name:   "service not subscribed in the region",
			faults: []emulator.Fault{{Service: "sqs", Kind: emulator.FaultOptIn}},
			want: []inventory.Gap{{Cloud: inventory.AWS, Account: "111122223333", Region: "us-east-1", Service: "sqs",
				Operation: "ListQueues", Reason: inventory.GapRegionDisabled}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, srv := scanEstate(t, writeEstate(t, queueEstate), emulator.Options{Faults: tt.faults}, Options{Regions: []string{"us-east-1"}, MaxAttempts: 4})
			if tt.faults == nil {
				if n := srv.Requests("sqs", "ListQueues"); n != 2 {
					t.Errorf("ListQueues was called %d times, want 2 (two pages)", n)
				}
			}
			gaps := slices.Clone(res.Gaps)
			for i := range gaps {
				if gaps[i].Message == "" {
					t.Errorf("gap %v has no message", gaps[i])
				}
				gaps[i].Message = ""
				if gaps[i].Operation == "ListQueueTags" {
					gaps[i].Resource = "" // whichever queue asked first
				}
			}
			if diff := cmp.Diff(gaps, tt.want); diff != "" {
				t.Errorf("gaps (-got +want):\n%s", diff)
			}
			var got []string
			for _, r := range res.Resources {
				if r.Queue != nil {
					got = append(got, summarizeQueue(r))
				}
			}
			if strings.HasPrefix(tt.name, "ListQueueTags") {
				// One queue's tags were denied; which one depends on timing.
				if len(got) != 3 {
					t.Errorf("got %d queues, want 3: %v", len(got), got)
				}
				return
			}
			if diff := cmp.Diff(got, tt.got); diff != "" {
				t.Errorf("queues (-got +want):\n%s", diff)
			}
		})
	}
}

// TestQueueNameAccount: the name and account come from the queue's URL
// when its attributes (and so its ARN) cannot be read.
func TestQueueNameAccount(t *testing.T) {
	for _, tt := range []struct{ url, name, account string }{
		{"https://sqs.us-east-1.amazonaws.com/111122223333/orders", "orders", "111122223333"},
		{"https://sqs.cn-north-1.amazonaws.com.cn/111122223333/jobs.fifo", "jobs.fifo", "111122223333"},
		{"http://localhost:4566/000000000000/q", "q", "000000000000"},
	} {
		name, account := queueNameAccount(tt.url)
		if name != tt.name || account != tt.account {
			t.Errorf("queueNameAccount(%q) = %q, %q; want %q, %q", tt.url, name, account, tt.name, tt.account)
		}
	}
}
