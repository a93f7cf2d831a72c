// Package assess runs the analysis stages on one snapshot: the resource
// graph, the 4P signals, the feature vectors and the model's scores with
// their reasons. It is what `posture score`, `report` and `fix` share.
package assess

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/suppress"
	"github.com/posture-dev/posture/model"
)

// Reasons is how many contributing features each assessment names.
const Reasons = 3

// Result is an assessed snapshot.
type Result struct {
	Graph   *features.Graph
	Signals map[string][]inventory.Signal // by resource id; suppressed ones marked
	// Vectors are what the model scored, by resource id: with the
	// features of suppressed signals cleared.
	Vectors     map[string]features.Vector
	Assessments []inventory.Assessment // riskiest first
	// Unscored are the resources the model does not score
	// (features.Scorable is false: firewalls, groups, policies, networks)
	// that have at least one signal, by resource id. Their signals carry
	// the same suppression marks; reports list them apart, without a risk.
	Unscored   []Unscored
	Suppressed int // signals a mutelist rule suppressed, scored or not
	// SuppressedBy counts them per rule, in Options.Mutelist.Rules order
	// (nil without a mutelist).
	SuppressedBy []int
}

// Unscored is a resource the model does not score, with its signals
// (suppressed ones marked). Its signals are facts to report, not a risk:
// what it exposes or grants is scored on the resources it reaches.
type Unscored struct {
	Resource inventory.Resource
	Signals  []inventory.Signal
}

// Options are what Run may apply besides the model.
type Options struct {
	// Mutelist, when set, marks the signals its live rules match as
	// suppressed. A suppressed signal stays in Signals and in its
	// assessment, but the features it sets directly are cleared before
	// scoring, so it does not raise the risk; a derived feature is cleared
	// only when every signal of the resource that feeds it is suppressed
	// (see clearSuppressed). Unknown signals are suppressed only by rules
	// that say unknown: true.
	Mutelist *suppress.List
	// MuteAt is when the mutelist's expiries are judged: the wall clock,
	// not the snapshot's time. Zero means the snapshot's time.
	MuteAt time.Time
	// Exploitation is what the KEV and EPSS feeds say about the
	// snapshot's CVEs (features.CVEs); without it every scanner finding's
	// exploitation is unknown.
	Exploitation features.Exploitation
}

// Run assesses resources as of now (the snapshot's time, so re-scoring an
// old snapshot gives the answer it would have given then).
func Run(resources []inventory.Resource, gaps []inventory.Gap, m *model.Model, now time.Time) (*Result, error) {
	return RunWith(resources, gaps, m, now, Options{})
}

// RunWith is Run with a mutelist.
func RunWith(resources []inventory.Resource, gaps []inventory.Gap, m *model.Model, now time.Time, o Options) (*Result, error) {
	if err := m.Check(features.Current); err != nil {
		return nil, err
	}
	g := features.NewGraph(resources, gaps)
	g.SetExploitation(o.Exploitation)
	sigs := features.Detect(g, now)
	muteAt := o.MuteAt
	if muteAt.IsZero() {
		muteAt = now
	}
	suppressed := o.Mutelist.Apply(sigs, g.Resource, muteAt)
	vecs := features.Extract(g, sigs, now)
	res := &Result{Graph: g, Signals: sigs, Vectors: make(map[string]features.Vector, len(vecs)),
		Suppressed: suppressed.Total(), SuppressedBy: suppressed}
	for _, v := range vecs {
		r := g.Resource(v.Resource)
		if r == nil {
			return nil, fmt.Errorf("assess: vector for unknown resource %s", v.Resource)
		}
		clearSuppressed(v.Values, sigs[v.Resource])
		res.Vectors[v.Resource] = v
		res.Assessments = append(res.Assessments, inventory.Assessment{
			Resource: *r,
			Risk:     m.Predict(v.Values),
			Signals:  sigs[v.Resource],
			Reasons:  withEvidence(g, r, m.Explain(v.Values, features.Current, Reasons), sigs[v.Resource]),
		})
	}
	for _, r := range g.Resources() {
		if features.Scorable(r.Kind) || len(sigs[r.ID]) == 0 {
			continue
		}
		res.Unscored = append(res.Unscored, Unscored{Resource: *r, Signals: sigs[r.ID]})
	}
	sort.SliceStable(res.Unscored, func(i, j int) bool {
		return res.Unscored[i].Resource.ID < res.Unscored[j].Resource.ID
	})
	sort.SliceStable(res.Assessments, func(i, j int) bool {
		a, b := res.Assessments[i], res.Assessments[j]
		if a.Risk != b.Risk {
			return a.Risk > b.Risk
		}
		return a.Resource.ID < b.Resource.ID
	})
	return res, nil
}

// clearSuppressed zeroes, in a resource's vector, what its suppressed
// signals alone account for. Accepting a finding is not fixing it, so this
// is not features.Schema.ClearedBy (a fix's what-if):
//   - a feature a signal sets directly (features.Schema.SetBy) is cleared
//     unless another signal of that id on the resource, not suppressed and
//     not Unknown, still sets it (an Unknown signal never sets its column;
//     it sets unknown_data, which suppression leaves alone);
//   - a derived feature (features.Schema.Feeders) is cleared only when at
//     least one of its feeders is on the resource and every feeder there is
//     suppressed. Muting passwords.imdsv1_exposed therefore leaves
//     imds_credential_theft_path while privileges.exposed_admin_role stands.
//     A derived feature comes from the graph, not from the signals, so an
//     unsuppressed Unknown feeder keeps it too: fail closed.
func clearSuppressed(values []float64, sigs []inventory.Signal) {
	muted := map[inventory.SignalID]bool{}     // ids with a suppressed signal here
	live := map[inventory.SignalID]bool{}      // ids with a signal here not suppressed
	liveKnown := map[inventory.SignalID]bool{} // … of which one is not Unknown
	for _, s := range sigs {
		switch {
		case s.Suppressed != nil:
			muted[s.ID] = true
		case s.Unknown:
			live[s.ID] = true
		default:
			live[s.ID], liveKnown[s.ID] = true, true
		}
	}
	if len(muted) == 0 {
		return
	}
	for id := range muted {
		if liveKnown[id] {
			continue
		}
		for _, i := range features.Current.SetBy(id) {
			values[i] = 0
		}
	}
	for i := range features.Current.Features {
		feeders := features.Current.Feeders(i)
		anyMuted, anyLive := false, false
		for _, id := range feeders {
			anyMuted = anyMuted || muted[id]
			anyLive = anyLive || live[id]
		}
		if anyMuted && !anyLive {
			values[i] = 0
		}
	}
}

// CountSignals counts the signals detected (not unknown) in a snapshot,
// judging its findings by x.
func CountSignals(resources []inventory.Resource, gaps []inventory.Gap, now time.Time, x features.Exploitation) int {
	n := 0
	g := features.NewGraph(resources, gaps)
	g.SetExploitation(x)
	for _, ss := range features.Detect(g, now) {
		for _, s := range ss {
			if !s.Unknown {
				n++
			}
		}
	}
	return n
}

// evidenceKeys are the evidence fields worth a place in a one-line reason,
// in the order they are shown.
var evidenceKeys = []string{"port", "protocol", "source", "via", "role", "policy", "acl_grants", "principal",
	"actions", "days", "image", "engine", "version", "eol", "weaknesses", "keys"}

// withEvidence rewrites the text of each reason as the concrete fact behind
// it: a signal's title and key evidence ("Admin port … reachable from the
// internet: port 22, protocol tcp, source 0.0.0.0/0, via sg-0ssh…"), or for
// the graph features no single signal sets, what the graph shows. People
// read the fact rather than the feature's definition.
func withEvidence(g *features.Graph, r *inventory.Resource, rs []inventory.Reason, sigs []inventory.Signal) []inventory.Reason {
	for i := range rs {
		if text := graphFact(g, r, rs[i].Feature, sigs); text != "" {
			rs[i].Text = text
			continue
		}
		for _, s := range sigs {
			if s.ID != rs[i].Signal || rs[i].Signal == "" {
				continue
			}
			var parts []string
			for _, k := range evidenceKeys {
				if v, ok := s.Evidence[k]; ok && v != "" {
					parts = append(parts, k+" "+shortID(v))
				}
			}
			rs[i].Text = s.Title
			if s.Unknown {
				rs[i].Text += " (could not be checked)"
			}
			if len(parts) > 0 {
				rs[i].Text += ": " + strings.Join(parts, ", ")
			}
			break
		}
	}
	return rs
}

// shortID turns an ARN into its last path element (sg-0ssh…, web-admin-role)
// and leaves other values alone.
func shortID(v string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	if i := strings.LastIndexAny(v, "/:"); i >= 0 && i < len(v)-1 {
		return v[i+1:]
	}
	return v
}

// graphFact states, for a feature that no single signal sets, the fact on
// this resource; "" leaves the feature's meaning as the text.
func graphFact(g *features.Graph, r *inventory.Resource, feature string, sigs []inventory.Signal) string {
	if r.Function != nil {
		switch feature {
		case features.FInternetExposed:
			return "Anyone on the internet can invoke it through its function URL (auth " + r.Function.URLAuth + ")"
		case features.FEOLEngine:
			for _, s := range sigs {
				if s.ID == "patches.eol_runtime" && !s.Unknown {
					return s.Title + ": runtime " + r.Function.Runtime
				}
			}
		}
	}
	switch feature {
	case features.FInternetExposed:
		var ports []string
		seen := map[string]bool{}
		for _, e := range g.Reachability(r.ID).Exposures {
			p := fmt.Sprintf("%s/%d", e.Protocol, e.Ports.From)
			if e.Ports.To != e.Ports.From {
				p = fmt.Sprintf("%s/%d-%d", e.Protocol, e.Ports.From, e.Ports.To)
			}
			if !seen[p] {
				seen[p] = true
				ports = append(ports, p)
			}
		}
		sort.Strings(ports)
		if len(ports) == 0 {
			return ""
		}
		return "Reachable from the internet (path in the evidence) on " + strings.Join(ports, ", ")
	case features.FSSRFAdminPath:
		return "Exposed, accepts IMDSv1 and holds an admin-equivalent role" + roleOf(sigs) +
			": one request-forgery flaw yields admin credentials"
	case features.FHoldsAdminRole:
		return "Holds an admin-equivalent role" + roleOf(sigs)
	case features.FIMDSv1:
		return "Instance metadata accepts IMDSv1 (no session token)"
	case features.FImageAge:
		if r.Instance != nil && !r.Instance.ImageCreated.IsZero() {
			return fmt.Sprintf("Image %s created %s", r.Instance.ImageID, r.Instance.ImageCreated.UTC().Format("2006-01-02"))
		}
	case features.FMaxEPSS:
		if score, cve, known := g.MaxEPSS(r); known && cve != "" {
			return fmt.Sprintf("Its likeliest-exploited open finding, %s, has EPSS %.3f (exploitation activity in the next 30 days)", cve, score)
		}
	case features.FNotScanned:
		return "No vulnerability scanner reports on it (Inspector, OS Config, Defender): its CVEs are unknown, not absent"
	case features.FDataReach:
		if stores := g.DataReach(r); len(stores) > 0 {
			return fmt.Sprintf("Its identity can read %d data store(s), e.g. %s", len(stores), shortID(stores[0]))
		}
	case features.FObtainablePriv:
		if ids := g.IdentitiesOf(r); len(ids) > 0 {
			return "Holds privileged permissions through " + shortID(ids[0])
		}
	case features.FExposedNeighbour:
		if users := g.ExposedUsers(r.ID); len(users) > 0 {
			return fmt.Sprintf("Internet-exposed %s can use it through its identity", shortID(users[0]))
		}
	case features.FUnknownData:
		return "Some facts about it could not be read (a gap): unknown, not safe"
	case features.FScopeGap:
		return "Its account or region has gaps in this snapshot"
	}
	return ""
}

// roleOf names the admin role an exposed-admin-role signal found, " (name)".
func roleOf(sigs []inventory.Signal) string {
	for _, s := range sigs {
		if role := s.Evidence["role"]; role != "" {
			return " (" + shortID(role) + ")"
		}
	}
	return ""
}
