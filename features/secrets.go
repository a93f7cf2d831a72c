package features

import (
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// secretInUserData reports each secret the collectors found in an
// instance's user data or startup scripts, or in a function's environment
// variables (internal/secrets): one signal per finding, with its detector,
// location ("user-data line 12", "environment DB_PASSWORD") and salted
// fingerprint as evidence. The value was never collected, so it cannot be
// shown.
func secretInUserData() Detector {
	d := Detector{
		ID: "passwords.secret_in_user_data", Pillar: inventory.Passwords, Severity: inventory.SevCritical,
		Title: "Secret in instance user data, startup script or function environment",
		Kinds: []inventory.Kind{inventory.KindInstance, inventory.KindFunction},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		var found []inventory.SecretFinding
		var unknown bool
		var unread string
		switch {
		case r.Kind == inventory.KindFunction && r.Function != nil:
			found, unknown, unread = r.Function.Secrets, r.Function.SecretsUnknown, "environment variables could not be read"
		case r.Kind == inventory.KindFunction:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "function attributes not collected"})}
		case r.Instance != nil:
			found, unknown, unread = r.Instance.Secrets, r.Instance.SecretsUnknown, "user data or startup scripts could not be read"
		default:
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "instance attributes not collected"})}
		}
		var out []inventory.Signal
		for _, f := range found {
			out = append(out, d.signal(r, map[string]string{"detector": f.Detector, "location": f.Location, "fingerprint": f.Fingerprint}))
		}
		// Secrets found are reported even when some of the text could
		// not be read; with none found, unreadable text is unknown.
		if len(out) == 0 && unknown {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": unread})}
		}
		return out
	}
	return d
}
