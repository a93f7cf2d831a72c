// Package report turns a scored snapshot into the documents people and tools
// read: JSON for machines, a table for the terminal and a self-contained HTML
// page for people. Every exporter is one type behind the Writer interface and
// every one of them says plainly what the scan could not see: a partial
// snapshot's gaps are unknown, never safe.
package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
)

// ToolName is the name exporters print when Report.Tool.Name is empty.
const ToolName = "posture"

// Risk bands shared by every format. An item below HighRisk with a fact that
// could not be read is in the "unknown" band instead of medium or low; see
// itemBand.
const (
	HighRisk   = 0.7 // risk >= HighRisk is high
	MediumRisk = 0.3 // MediumRisk <= risk < HighRisk is medium
)

// Report is what every exporter writes: one snapshot scored by one model.
type Report struct {
	Tool      Tool
	Generated time.Time
	Snapshot  inventory.Snapshot
	Model     ModelInfo
	Items     []Item // Sort orders them by risk, highest first
	// Unscored are resources the model does not score (firewalls, groups,
	// policies, networks: features.Scorable is false) that have signals.
	// They have no risk and no reasons; every exporter lists them apart
	// from Items and counts their signals in the summaries.
	Unscored []Item
	// Feeds are the exploitation feeds the scoring used, with their
	// publisher's dates; a feed the snapshot needed but the store lacks
	// is listed with a zero Date.
	Feeds []Feed
}

// Feed is one exploitation feed copy: "KEV" or "EPSS", and its date.
type Feed struct {
	Name string
	Date time.Time // zero: not in the store
}

// Text says what the feed is and how old, at now: "KEV of 2026-11-20 (3
// days old)", or that it is missing.
func (f Feed) Text(now time.Time) string {
	if f.Date.IsZero() {
		return f.Name + " not in the store (run posture feeds update)"
	}
	return fmt.Sprintf("%s of %s (%d days old)", f.Name, f.Date.UTC().Format("2006-01-02"), int(now.Sub(f.Date).Hours()/24))
}

// Tool names the program that made the report.
type Tool struct {
	Name    string
	Version string
}

// ModelInfo says which model scored the snapshot and what it learned from.
type ModelInfo struct {
	ID            string // the model file's path or its id in the store
	Kind          string // "logreg"
	SchemaVersion string
	SchemaHash    string
	TrainedOn     string // one line: what data, "bootstrap-simulator v1, 20000 rows"
	Trained       time.Time
}

// Item is one scored resource.
type Item struct {
	ID         string
	Kind       inventory.Kind
	Cloud      inventory.Cloud
	Account    string
	Region     string
	Name       string // from the cloud: untrusted text
	NativeType string
	Risk       float64 // probability of attack, 0..1
	Signals    []inventory.Signal
	Reasons    []inventory.Reason // most contributing first
}

// NewItem builds an Item from a model assessment.
func NewItem(a inventory.Assessment) Item {
	r := a.Resource
	return Item{
		ID:         r.ID,
		Kind:       r.Kind,
		Cloud:      r.Cloud,
		Account:    r.Account,
		Region:     r.Region,
		Name:       r.Name,
		NativeType: r.NativeType,
		Risk:       a.Risk,
		Signals:    a.Signals,
		Reasons:    a.Reasons,
	}
}

// NewUnscoredItem builds an Item, without a risk, for a resource the model
// does not score and its signals.
func NewUnscoredItem(r inventory.Resource, sigs []inventory.Signal) Item {
	return NewItem(inventory.Assessment{Resource: r, Signals: sigs})
}

// Sort orders items by risk, highest first, then by ID, and unscored
// resources by their most severe signal, then by ID.
func (r *Report) Sort() {
	sortItems(r.Items)
	sortUnscored(r.Unscored)
}

func sortItems(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		if c := cmp.Compare(b.Risk, a.Risk); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// sortUnscored orders unscored resources by their most severe signal that is
// found and not suppressed, then by how many such signals they have, then
// by ID.
func sortUnscored(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		sa, na := liveSeverity(a)
		sb, nb := liveSeverity(b)
		if c := cmp.Compare(sb, sa); c != 0 {
			return c
		}
		if c := cmp.Compare(nb, na); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// liveSeverity ranks the item's most severe signal that was found and not
// suppressed (0 when none), and counts those signals.
func liveSeverity(it Item) (rank, n int) {
	for _, s := range it.Signals {
		if s.Unknown || s.Suppressed != nil {
			continue
		}
		n++
		rank = max(rank, severityRank(s.Severity))
	}
	return rank, n
}

func severityRank(s inventory.Severity) int {
	switch s {
	case inventory.SevCritical:
		return 4
	case inventory.SevHigh:
		return 3
	case inventory.SevMedium:
		return 2
	case inventory.SevLow:
		return 1
	}
	return 0
}

// prepared returns a copy of r with its items validated and sorted, leaving
// the caller's slices alone.
func prepared(r Report) (Report, error) {
	items := slices.Clone(r.Items)
	for _, it := range items {
		if math.IsNaN(it.Risk) || it.Risk < 0 || it.Risk > 1 {
			return Report{}, fmt.Errorf("resource %s: risk %v is not a probability", it.ID, it.Risk)
		}
	}
	sortItems(items)
	r.Items = items
	r.Unscored = slices.Clone(r.Unscored)
	sortUnscored(r.Unscored)
	if r.Tool.Name == "" {
		r.Tool.Name = ToolName
	}
	return r, nil
}

// round4 rounds to 4 decimals, the precision every format shows at most.
func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// band names the risk band of a probability: "high", "medium" or "low". It
// knows nothing of unknown facts; itemBand is the band an item is shown in.
func band(risk float64) string {
	switch {
	case risk >= HighRisk:
		return "high"
	case risk >= MediumRisk:
		return "medium"
	default:
		return "low"
	}
}

// itemBand is the band an item is counted and shown in: its risk band, except
// that an item below HighRisk with a fact that could not be read is
// "unknown". Its risk was estimated from what could be read, and missing data
// is unknown, never safe, so it is neither medium nor low. A high item stays
// high: what could be read is already enough.
func itemBand(it Item) string {
	b := band(it.Risk)
	if b != "high" && hasUnknown(it) {
		return "unknown"
	}
	return b
}

// hasUnknown reports whether some fact about the item could not be read: an
// Unknown signal, or the unknown_data feature among its reasons.
func hasUnknown(it Item) bool {
	for _, sig := range it.Signals {
		if sig.Unknown {
			return true
		}
	}
	for _, rs := range it.Reasons {
		if rs.Feature == features.FUnknownData {
			return true
		}
	}
	return false
}

// hasSuppressed reports whether a mutelist rule suppressed one of the
// item's signals.
func hasSuppressed(it Item) bool {
	for _, sig := range it.Signals {
		if sig.Suppressed != nil {
			return true
		}
	}
	return false
}

// suppressionText says which rule suppressed a signal and why, in one line.
func suppressionText(s *inventory.Suppression) string {
	t := "suppressed by " + s.Rule + ": " + s.Reason
	if e := s.Expires.UTC(); !e.IsZero() {
		if e.Equal(e.Truncate(24 * time.Hour)) {
			t += " (until " + e.Format(time.DateOnly) + ")"
		} else {
			t += " (until " + e.Format(time.RFC3339) + ")"
		}
	}
	return t
}

// pillars lists the 4 P's in the order reports show them.
var pillars = []inventory.Pillar{inventory.Ports, inventory.Privileges, inventory.Passwords, inventory.Patches}

// pillarTitle is a pillar's display name.
func pillarTitle(p inventory.Pillar) string {
	switch p {
	case inventory.Ports:
		return "Ports"
	case inventory.Privileges:
		return "Privileges"
	case inventory.Passwords:
		return "Passwords"
	case inventory.Patches:
		return "Patches"
	}
	return string(p)
}

// summary is what the header of every human format counts. Bands count
// scored resources; signal counts cover scored and unscored resources.
type summary struct {
	Scored, High, Medium, Low int
	Unknown                   int // resources in the unknown band (itemBand)
	Unscored                  int // resources with signals the model does not score
	Pillars                   []pillarCount
	UnknownSignals            int // signals that could not be checked
	SuppressedSignals         int // signals a mutelist rule suppressed
}

type pillarCount struct {
	Pillar     inventory.Pillar
	Title      string
	Found      int // signals detected, not suppressed
	Unknown    int // signals that could not be checked, not suppressed
	Suppressed int // signals a mutelist rule suppressed, found or unknown
}

func summarize(items, unscored []Item) summary {
	s := summary{Scored: len(items), Unscored: len(unscored)}
	counts := map[inventory.Pillar]*pillarCount{}
	for _, p := range pillars {
		s.Pillars = append(s.Pillars, pillarCount{Pillar: p, Title: pillarTitle(p)})
	}
	for i := range s.Pillars {
		counts[s.Pillars[i].Pillar] = &s.Pillars[i]
	}
	for _, it := range items {
		switch itemBand(it) {
		case "high":
			s.High++
		case "medium":
			s.Medium++
		case "unknown":
			s.Unknown++
		default:
			s.Low++
		}
	}
	for _, it := range slices.Concat(items, unscored) {
		for _, sig := range it.Signals {
			c, ok := counts[sig.Pillar]
			if !ok {
				continue // not one of the 4 P's; still listed per resource
			}
			switch {
			case sig.Suppressed != nil:
				c.Suppressed++
				s.SuppressedSignals++
			case sig.Unknown:
				c.Unknown++
				s.UnknownSignals++
			default:
				c.Found++
			}
		}
	}
	return s
}

// displayName is the resource's name, or a short form of its id.
func displayName(it Item) string {
	if it.Name != "" {
		return it.Name
	}
	return shortID(it.ID)
}

// shortID keeps the last segment of an ARN, CAI name or ARM id.
func shortID(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' || id[i] == ':' {
			if i < len(id)-1 {
				return id[i+1:]
			}
			return id
		}
	}
	return id
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// modelLine describes the model in one line.
func modelLine(m ModelInfo) string {
	if m == (ModelInfo{}) {
		return "no model recorded"
	}
	s := m.Kind
	if s == "" {
		s = "model"
	}
	if m.ID != "" {
		s += " " + m.ID
	}
	if m.SchemaVersion != "" {
		s += " · schema " + m.SchemaVersion
		if m.SchemaHash != "" {
			s += " (" + shortHash(m.SchemaHash) + ")"
		}
	}
	if !m.Trained.IsZero() {
		s += " · trained " + m.Trained.UTC().Format("2006-01-02")
	}
	if m.TrainedOn != "" {
		s += " on " + m.TrainedOn
	}
	return s
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
