package feeds

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// Client downloads feeds. The zero value is usable.
type Client struct {
	// HTTP does the requests. Defaults to a client with a 5-minute overall
	// timeout and bounded dial, TLS and response-header waits.
	HTTP *http.Client
	// MaxBytes bounds a download, compressed and uncompressed. Defaults to
	// DefaultMaxBytes.
	MaxBytes int64
	// UserAgent is sent with each request. Defaults to "posture".
	UserAgent string
	// Insecure allows plain http to any host. Without it a URL (and the
	// final URL after redirects) must be https, or http to a loopback host
	// (localhost, 127.0.0.0/8, ::1): anyone on the path of a plain download
	// could serve a well-formed but false catalogue.
	Insecure bool
}

// defaultHTTP is the client used when Client.HTTP is nil.
var defaultHTTP = &http.Client{
	Timeout: 5 * time.Minute,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	},
	CheckRedirect: noDowngrade,
}

// noDowngrade follows at most 10 redirects and never from https to http:
// the EPSS "current" file is a redirect to the dated one.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing redirect from https to %s", req.URL.Redacted())
	}
	return nil
}

// Fetch downloads the feed at rawURL, parses it whole and checks that it is
// the feed wanted. Any failure — the network, a status other than 200, a
// size over the limit, a truncated or corrupt body, the other feed — is an
// error naming the URL, and nothing is returned to store.
func (c *Client) Fetch(ctx context.Context, want Source, rawURL string) (Feed, error) {
	f, err := c.fetch(ctx, want, rawURL)
	if err != nil {
		return nil, fmt.Errorf("download %s feed from %s: %w", want, redact(rawURL), err)
	}
	return f, nil
}

func (c *Client) fetch(ctx context.Context, want Source, rawURL string) (Feed, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if err := c.checkScheme(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "posture"
	}
	req.Header.Set("User-Agent", ua)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		// url.Error repeats the URL that Fetch already names.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			return nil, ue.Err
		}
		return nil, err
	}
	defer resp.Body.Close()
	if err := c.checkScheme(resp.Request.URL); err != nil {
		return nil, fmt.Errorf("redirected to %s: %w", redact(resp.Request.URL.String()), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	max := c.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w of %d bytes (Content-Length %d)", ErrTooLarge, max, resp.ContentLength)
	}
	f, err := Parse(resp.Body, max)
	if err != nil {
		return nil, err
	}
	if f.Source() != want {
		return nil, fmt.Errorf("got the %s feed", f.Source())
	}
	// The final URL after redirects names the dated file.
	setOrigin(f, redact(resp.Request.URL.String()))
	return f, nil
}

// checkScheme refuses what Insecure documents.
func (c *Client) checkScheme(u *url.URL) error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme != "http":
		return fmt.Errorf("scheme %q: want https", u.Scheme)
	case c.Insecure || loopback(u.Hostname()):
		return nil
	default:
		return errors.New("plain http to a host other than loopback: want https (--insecure allows http)")
	}
}

// loopback reports whether host is localhost or a loopback address.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// redact drops a password from a URL that carries one.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
