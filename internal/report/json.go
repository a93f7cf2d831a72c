package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// JSONVersion is the version of the JSON document's shape. Adding a field
// keeps it; renaming, removing or retyping one bumps it.
const JSONVersion = 1

// The JSON document. Its shape is documented field by field here and in
// testdata/golden/report.json; every list is present (possibly empty, never
// null), risks and contributions are rounded to 4 decimals, times are
// RFC 3339 in UTC, and resources are ordered by risk, highest first, then id.
// "unscored" (added within report_version 1; older builds omit it) lists
// the resources the model does not score (firewalls, groups, policies,
// networks) that have signals: no risk, no reasons, ordered by their most
// severe signal found and not suppressed, then by how many, then id.
type jsonDoc struct {
	ReportVersion int          `json:"report_version"` // JSONVersion
	Tool          jsonTool     `json:"tool"`
	Generated     time.Time    `json:"generated"`
	Snapshot      jsonSnapshot `json:"snapshot"`
	Model         jsonModel    `json:"model"`
	Feeds         []jsonFeed   `json:"feeds,omitempty"`
	Summary       jsonSummary  `json:"summary"`
	Resources     []jsonItem   `json:"resources"`
	// Unscored is limited by Options.Top like resources; summary.unscored
	// counts them all.
	Unscored []jsonUnscored `json:"unscored"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSnapshot struct {
	ID       string            `json:"id"`
	Status   inventory.Status  `json:"status"` // "complete" or "partial"
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Clouds   []inventory.Cloud `json:"clouds"`
	Scopes   []inventory.Scope `json:"scopes"`
	// Resources counts what the scan collected, scored or not.
	Resources int `json:"resources"`
	// Gaps list what the scan could not see; what they cover is unknown.
	Gaps []inventory.Gap `json:"gaps"`
}

// jsonFeed is an exploitation feed the scoring used; date is absent when
// the store had none.
type jsonFeed struct {
	Name    string     `json:"name"`
	Date    *time.Time `json:"date,omitempty"`
	AgeDays *int       `json:"age_days,omitempty"`
}

type jsonModel struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	SchemaVersion string    `json:"schema_version"`
	SchemaHash    string    `json:"schema_hash"`
	TrainedOn     string    `json:"trained_on"`
	Trained       time.Time `json:"trained,omitzero"`
}

type jsonSummary struct {
	Scored int `json:"scored"` // resources with a risk
	Listed int `json:"listed"` // resources in "resources" (Options.Top)
	High   int `json:"high"`   // risk >= 0.7, whether or not every fact was read
	Medium int `json:"medium"` // 0.3 <= risk < 0.7, no unknown fact (see unknown)
	Low    int `json:"low"`    // risk < 0.3, no unknown fact (see unknown)
	// Unknown counts resources with risk < 0.7 and a fact that could not be
	// read: a signal with "unknown": true, or a reason with feature
	// "unknown_data". Their risk is estimated from what could be read, so
	// they are unknown, not safe, and counted here instead of in medium or
	// low. high + medium + low + unknown = scored.
	Unknown int `json:"unknown"`
	// Unscored counts resources the model does not score that have
	// signals; they are in no band.
	Unscored int `json:"unscored"`
	// Signals counts signals per pillar over every resource, scored and
	// unscored, listed or not.
	Signals map[inventory.Pillar]jsonPillar `json:"signals"`
}

type jsonPillar struct {
	Found   int `json:"found"`   // not suppressed
	Unknown int `json:"unknown"` // could not be checked, not suppressed
	// Suppressed counts signals a mutelist rule suppressed; they are
	// listed per resource with "suppressed" set, and counted in neither
	// found nor unknown.
	Suppressed int `json:"suppressed"`
}

type jsonItem struct {
	ID         string          `json:"id"`
	Kind       inventory.Kind  `json:"kind"`
	Cloud      inventory.Cloud `json:"cloud"`
	Account    string          `json:"account"`
	Region     string          `json:"region"` // "" for global resources
	Name       string          `json:"name"`
	NativeType string          `json:"native_type"`
	Risk       float64         `json:"risk"`
	Signals    []jsonSignal    `json:"signals"`
	Reasons    []jsonReason    `json:"reasons"`
}

// jsonUnscored is a resource the model does not score: a jsonItem without
// risk and reasons.
type jsonUnscored struct {
	ID         string          `json:"id"`
	Kind       inventory.Kind  `json:"kind"`
	Cloud      inventory.Cloud `json:"cloud"`
	Account    string          `json:"account"`
	Region     string          `json:"region"` // "" for global resources
	Name       string          `json:"name"`
	NativeType string          `json:"native_type"`
	Signals    []jsonSignal    `json:"signals"`
}

type jsonSignal struct {
	ID       inventory.SignalID `json:"id"`
	Pillar   inventory.Pillar   `json:"pillar"`
	Severity inventory.Severity `json:"severity"`
	Title    string             `json:"title"`
	Evidence map[string]string  `json:"evidence"`
	Unknown  bool               `json:"unknown"` // the fact could not be checked
	// Suppressed is present when a mutelist rule accepted the signal: it
	// is shown but raised neither the risk nor a fix.
	Suppressed *jsonSuppression `json:"suppressed,omitempty"`
}

type jsonSuppression struct {
	Rule    string    `json:"rule"` // the rule's name, or "rule N" (its position in the file)
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires,omitzero"` // when the rule stops applying; absent: never
}

type jsonReason struct {
	Feature      string             `json:"feature"`
	Signal       inventory.SignalID `json:"signal"`
	Text         string             `json:"text"`
	Contribution float64            `json:"contribution"` // log-odds
}

type jsonWriter struct {
	w   io.Writer
	top int
}

func (jw *jsonWriter) Write(ctx context.Context, r Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := prepared(r)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(jw.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(newJSONDoc(r, jw.top)); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

func newJSONDoc(r Report, top int) jsonDoc {
	s := summarize(r.Items, r.Unscored)
	listed := limit(r.Items, top)
	unscored := limit(r.Unscored, top)
	d := jsonDoc{
		ReportVersion: JSONVersion,
		Tool:          jsonTool{Name: r.Tool.Name, Version: r.Tool.Version},
		Generated:     utc(r.Generated),
		Snapshot: jsonSnapshot{
			ID:        r.Snapshot.ID,
			Status:    r.Snapshot.Status,
			Started:   utc(r.Snapshot.Started),
			Finished:  utc(r.Snapshot.Finished),
			Clouds:    nonNil(r.Snapshot.Clouds),
			Scopes:    nonNil(r.Snapshot.Scopes),
			Resources: r.Snapshot.Resources,
			Gaps:      nonNil(r.Snapshot.Gaps),
		},
		Model: jsonModel{
			ID:            r.Model.ID,
			Kind:          r.Model.Kind,
			SchemaVersion: r.Model.SchemaVersion,
			SchemaHash:    r.Model.SchemaHash,
			TrainedOn:     r.Model.TrainedOn,
			Trained:       utc(r.Model.Trained),
		},
		Feeds: jsonFeeds(r),
		Summary: jsonSummary{
			Scored:   s.Scored,
			Listed:   len(listed),
			High:     s.High,
			Medium:   s.Medium,
			Low:      s.Low,
			Unknown:  s.Unknown,
			Unscored: s.Unscored,
			Signals:  map[inventory.Pillar]jsonPillar{},
		},
		Resources: make([]jsonItem, 0, len(listed)),
		Unscored:  make([]jsonUnscored, 0, len(unscored)),
	}
	for _, p := range s.Pillars {
		d.Summary.Signals[p.Pillar] = jsonPillar{Found: p.Found, Unknown: p.Unknown, Suppressed: p.Suppressed}
	}
	for _, it := range listed {
		ji := jsonItem{
			ID:         it.ID,
			Kind:       it.Kind,
			Cloud:      it.Cloud,
			Account:    it.Account,
			Region:     it.Region,
			Name:       it.Name,
			NativeType: it.NativeType,
			Risk:       round4(it.Risk),
			Signals:    jsonSignals(it.Signals),
			Reasons:    make([]jsonReason, 0, len(it.Reasons)),
		}
		for _, rs := range it.Reasons {
			ji.Reasons = append(ji.Reasons, jsonReason{
				Feature: rs.Feature, Signal: rs.Signal, Text: rs.Text,
				Contribution: round4(rs.Contribution),
			})
		}
		d.Resources = append(d.Resources, ji)
	}
	for _, it := range unscored {
		d.Unscored = append(d.Unscored, jsonUnscored{
			ID:         it.ID,
			Kind:       it.Kind,
			Cloud:      it.Cloud,
			Account:    it.Account,
			Region:     it.Region,
			Name:       it.Name,
			NativeType: it.NativeType,
			Signals:    jsonSignals(it.Signals),
		})
	}
	return d
}

func jsonSignals(sigs []inventory.Signal) []jsonSignal {
	out := make([]jsonSignal, 0, len(sigs))
	for _, sig := range sigs {
		ev := sig.Evidence
		if ev == nil {
			ev = map[string]string{}
		}
		js := jsonSignal{
			ID: sig.ID, Pillar: sig.Pillar, Severity: sig.Severity,
			Title: sig.Title, Evidence: ev, Unknown: sig.Unknown,
		}
		if sp := sig.Suppressed; sp != nil {
			js.Suppressed = &jsonSuppression{Rule: sp.Rule, Reason: sp.Reason, Expires: utc(sp.Expires)}
		}
		out = append(out, js)
	}
	return out
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func jsonFeeds(r Report) []jsonFeed {
	var out []jsonFeed
	for _, f := range r.Feeds {
		jf := jsonFeed{Name: f.Name}
		if !f.Date.IsZero() {
			d := utc(f.Date)
			age := int(r.Generated.Sub(f.Date).Hours() / 24)
			jf.Date, jf.AgeDays = &d, &age
		}
		out = append(out, jf)
	}
	return out
}
