package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/posture-dev/posture/features"
)

// Rate is one figure the bootstrap simulator uses, with where it comes
// from. Grade is as in RATES.md: "P" primary source, "T" faithful copy of
// it, "S" secondary coverage only, "C" computed here, or "assumption".
type Rate struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Source string  `json:"source"`
	Grade  string  `json:"grade"`
}

// Grades of a Rate.
const (
	GradePrimary    = "P"
	GradeTrueCopy   = "T"
	GradeSecondary  = "S"
	GradeComputed   = "C"
	GradeAssumption = "assumption"
)

// BootstrapSource is the Provenance.Source of models trained on Bootstrap.
const BootstrapSource = "bootstrap simulator v1 (per-resource, synthetic)"

type rateID int

const (
	// estate shape
	rKindInstance rateID = iota
	rKindDatabase
	rKindBucket
	rKindUser
	rKindAccessKey
	rKindAccount
	rKindQueueKey
	// instances
	rInstExposed
	rAdminPortGivenExposed
	rDBPortGivenExposed
	rIMDSv2
	rIMDSv2Old
	rImageAgeMean
	rAdminRole
	rOverPrivileged
	rSecretInUserData
	rScannerCoverage
	rKEVGivenHighCVE
	rKEVMedianEPSS
	rNonKEVHighEPSS
	rCriticalGivenHigh
	rFixAvailable
	rPatchManaged
	rMissingPatchesClean
	rLateralGivenOverPriv
	rDataStoresMean
	// databases
	rDBPublicFlag
	rDBReachableGivenPublic
	rDBEOL
	// buckets
	rPublicBucket
	rSensitiveInPublic
	rPublicResPolicy
	rPublicResPolicyUsed
	// identities
	rConsoleUser
	rOrgNoConsoleMFA
	rNoMFAGivenNotEnforced
	rUserAdmin
	rKeyOver1y
	rKey90dTo1y
	rKeyUnusedGivenOld
	rRootKeys
	rRootNoMFA
	rWeakPasswordPolicy
	// data gaps
	rUnknownData
	rScopeGap
	rUnknownGivenScopeGap
	// attacker, 30-day window
	rWeakAdminAuth
	rHoneypotCompromise
	rWeakSelfHostedDBAuth
	rPostgresHoneypot
	rWeakManagedDBAuth
	rVulnExposed
	rVulnOldFactor
	rCVEExploited30d
	rCVEsPerVulnHost
	rEOLKnownVuln
	rSSRFFlaw
	rSSRFExploited
	rPublicBucketFound
	rConsolePasswordAbuse
	rKeyLeakOld
	rKeyLeakYoung
	rLeakedKeyAbused
	rAdminTargeting
	rWeakPolicyFactor
	rBackground
	numRates
)

const (
	datadog25 = "Datadog State of Cloud Security 2025"
	unit42v7  = "Unit 42 Cloud Threat Report vol. 7, 2023"
	unit42hp  = "Unit 42 cloud honeypot study, Jul–Aug 2021"
)

var rateTable = [numRates]Rate{
	rKindInstance:  {"share of resources that are compute instances", 0.35, "resource mix of a typical estate", GradeAssumption},
	rKindDatabase:  {"share of resources that are managed databases", 0.10, "resource mix", GradeAssumption},
	rKindBucket:    {"share of resources that are storage buckets", 0.20, "resource mix", GradeAssumption},
	rKindUser:      {"share of resources that are IAM users", 0.15, "resource mix", GradeAssumption},
	rKindAccessKey: {"share of resources that are access keys", 0.12, "resource mix", GradeAssumption},
	rKindAccount:   {"share of resources that are accounts", 0.08, "resource mix", GradeAssumption},
	rKindQueueKey:  {"share of resources that are queues or encryption keys", 0.03, "resource mix", GradeAssumption},

	rInstExposed:           {"instances internet-exposed through a real path", 0.25, "no published per-instance figure found", GradeAssumption},
	rAdminPortGivenExposed: {"exposed instances with an admin port (SSH/RDP) open to the internet", 0.40, "no published figure found", GradeAssumption},
	rDBPortGivenExposed:    {"exposed instances with a self-hosted database port open to the internet", 0.05, "no published figure found", GradeAssumption},
	rIMDSv2:                {"EC2 instances enforcing IMDSv2", 0.49, datadog25, GradeTrueCopy},
	rIMDSv2Old:             {"EC2 instances older than two years enforcing IMDSv2", 0.14, datadog25, GradeTrueCopy},
	rImageAgeMean:          {"mean image age in years (exponential; ≈20 % older than two years; image age stands in for instance age)", 1.25, "no published figure found", GradeAssumption},
	rAdminRole:             {"EC2 instances whose role allows full account takeover (admin-equivalent)", 0.024, datadog25, GradeTrueCopy},
	rOverPrivileged:        {"EC2 instances over-privileged (takeover, lateral movement or excessive data access); not a feature, drives stolen-credential impact", 0.194, datadog25, GradeTrueCopy},
	rSecretInUserData:      {"share of instances whose user data holds a credential (read through the same SSRF → IMDSv1 path as role credentials, then abused as a leaked key)", 0.03, "no published figure found", GradeAssumption},
	rScannerCoverage:       {"instances a vulnerability scanner (Inspector2, OS Config, Defender) reports on; the rest show no findings", 0.50, "no published figure found", GradeAssumption},
	rKEVGivenHighCVE:       {"CVSS ≥ 7 CVEs listed in CISA KEV (208 of 14,928)", 0.0139, "data/cve_features.csv", GradeComputed},
	rKEVMedianEPSS:         {"median EPSS of KEV CVEs; a KEV CVE's EPSS is drawn from the deciles of the 1,556 scored (0.003, 0.030, 0.072, 0.171, 0.318, 0.555, 0.768, 0.878, 0.963, 0.997, 1.0)", 0.555, "data/kev_epss_cvss.csv (2026-08-22)", GradeComputed},
	rNonKEVHighEPSS:        {"CVSS ≥ 7 CVEs outside KEV with EPSS ≥ 0.1 (uniform 0.1–0.5; the rest log-uniform 0.0004–0.1), chosen so a CVSS ≥ 7 CVE's mean 30-day exploitation is ≈3.9 % as EPSS v3 reports", 0.05, "no published figure found; calibrated to Jacobs et al. 2023", GradeAssumption},
	rCriticalGivenHigh:     {"CVSS ≥ 7 CVEs that are critical (CVSS ≥ 9.0)", 0.208, "data/cve_features.csv", GradeComputed},
	rFixAvailable:          {"scanner findings with a fix available", 0.90, "no published figure found", GradeAssumption},
	rPatchManaged:          {"instances whose OS patch state a patch manager (SSM) reports", 0.50, "no published figure found", GradeAssumption},
	rMissingPatchesClean:   {"patch-managed instances without high/critical CVEs that still miss some patches", 0.20, "no published figure found", GradeAssumption},
	rLateralGivenOverPriv:  {"EC2 instances whose role allows lateral movement (graded as an escalation pattern); the rest of the over-privileged read data", 0.038, datadog25, GradeTrueCopy},
	rDataStoresMean:        {"mean number of data stores an instance role that reads data can read (geometric)", 5, "no published figure found", GradeAssumption},

	rDBPublicFlag:           {"managed databases flagged publicly accessible", 0.05, "no published figure found", GradeAssumption},
	rDBReachableGivenPublic: {"publicly accessible databases whose firewall admits the internet", 0.50, "no published figure found", GradeAssumption},
	rDBEOL:                  {"managed databases on an end-of-life engine version", 0.15, "no published figure found", GradeAssumption},

	rPublicBucket:        {"S3 buckets effectively public", 0.01, datadog25, GradeTrueCopy},
	rSensitiveInPublic:   {"publicly exposed buckets holding sensitive data", 0.63, unit42v7, GradeSecondary},
	rPublicResPolicy:     {"queues and keys whose resource policy admits anyone (the public bucket share reused)", 0.01, "no published figure found", GradeAssumption},
	rPublicResPolicyUsed: {"public queues and keys found and used (messages read or injected, ciphertext decrypted) within 30 days: unlike a bucket, a queue or key must be named by account and name", 0.10, "no published figure found", GradeAssumption},

	rConsoleUser:           {"IAM users with a console password", 0.60, "no published figure found", GradeAssumption},
	rOrgNoConsoleMFA:       {"organisations not enforcing MFA for console users", 0.76, unit42v7, GradeSecondary},
	rNoMFAGivenNotEnforced: {"console users without MFA where MFA is not enforced", 0.50, "no published figure found", GradeAssumption},
	rUserAdmin:             {"IAM users or key owners with admin-equivalent policies", 0.15, "no published figure found", GradeAssumption},
	rKeyOver1y:             {"IAM users with an active access key older than one year", 0.59, datadog25, GradeTrueCopy},
	rKey90dTo1y:            {"IAM users whose oldest active key is 90 days to one year old", 0.06, "added to the >1 year figure to reach the 90-day threshold", GradeAssumption},
	rKeyUnusedGivenOld:     {"old active keys unused for 90 days or more (\"over half\")", 0.50, datadog25, GradeTrueCopy},
	rRootKeys:              {"accounts whose root user has access keys", 0.03, "no published figure found", GradeAssumption},
	rRootNoMFA:             {"organisations not enforcing MFA for root / admin users (used per account)", 0.58, unit42v7, GradeSecondary},
	rWeakPasswordPolicy:    {"accounts with a missing or weak password policy", 0.50, "no published figure found", GradeAssumption},

	rUnknownData:          {"resources with a fact that could not be read (a Gap); the fact is hidden from the features but still drives the label", 0.03, "no published figure found", GradeAssumption},
	rScopeGap:             {"resources in an account or region with gaps", 0.05, "no published figure found", GradeAssumption},
	rUnknownGivenScopeGap: {"resources in a gapped scope that also miss a fact", 0.30, "no published figure found", GradeAssumption},

	rWeakAdminAuth:        {"internet-facing SSH/RDP endpoints accepting guessable credentials", 0.10, "no published figure found (honeypots are weak by design)", GradeAssumption},
	rHoneypotCompromise:   {"weakly protected exposed SSH/RDP/DB endpoint compromised within 30 days (80 % within 24 h, all within a week)", 1.0, unit42hp, GradeSecondary},
	rWeakSelfHostedDBAuth: {"internet-facing self-hosted databases with weak or default credentials", 0.15, "no published figure found", GradeAssumption},
	rPostgresHoneypot:     {"weak Postgres endpoints compromised by one actor within 30 seconds", 0.96, unit42hp, GradeSecondary},
	rWeakManagedDBAuth:    {"internet-reachable managed databases with weak credentials", 0.05, "no published figure found", GradeAssumption},
	rVulnExposed:          {"publicly exposed hosts with unpatched high/critical (CVSS ≥ 7) vulnerabilities", 0.11, unit42v7, GradeSecondary},
	rVulnOldFactor:        {"how many times likelier an image older than 180 days is to carry one (the 11 % is kept overall)", 4, "no published figure found", GradeAssumption},
	rCVEExploited30d:      {"CVSS ≥ 7 CVEs exploited within 30 days (precision of CVSS ≥ 7 as a 30-day exploitation predictor)", 0.039, "Jacobs et al., EPSS v3, EuroS&PW 2023", GradeTrueCopy},
	rCVEsPerVulnHost:      {"high/critical CVEs on a vulnerable host", 3, "no published figure found", GradeAssumption},
	rEOLKnownVuln:         {"end-of-life database engines with a known remotely exploitable CVE", 0.50, "no published figure found", GradeAssumption},
	rSSRFFlaw:             {"exposed instances running an app with an SSRF-class flaw (SSRF, open proxy, XXE) reaching the metadata service", 0.10, "no published figure found", GradeAssumption},
	rSSRFExploited:        {"SSRF-class flaws found and used against IMDSv1 within 30 days (recon to attack ≈10 min, Sysdig 2023, is context only)", 0.50, "no published figure found", GradeAssumption},
	rPublicBucketFound:    {"public buckets found and read by an attacker within 30 days", 0.50, "no published figure found", GradeAssumption},
	rConsolePasswordAbuse: {"console passwords without MFA abused (stuffing, spraying, phishing) within 30 days", 0.01, "no published figure found", GradeAssumption},
	rKeyLeakOld:           {"access keys older than 90 days leaked (repo, CI log, laptop) within 30 days", 0.005, "no published figure found", GradeAssumption},
	rKeyLeakYoung:         {"newer access keys leaked within 30 days", 0.002, "no published figure found", GradeAssumption},
	rLeakedKeyAbused:      {"leaked AWS keys abused within the window (public GitHub leaks abused in about 1 minute)", 1.0, "Comparitech GitHub honeypot", GradePrimary},
	rAdminTargeting:       {"factor on credential attacks against admin-equivalent identities", 2, "no published figure found", GradeAssumption},
	rWeakPolicyFactor:     {"factor on password attacks in accounts with a weak password policy", 2, "no published figure found", GradeAssumption},
	rBackground:           {"30-day compromise by vectors not modelled (insider, zero-day, supply chain), any resource", 0.001, "no published figure found", GradeAssumption},
}

// Rates lists every figure the bootstrap simulator uses, for the model card.
func Rates() []Rate { return slices.Clone(rateTable[:]) }

func rate(id rateID) float64 { return rateTable[id].Value }

// BootstrapAssumptions states how the simulator combines its rates.
const BootstrapAssumptions = `Each row is one resource. Features are drawn from the configuration rates; the simulator then computes p, the probability that its attacker materially compromises the resource within 30 days (BootstrapP); a binary label (Bootstrap) is one Bernoulli(p) draw of it. Attack vectors are assumed independent given the resource's configuration and are combined as 1 − Π(1 − p_i). Stolen instance credentials count as a compromise only when the role grants something (admin-equivalent, or one of the latent over-privileged roles), so the exposed + IMDSv1 + admin path arises from the path, not from a hand weight. A fact hidden by a Gap is zero in the features but still drives the label. A credential in user data (secret_in_text) is drawn on instances only, at an assumed rate; its one attack path is the SSRF → IMDSv1 read that also yields role credentials (one flaw, one vector: it succeeds when the role grants something or the user data holds a credential), after which the credential is abused as a leaked key is. Functions are not drawn, so a function's environment secret borrows the instance weight. Schema 4 columns any_port_internet, public_k8s_api, eol_kubernetes, privilege_escalation, role_assumable_by_anyone and db_tls_not_enforced are left 0, so their weights stay 0 until trained on real labels: clusters and roles are not drawn, and no published rate of attacks through an all-ports rule beyond the admin and database ports it already opens (which set admin_port_internet and db_port_internet, and whose vectors apply; drawing it as their superset only gave it a negative weight), a public API server, an outdated cluster, an escalation path, an open trust policy or plain-text database connections was found. How common a public API server is is known (39 % of EKS, 34 % of AKS, 54 % of GKE clusters, Datadog State of Cloud Security 2025), but drawing clusters whose label is only the background rate taught the model that a public API server lowers risk, so they are not drawn until an attack rate is found. Schema 5: an instance carries high/critical (CVSS ≥ 7) CVEs at the prevalence measured on exposed hosts, old images likelier (assumed alike on hosts that are not exposed, where no remote vector uses them); each CVE is in KEV at the rate computed from data/cve_features.csv, with an EPSS drawn from the KEV deciles or, outside KEV, from an assumed distribution whose mean matches the 3.9 % EPSS v3 reports; against an exposed host each CVE is exploited within 30 days with its EPSS probability (activity anywhere stands in for activity against this host). Findings are visible only where a scanner reports (an assumed half; the rest set not_scanned_for_vulnerabilities, whose CVEs are drawn and exploited alike, so the model learns what an unscanned host hides), patch state where a patch manager reports. The latent over-privileged role of an instance is now visible: admin (obtainable_privilege 1), lateral movement (2/3), data access (1/3, with data_reach drawn). Queues and keys are drawn, public at an assumed share and then found and used at an assumed rate. exposed_neighbour (a data store an exposed instance's role reads) needs the estate: drawing resources alone (BootstrapP) leaves it 0, and the estate simulator (Simulate) draws it through the path.`

// BootstrapP draws n synthetic resources, columns in features.Current
// order, and each one's probability p of being materially compromised
// within 30 days under the simulated attacker. p is the expected label:
// the mean of infinitely many Monte-Carlo attacker runs against that
// resource. The same n and seed give the same rows, and the same rows as
// Bootstrap.
func BootstrapP(n int, seed int64) (X [][]float64, p []float64, err error) {
	return bootstrapRisk(n, seed)
}

// Bootstrap draws the rows of BootstrapP and one Bernoulli(p) label per
// row (one simulated attacker run each), for training on binary labels.
func Bootstrap(n int, seed int64) (X [][]float64, y []float64, err error) {
	X, p, err := bootstrapRisk(n, seed)
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6c6162656c)) // labels stream
	y = make([]float64, n)
	for i := range p {
		if rng.Float64() < p[i] {
			y[i] = 1
		}
	}
	return X, y, nil
}

// cols holds feature positions resolved from the schema by name.
type cols struct {
	exposed, adminPort, dbPort, publicDB, publicBucket, adminEq, exposedAdmin, ssrfAdminPath, holdsAdmin,
	noMFA, keyOld, keyUnused, rootKeys, rootNoMFA, weakPolicy, imdsv1, imdsv1Exposed,
	imageAge, imageOld, eol, secret, unknown, scopeGap int
	kev, highEPSS, maxEPSS, critical, missingPatches, dataReach, obtainable, exposedNeighbour, exposedDataReach, publicResPolicy, notScanned int
}

func resolve(s features.Schema) (cols, error) {
	var c cols
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{features.FInternetExposed, &c.exposed}, {features.FAdminPortInternet, &c.adminPort},
		{features.FDBPortInternet, &c.dbPort}, {features.FPublicDatabase, &c.publicDB},
		{features.FPublicBucket, &c.publicBucket}, {features.FAdminEquivalent, &c.adminEq},
		{features.FExposedAdminRole, &c.exposedAdmin}, {features.FSSRFAdminPath, &c.ssrfAdminPath},
		{features.FHoldsAdminRole, &c.holdsAdmin},
		{features.FConsoleNoMFA, &c.noMFA}, {features.FKeyOld, &c.keyOld},
		{features.FKeyUnused, &c.keyUnused}, {features.FRootKeys, &c.rootKeys},
		{features.FRootNoMFA, &c.rootNoMFA}, {features.FWeakPasswordPol, &c.weakPolicy},
		{features.FIMDSv1, &c.imdsv1}, {features.FIMDSv1Exposed, &c.imdsv1Exposed},
		{features.FImageAge, &c.imageAge}, {features.FImageOld, &c.imageOld},
		{features.FEOLEngine, &c.eol}, {features.FSecretInText, &c.secret}, {features.FUnknownData, &c.unknown},
		{features.FScopeGap, &c.scopeGap},
		{features.FKEVCVE, &c.kev}, {features.FHighEPSS, &c.highEPSS}, {features.FMaxEPSS, &c.maxEPSS},
		{features.FCriticalVuln, &c.critical}, {features.FMissingPatches, &c.missingPatches},
		{features.FDataReach, &c.dataReach}, {features.FObtainablePriv, &c.obtainable},
		{features.FExposedNeighbour, &c.exposedNeighbour}, {features.FExposedDataReach, &c.exposedDataReach},
		{features.FPublicResPolicy, &c.publicResPolicy}, {features.FNotScanned, &c.notScanned},
	} {
		if *f.dst = s.Index(f.name); *f.dst < 0 {
			return c, fmt.Errorf("schema %s has no feature %q that the simulator draws", s.Version, f.name)
		}
	}
	return c, nil
}

// bootstrapRisk draws the rows and each row's true 30-day compromise
// probability.
func bootstrapRisk(n int, seed int64) ([][]float64, []float64, error) {
	if n <= 0 {
		return nil, nil, fmt.Errorf("bootstrap needs a positive row count, got %d", n)
	}
	c, err := resolve(features.Current)
	if err != nil {
		return nil, nil, err
	}
	kinds := []rateID{rKindInstance, rKindDatabase, rKindBucket, rKindUser, rKindAccessKey, rKindAccount, rKindQueueKey}
	var total float64
	for _, k := range kinds {
		total += rate(k)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7265736f75726365)) // rows stream
	// Secrets in user data draw from their own stream, so adding the
	// column left every other draw of the rows stream as it was.
	secrets := rand.New(rand.NewPCG(uint64(seed), 0x7365637265747321)) // secrets stream
	// Findings, patch state and data reach (schema 5) draw from a third
	// stream, for the same reason.
	vulns := rand.New(rand.NewPCG(uint64(seed), 0x76756c6e73353521)) // schema 5 stream
	s := sim{c: c, rng: rng, secrets: secrets, vulns: vulns, d: len(features.Current.Features)}
	X := make([][]float64, n)
	p := make([]float64, n)
	for i := range X {
		u := rng.Float64() * total
		kind := kinds[len(kinds)-1]
		for _, k := range kinds {
			if u < rate(k) {
				kind = k
				break
			}
			u -= rate(k)
		}
		X[i], p[i] = s.draw(kind)
	}
	return X, p, nil
}

type sim struct {
	c       cols
	rng     *rand.Rand
	secrets *rand.Rand
	vulns   *rand.Rand
	d       int
	// est, when set, holds what the resource's estate decided for all its
	// resources (Simulate); nil draws every resource alone (BootstrapP).
	est *estateFacts
	// focus draws instances that are exposed, scanned and carry CVSS ≥ 7
	// CVEs, with no gap hiding a fact (SimulateFocus): the rare region
	// where a CVE's EPSS decides the risk, drawn often enough to learn.
	// The same random numbers are drawn as without it.
	focus bool
}

// vbern draws from the schema 5 stream.
func (s sim) vbern(p float64) bool { return s.vulns.Float64() < p }

// kevEPSSDeciles are the deciles of the EPSS scores of the 1,556 KEV CVEs
// in data/kev_epss_cvss.csv (2026-08-22), for rKEVMedianEPSS.
var kevEPSSDeciles = [...]float64{0.0025, 0.0301, 0.0721, 0.1709, 0.3176, 0.5553, 0.7681, 0.8782, 0.9633, 0.9972, 1.0}

// cve is one drawn CVSS ≥ 7 finding.
type cve struct {
	kev, critical, fix bool
	epss               float64
}

// drawCVE draws a CVSS ≥ 7 CVE: KEV membership, then its EPSS from the
// KEV deciles or the assumed non-KEV distribution.
func (s sim) drawCVE() cve {
	c := cve{kev: s.vbern(rate(rKEVGivenHighCVE)), critical: s.vbern(rate(rCriticalGivenHigh)), fix: s.vbern(rate(rFixAvailable))}
	u := s.vulns.Float64()
	switch {
	case c.kev:
		pos := u * float64(len(kevEPSSDeciles)-1)
		i := min(int(pos), len(kevEPSSDeciles)-2)
		c.epss = kevEPSSDeciles[i] + (pos-float64(i))*(kevEPSSDeciles[i+1]-kevEPSSDeciles[i])
	case u < rate(rNonKEVHighEPSS):
		c.epss = 0.1 + 0.4*s.vulns.Float64()
	default:
		c.epss = 0.0004 * math.Pow(0.1/0.0004, s.vulns.Float64())
	}
	return c
}

func (s sim) bern(p float64) bool { return s.rng.Float64() < p }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// combine is 1 − Π(1 − p_i): independent vectors, any one succeeding.
func combine(ps ...float64) float64 {
	q := 1.0
	for _, p := range ps {
		q *= 1 - min(max(p, 0), 1)
	}
	return 1 - q
}

// facts is one resource's true configuration; maskable lists groups of
// feature columns a Gap can hide together.
type facts struct {
	x        []float64
	maskable [][]int
	// exposed and reads are an instance's true exposure and how many data
	// stores its role reads: the estate simulator links it to them.
	exposed bool
	reads   int
}

func (s sim) draw(kind rateID) ([]float64, float64) {
	f, p := s.drawFacts(kind)
	return f.x, p
}

// drawFacts draws one resource of kind: its facts (features after gaps)
// and its probability of compromise.
func (s sim) drawFacts(kind rateID) (facts, float64) {
	f := facts{x: make([]float64, s.d)}
	var vectors []float64
	switch kind {
	case rKindInstance:
		vectors = s.instance(&f)
	case rKindDatabase:
		vectors = s.database(&f)
	case rKindBucket:
		vectors = s.bucket(&f)
	case rKindUser:
		vectors = s.user(&f, true)
	case rKindAccessKey:
		vectors = s.user(&f, false)
	case rKindAccount:
		vectors = s.account(&f)
	case rKindQueueKey:
		vectors = s.queueOrKey(&f)
	}
	p := combine(append(vectors, rate(rBackground))...)

	// Gaps: the label above used the true facts; the features lose one.
	gap := s.bern(rate(rScopeGap))
	unknown := s.bern(rate(rUnknownData)) || (gap && s.bern(rate(rUnknownGivenScopeGap)))
	if s.focus {
		gap, unknown = false, false
	}
	if unknown && len(f.maskable) > 0 {
		for _, j := range f.maskable[s.rng.IntN(len(f.maskable))] {
			f.x[j] = 0
		}
	}
	f.x[s.c.unknown] = b2f(unknown)
	f.x[s.c.scopeGap] = b2f(gap)
	s.derive(f.x)
	return f, p
}

// derive recomputes the path features from what the features show.
func (s sim) derive(x []float64) {
	c := s.c
	x[c.exposedAdmin] = x[c.exposed] * x[c.holdsAdmin]
	x[c.imdsv1Exposed] = x[c.exposed] * x[c.imdsv1]
	x[c.ssrfAdminPath] = x[c.exposed] * x[c.imdsv1] * x[c.holdsAdmin]
	x[c.exposedDataReach] = x[c.exposed] * b2f(x[c.dataReach] > 0)
}

func (s sim) instance(f *facts) []float64 {
	c := s.c
	mean := rate(rImageAgeMean)
	age := min(s.rng.ExpFloat64()*mean, 10)
	old2y := math.Exp(-2 / mean) // share older than two years
	// IMDSv2 enforced on 14 % of old instances and on enough young ones
	// to keep 49 % overall.
	v2Young := (rate(rIMDSv2) - old2y*rate(rIMDSv2Old)) / (1 - old2y)
	v2 := s.bern(v2Young)
	if age > 2 {
		v2 = s.bern(rate(rIMDSv2Old))
	}
	exposed := s.bern(rate(rInstExposed)) || s.focus
	adminPort := exposed && s.bern(rate(rAdminPortGivenExposed))
	dbPort := exposed && s.bern(rate(rDBPortGivenExposed))
	admin := s.bern(rate(rAdminRole))
	// Over-privileged but not admin: the rest of the 19.4 %.
	overPriv := admin || s.bern((rate(rOverPrivileged)-rate(rAdminRole))/(1-rate(rAdminRole)))
	imageOld := age > 180.0/365
	secret := s.secrets.Float64() < rate(rSecretInUserData)

	// What the role reaches (schema 5): admin reads everything; of the
	// other over-privileged roles, the lateral-movement share holds an
	// escalation pattern, the rest read data stores.
	level, stores := 0.0, 0
	switch {
	case admin:
		level, stores = 1, 1+int(s.vulns.ExpFloat64()*4*rate(rDataStoresMean))
	case overPriv && s.vbern(rate(rLateralGivenOverPriv)/(rate(rOverPrivileged)-rate(rAdminRole))):
		level = 2.0 / 3
	case overPriv:
		level, stores = 1.0/3, 1+int(s.vulns.ExpFloat64()*(rate(rDataStoresMean)-1))
	}
	f.x[c.obtainable] = level
	f.x[c.dataReach] = math.Min(math.Log1p(float64(stores))/math.Log1p(100), 1)
	f.reads = stores

	f.exposed = exposed
	f.x[c.exposed] = b2f(exposed)
	f.x[c.adminPort] = b2f(adminPort)
	f.x[c.dbPort] = b2f(dbPort)
	f.x[c.holdsAdmin] = b2f(admin)
	f.x[c.imdsv1] = b2f(!v2)
	f.x[c.imageAge] = age
	f.x[c.imageOld] = b2f(imageOld)
	f.x[c.secret] = b2f(secret)
	f.maskable = [][]int{{c.exposed, c.adminPort, c.dbPort}, {c.holdsAdmin, c.obtainable, c.dataReach}, {c.imdsv1}, {c.imageAge, c.imageOld}, {c.secret}}

	// Findings: high/critical CVEs at the prevalence Unit 42 measured on
	// exposed hosts (assumed alike on the rest), old images likelier;
	// seen only where a scanner reports.
	pOld := math.Exp(-(180.0 / 365) / mean)
	young := rate(rVulnExposed) / (pOld*rate(rVulnOldFactor) + (1 - pOld))
	pv := young
	if imageOld {
		pv = young * rate(rVulnOldFactor)
	}
	var cves []cve
	if s.vbern(pv) || s.focus {
		for range int(rate(rCVEsPerVulnHost)) {
			cves = append(cves, s.drawCVE())
		}
	}
	var scanned bool
	if s.est != nil {
		scanned = s.est.scanner
	} else {
		scanned = s.vbern(rate(rScannerCoverage)) || s.focus
	}
	f.x[c.notScanned] = b2f(!scanned)
	if scanned {
		for _, v := range cves {
			f.x[c.kev] = max(f.x[c.kev], b2f(v.kev))
			f.x[c.highEPSS] = max(f.x[c.highEPSS], b2f(v.epss >= 0.1))
			f.x[c.critical] = max(f.x[c.critical], b2f(v.critical && v.fix))
			f.x[c.maxEPSS] = max(f.x[c.maxEPSS], v.epss)
		}
		f.maskable = append(f.maskable, []int{c.kev, c.highEPSS, c.critical, c.maxEPSS})
	}
	if s.vbern(rate(rPatchManaged)) {
		missing := false
		for _, v := range cves {
			missing = missing || v.fix
		}
		f.x[c.missingPatches] = b2f(missing || s.vbern(rate(rMissingPatchesClean)))
		f.maskable = append(f.maskable, []int{c.missingPatches})
	}

	var v []float64
	if adminPort {
		v = append(v, rate(rWeakAdminAuth)*rate(rHoneypotCompromise))
	}
	if dbPort {
		v = append(v, rate(rWeakSelfHostedDBAuth)*rate(rPostgresHoneypot))
	}
	if exposed {
		// Each CVE is exploited against the exposed host within 30 days
		// with its EPSS probability (exploitation activity anywhere in
		// the next 30 days stands in for activity against this host).
		for _, cv := range cves {
			v = append(v, cv.epss)
		}
		// SSRF → IMDSv1 → role credentials, and the user data beside
		// them: one flaw, so one vector, material when the role grants
		// something or the user data holds a credential (abused as a
		// leaked key is).
		if !v2 && (overPriv || secret) {
			gain := b2f(overPriv)
			if secret {
				gain = combine(gain, rate(rLeakedKeyAbused))
			}
			v = append(v, rate(rSSRFFlaw)*rate(rSSRFExploited)*gain)
		}
	}
	return v
}

func (s sim) database(f *facts) []float64 {
	c := s.c
	public := s.bern(rate(rDBPublicFlag))
	reachable := public && s.bern(rate(rDBReachableGivenPublic))
	eol := s.bern(rate(rDBEOL))
	f.x[c.publicDB] = b2f(public)
	f.x[c.dbPort] = b2f(reachable)
	f.x[c.exposed] = b2f(reachable)
	f.x[c.eol] = b2f(eol)
	f.maskable = [][]int{{c.publicDB, c.dbPort, c.exposed}, {c.eol}}
	var v []float64
	if reachable {
		v = append(v, rate(rWeakManagedDBAuth)*rate(rPostgresHoneypot))
		if eol {
			exploit := 1 - math.Pow(1-rate(rCVEExploited30d), rate(rCVEsPerVulnHost))
			v = append(v, rate(rEOLKnownVuln)*exploit)
		}
	}
	return v
}

func (s sim) bucket(f *facts) []float64 {
	public := s.bern(rate(rPublicBucket))
	f.x[s.c.publicBucket] = b2f(public)
	f.maskable = [][]int{{s.c.publicBucket}}
	if !public {
		return nil
	}
	return []float64{rate(rSensitiveInPublic) * rate(rPublicBucketFound)}
}

// queueOrKey draws a queue or key whose resource policy may admit anyone.
func (s sim) queueOrKey(f *facts) []float64 {
	public := s.vbern(rate(rPublicResPolicy))
	f.x[s.c.publicResPolicy] = b2f(public)
	f.maskable = [][]int{{s.c.publicResPolicy}}
	if !public {
		return nil
	}
	return []float64{rate(rPublicResPolicyUsed)}
}

// user draws an IAM user (console and keys) or, with console false, an
// access key with its owner's privileges.
func (s sim) user(f *facts, console bool) []float64 {
	c := s.c
	admin := s.bern(rate(rUserAdmin))
	target := 1.0
	if admin {
		target = rate(rAdminTargeting)
	}
	u := s.rng.Float64()
	old := u < rate(rKeyOver1y)+rate(rKey90dTo1y)
	unused := old && s.bern(rate(rKeyUnusedGivenOld))
	f.x[c.adminEq] = b2f(admin)
	f.x[c.keyOld] = b2f(old)
	f.x[c.keyUnused] = b2f(unused)
	if admin && console {
		// As the extractor sets them on a user (not on an access key): an
		// admin reads every data store.
		stores := 1 + int(s.vulns.ExpFloat64()*4*rate(rDataStoresMean))
		f.x[c.obtainable] = 1
		f.x[c.dataReach] = math.Min(math.Log1p(float64(stores))/math.Log1p(100), 1)
	}
	f.maskable = [][]int{{c.adminEq, c.obtainable, c.dataReach}, {c.keyOld, c.keyUnused}}

	leak := rate(rKeyLeakYoung)
	if old {
		leak = rate(rKeyLeakOld)
	}
	v := []float64{leak * rate(rLeakedKeyAbused) * target}
	if console && s.bern(rate(rConsoleUser)) {
		notEnforced := s.est != nil && s.est.noMFA
		if s.est == nil {
			notEnforced = s.bern(rate(rOrgNoConsoleMFA))
		}
		noMFA := notEnforced && s.bern(rate(rNoMFAGivenNotEnforced))
		f.x[c.noMFA] = b2f(noMFA)
		f.maskable = append(f.maskable, []int{c.noMFA})
		if noMFA {
			v = append(v, rate(rConsolePasswordAbuse)*target)
		}
	}
	return v
}

func (s sim) account(f *facts) []float64 {
	c := s.c
	rootKeys := s.bern(rate(rRootKeys))
	rootNoMFA := s.bern(rate(rRootNoMFA))
	weak := s.bern(rate(rWeakPasswordPolicy))
	usersNoMFA := s.est != nil && s.est.noMFA
	if s.est == nil {
		usersNoMFA = s.bern(rate(rOrgNoConsoleMFA))
	}
	f.x[c.rootKeys] = b2f(rootKeys)
	f.x[c.rootNoMFA] = b2f(rootNoMFA)
	f.x[c.weakPolicy] = b2f(weak)
	f.x[c.noMFA] = b2f(usersNoMFA)
	f.maskable = [][]int{{c.rootKeys}, {c.rootNoMFA}, {c.weakPolicy}, {c.noMFA}}

	pw := 1.0
	if weak {
		pw = rate(rWeakPolicyFactor)
	}
	var v []float64
	if rootKeys {
		v = append(v, rate(rKeyLeakOld)*rate(rLeakedKeyAbused)*rate(rAdminTargeting))
	}
	if rootNoMFA {
		v = append(v, rate(rConsolePasswordAbuse)*pw*rate(rAdminTargeting))
	}
	if usersNoMFA {
		v = append(v, rate(rConsolePasswordAbuse)*pw)
	}
	return v
}
