package features

import (
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// secretInUserData reports each secret the collectors found in an
// instance's user data or startup scripts (internal/secrets): one signal
// per finding, with its detector, location and salted fingerprint as
// evidence. The value was never collected, so it cannot be shown.
func secretInUserData() Detector {
	d := Detector{
		ID: "passwords.secret_in_user_data", Pillar: inventory.Passwords, Severity: inventory.SevCritical,
		Title: "Secret in instance user data or startup script",
		Kinds: []inventory.Kind{inventory.KindInstance},
	}
	d.Detect = func(g *Graph, r *inventory.Resource, _ time.Time) []inventory.Signal {
		in := r.Instance
		if in == nil {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "instance attributes not collected"})}
		}
		var out []inventory.Signal
		for _, f := range in.Secrets {
			out = append(out, d.signal(r, map[string]string{"detector": f.Detector, "location": f.Location, "fingerprint": f.Fingerprint}))
		}
		// Secrets found are reported even when some of the text could
		// not be read; with none found, unreadable user data is unknown.
		if len(out) == 0 && in.SecretsUnknown {
			return []inventory.Signal{d.unknown(r, map[string]string{"missing": "user data or startup scripts could not be read"})}
		}
		return out
	}
	return d
}
