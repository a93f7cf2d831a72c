package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/posture-dev/posture/features"
)

// SimulatorSource is the Provenance.Source of models trained on Simulate.
const SimulatorSource = "estate simulator v2 (estates of resources, synthetic)"

// Estate sizes: each simulated estate has between these many resources.
const (
	minEstate = 40
	maxEstate = 240
)

// estateFacts are what one simulated organisation decides once for all of
// its resources.
type estateFacts struct {
	// scanner: a vulnerability scanner covers its instances (whole
	// estates turn Inspector, OS Config or Defender on or not; drawn at
	// rScannerCoverage, so the share of instances scanned stays the same).
	scanner bool
	// noMFA: the organisation does not enforce MFA for console users
	// (rOrgNoConsoleMFA), shared by its users and accounts.
	noMFA bool
}

// EstateAssumptions states what Simulate adds to the per-resource draws.
const EstateAssumptions = `Resources are drawn in estates of 40 to 240 (uniform), in the per-resource mix. An estate decides once whether a vulnerability scanner covers its instances (at the per-instance coverage rate, so the share stays the same) and whether it enforces MFA for console users (Unit 42's 76 % not enforcing). Each internet-exposed instance whose role reads data reads that many of its estate's buckets and databases, chosen at random; such a store is compromised when that instance is (its probability p, which already counts remote exploitation and credential theft through SSRF and IMDSv1), independently of its own vectors, and shows exposed_neighbour. So the label of a private bucket follows the attack path through the graph, not a hand weight. Rows keep their estate (Dataset.Group) so a split tests on estates never trained on.`

// Simulate draws n resources in estates: Dataset.Y holds each one's
// probability p of compromise within 30 days (soft targets), Group its
// estate. The same n and seed give the same rows.
func Simulate(n int, seed int64) (Dataset, error) {
	if n <= 0 {
		return Dataset{}, fmt.Errorf("simulate needs a positive row count, got %d", n)
	}
	c, err := resolve(features.Current)
	if err != nil {
		return Dataset{}, err
	}
	kinds := []rateID{rKindInstance, rKindDatabase, rKindBucket, rKindUser, rKindAccessKey, rKindAccount, rKindQueueKey}
	var total float64
	for _, k := range kinds {
		total += rate(k)
	}
	s := sim{c: c, d: len(features.Current.Features),
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x6573746174657331)), // rows
		secrets: rand.New(rand.NewPCG(uint64(seed), 0x6573746174657332)),
		vulns:   rand.New(rand.NewPCG(uint64(seed), 0x6573746174657333)),
	}
	shape := rand.New(rand.NewPCG(uint64(seed), 0x6573746174657334)) // estates and links
	pick := func() rateID {
		u := shape.Float64() * total
		for _, k := range kinds {
			if u < rate(k) {
				return k
			}
			u -= rate(k)
		}
		return kinds[len(kinds)-1]
	}

	d := Dataset{Source: SimulatorSource}
	for e := 0; d.Len() < n; e++ {
		size := min(minEstate+shape.IntN(maxEstate-minEstate+1), n-d.Len())
		est := &estateFacts{scanner: shape.Float64() < rate(rScannerCoverage), noMFA: shape.Float64() < rate(rOrgNoConsoleMFA)}
		s.est = est
		group := fmt.Sprintf("estate-%05d", e)

		// Instances first, so the stores know who reads them.
		rows := make([]rateID, size)
		for i := range rows {
			rows[i] = pick()
		}
		type drawn struct {
			f facts
			p float64
		}
		out := make([]drawn, size)
		var stores []int
		for i, k := range rows {
			if k == rKindDatabase || k == rKindBucket {
				stores = append(stores, i)
			}
		}
		for i, k := range rows {
			if k == rKindInstance {
				out[i].f, out[i].p = s.drawFacts(k)
			}
		}
		for i, k := range rows {
			if k != rKindInstance {
				out[i].f, out[i].p = s.drawFacts(k)
			}
		}
		// An exposed instance whose role reads data reads some of the
		// estate's stores: each is compromised when the instance is.
		for i, k := range rows {
			r := out[i]
			if k != rKindInstance || !r.f.exposed || r.f.reads == 0 || len(stores) == 0 {
				continue
			}
			// Distinct stores (a partial shuffle): reading one twice is
			// one way in, not two.
			n := min(r.f.reads, len(stores))
			for k := range n {
				l := k + shape.IntN(len(stores)-k)
				stores[k], stores[l] = stores[l], stores[k]
				j := stores[k]
				out[j].p = combine(out[j].p, r.p)
				out[j].f.x[c.exposedNeighbour] = 1
			}
		}
		for _, r := range out {
			d.X = append(d.X, r.f.x)
			d.Y = append(d.Y, r.p)
			d.Group = append(d.Group, group)
		}
	}
	return d, nil
}

// FocusSource is the Dataset.Source of SimulateFocus rows.
const FocusSource = "focus rows: exposed, scanned instances with CVSS ≥ 7 CVEs"

// SimulateFocus draws n instances that are internet-exposed, covered by a
// scanner and carry CVSS ≥ 7 CVEs, each drawn otherwise as Simulate draws
// it, with no gap hiding a fact. In natural draws about 1 row in 2,000 is
// an exposed host with a CVE of EPSS above 0.3, too few for the network to
// learn how far the risk climbs with EPSS. Added to the training rows
// only (TrainOptions.Extra), they change how often a feature vector is
// seen, not the probability p it carries — every fact that sets p is in
// the features of these rows — so the soft targets stay unbiased; the
// validation and test rows stay natural.
func SimulateFocus(n int, seed int64) (Dataset, error) {
	if n <= 0 {
		return Dataset{}, fmt.Errorf("focus rows: want a positive count, got %d", n)
	}
	c, err := resolve(features.Current)
	if err != nil {
		return Dataset{}, err
	}
	s := sim{c: c, d: len(features.Current.Features), focus: true,
		rng:     rand.New(rand.NewPCG(uint64(seed), 0x666f637573303031)), // "focus001"
		secrets: rand.New(rand.NewPCG(uint64(seed), 0x666f637573303032)),
		vulns:   rand.New(rand.NewPCG(uint64(seed), 0x666f637573303033)),
	}
	d := Dataset{Source: FocusSource}
	for i := range n {
		f, p := s.drawFacts(rKindInstance)
		d.X = append(d.X, f.x)
		d.Y = append(d.Y, p)
		d.Group = append(d.Group, fmt.Sprintf("focus-%06d", i))
	}
	return d, nil
}
