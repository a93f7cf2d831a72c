package azure

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/posture-dev/posture/internal/inventory"
)

// classify turns an SDK error into a gap reason, once, at the boundary.
// The SDK has already retried throttling (429), 5xx answers and dropped
// connections up to Options.MaxAttempts.
func classify(err error) inventory.GapReason {
	if errors.Is(err, context.Canceled) {
		return inventory.GapCancelled
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch code := re.ErrorCode; {
		case code == "AuthorizationFailed", code == "LinkedAuthorizationFailed", code == "Forbidden",
			code == "SubscriptionNotFound", code == "InvalidSubscriptionId", code == "ReadOnlyDisabledSubscription",
			code == "" && re.StatusCode == http.StatusForbidden:
			return inventory.GapAccessDenied
		case code == "MissingSubscriptionRegistration", code == "SubscriptionNotRegistered",
			code == "NoRegisteredProviderFound", code == "FeatureNotSupportedForAccount":
			// The resource provider is not registered in the subscription
			// (nothing of its kind can exist there yet), or not offered.
			return inventory.GapRegionDisabled
		case re.StatusCode == http.StatusTooManyRequests, strings.Contains(strings.ToLower(code), "throttl"):
			return inventory.GapThrottled
		}
		return inventory.GapError
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
	if strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset") {
		return inventory.GapUnreachable
	}
	return inventory.GapError
}

// fatal reports whether err means no further call on the subscription can
// succeed because the credential is refused there or cannot get a token
// (another tenant): the subscription is a gap (Collect), the scan fails
// only when every subscription refuses it.
func fatal(err error) bool {
	var af *azidentity.AuthenticationFailedError
	var cu *azidentity.AuthenticationRequiredError
	if errors.As(err, &af) || errors.As(err, &cu) {
		return true
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch re.ErrorCode {
		case "InvalidAuthenticationToken", "ExpiredAuthenticationToken", "InvalidAuthenticationTokenTenant",
			"AuthenticationFailed":
			return true
		}
		return re.StatusCode == http.StatusUnauthorized
	}
	return false
}

// message is the gap's message: ARM's code and message when it answered,
// without the SDK's multi-line dump of the response.
func message(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		msg := re.Error()
		// The SDK's text is "METHOD URL\n----\nRESPONSE 403: …\nERROR CODE: X\n----\n{body}\n----".
		if i := strings.Index(msg, "\"message\""); i >= 0 {
			rest := msg[i+len("\"message\""):]
			rest = strings.TrimLeft(rest, ": ")
			if j := strings.Index(rest[1:], "\""); strings.HasPrefix(rest, "\"") && j >= 0 {
				return re.ErrorCode + ": " + rest[1:j+1]
			}
		}
		return re.ErrorCode + ": HTTP " + http.StatusText(re.StatusCode)
	}
	return err.Error()
}
