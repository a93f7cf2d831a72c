package labels_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/assess"
	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/labels"
	"github.com/posture-dev/posture/internal/store"
	"github.com/posture-dev/posture/model"
	"github.com/posture-dev/posture/models"
)

const (
	acct   = "111122223333"
	web    = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0web"
	newVM  = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0new"
	sg     = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0ssh"
	logs   = "arn:aws:s3:::acme-logs"
	region = "eu-west-1"
)

// Snapshot A finishes on 1 March, B (partial) on 10 March 2026.
var (
	finishedA = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	finishedB = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	now       = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

func instance(id string, imdsv1 bool) inventory.Resource {
	return inventory.Resource{
		ID: id, Cloud: inventory.AWS, Account: acct, Region: region,
		Kind: inventory.KindInstance, NativeType: "AWS::EC2::Instance", Name: id[strings.LastIndex(id, "/")+1:],
		Edges: []inventory.Edge{{From: id, Relation: inventory.RelProtectedBy, To: sg}},
		Instance: &inventory.Instance{
			State: "running", PublicIPs: []string{"203.0.113.7"}, Firewalls: []string{sg},
			ImageCreated: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			Metadata:     &inventory.Metadata{Enabled: true, TokensRequired: !imdsv1, HopLimit: 1},
		},
	}
}

func firewall() inventory.Resource {
	return inventory.Resource{
		ID: sg, Cloud: inventory.AWS, Account: acct, Region: region,
		Kind: inventory.KindFirewall, NativeType: "AWS::EC2::SecurityGroup",
		Firewall: &inventory.Firewall{Rules: []inventory.FirewallRule{{
			Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
			Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"},
		}}},
	}
}

func bucket() inventory.Resource {
	return inventory.Resource{
		ID: logs, Cloud: inventory.AWS, Account: acct, Region: region, Kind: inventory.KindBucket,
		NativeType: "AWS::S3::Bucket", Bucket: &inventory.Bucket{Versioning: "Enabled"},
	}
}

// twoSnapshots commits snapshot A (web with IMDSv1, the bucket) and
// snapshot B (web with IMDSv2, a new instance, no bucket; partial) and
// returns them with their resources.
func twoSnapshots(t *testing.T) (*store.Store, [2]inventory.Snapshot, [2][]inventory.Resource) {
	t.Helper()
	ctx := context.Background()
	clock := finishedA
	st, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rs := [2][]inventory.Resource{
		{instance(web, true), firewall(), bucket()},
		{instance(web, false), firewall(), instance(newVM, true)},
	}
	var snaps [2]inventory.Snapshot
	for i, at := range []time.Time{finishedA, finishedB} {
		clock = at
		w, err := st.Begin(ctx, inventory.Snapshot{Clouds: []inventory.Cloud{inventory.AWS}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(ctx, rs[i]...); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			w.AddGap(inventory.Gap{Cloud: inventory.AWS, Account: acct, Region: "us-east-1", Service: "ec2", Reason: inventory.GapAccessDenied, Message: "denied"})
		}
		if snaps[i], err = w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return st, snaps, rs
}

// vector is what posture score computes for id in a snapshot.
func vector(t *testing.T, snap inventory.Snapshot, rs []inventory.Resource, id string) []float64 {
	t.Helper()
	m, err := model.Load(models.Default())
	if err != nil {
		t.Fatal(err)
	}
	res, err := assess.Run(rs, snap.Gaps, m, snap.Finished)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := res.Vectors[id]
	if !ok {
		t.Fatalf("assess has no vector for %s", id)
	}
	return v.Values
}

func day(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }

func TestJoin(t *testing.T) {
	st, snaps, rs := twoSnapshots(t)
	a, b := snaps[0].ID, snaps[1].ID
	const f = "incidents.csv"
	ls := []labels.Label{
		{Resource: web, Compromised: true, Time: day(5, 10), Source: "INC-1", Line: 2},                 // before B: joins A
		{Resource: web, Time: day(12, 0), Line: 3},                                                     // joins B
		{Resource: logs, Time: day(12, 0), Line: 4},                                                    // unknown: gone by B
		{Resource: newVM, Compromised: true, Time: day(5, 0), Line: 5},                                 // unknown: not yet in A
		{Resource: web, Compromised: true, Time: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Line: 6}, // before any snapshot
		{Resource: web, Compromised: true, Time: day(5, 10), Source: "INC-1", Line: 7},                 // exact duplicate of line 2
		{Resource: newVM, Compromised: true, Time: day(11, 0), Line: 8},                                // conflict in B …
		{Resource: newVM, Time: day(13, 0), Source: "pentest", Line: 9},                                // … with this
		{Resource: sg, Compromised: true, Time: day(12, 0), Line: 10},                                  // not scored
		{Resource: logs, Time: day(3, 0), Line: 11},                                                    // joins A …
		{Resource: logs, Time: day(2, 0), Source: "review", Line: 12},                                  // … repeat, earlier: kept instead
		{Resource: web, Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Line: 13},                   // future
	}
	for i := range ls {
		ls[i].File = f
	}

	ds, rep, err := labels.Join(context.Background(), st, ls, now)
	if err != nil {
		t.Fatal(err)
	}

	wantDS := model.Dataset{
		X:      [][]float64{vector(t, snaps[0], rs[0], web), vector(t, snaps[1], rs[1], web), vector(t, snaps[0], rs[0], logs)},
		Y:      []float64{1, 0, 0},
		Group:  []string{a, b, a},
		Time:   []time.Time{day(5, 10), day(12, 0), day(2, 0)},
		Source: "labels:incidents.csv",
	}
	if diff := cmp.Diff(ds, wantDS); diff != "" {
		t.Errorf("dataset (-got +want):\n%s", diff)
	}
	if cmp.Equal(ds.X[0], ds.X[1]) {
		t.Errorf("web's vectors in A (IMDSv1) and B (IMDSv2) should differ")
	}

	ex := func(line int, l labels.Label, snap, note string) labels.Example {
		return labels.Example{File: f, Line: line, Resource: l.Resource, Label: word(l.Compromised), Time: l.Time, Snapshot: snap, Note: note}
	}
	wantRep := labels.Report{
		Source: "labels:incidents.csv", Read: 12, Joined: 3, Compromised: 1, Benign: 2,
		Snapshots: []labels.SnapshotUse{
			{ID: a, Finished: finishedA, Status: inventory.StatusComplete, Rows: 2},
			{ID: b, Finished: finishedB, Status: inventory.StatusPartial, Rows: 1},
		},
		JoinedToPartial: 1,
		Future:          labels.Issue{Count: 1, Examples: []labels.Example{ex(13, ls[11], "", "after 2026-06-01T00:00:00Z")}},
		BeforeSnapshots: labels.Issue{Count: 1, Examples: []labels.Example{ex(6, ls[4], "", "the first snapshot finished 2026-03-01T12:00:00Z")}},
		Duplicates:      labels.Issue{Count: 1, Examples: []labels.Example{ex(7, ls[5], a, "same as line 2")}},
		Unknown: labels.Issue{Count: 2, Examples: []labels.Example{
			ex(5, ls[3], a, "not in snapshot "+a),
			ex(4, ls[2], b, "not in snapshot "+b),
		}},
		Unscorable: labels.Issue{Count: 1, Examples: []labels.Example{ex(10, ls[8], b, "kind network.firewall: the model does not score it")}},
		Conflicts: labels.Issue{Count: 2, Examples: []labels.Example{
			ex(8, ls[6], b, "labelled benign on line 9 in snapshot "+b),
			ex(9, ls[7], b, "labelled compromised on line 8 in snapshot "+b),
		}},
		Repeats: labels.Issue{Count: 1, Examples: []labels.Example{ex(11, ls[9], a, "same label as line 12 in snapshot "+a)}},
	}
	if diff := cmp.Diff(rep, wantRep); diff != "" {
		t.Errorf("report (-got +want):\n%s", diff)
	}
	if got := rep.Joined + rep.Dropped(); got != rep.Read {
		t.Errorf("joined %d + dropped %d = %d, want every one of %d labels accounted for", rep.Joined, rep.Dropped(), got, rep.Read)
	}

	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"labels:incidents.csv: 12 labels read, 3 joined (1 compromised, 2 benign) to 2 snapshot(s), 1 of them partial (1 rows); not joined: 1 dated in the future, 1 before any snapshot, 1 exact duplicates, 2 unknown resource in the snapshot in force, 1 not scored by the model, 2 conflicting, 1 repeated in one snapshot",
		"conflicting: 2\n  incidents.csv:8: " + newVM + " compromised at 2026-03-11T00:00:00Z (labelled benign on line 9 in snapshot " + b + ")",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report text lacks %q:\n%s", want, out.String())
		}
	}
}

func word(compromised bool) string {
	if compromised {
		return "compromised"
	}
	return "benign"
}

// A label at exactly a snapshot's finish joins that snapshot; one a
// moment before joins the previous one.
func TestJoinBoundary(t *testing.T) {
	st, snaps, _ := twoSnapshots(t)
	ls := []labels.Label{
		{Resource: web, Compromised: true, Time: finishedB, File: "l", Line: 2},
		{Resource: web, Compromised: true, Time: finishedB.Add(-time.Nanosecond), File: "l", Line: 3},
		{Resource: web, Compromised: true, Time: finishedA, File: "l", Line: 4},
	}
	ds, rep, err := labels.Join(context.Background(), st, ls, now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ds.Group, []string{snaps[1].ID, snaps[0].ID}); diff != "" {
		t.Errorf("groups (-got +want):\n%s\n%s", diff, rep.Summary())
	}
	if rep.Repeats.Count != 1 {
		t.Errorf("repeats %d, want 1 (lines 3 and 4 are both in A)", rep.Repeats.Count)
	}
}

func TestJoinEmptyStore(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ls := []labels.Label{{Resource: web, Time: day(1, 0), File: "l", Line: 2}}
	ds, rep, err := labels.Join(context.Background(), st, ls, now)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 0 || rep.BeforeSnapshots.Count != 1 || rep.BeforeSnapshots.Examples[0].Note != "no snapshot in the store" {
		t.Errorf("got %d rows, report %+v; want none, the label before any snapshot", ds.Len(), rep)
	}
}

// TestJoinSnapshotOfTheResourcesCloud: a later scan of another cloud does
// not replace the snapshot in force for an AWS resource.
func TestJoinSnapshotOfTheResourcesCloud(t *testing.T) {
	st, snaps, _ := twoSnapshots(t)
	ctx := context.Background()
	w, err := st.Begin(ctx, inventory.Snapshot{Clouds: []inventory.Cloud{inventory.GCP}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, inventory.Resource{ID: "//storage.googleapis.com/b", Cloud: inventory.GCP, Account: "p", Kind: inventory.KindBucket, Bucket: &inventory.Bucket{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ls := []labels.Label{{Resource: web, Compromised: true, Time: now, File: "l", Line: 2}}
	ds, rep, err := labels.Join(ctx, st, ls, now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ds.Group, []string{snaps[1].ID}); diff != "" {
		t.Errorf("groups (-got +want):\n%s\n%s", diff, rep.Summary())
	}
}
