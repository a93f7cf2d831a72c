package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/posture-dev/posture/internal/inventory"
	"github.com/posture-dev/posture/internal/store"
)

var t0 = time.Date(2026, 11, 23, 13, 23, 54, 123456000, time.UTC)

// clock returns a Now that starts at t0 and moves one second per call.
func clock() func() time.Time {
	var mu sync.Mutex
	t := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func openStore(t testing.TB, dir string, opts store.Options) *store.Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = clock()
	}
	s, err := store.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func instance(id string) inventory.Resource {
	return inventory.Resource{
		ID: id, Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1",
		Kind: inventory.KindInstance, NativeType: "AWS::EC2::Instance", Name: "web",
		Tags:  map[string]string{"env": "prod"},
		Edges: []inventory.Edge{{From: id, Relation: inventory.RelProtectedBy, To: "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"}},
		Instance: &inventory.Instance{
			State: "running", PublicIPs: []string{"203.0.113.7"},
			ImageCreated: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
			Metadata:     &inventory.Metadata{Enabled: true, HopLimit: 1},
		},
	}
}

func firewall(id string) inventory.Resource {
	return inventory.Resource{
		ID: id, Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1",
		Kind: inventory.KindFirewall, NativeType: "AWS::EC2::SecurityGroup",
		Firewall: &inventory.Firewall{Rules: []inventory.FirewallRule{{
			Direction: inventory.Ingress, Action: inventory.Allow, Protocol: "tcp",
			Ports: inventory.PortRange{From: 22, To: 22}, Sources: []string{"0.0.0.0/0"},
		}}},
	}
}

func bucket(id string) inventory.Resource {
	return inventory.Resource{
		ID: id, Cloud: inventory.GCP, Account: "proj-1", Kind: inventory.KindBucket,
		NativeType: "storage.googleapis.com/Bucket",
		Bucket:     &inventory.Bucket{Versioning: "Enabled"},
	}
}

// estate is a small mixed estate; ids carry ':' and '/' like real ones.
func estate(tag string) []inventory.Resource {
	return []inventory.Resource{
		instance("arn:aws:ec2:eu-west-1:111122223333:instance/i-" + tag + "b"),
		firewall("arn:aws:ec2:eu-west-1:111122223333:security-group/sg-" + tag),
		instance("arn:aws:ec2:eu-west-1:111122223333:instance/i-" + tag + "a"),
		bucket("//storage.googleapis.com/projects/_/buckets/" + tag),
	}
}

func sortedByID(rs []inventory.Resource) []inventory.Resource {
	out := slices.Clone(rs)
	inventory.SortResources(out)
	return out
}

// commit writes one snapshot of rs with the given gaps.
func commit(t testing.TB, s *store.Store, rs []inventory.Resource, gaps ...inventory.Gap) inventory.Snapshot {
	t.Helper()
	ctx := context.Background()
	w, err := s.Begin(ctx, inventory.Snapshot{Clouds: []inventory.Cloud{inventory.AWS, inventory.GCP}})
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := w.Put(ctx, rs...); err != nil {
		t.Fatalf("Put: %v", err)
	}
	for _, g := range gaps {
		w.AddGap(g)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return snap
}

// rawKeys lists the keys under prefix of the (closed) store in dir,
// straight from Badger.
func rawKeys(t *testing.T, dir, prefix string) []string {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatalf("badger.Open: %v", err)
	}
	defer db.Close()
	var keys []string
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys = append(keys, string(it.Item().Key()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestCommitAndReadBack(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{BatchSize: 3})
	started := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	scopes := []inventory.Scope{{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1"}}

	w, err := s.Begin(ctx, inventory.Snapshot{Started: started, Clouds: []inventory.Cloud{inventory.AWS, inventory.GCP}, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	rs := estate("x")
	for _, r := range rs { // one at a time, so batches are flushed as they fill
		if err := w.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.Snapshot{
		ID: w.ID(), Started: started, Finished: t0.Add(2 * time.Second),
		Status: inventory.StatusComplete,
		Clouds: []inventory.Cloud{inventory.AWS, inventory.GCP}, Scopes: scopes,
		Resources: 4,
		Kinds:     map[inventory.Kind]int{inventory.KindInstance: 2, inventory.KindFirewall: 1, inventory.KindBucket: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Commit (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(w.ID(), "20261123T132355.123456Z-") {
		t.Errorf("ID() = %q, want the time of Begin", w.ID())
	}

	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]inventory.Snapshot{want}, list); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	latest, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, latest); diff != "" {
		t.Errorf("Latest (-want +got):\n%s", diff)
	}
	one, err := s.Get(ctx, w.ID())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, one); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	all, err := s.Resources(ctx, w.ID())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedByID(rs), all); diff != "" {
		t.Errorf("Resources (-want +got):\n%s", diff)
	}
	for _, r := range rs {
		got, err := s.Resource(ctx, w.ID(), r.ID)
		if err != nil {
			t.Fatalf("Resource(%s): %v", r.ID, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("Resource(%s) (-want +got):\n%s", r.ID, diff)
		}
	}
}

func TestResourcesByKind(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	rs := estate("k")
	snap := commit(t, s, rs)
	inst := []inventory.Resource{rs[2], rs[0]}

	tests := []struct {
		name  string
		kinds []inventory.Kind
		want  []inventory.Resource
	}{
		{"none means all", nil, sortedByID(rs)},
		{"one kind", []inventory.Kind{inventory.KindInstance}, inst},
		{"two kinds sorted by id", []inventory.Kind{inventory.KindInstance, inventory.KindBucket}, sortedByID(append([]inventory.Resource{rs[3]}, inst...))},
		{"repeated kind", []inventory.Kind{inventory.KindFirewall, inventory.KindFirewall}, []inventory.Resource{rs[1]}},
		{"kind with none", []inventory.Kind{inventory.KindRole}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Resources(ctx, snap.ID, tt.kinds...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resources(%v) (-want +got):\n%s", tt.kinds, diff)
			}
		})
	}
	if _, err := s.Resources(ctx, snap.ID, "compute.toaster"); err == nil {
		t.Error("Resources with an unknown kind: no error")
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	if _, err := s.Latest(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Latest on an empty store: err = %v, want ErrNotFound", err)
	}
	snap := commit(t, s, estate("n"))
	const missing = "20200101T000000.000000Z-0000"

	tests := []struct {
		name   string
		call   func() error
		naming string
	}{
		{"Get", func() error { _, err := s.Get(ctx, missing); return err }, missing},
		{"Get with a slash", func() error { _, err := s.Get(ctx, snap.ID+"/res"); return err }, snap.ID + "/res"},
		{"Resources", func() error { _, err := s.Resources(ctx, missing); return err }, missing},
		{"Resource of missing snapshot", func() error { _, err := s.Resource(ctx, missing, "x"); return err }, missing},
		{"Resource", func() error { _, err := s.Resource(ctx, snap.ID, "arn:aws:iam::1:role/none"); return err }, "arn:aws:iam::1:role/none"},
		{"Assessments of missing snapshot", func() error { _, err := s.Assessments(ctx, missing, "m1"); return err }, missing},
		{"Assessments never stored", func() error { _, err := s.Assessments(ctx, snap.ID, "m1"); return err }, "m1"},
		{"PutAssessments of missing snapshot", func() error { return s.PutAssessments(ctx, missing, "m1", nil) }, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), tt.naming) {
				t.Errorf("err = %q, want it to name %q", err, tt.naming)
			}
		})
	}
}

func TestIDsSortChronologically(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, commit(t, s, estate(fmt.Sprint(i))).ID)
	}
	idRE := regexp.MustCompile(`^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{4}$`)
	for _, id := range ids {
		if !idRE.MatchString(id) {
			t.Errorf("id %q does not look like 20261123T132354.123456Z-ab12", id)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids in commit order are not sorted: %v", ids)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sn := range list {
		got = append(got, sn.ID)
	}
	slices.Reverse(ids)
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("List order (-want newest first +got):\n%s", diff)
	}
	latest, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if latest.ID != ids[0] {
		t.Errorf("Latest = %s, want %s", latest.ID, ids[0])
	}
}

// TestUnfinishedSnapshotIsInvisible begins a second snapshot, writes part of
// it (past one batch, so some of it is on disk) and ends it without a
// commit in each way a scan can end.
func TestUnfinishedSnapshotIsInvisible(t *testing.T) {
	tests := []struct {
		name string
		end  func(t *testing.T, w *store.Writer)
	}{
		{"abort", func(t *testing.T, w *store.Writer) {
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
		}},
		{"commit with a cancelled context", func(t *testing.T, w *store.Writer) {
			ctx, c := context.WithCancel(context.Background())
			c()
			if _, err := w.Commit(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Commit(cancelled ctx): err = %v, want context.Canceled", err)
			}
		}},
		{"put with a cancelled context, then abort", func(t *testing.T, w *store.Writer) {
			ctx, c := context.WithCancel(context.Background())
			c()
			if err := w.Put(ctx, bucket("//storage.googleapis.com/projects/_/buckets/late")); !errors.Is(err, context.Canceled) {
				t.Fatalf("Put(cancelled ctx): err = %v, want context.Canceled", err)
			}
			if err := w.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir, store.Options{BatchSize: 2})
			good := commit(t, s, estate("good"))

			w, err := s.Begin(ctx, inventory.Snapshot{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Put(ctx, estate("half")[:3]...); err != nil {
				t.Fatal(err)
			}
			tt.end(t, w)

			assertOnly(t, s, good, w.ID())
			if err := w.Put(context.Background(), bucket("//x/after")); err == nil {
				t.Error("Put after the end: no error")
			}
			if _, err := w.Commit(context.Background()); err == nil {
				t.Error("Commit after the end: no error")
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if keys := rawKeys(t, dir, "data/"+w.ID()+"/"); len(keys) != 0 {
				t.Errorf("data of %s left behind: %q", w.ID(), keys)
			}
			if keys := rawKeys(t, dir, "pend/"); len(keys) != 0 {
				t.Errorf("pending marks left behind: %q", keys)
			}
		})
	}
}

// assertOnly checks that good is the only and latest snapshot and that
// gone cannot be read.
func assertOnly(t *testing.T, s *store.Store, good inventory.Snapshot, gone string) {
	t.Helper()
	ctx := context.Background()
	latest, err := s.Latest(ctx)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	if diff := cmp.Diff(good, latest); diff != "" {
		t.Errorf("Latest moved (-want +got):\n%s", diff)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]inventory.Snapshot{good}, list); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if _, err := s.Get(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%s): err = %v, want ErrNotFound", gone, err)
	}
	if _, err := s.Resources(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Resources(%s): err = %v, want ErrNotFound", gone, err)
	}
	id := estate("half")[0].ID
	if _, err := s.Resource(ctx, gone, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Resource(%s, %s): err = %v, want ErrNotFound", gone, id, err)
	}
}

func TestCrashedScanIsCollectedOnOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{BatchSize: 2})
	good := commit(t, s, estate("good"))
	w, err := s.Begin(ctx, inventory.Snapshot{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, estate("half")...); err != nil {
		t.Fatal(err)
	}
	// The process "dies": the store is closed under the writer.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Commit after Close: err = %v, want ErrClosed", err)
	}
	if keys := rawKeys(t, dir, "data/"+w.ID()+"/res/"); len(keys) != 4 {
		t.Fatalf("before reopening, %d resources of the crashed scan are on disk, want 4 (test setup)", len(keys))
	}

	s = openStore(t, dir, store.Options{})
	assertOnly(t, s, good, w.ID())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if keys := rawKeys(t, dir, "data/"+w.ID()+"/"); len(keys) != 0 {
		t.Errorf("Open left the crashed scan's data: %q", keys)
	}
	if keys := rawKeys(t, dir, "pend/"); len(keys) != 0 {
		t.Errorf("Open left pending marks: %q", keys)
	}
}

func TestPartialWhenGaps(t *testing.T) {
	gaps := []inventory.Gap{
		{Cloud: inventory.AWS, Account: "111122223333", Region: "ap-east-1", Service: "ec2", Reason: inventory.GapRegionDisabled, Message: "opt-in region"},
		{Cloud: inventory.AWS, Account: "111122223333", Service: "iam", Operation: "GetAccountAuthorizationDetails", Reason: inventory.GapAccessDenied, Message: "denied"},
	}
	tests := []struct {
		name       string
		gaps       []inventory.Gap
		wantStatus inventory.Status
	}{
		{"no gaps", nil, inventory.StatusComplete},
		{"gaps", gaps, inventory.StatusPartial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir(), store.Options{})
			snap := commit(t, s, estate("p"), tt.gaps...)
			got, err := s.Get(context.Background(), snap.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("Status = %q, want %q", got.Status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.gaps, got.Gaps); diff != "" {
				t.Errorf("Gaps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPutValidates(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	w, err := s.Begin(ctx, inventory.Snapshot{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	bad := bucket("//b")
	bad.Kind = "storage.toaster"
	if err := w.Put(ctx, bucket("//ok"), bad); err == nil || !strings.Contains(err.Error(), "storage.toaster") {
		t.Fatalf("Put(invalid): err = %v, want one naming the kind", err)
	}
	// The same resource twice is stored, and counted, once.
	if err := w.Put(ctx, bucket("//same"), bucket("//same")); err != nil {
		t.Fatal(err)
	}
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Resources != 1 {
		t.Errorf("Resources = %d, want 1: the valid half of a rejected Put is not kept and a repeat counts once", snap.Resources)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v, want a no-op", err)
	}
	if _, err := s.Get(ctx, snap.ID); err != nil {
		t.Errorf("Abort after Commit removed the snapshot: %v", err)
	}
}

func TestConcurrentPut(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{BatchSize: 7})
	w, err := s.Begin(ctx, inventory.Snapshot{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := w.Put(ctx, bucket(fmt.Sprintf("//b/%d/%d", g, i))); err != nil {
					t.Error(err)
					return
				}
			}
			w.AddGap(inventory.Gap{Cloud: inventory.GCP, Service: fmt.Sprint(g), Reason: inventory.GapThrottled})
		})
	}
	wg.Wait()
	snap, err := w.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Resources != 400 || len(snap.Gaps) != 8 {
		t.Errorf("Resources = %d, gaps = %d; want 400, 8", snap.Resources, len(snap.Gaps))
	}
}

func TestRetain(t *testing.T) {
	tests := []struct {
		keep, snaps int
	}{
		{keep: 1, snaps: 4},
		{keep: 3, snaps: 4},
		{keep: 4, snaps: 4},
		{keep: 10, snaps: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep %d of %d", tt.keep, tt.snaps), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			s := openStore(t, dir, store.Options{})
			var ids []string
			for i := range tt.snaps {
				snap := commit(t, s, estate(fmt.Sprint(i)))
				ids = append(ids, snap.ID)
				as := []inventory.Assessment{{Resource: estate(fmt.Sprint(i))[0], Risk: 0.5}}
				if err := s.PutAssessments(ctx, snap.ID, "m1", as); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := s.Retain(ctx, tt.keep)
			if err != nil {
				t.Fatal(err)
			}
			cut := max(0, tt.snaps-tt.keep)
			if diff := cmp.Diff(ids[:cut], removed, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("removed (-want oldest first +got):\n%s", diff)
			}
			list, err := s.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, sn := range list {
				kept = append(kept, sn.ID)
			}
			slices.Reverse(kept)
			if diff := cmp.Diff(ids[cut:], kept); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			for _, id := range removed {
				if _, err := s.Resources(ctx, id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Resources(%s) after Retain: err = %v, want ErrNotFound", id, err)
				}
			}
			for _, id := range kept {
				if _, err := s.Assessments(ctx, id, "m1"); err != nil {
					t.Errorf("Assessments(%s) of a kept snapshot: %v", id, err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for _, id := range removed {
				if keys := rawKeys(t, dir, "data/"+id+"/"); len(keys) != 0 {
					t.Errorf("data of removed %s left behind: %q", id, keys)
				}
			}
		})
	}
	t.Run("keep 0 is refused", func(t *testing.T) {
		s := openStore(t, t.TempDir(), store.Options{})
		commit(t, s, estate("z"))
		if _, err := s.Retain(context.Background(), 0); err == nil {
			t.Error("Retain(0): no error")
		}
		if list, _ := s.List(context.Background()); len(list) != 1 {
			t.Errorf("Retain(0) removed snapshots: %d left", len(list))
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{})
	rs := estate("r")
	snap := commit(t, s, rs, inventory.Gap{Cloud: inventory.Azure, Service: "network", Reason: inventory.GapUnreachable})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.List(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("List after Close: err = %v, want ErrClosed", err)
	}

	s = openStore(t, dir, store.Options{})
	got, err := s.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snap, got); diff != "" {
		t.Errorf("Latest after reopen (-want +got):\n%s", diff)
	}
	all, err := s.Resources(ctx, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedByID(rs), all); diff != "" {
		t.Errorf("Resources after reopen (-want +got):\n%s", diff)
	}
}

func TestOpenLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	openStore(t, dir, store.Options{})
	s2, err := store.Open(dir, store.Options{})
	if err == nil {
		s2.Close()
		t.Fatal("second Open of the same directory: no error")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "open store "+dir+": locked by another process") {
		t.Errorf("err = %q, want it to start with the directory", err)
	}
}

// files reads every file under dir, by relative path.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenRefusesWhatIsNotAStore(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"user files, no MANIFEST", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "notes.txt"), "my notes")
			write(t, filepath.Join(dir, "000001.sst"), "not a table") // Badger would delete an unknown table
		}, "directory is not empty (holds 000001.sst, notes.txt)"},
		{"junk file named MANIFEST", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "MANIFEST"), "this is not a manifest")
		}, "a Badger database without a POSTURE-STORE file"},
		{"junk file named MANIFEST in a store", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "POSTURE-STORE"), "posture-store/1\n")
			write(t, filepath.Join(dir, "MANIFEST"), "this is not a manifest")
		}, "corrupt or not a posture store: "},
		{"garbage in the MANIFEST of a store", func(t *testing.T, dir string) {
			s := openStore(t, dir, store.Options{})
			commit(t, s, estate("c"))
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "MANIFEST"), strings.Repeat("\xde\xad\xbe\xef", 64))
		}, "corrupt or not a posture store"},
		{"another program's Badger database", func(t *testing.T, dir string) {
			db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("theirs"), []byte("1")) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}, "a Badger database without a POSTURE-STORE file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, dir)
			before := files(t, dir)

			s, err := store.Open(dir, store.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open: no error")
			}
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("err = %v, want ErrCorrupt", err)
			}
			if !strings.HasPrefix(err.Error(), "open store "+dir+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to name %s and say %q", err, dir, tt.want)
			}
			after := files(t, dir)
			for name, b := range before {
				if name == "LOCK" {
					continue
				}
				if !bytes.Equal(b, after[name]) {
					t.Errorf("%s was changed or removed by the failed Open", name)
				}
			}
		})
	}
	t.Run("a file, not a directory", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "store")
		write(t, p, "x")
		if _, err := store.Open(p, store.Options{}); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("err = %v, want one naming %s", err, p)
		}
	})
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAssessmentsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	rs := estate("a")
	snap := commit(t, s, rs)
	as := []inventory.Assessment{
		{Resource: rs[0], Risk: 0.91,
			Signals: []inventory.Signal{{ID: "ports.admin_port_internet", Pillar: inventory.Ports, Resource: rs[0].ID, Severity: inventory.SevHigh, Title: "SSH open to the internet", Evidence: map[string]string{"port": "22"}}},
			Reasons: []inventory.Reason{{Feature: "admin_port_internet", Signal: "ports.admin_port_internet", Text: "SSH open", Contribution: 2.5}}},
		{Resource: rs[3], Risk: 0.02},
	}
	if err := s.PutAssessments(ctx, snap.ID, "risk-v1", as); err != nil {
		t.Fatal(err)
	}
	got, err := s.Assessments(ctx, snap.ID, "risk-v1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.StoredAssessment{
		{ResourceID: rs[3].ID, Risk: 0.02}, // sorted by resource id
		{ResourceID: rs[0].ID, Risk: 0.91, Signals: as[0].Signals, Reasons: as[0].Reasons},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Assessments (-want +got):\n%s", diff)
	}

	// A second set for the same model replaces the first; another model's
	// set is its own.
	if err := s.PutAssessments(ctx, snap.ID, "risk-v1", as[1:]); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAssessments(ctx, snap.ID, "risk-v2", as[:1]); err != nil {
		t.Fatal(err)
	}
	for model, want := range map[string][]store.StoredAssessment{"risk-v1": want[:1], "risk-v2": want[1:]} {
		got, err := s.Assessments(ctx, snap.ID, model)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Assessments(%s) (-want +got):\n%s", model, diff)
		}
	}

	bad := []struct {
		name  string
		model string
		as    []inventory.Assessment
	}{
		{"model id with a slash", "risk/v1", as},
		{"empty model id", "", as},
		{"risk above 1", "m", []inventory.Assessment{{Resource: rs[0], Risk: 1.5}}},
		{"no resource id", "m", []inventory.Assessment{{Risk: 0.5}}},
		{"resource twice", "m", []inventory.Assessment{as[1], as[1]}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutAssessments(ctx, snap.ID, tt.model, tt.as); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestDefaultDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		t.Skip("XDG applies to Linux and other Unix systems")
	}
	t.Setenv("XDG_DATA_HOME", "/xdg/data")
	if got, err := store.DefaultDir(); err != nil || got != "/xdg/data/posture/store" {
		t.Errorf("DefaultDir() = %q, %v; want /xdg/data/posture/store", got, err)
	}
	t.Setenv("XDG_DATA_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/u")
	if got, err := store.DefaultDir(); err != nil || got != "/home/u/.local/share/posture/store" {
		t.Errorf("DefaultDir() = %q, %v; want /home/u/.local/share/posture/store", got, err)
	}
}

func BenchmarkPut(b *testing.B) {
	const n = 10000
	rs := make([]inventory.Resource, n)
	for i := range rs {
		rs[i] = instance(fmt.Sprintf("arn:aws:ec2:eu-west-1:111122223333:instance/i-%08d", i))
	}
	ctx := context.Background()
	s := openStore(b, b.TempDir(), store.Options{})
	b.ReportAllocs()
	for b.Loop() {
		w, err := s.Begin(ctx, inventory.Snapshot{})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i += 100 {
			if err := w.Put(ctx, rs[i:i+100]...); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/resource")
}

func TestRetainKeepsLastCompleteSnapshot(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), store.Options{})
	gap := inventory.Gap{Cloud: inventory.AWS, Account: "111122223333", Region: "eu-west-1", Service: "ec2",
		Operation: "DescribeSecurityGroups", Reason: inventory.GapAccessDenied, Message: "denied"}
	old := commit(t, s, estate("old"))
	good := commit(t, s, estate("good"))
	commit(t, s, estate("p1"), gap)
	partial := commit(t, s, estate("p2"), gap)

	removed, err := s.Retain(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, sn := range list {
		kept = append(kept, sn.ID)
	}
	if diff := cmp.Diff([]string{partial.ID, good.ID}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if len(removed) != 2 || removed[0] != old.ID {
		t.Errorf("removed %v, want the oldest complete and the older partial", removed)
	}
}

func TestSecretSalt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{})
	a, err := s.SecretSalt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SecretSalt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Fatalf("salt %x then %x: want one stable 32-byte salt", a, b)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{})
	c, err := s.SecretSalt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) {
		t.Error("the salt changed across reopen")
	}
	other, err := openStore(t, t.TempDir(), store.Options{}).SecretSalt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, other) {
		t.Error("two stores share a salt")
	}
}
