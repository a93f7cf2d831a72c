package labels

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/store"
	"github.com/posture-dev/posture/model"
)

// MaxExamples is how many examples a Report keeps of each issue.
const MaxExamples = 5

// Report says what became of every label Join was given: each one is joined
// (a row of the dataset) or counted under exactly one issue, so
// Read = Joined + Dropped(). Nothing is dropped silently.
type Report struct {
	Source      string `json:"source"`
	Read        int    `json:"read"`   // labels given
	Joined      int    `json:"joined"` // rows in the dataset
	Compromised int    `json:"compromised"`
	Benign      int    `json:"benign"`
	// Snapshots are those labels were joined to, oldest first.
	Snapshots []SnapshotUse `json:"snapshots,omitempty"`
	// JoinedToPartial counts rows whose snapshot is partial (committed
	// with gaps). They are kept: a partial snapshot is the one in force,
	// and the features of what it could not read say so (unknown_data,
	// scope_gap), as they did when it was scored.
	JoinedToPartial int `json:"joined_to_partial"`

	// Future: dated after the time of the join. Dropped.
	Future Issue `json:"future"`
	// BeforeSnapshots: dated before the first committed snapshot
	// finished, so no features were recorded for them. Dropped.
	BeforeSnapshots Issue `json:"before_snapshots"`
	// Duplicates: identical to an earlier label (resource, label, time and
	// source). Collapsed into the first.
	Duplicates Issue `json:"duplicates"`
	// Unknown: the resource is not in the snapshot in force at the
	// label's time. Dropped.
	Unknown Issue `json:"unknown"`
	// Unscorable: the resource is of a kind the model does not score
	// (features.Scorable is false: firewalls, networks, policies, groups).
	// Dropped.
	Unscorable Issue `json:"unscorable"`
	// Conflicts: a resource labelled both compromised and benign within
	// one snapshot (the same features, two answers). Every one of its
	// labels in that snapshot is dropped.
	Conflicts Issue `json:"conflicts"`
	// Repeats: the same label again for a resource in the same snapshot,
	// at another time or from another source. Collapsed into the
	// earliest, since they are one row of features.
	Repeats Issue `json:"repeats"`
}

// Issue is a count of labels and the first few of them.
type Issue struct {
	Count    int       `json:"count"`
	Examples []Example `json:"examples,omitempty"`
}

// Example is one label an issue concerns.
type Example struct {
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Resource string    `json:"resource"`
	Label    string    `json:"label"` // compromised or benign
	Time     time.Time `json:"time"`
	Snapshot string    `json:"snapshot,omitempty"` // the snapshot in force, if any
	Note     string    `json:"note,omitempty"`
}

// SnapshotUse is a snapshot labels were joined to.
type SnapshotUse struct {
	ID       string           `json:"id"`
	Finished time.Time        `json:"finished"`
	Status   inventory.Status `json:"status"`
	Rows     int              `json:"rows"` // rows of the dataset joined to it
}

// Dropped is how many labels did not become rows.
func (r Report) Dropped() int {
	n := 0
	for _, is := range r.issues() {
		n += is.issue.Count
	}
	return n
}

type namedIssue struct {
	name  string
	issue Issue
}

// issues lists the issues in the order they are checked.
func (r Report) issues() []namedIssue {
	return []namedIssue{
		{"dated in the future", r.Future},
		{"before any snapshot", r.BeforeSnapshots},
		{"exact duplicates", r.Duplicates},
		{"unknown resource in the snapshot in force", r.Unknown},
		{"not scored by the model", r.Unscorable},
		{"conflicting", r.Conflicts},
		{"repeated in one snapshot", r.Repeats},
	}
}

// Summary is the report's counts in one line, for provenance notes.
func (r Report) Summary() string {
	partial := 0
	for _, s := range r.Snapshots {
		if s.Status == inventory.StatusPartial {
			partial++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d labels read, %d joined (%d compromised, %d benign) to %d snapshot(s)",
		r.Source, r.Read, r.Joined, r.Compromised, r.Benign, len(r.Snapshots))
	if partial > 0 {
		fmt.Fprintf(&b, ", %d of them partial (%d rows)", partial, r.JoinedToPartial)
	}
	var dropped []string
	for _, is := range r.issues() {
		if is.issue.Count > 0 {
			dropped = append(dropped, fmt.Sprintf("%d %s", is.issue.Count, is.name))
		}
	}
	if len(dropped) > 0 {
		fmt.Fprintf(&b, "; not joined: %s", strings.Join(dropped, ", "))
	}
	return b.String()
}

// Write prints the report for people: the counts, then each issue with
// its examples.
func (r Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintln(&b, r.Summary())
	for _, s := range r.Snapshots {
		fmt.Fprintf(&b, "  snapshot %s (%s, finished %s): %d rows\n", s.ID, s.Status, s.Finished.UTC().Format(time.RFC3339), s.Rows)
	}
	for _, is := range r.issues() {
		if is.issue.Count == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: %d\n", is.name, is.issue.Count)
		for _, e := range is.issue.Examples {
			fmt.Fprintf(&b, "  %s:%d: %s %s at %s", e.File, e.Line, e.Resource, e.Label, e.Time.UTC().Format(time.RFC3339))
			if e.Note != "" {
				fmt.Fprintf(&b, " (%s)", e.Note)
			}
			fmt.Fprintln(&b)
		}
		if more := is.issue.Count - len(is.issue.Examples); more > 0 {
			fmt.Fprintf(&b, "  … and %d more\n", more)
		}
	}
	_, err := w.Write([]byte(b.String()))
	return err
}

func (is *Issue) add(l Label, snapshot, note string) {
	is.Count++
	if len(is.Examples) >= MaxExamples {
		return
	}
	is.Examples = append(is.Examples, Example{
		File: l.File, Line: l.Line, Resource: l.Resource, Label: labelWord(l.Compromised),
		Time: l.Time, Snapshot: snapshot, Note: note,
	})
}

func labelWord(compromised bool) string {
	if compromised {
		return "compromised"
	}
	return "benign"
}

// Join turns labels into training rows: each label takes the feature
// vector its resource had in the snapshot in force at the label's time —
// the newest committed snapshot (complete or partial) whose Finished is at
// or before it — not today's. Each snapshot used is loaded once and run
// through the graph, the signals and the features exactly as scoring does
// (without a mutelist: an accepted signal is still a fact of the resource),
// with the exploitation feeds as stored now.
//
// The dataset's Group is the snapshot id, Time the label's time, Source
// "labels:<file base name>". Labels dated after now, before the first
// snapshot, for a resource the snapshot does not hold or the model does not
// score, or that conflict, are dropped; exact duplicates and repeats are
// collapsed; the Report counts each.
func Join(ctx context.Context, st *store.Store, rows []Label, now time.Time) (model.Dataset, Report, error) {
	rep := Report{Source: sourceName(rows), Read: len(rows)}
	ds := model.Dataset{Source: rep.Source}
	if len(rows) == 0 {
		return ds, rep, nil
	}
	snaps, err := st.List(ctx)
	if err != nil {
		return ds, rep, err
	}
	sort.SliceStable(snaps, func(i, j int) bool {
		if !snaps[i].Finished.Equal(snaps[j].Finished) {
			return snaps[i].Finished.Before(snaps[j].Finished)
		}
		return snaps[i].ID < snaps[j].ID
	})

	// The snapshot in force for each label, and exact duplicates.
	type pending struct {
		idx  int // position in rows
		snap int // position in snaps
	}
	bySnap := map[int][]pending{}
	type exact struct {
		resource    string
		compromised bool
		time        time.Time
		source      string
	}
	first := map[exact]int{}
	for i, l := range rows {
		if l.Time.After(now) {
			rep.Future.add(l, "", "after "+now.UTC().Format(time.RFC3339))
			continue
		}
		k := sort.Search(len(snaps), func(k int) bool { return snaps[k].Finished.After(l.Time) }) - 1
		// In force is the newest snapshot of the resource's cloud: a later
		// scan of another cloud does not replace it.
		cloud := cloudOf(l.Resource)
		for k >= 0 && cloud != "" && len(snaps[k].Clouds) > 0 && !slices.Contains(snaps[k].Clouds, cloud) {
			k--
		}
		if k < 0 {
			note := "no snapshot in the store"
			if len(snaps) > 0 {
				note = "the first snapshot finished " + snaps[0].Finished.UTC().Format(time.RFC3339)
			}
			rep.BeforeSnapshots.add(l, "", note)
			continue
		}
		key := exact{l.Resource, l.Compromised, l.Time.UTC(), l.Source}
		if j, dup := first[key]; dup {
			rep.Duplicates.add(l, snaps[k].ID, fmt.Sprintf("same as line %d", rows[j].Line))
			continue
		}
		first[key] = i
		bySnap[k] = append(bySnap[k], pending{idx: i, snap: k})
	}

	// Each snapshot once, oldest first: its vectors, then its labels.
	order := make([]int, 0, len(bySnap))
	for k := range bySnap {
		order = append(order, k)
	}
	sort.Ints(order)
	type row struct {
		idx    int
		values []float64
		snap   string
	}
	var kept []row
	for _, k := range order {
		snap := snaps[k]
		vecs, g, err := snapshotVectors(ctx, st, snap)
		if err != nil {
			return ds, rep, err
		}
		// Group the snapshot's labels by resource, in input order.
		byRes := map[string][]int{}
		var resOrder []string
		for _, p := range bySnap[k] {
			l := rows[p.idx]
			r := g.Resource(l.Resource)
			switch {
			case r == nil:
				rep.Unknown.add(l, snap.ID, "not in snapshot "+snap.ID)
				continue
			case !features.Scorable(r.Kind):
				rep.Unscorable.add(l, snap.ID, "kind "+string(r.Kind)+": the model does not score it")
				continue
			}
			if _, seen := byRes[l.Resource]; !seen {
				resOrder = append(resOrder, l.Resource)
			}
			byRes[l.Resource] = append(byRes[l.Resource], p.idx)
		}
		use := SnapshotUse{ID: snap.ID, Finished: snap.Finished, Status: snap.Status}
		for _, id := range resOrder {
			idxs := byRes[id]
			conflict := false
			for _, i := range idxs[1:] {
				conflict = conflict || rows[i].Compromised != rows[idxs[0]].Compromised
			}
			if conflict {
				for _, i := range idxs {
					rep.Conflicts.add(rows[i], snap.ID, conflictNote(rows, idxs, i, snap.ID))
				}
				continue
			}
			earliest := idxs[0]
			for _, i := range idxs[1:] {
				if rows[i].Time.Before(rows[earliest].Time) {
					earliest = i
				}
			}
			for _, i := range idxs {
				if i != earliest {
					rep.Repeats.add(rows[i], snap.ID, fmt.Sprintf("same label as line %d in snapshot %s", rows[earliest].Line, snap.ID))
				}
			}
			v, ok := vecs[id]
			if !ok {
				return ds, rep, fmt.Errorf("snapshot %s: no feature vector for scorable resource %s", snap.ID, id)
			}
			kept = append(kept, row{idx: earliest, values: v, snap: snap.ID})
			use.Rows++
			if snap.Status == inventory.StatusPartial {
				rep.JoinedToPartial++
			}
		}
		if use.Rows > 0 {
			rep.Snapshots = append(rep.Snapshots, use)
		}
	}

	sort.SliceStable(kept, func(a, b int) bool { return kept[a].idx < kept[b].idx })
	for _, r := range kept {
		l := rows[r.idx]
		ds.X = append(ds.X, r.values)
		ds.Y = append(ds.Y, l.Y())
		ds.Group = append(ds.Group, r.snap)
		ds.Time = append(ds.Time, l.Time)
		if l.Compromised {
			rep.Compromised++
		} else {
			rep.Benign++
		}
	}
	rep.Joined = ds.Len()
	if got := rep.Joined + rep.Dropped(); got != rep.Read {
		return ds, rep, fmt.Errorf("join labels %s: %d read but %d accounted for", rep.Source, rep.Read, got)
	}
	return ds, rep, ds.Check()
}

// conflictNote names the other lines that label the resource differently.
func conflictNote(rows []Label, idxs []int, i int, snap string) string {
	var lines []string
	for _, j := range idxs {
		if j != i && rows[j].Compromised != rows[i].Compromised {
			lines = append(lines, fmt.Sprintf("%d", rows[j].Line))
		}
	}
	return fmt.Sprintf("labelled %s on line %s in snapshot %s", labelWord(!rows[i].Compromised), strings.Join(lines, ", "), snap)
}

// snapshotVectors loads a snapshot and computes its feature vectors as
// internal/assess does, by resource id, with the graph.
func snapshotVectors(ctx context.Context, st *store.Store, snap inventory.Snapshot) (map[string][]float64, *features.Graph, error) {
	rs, err := st.Resources(ctx, snap.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("join labels: %w", err)
	}
	x, err := assess.Exploitation(ctx, st, rs)
	if err != nil {
		return nil, nil, fmt.Errorf("join labels to snapshot %s: %w", snap.ID, err)
	}
	g := features.NewGraph(rs, snap.Gaps)
	g.SetExploitation(x)
	sigs := features.Detect(g, snap.Finished)
	out := map[string][]float64{}
	for _, v := range features.Extract(g, sigs, snap.Finished) {
		out[v.Resource] = v.Values
	}
	return out, g, nil
}

// cloudOf guesses a resource's cloud from its id: an ARN is AWS's, a Cloud
// Asset Inventory name ("//…") Google's, an ARM id Azure's; "" when the id
// says nothing.
func cloudOf(id string) inventory.Cloud {
	switch {
	case strings.HasPrefix(id, "arn:"):
		return inventory.AWS
	case strings.HasPrefix(id, "//"):
		return inventory.GCP
	case strings.HasPrefix(strings.ToLower(id), "/subscriptions/"):
		return inventory.Azure
	}
	return ""
}
