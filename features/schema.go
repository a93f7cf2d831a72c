package features

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

// Feature is one column of the feature vector.
type Feature struct {
	Name    string             `json:"name"`
	Pillar  inventory.Pillar   `json:"pillar"`
	Signal  inventory.SignalID `json:"signal,omitempty"` // the signal that sets it, when one does
	Meaning string             `json:"meaning"`
	Unit    string             `json:"unit"` // "0/1", "log1p(days)/log1p(3650)", …
}

// Schema is the declared, ordered feature table. The model file records
// Version and Hash; scoring with a model trained on another schema fails.
type Schema struct {
	Version  string    `json:"version"`
	Features []Feature `json:"features"`
}

// Names returns the feature names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s.Features))
	for i, f := range s.Features {
		out[i] = f.Name
	}
	return out
}

// Index returns the position of the named feature, or -1.
func (s Schema) Index(name string) int {
	for i, f := range s.Features {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Hash identifies the schema's version, names and order.
func (s Schema) Hash() string {
	h := sha256.Sum256([]byte(s.Version + "\n" + strings.Join(s.Names(), "\n")))
	return hex.EncodeToString(h[:8])
}

// Feature names, shared by the extractor, the model's bootstrap generator
// and tests.
const (
	FInternetExposed   = "internet_exposed"
	FAdminPortInternet = "admin_port_internet"
	FDBPortInternet    = "db_port_internet"
	FPublicDatabase    = "public_database"
	FPublicBucket      = "public_bucket"
	FAdminEquivalent   = "admin_equivalent"
	FExposedAdminRole  = "exposed_with_admin_role"
	FSSRFAdminPath     = "imds_credential_theft_path"
	FHoldsAdminRole    = "holds_admin_role"
	FConsoleNoMFA      = "console_without_mfa"
	FKeyOld            = "access_key_over_90d"
	FKeyUnused         = "access_key_unused_90d"
	FRootKeys          = "root_access_keys"
	FRootNoMFA         = "root_without_mfa"
	FWeakPasswordPol   = "weak_password_policy"
	FIMDSv1            = "imdsv1"
	FIMDSv1Exposed     = "imdsv1_exposed"
	FImageAge          = "image_age"
	FImageOld          = "image_over_180d"
	FEOLEngine         = "eol_engine"
	FAnyPortInternet   = "any_port_internet"
	FPublicK8sAPI      = "public_k8s_api"
	FPrivEscalation    = "privilege_escalation"
	FRoleAnyone        = "role_assumable_by_anyone"
	FDBTLSOff          = "db_tls_not_enforced"
	FEOLKubernetes     = "eol_kubernetes"
	FSecretInText      = "secret_in_text"
	FKEVCVE            = "known_exploited_cve"
	FHighEPSS          = "high_epss_cve"
	FMaxEPSS           = "max_epss"
	FCriticalVuln      = "critical_vulnerability"
	FMissingPatches    = "missing_security_patches"
	FPublicResPolicy   = "public_resource_policy"
	FDataReach         = "data_reach"
	FObtainablePriv    = "obtainable_privilege"
	FExposedNeighbour  = "exposed_neighbour"
	FExposedDataReach  = "exposed_data_reach"
	FNotScanned        = "not_scanned_for_vulnerabilities"
	FUnknownData       = "unknown_data"
	FScopeGap          = "scope_gap"
)

// Current is the schema the extractor writes.
var Current = Schema{
	Version: "5",
	Features: []Feature{
		{FInternetExposed, inventory.Ports, "", "some port of the resource is reachable from the internet through a real path, or anyone may invoke the function's URL", "0/1"},
		{FAdminPortInternet, inventory.Ports, "ports.admin_port_internet", "an admin port (SSH, RDP, WinRM, VNC) is reachable from the internet", "0/1"},
		{FDBPortInternet, inventory.Ports, "ports.db_port_internet", "a database or cache port is reachable from the internet", "0/1"},
		{FPublicDatabase, inventory.Ports, "ports.public_database", "a managed database is publicly accessible", "0/1"},
		{FPublicBucket, inventory.Privileges, "privileges.public_bucket", "a bucket is readable or writable by anyone (policy or ACL, after block public access)", "0/1"},
		{FAdminEquivalent, inventory.Privileges, "privileges.admin_equivalent", "the identity's policies grant admin-equivalent permissions", "0/1"},
		{FExposedAdminRole, inventory.Privileges, "privileges.exposed_admin_role", "an internet-exposed instance or function holds an admin-equivalent role", "0/1"},
		{FSSRFAdminPath, inventory.Privileges, "", "an internet-exposed instance accepts IMDSv1 and holds an admin-equivalent role: a request-forgery flaw yields admin credentials", "0/1"},
		{FHoldsAdminRole, inventory.Privileges, "", "the instance or function holds an admin-equivalent role (exposed or not)", "0/1"},
		{FConsoleNoMFA, inventory.Passwords, "passwords.console_without_mfa", "a console user has no MFA device", "0/1"},
		{FKeyOld, inventory.Passwords, "passwords.access_key_old", "an active access key is older than 90 days", "0/1"},
		{FKeyUnused, inventory.Passwords, "passwords.access_key_unused", "an active access key has not been used for 90 days", "0/1"},
		{FRootKeys, inventory.Passwords, "passwords.root_access_keys", "the account root user has access keys", "0/1"},
		{FRootNoMFA, inventory.Passwords, "passwords.root_without_mfa", "the account root user has no MFA", "0/1"},
		{FWeakPasswordPol, inventory.Passwords, "passwords.weak_password_policy", "the account password policy is missing or weak", "0/1"},
		{FIMDSv1, inventory.Passwords, "", "the instance metadata service accepts IMDSv1 (no session token)", "0/1"},
		{FIMDSv1Exposed, inventory.Passwords, "passwords.imdsv1_exposed", "an internet-exposed instance accepts IMDSv1", "0/1"},
		{FImageAge, inventory.Patches, "", "age of the instance's image", "min(days,3650)/365 (years)"},
		{FImageOld, inventory.Patches, "patches.image_age", "the instance's image is older than 180 days", "0/1"},
		{FEOLEngine, inventory.Patches, "patches.eol_engine", "the database engine or function runtime version is past its end of life", "0/1"},
		{FAnyPortInternet, inventory.Ports, "ports.any_port_internet", "a rule admitting every port is reachable from the internet", "0/1"},
		{FPublicK8sAPI, inventory.Ports, "ports.public_k8s_api", "the Kubernetes API server has a public endpoint open to the whole internet", "0/1"},
		{FPrivEscalation, inventory.Privileges, "privileges.privilege_escalation", "the identity (not admin-equivalent) holds a known privilege-escalation pattern on every resource", "0/1"},
		{FRoleAnyone, inventory.Privileges, "privileges.role_assumable_by_anyone", "the role's trust policy lets anyone assume it", "0/1"},
		{FDBTLSOff, inventory.Passwords, "passwords.db_tls_not_enforced", "the database accepts connections without TLS", "0/1"},
		{FEOLKubernetes, inventory.Patches, "patches.eol_kubernetes", "the cluster's Kubernetes version is past its end of standard support", "0/1"},
		{FSecretInText, inventory.Passwords, "passwords.secret_in_user_data", "a credential was found in the resource's user data, startup script or function environment", "0/1"},
		{FKEVCVE, inventory.Patches, "patches.known_exploited_cve", "an open scanner finding on the resource is a CVE in the CISA KEV catalogue", "0/1"},
		{FHighEPSS, inventory.Patches, "patches.high_epss_cve", "an open finding has an EPSS probability of at least 0.1 (KEV or not)", "0/1"},
		{FMaxEPSS, inventory.Patches, "", "the highest EPSS probability (exploitation activity in the next 30 days) among the resource's open findings", "probability 0..1"},
		{FCriticalVuln, inventory.Patches, "patches.critical_vulnerability", "an open finding is critical (CVSS ≥ 9.0 or rated critical) with a fix available", "0/1"},
		{FMissingPatches, inventory.Patches, "patches.missing_security_patches", "the patch manager reports missing or failed patches", "0/1"},
		{FPublicResPolicy, inventory.Privileges, "privileges.public_resource_policy", "a queue's or key's resource policy lets anyone use it", "0/1"},
		{FDataReach, inventory.Privileges, "", "how many data stores (buckets, databases, queues, keys, vaults) the resource's identities can read", "min(log1p(n)/log1p(100),1)"},
		{FObtainablePriv, inventory.Privileges, "", "the highest privilege the resource's identities hold: 1 admin-equivalent, 2/3 an escalation pattern, 1/3 reads data, 0 none of these", "0, 1/3, 2/3, 1"},
		{FExposedNeighbour, inventory.Ports, "", "an internet-exposed instance or function can read this data store through its identity", "0/1"},
		{FExposedDataReach, inventory.Privileges, "privileges.exposed_data_reach", "an internet-exposed instance or function can read data stores through its identity", "0/1"},
		{FNotScanned, inventory.Patches, "", "no vulnerability scanner (Inspector, OS Config, Defender) reports on the instance or function: its CVEs are unknown, not absent", "0/1"},
		{FUnknownData, "", "", "a fact about this resource could not be read (a Gap): unknown, not safe", "0/1"},
		{FScopeGap, "", "", "the resource's account or region has gaps in this snapshot", "0/1"},
	},
}

// Vector is one resource's feature values in Schema order.
type Vector struct {
	Resource string    `json:"resource"`
	Values   []float64 `json:"values"`
}

// derivedClearedBy names, for features that no single signal sets (or that
// a second signal sets besides Feature.Signal), the signals whose fix
// clears them: requiring IMDSv2 removes IMDSv1 and the credential-theft
// path; detaching the admin policy removes the held admin role and the
// path; closing a public function URL removes the function's exposure and
// its exposed admin role; moving a function to a supported runtime clears
// eol_engine, which a function's eol_runtime sets as a database's
// eol_engine does; the grade of obtainable privilege falls with the admin
// or escalation signal that set it.
var derivedClearedBy = map[string][]inventory.SignalID{
	FSSRFAdminPath:    {"passwords.imdsv1_exposed", "privileges.exposed_admin_role"},
	FIMDSv1:           {"passwords.imdsv1_exposed"},
	FHoldsAdminRole:   {"privileges.exposed_admin_role"},
	FInternetExposed:  {"ports.public_function_url"},
	FExposedAdminRole: {"ports.public_function_url"},
	FEOLEngine:        {"patches.eol_runtime"},
	FExposedDataReach: {"ports.public_function_url"},
	// The privilege an identity holds is graded from its admin and
	// escalation signals, or, on an instance or function, from the admin
	// role it holds: removing them removes the grade (what it still reads
	// is not re-derived, so the what-if errs towards a larger drop).
	FObtainablePriv: {"privileges.exposed_admin_role", "privileges.admin_equivalent", "privileges.privilege_escalation"},
	// Patching the findings removes their EPSS (what-if: all of them; the
	// drop errs large where other findings stay).
	FMaxEPSS: {"patches.known_exploited_cve", "patches.high_epss_cve", "patches.critical_vulnerability"},
}

// whatIfOnly are derived features a fix clears but accepting a signal does
// not: obtainable_privilege is graded from the identity's own signals,
// which stay unless they are suppressed themselves.
var whatIfOnly = map[string]bool{FObtainablePriv: true}

// ClearedBy returns the positions of the features that fixing signal sig
// sets to 0: the features the signal sets, and the derived ones it breaks.
// The fix engine uses them for the model's what-if.
func (s Schema) ClearedBy(sig inventory.SignalID) []int {
	var out []int
	for i, f := range s.Features {
		if f.Signal == sig && sig != "" {
			out = append(out, i)
			continue
		}
		for _, d := range derivedClearedBy[f.Name] {
			if d == sig {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// SetBy returns the positions of the features signal sig sets directly:
// those whose Feature.Signal is sig. Accepting (suppressing) a signal
// clears these and nothing more on its own; see Feeders for the derived
// features.
func (s Schema) SetBy(sig inventory.SignalID) []int {
	var out []int
	for i, f := range s.Features {
		if f.Signal == sig && sig != "" {
			out = append(out, i)
		}
	}
	return out
}

// Feeders returns, for the derived feature at position i (one that no
// single signal sets, or that a second signal sets besides its
// Feature.Signal), every signal that feeds it: its Feature.Signal, if any,
// then the signals whose fix clears it. It returns nil for a feature that
// is not derived, or that only a fix clears (whatIfOnly). A derived
// feature is cleared by suppression only when
// every signal of the resource that feeds it is suppressed; ClearedBy, the
// what-if of a fix, clears it when any one is fixed.
func (s Schema) Feeders(i int) []inventory.SignalID {
	if i < 0 || i >= len(s.Features) {
		return nil
	}
	f := s.Features[i]
	derived := derivedClearedBy[f.Name]
	if len(derived) == 0 || whatIfOnly[f.Name] {
		return nil
	}
	var out []inventory.SignalID
	if f.Signal != "" {
		out = append(out, f.Signal)
	}
	for _, d := range derived {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}
