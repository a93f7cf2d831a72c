package inventory

import "time"

// Pillar is one of the 4 P's.
type Pillar string

const (
	Ports      Pillar = "ports"
	Privileges Pillar = "privileges"
	Passwords  Pillar = "passwords" // credentials
	Patches    Pillar = "patches"
)

// SignalID is the stable id of a signal type, "ports.admin_port_internet".
type SignalID string

// Severity is a signal type's static severity, used by baselines and
// reports; the model's risk is what ranks resources.
type Severity string

const (
	SevLow      Severity = "low"
	SevMedium   Severity = "medium"
	SevHigh     Severity = "high"
	SevCritical Severity = "critical"
)

// Signal is one detected 4P fact about one resource, with its evidence.
type Signal struct {
	ID       SignalID          `json:"id"`
	Pillar   Pillar            `json:"pillar"`
	Resource string            `json:"resource"`
	Severity Severity          `json:"severity"`
	Title    string            `json:"title"`
	Evidence map[string]string `json:"evidence,omitempty"`
	// Unknown marks a signal derived from missing data (a Gap): the fact
	// could not be checked, which is not the same as safe.
	Unknown bool `json:"unknown,omitempty"`
	// Suppressed is set when a mutelist rule accepts the signal: it stays
	// in every report, marked, but feeds neither the risk nor a fix.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Suppression says which mutelist rule suppressed a signal, and why.
type Suppression struct {
	Rule    string    `json:"rule"` // the rule's name, or "rule N" (its 1-based position)
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires,omitzero"` // when the rule stops applying; zero: never
}

// Reason is one contribution to a resource's risk.
type Reason struct {
	Feature      string   `json:"feature"`
	Signal       SignalID `json:"signal,omitempty"`
	Text         string   `json:"text"`
	Contribution float64  `json:"contribution"` // in log-odds
}

// Assessment is a resource's scored risk.
type Assessment struct {
	Resource Resource `json:"-"`
	Risk     float64  `json:"risk"` // probability of attack, 0..1
	Signals  []Signal `json:"signals"`
	Reasons  []Reason `json:"reasons"`
}
