package aws

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/posture-dev/posture/internal/inventory"
)

// clientTimeout is what net/http returns when Client.Timeout expires: a
// network timeout that also wraps context.DeadlineExceeded.
type clientTimeout struct{}

func (clientTimeout) Error() string {
	return "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
}
func (clientTimeout) Timeout() bool   { return true }
func (clientTimeout) Temporary() bool { return true }
func (clientTimeout) Unwrap() error   { return context.DeadlineExceeded }

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  inventory.GapReason
		fatal bool
	}{
		{"caller cancelled", fmt.Errorf("list: %w", context.Canceled), inventory.GapCancelled, false},
		{"caller deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), inventory.GapCancelled, false},
		{"request timeout", &url.Error{Op: "Post", URL: "https://ec2.eu-west-1.amazonaws.com/", Err: clientTimeout{}}, inventory.GapUnreachable, false},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, inventory.GapUnreachable, false},
		{"dns", &net.DNSError{Err: "no such host", Name: "ec2.me-south-1.amazonaws.com", IsNotFound: true}, inventory.GapUnreachable, false},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied"}, inventory.GapAccessDenied, false},
		{"throttled", &smithy.GenericAPIError{Code: "Throttling"}, inventory.GapThrottled, false},
		{"expired token", &smithy.GenericAPIError{Code: "ExpiredToken"}, inventory.GapError, true},
		{"bad signature", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}, inventory.GapError, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify = %s, want %s", got, tt.want)
			}
			if got := fatal(tt.err); got != tt.fatal {
				t.Errorf("fatal = %v, want %v", got, tt.fatal)
			}
		})
	}
}
