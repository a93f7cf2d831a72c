package gcp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/posture-dev/posture/internal/inventory"
)

// classify turns a Google API error into a gap reason, once, at the
// boundary. An API the project has not enabled (403 SERVICE_DISABLED,
// errors[].reason accessNotConfigured) is GapRegionDisabled: the service
// is not available there. A network failure is unreachable; the caller's
// own cancellation is cancelled.
func classify(err error) inventory.GapReason {
	if errors.Is(err, context.Canceled) {
		return inventory.GapCancelled
	}
	code, reasons := errorFacts(err)
	for _, r := range reasons {
		switch r {
		case "SERVICE_DISABLED", "accessNotConfigured", "API_DISABLED":
			return inventory.GapRegionDisabled
		case "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED", "quotaExceeded", "RESOURCE_EXHAUSTED":
			return inventory.GapThrottled
		}
	}
	switch code {
	case http.StatusForbidden, http.StatusUnauthorized:
		return inventory.GapAccessDenied
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return inventory.GapThrottled
	case 0:
	default:
		return inventory.GapError
	}
	var ne net.Error
	if errors.As(err, &ne) && ne != context.DeadlineExceeded {
		return inventory.GapUnreachable
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return inventory.GapUnreachable
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return inventory.GapCancelled
	}
	return inventory.GapError
}

// errorFacts reads the HTTP status and the reasons (errors[].reason and
// the google.rpc.ErrorInfo reason) of a Google API error.
func errorFacts(err error) (code int, reasons []string) {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		code = ge.Code
		for _, e := range ge.Errors {
			reasons = append(reasons, e.Reason)
		}
		if strings.Contains(ge.Body, "SERVICE_DISABLED") {
			reasons = append(reasons, "SERVICE_DISABLED")
		}
	}
	if ae, ok := apierror.FromError(err); ok {
		if c := ae.HTTPCode(); c > 0 {
			code = c
		}
		if r := ae.Reason(); r != "" {
			reasons = append(reasons, r)
		}
	}
	return code, reasons
}

// fatal reports whether err means no call of this run can succeed: the
// credentials were rejected (401) or no token could be had for them.
func fatal(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return true
	}
	code, _ := errorFacts(err)
	return code == http.StatusUnauthorized
}

// retryable reports whether a call that failed with err is worth trying
// again: throttling (429, RESOURCE_EXHAUSTED, 503) and server errors
// (500, 502, 504).
func retryable(err error) bool {
	if classify(err) == inventory.GapThrottled {
		return true
	}
	code, _ := errorFacts(err)
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the pause before attempt n+1 (n from 1): exponential from
// 100ms, capped, with jitter.
func backoff(n int, max time.Duration) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 20)
	if d > max || d <= 0 {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

// retryer bounds the attempts of one gax call (the Compute clients); it
// replaces their default retry, which retries 503 without a bound.
type retryer struct {
	attempt, max int
	maxBackoff   time.Duration
}

func (r *retryer) Retry(err error) (time.Duration, bool) {
	r.attempt++
	if r.attempt >= r.max || !retryable(err) {
		return 0, false
	}
	return backoff(r.attempt, r.maxBackoff), true
}

// callOptions are the gax options of every Compute call.
func (c *Collector) callOptions() []gax.CallOption {
	return []gax.CallOption{gax.WithRetry(func() gax.Retryer {
		return &retryer{max: c.opts.MaxAttempts, maxBackoff: c.opts.MaxBackoff}
	})}
}

// do runs one call of a discovery-based client (Resource Manager, IAM,
// Cloud SQL, GKE, Storage's own calls are retried by its library),
// retrying what retryable admits, at most MaxAttempts times.
func (c *Collector) do(ctx context.Context, call func() error) error {
	for n := 1; ; n++ {
		err := call()
		if err == nil || n >= c.opts.MaxAttempts || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff(n, c.opts.MaxBackoff)):
		}
	}
}

// errorMessage is what a gap says of err: a Google API error's status and
// message without the details that follow them, else the error's text.
func errorMessage(err error) string {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Message != "" {
		return fmt.Sprintf("HTTP %d: %s", ge.Code, ge.Message)
	}
	return err.Error()
}
