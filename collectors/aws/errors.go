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
func classify(err error) inventory.GapReason {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
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
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return inventory.GapUnreachable
	}
	return inventory.GapError
}

// fatal reports whether err means no further call in this run can succeed
// (the endpoint is down, the credentials are rejected), so the scan stops
// instead of recording a gap for every call.
func fatal(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch":
			return true
		}
	}
	return classify(err) == inventory.GapUnreachable
}
