package aws

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/posture-dev/posture/internal/inventory"
)

// classify turns an SDK error into a gap reason, once, at the boundary.
//
// A request that ran into Options.Timeout also wraps
// context.DeadlineExceeded (the HTTP client's timeout is a deadline), so
// network errors are told apart before deadlines: such a request is
// unreachable, not cancelled. Only the caller's own cancellation is.
func classify(err error) inventory.GapReason {
	if errors.Is(err, context.Canceled) {
		return inventory.GapCancelled
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode(); code {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
			"Forbidden", "AllAccessDisabled", "UnauthorizedAccess":
			return inventory.GapAccessDenied
		case "OptInRequired", "InvalidClientTokenId", "AuthFailure", "SubscriptionRequiredException",
			"UnrecognizedClientException":
			// Disabled opt-in regions answer with these for valid credentials.
			return inventory.GapRegionDisabled
		case "Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown",
			"TooManyRequestsException", "RequestThrottled", "RequestThrottledException":
			return inventory.GapThrottled
		default:
			if strings.Contains(strings.ToLower(code), "throttl") {
				return inventory.GapThrottled
			}
		}
	}
	var maxAttempts *retry.MaxAttemptsError
	if errors.As(err, &maxAttempts) {
		if r := classify(maxAttempts.Err); r != inventory.GapError {
			return r
		}
	}
	// context.DeadlineExceeded is a net.Error itself; alone, it is the
	// caller's deadline, not the network.
	var ne net.Error
	if errors.As(err, &ne) && ne != context.DeadlineExceeded {
		return inventory.GapUnreachable
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return inventory.GapCancelled
	}
	return inventory.GapError
}

// fatal reports whether err means no further call in this run can succeed
// because the credentials are rejected, so the scan stops instead of
// recording a gap for every call. A network failure is not fatal here: one
// region's or one bucket's endpoint can be unreachable while the others
// answer (an egress proxy that allows some endpoints), so it is a gap of
// that scope. Collect alone treats a network failure of its first calls
// (GetCallerIdentity, DescribeRegions) as fatal.
func fatal(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return true
		}
	}
	return false
}
