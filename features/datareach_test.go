package features

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/inventory"
)

// readerEstate: the public i-1 (SSH open to the internet) assumes role-1,
// whose policy pol-1 holds stmts; the account has two buckets, a queue
// and a key.
func readerEstate(stmts ...inventory.Statement) []inventory.Resource {
	inst := instance("i-1", nil)
	inst.AddEdge(inventory.RelAssumes, "role-1")
	bucket := func(id string) inventory.Resource {
		r := res(id, inventory.KindBucket)
		r.Bucket = &inventory.Bucket{}
		return r
	}
	q := res("arn:aws:sqs:eu-west-1:111122223333:orders", inventory.KindQueue)
	q.Queue = &inventory.Queue{}
	k := res("arn:aws:kms:eu-west-1:111122223333:key/k1", inventory.KindKey)
	k.Key = &inventory.Key{Manager: inventory.KeyManagerCustomer}
	return append(replace(publicEstate(), inst), role("role-1", "pol-1"), policy("pol-1", stmts...),
		bucket("arn:aws:s3:::data"), bucket("arn:aws:s3:::logs"), q, k)
}

func TestDataReach(t *testing.T) {
	const data, logs = "arn:aws:s3:::data", "arn:aws:s3:::logs"
	const queue, key = "arn:aws:sqs:eu-west-1:111122223333:orders", "arn:aws:kms:eu-west-1:111122223333:key/k1"
	tests := []struct {
		name    string
		estate  []inventory.Resource
		reach   []string
		exposed map[string][]string // store -> exposed users
	}{
		{"objects of one bucket", readerEstate(allow([]string{"s3:GetObject"}, "arn:aws:s3:::data/*")),
			[]string{data}, map[string][]string{data: {"i-1"}, logs: nil}},
		{"s3:* on every resource reads both buckets, nothing else", readerEstate(allow([]string{"s3:*"}, "*")),
			[]string{data, logs}, map[string][]string{data: {"i-1"}, logs: {"i-1"}, queue: nil}},
		{"admin reads every store", readerEstate(allow([]string{"*"}, "*")),
			[]string{key, data, logs, queue}, map[string][]string{key: {"i-1"}}},
		{"an unconditional deny on every resource wins", readerEstate(allow([]string{"*"}, "*"), deny([]string{"s3:*"}, "*")),
			[]string{key, queue}, map[string][]string{data: nil}},
		{"NotResource excludes a bucket", readerEstate(inventory.Statement{Effect: inventory.Allow, Actions: []string{"s3:GetObject"}, NotResources: []string{"arn:aws:s3:::logs*"}}),
			[]string{data}, nil},
		{"a NotResource naming only a bucket leaves its objects granted", readerEstate(inventory.Statement{Effect: inventory.Allow, Actions: []string{"s3:GetObject"}, NotResources: []string{"arn:aws:s3:::logs"}}),
			[]string{data, logs}, nil},
		{"listing is not reading", readerEstate(allow([]string{"s3:ListBucket"}, "*")), nil, map[string][]string{data: nil}},
		{"private twin: no exposure, same reach", replace(readerEstate(allow([]string{"s3:GetObject"}, "*")), func() inventory.Resource {
			r := instance("i-1", func(in *inventory.Instance) { in.PublicIPs = nil })
			r.AddEdge(inventory.RelAssumes, "role-1")
			return r
		}()), []string{data, logs}, map[string][]string{data: nil, "role-1": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGraph(tt.estate, nil)
			if diff := cmp.Diff(g.DataReach(g.Resource("i-1")), tt.reach); diff != "" {
				t.Errorf("DataReach(i-1) (-got +want):\n%s", diff)
			}
			for id, want := range tt.exposed {
				if diff := cmp.Diff(g.ExposedUsers(id), want); diff != "" {
					t.Errorf("ExposedUsers(%s) (-got +want):\n%s", id, diff)
				}
			}
		})
	}
}

// TestDataReachOtherClouds: a GCP binding reads the buckets of its
// project; an Azure grant reads what lies under its scope.
func TestDataReachOtherClouds(t *testing.T) {
	gcpBucket := func(id, project string) inventory.Resource {
		return inventory.Resource{ID: id, Cloud: inventory.GCP, Account: project, Kind: inventory.KindBucket, Bucket: &inventory.Bucket{}}
	}
	sa := inventory.Resource{ID: "sa-1", Cloud: inventory.GCP, Account: "p1", Kind: inventory.KindServiceAccount, ServiceAccount: &inventory.ServiceAccount{}}
	sa.AddEdge(inventory.RelHasPolicy, "binding-1")
	binding := inventory.Resource{ID: "binding-1", Cloud: inventory.GCP, Account: "p1", Kind: inventory.KindPolicy, Policy: &inventory.Policy{
		Document: &inventory.PolicyDocument{Statements: []inventory.Statement{allow([]string{"roles/storage.objectViewer"}, "//cloudresourcemanager.googleapis.com/projects/p1")}}}}
	az := func(id string) inventory.Resource {
		return inventory.Resource{ID: id, Cloud: inventory.Azure, Account: "s1", Kind: inventory.KindBucket, Bucket: &inventory.Bucket{}}
	}
	mi := inventory.Resource{ID: "mi-1", Cloud: inventory.Azure, Account: "s1", Kind: inventory.KindServiceAccount, ServiceAccount: &inventory.ServiceAccount{}}
	mi.AddEdge(inventory.RelHasPolicy, "ra-1")
	ra := inventory.Resource{ID: "ra-1", Cloud: inventory.Azure, Account: "s1", Kind: inventory.KindPolicy, Policy: &inventory.Policy{
		Document: &inventory.PolicyDocument{Statements: []inventory.Statement{allow([]string{"Microsoft.Storage/storageAccounts/listKeys/action"}, "/subscriptions/s1/resourceGroups/rg-a")}}}}
	reader := inventory.Resource{ID: "mi-2", Cloud: inventory.Azure, Account: "s1", Kind: inventory.KindServiceAccount, ServiceAccount: &inventory.ServiceAccount{}}
	reader.AddEdge(inventory.RelHasPolicy, "ra-2")
	ra2 := inventory.Resource{ID: "ra-2", Cloud: inventory.Azure, Account: "s1", Kind: inventory.KindPolicy, Policy: &inventory.Policy{
		Document: &inventory.PolicyDocument{Statements: []inventory.Statement{allow([]string{"*/read"}, "/subscriptions/s1")}}}}
	g := NewGraph([]inventory.Resource{sa, binding, gcpBucket("//storage.googleapis.com/b1", "p1"), gcpBucket("//storage.googleapis.com/b2", "p2"),
		mi, ra, reader, ra2,
		az("/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1"),
		az("/subscriptions/s1/resourceGroups/rg-ab/providers/Microsoft.Storage/storageAccounts/sa2/blobServices/default/containers/c2")}, nil)
	for _, tt := range []struct {
		id   string
		want []string
	}{
		{"sa-1", []string{"//storage.googleapis.com/b1"}},
		{"mi-1", []string{"/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/sa1/blobServices/default/containers/c1"}},
		{"mi-2", nil}, // Reader sees configuration, not data
	} {
		if diff := cmp.Diff(g.DataReach(g.Resource(tt.id)), tt.want); diff != "" {
			t.Errorf("DataReach(%s) (-got +want):\n%s", tt.id, diff)
		}
	}
}

func TestExposedDataReach(t *testing.T) {
	readsAll := allow([]string{"s3:GetObject"}, "*")
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"exposed instance reads two buckets", readerEstate(readsAll),
			[]hit{{Evidence: map[string]string{"count": "2", "stores": "arn:aws:s3:::data,arn:aws:s3:::logs", "identity": "role-1"}}}},
		{"safe twin: reads nothing", readerEstate(allow([]string{"ec2:Describe*"}, "*")), nil},
		{"safe twin: not exposed", replace(readerEstate(readsAll), func() inventory.Resource {
			r := instance("i-1", func(in *inventory.Instance) { in.PublicIPs = nil })
			r.AddEdge(inventory.RelAssumes, "role-1")
			return r
		}()), nil},
		{"reachability unknown: unknown", without(readerEstate(readsAll), "rtb-1", "rtb-main"),
			[]hit{{Unknown: true, Evidence: map[string]string{"stores": "arn:aws:s3:::data,arn:aws:s3:::logs"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "i-1", "privileges.exposed_data_reach", []string{"count", "stores", "identity"})
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

func TestPublicResourcePolicy(t *testing.T) {
	anyone := inventory.Statement{Effect: inventory.Allow, Principals: []string{"*"}, Actions: []string{"sqs:SendMessage"}, Resources: []string{"*"}}
	pinned := anyone
	pinned.Conditions = []inventory.Condition{{Operator: "ArnEquals", Key: "aws:SourceArn", Values: []string{"arn:aws:sns:eu-west-1:111122223333:topic"}}}
	queue := func(q inventory.Queue) []inventory.Resource {
		r := res("q-1", inventory.KindQueue)
		r.Queue = &q
		return []inventory.Resource{r}
	}
	key := func(k inventory.Key) []inventory.Resource {
		r := res("q-1", inventory.KindKey)
		r.Key = &k
		return []inventory.Resource{r}
	}
	callerAccount := inventory.Statement{Effect: inventory.Allow, Principals: []string{"AWS:*"}, Actions: []string{"kms:Decrypt"}, Resources: []string{"*"},
		Conditions: []inventory.Condition{{Operator: "StringEquals", Key: "kms:CallerAccount", Values: []string{"111122223333"}}}}
	tests := []struct {
		name   string
		estate []inventory.Resource
		want   []hit
	}{
		{"queue anyone may send to", queue(inventory.Queue{Policy: doc(anyone)}), []hit{{Evidence: map[string]string{"principal": "*", "actions": "sqs:SendMessage"}}}},
		{"safe twin: pinned to a source ARN", queue(inventory.Queue{Policy: doc(pinned)}), nil},
		{"safe twin: no policy", queue(inventory.Queue{}), nil},
		{"policy unreadable: unknown", queue(inventory.Queue{PolicyUnknown: true}), []hit{{Unknown: true}}},
		{"key anyone may decrypt with", key(inventory.Key{Policy: doc(inventory.Statement{Effect: inventory.Allow, Principals: []string{"*"}, Actions: []string{"kms:Decrypt"}, Resources: []string{"*"}})}),
			[]hit{{Evidence: map[string]string{"principal": "*", "actions": "kms:Decrypt"}}}},
		{"safe twin: an AWS-managed key's policy pinned to the caller's account", key(inventory.Key{Manager: inventory.KeyManagerProvider, Policy: doc(callerAccount)}), nil},
		{"attributes missing: unknown", []inventory.Resource{res("q-1", inventory.KindQueue)}, []hit{{Unknown: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detect(t, tt.estate, nil, "q-1", "privileges.public_resource_policy", []string{"principal", "actions"})
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("signals (-got +want):\n%s", diff)
			}
		})
	}
}

// TestDataReachAcrossProjects: a GCP service account of p1 that owns p2
// reads p2's buckets (the binding lives in p2, its "*" is p2's), not
// those of a p3 it has nothing in.
func TestDataReachAcrossProjects(t *testing.T) {
	bucket := func(id, project string) inventory.Resource {
		return inventory.Resource{ID: id, Cloud: inventory.GCP, Account: project, Kind: inventory.KindBucket, Bucket: &inventory.Bucket{}}
	}
	sa := inventory.Resource{ID: "sa-1", Cloud: inventory.GCP, Account: "p1", Kind: inventory.KindServiceAccount, ServiceAccount: &inventory.ServiceAccount{}}
	sa.AddEdge(inventory.RelHasPolicy, "p2-owner")
	owner := inventory.Resource{ID: "p2-owner", Cloud: inventory.GCP, Account: "p2", Kind: inventory.KindPolicy, Policy: &inventory.Policy{
		Document: &inventory.PolicyDocument{Statements: []inventory.Statement{allow([]string{"*"}, "*")}}}}
	g := NewGraph([]inventory.Resource{sa, owner, bucket("b1", "p1"), bucket("b2", "p2"), bucket("b3", "p3")}, nil)
	if diff := cmp.Diff(g.DataReach(g.Resource("sa-1")), []string{"b2"}); diff != "" {
		t.Errorf("DataReach(sa-1) (-got +want):\n%s", diff)
	}
}
