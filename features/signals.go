package features

import (
	"fmt"
	"time"

	"github.com/posture-dev/posture/internal/inventory"
)

// Detector is one signal type: its stable id and metadata, and the function
// that finds it on a resource. Detect returns an Unknown signal when a fact
// it needs is missing, never nothing.
type Detector struct {
	ID       inventory.SignalID
	Pillar   inventory.Pillar
	Title    string
	Severity inventory.Severity
	CIS      []string // CIS AWS Foundations Benchmark v3.0 recommendation ids
	// CISGCP and CISAzure are the CIS Google Cloud Platform Foundation
	// Benchmark v3.0.0 and CIS Microsoft Azure Foundations Benchmark v2.1.0
	// recommendation ids the signal checks on that cloud; none where it
	// does not fire there or no recommendation covers it.
	CISGCP   []string
	CISAzure []string
	Fix      string // the remediation fix id, "" when none is automatic
	// Kinds lists the resource kinds Detect applies to.
	Kinds  []inventory.Kind
	Detect func(g *Graph, r *inventory.Resource, now time.Time) []inventory.Signal
}

// Catalogue returns every detector, in the order signals are reported.
func Catalogue() []Detector {
	return []Detector{
		adminPortInternet(),
		dbPortInternet(),
		anyPortInternet(),
		publicDatabase(),
		publicK8sAPI(),
		publicFunctionURL(),
		openFirewallUnattached(),
		publicBucket(),
		publicResourcePolicy(),
		adminEquivalent(),
		exposedAdminRole(),
		exposedDataReach(),
		privilegeEscalation(),
		roleAssumableByAnyone(),
		crossAccountTrust(),
		consoleWithoutMFA(),
		accessKeyOld(),
		accessKeyUnused(),
		rootAccessKeys(),
		rootWithoutMFA(),
		weakPasswordPolicy(),
		imdsv1Exposed(),
		secretInUserData(),
		dbTLSNotEnforced(),
		storageSharedKey(),
		imageAge(),
		eolEngine(),
		eolKubernetes(),
		eolRuntime(),
		knownExploitedCVE(),
		highEPSSCVE(),
		criticalVulnerability(),
		missingSecurityPatches(),
		dbAutoMinorUpgradeOff(),
	}
}

// ReportOnly lists the signals that feed reports and fixes but no feature
// of the Current schema, with why.
var ReportOnly = map[inventory.SignalID]string{
	"patches.db_auto_minor_upgrade_off": "CIS 2.3.2; a hygiene setting, not a feature of schema 1",
	"ports.open_firewall_unattached":    "on a firewall, which the model does not score: it protects nothing, so it weighs less than an exposure",
	"privileges.cross_account_trust":    "context for people (which accounts can enter); trusting a partner is often intended",
	"passwords.storage_shared_key":      "Azure storage accounts only; no published rate to train it on yet",
}

// Detect runs the catalogue over every resource of g. The result maps a
// resource id to its signals, in catalogue order; resources without signals
// are absent.
func Detect(g *Graph, now time.Time) map[string][]inventory.Signal {
	cat := Catalogue()
	out := make(map[string][]inventory.Signal)
	for _, r := range g.Resources() {
		for _, d := range cat {
			if !d.appliesTo(r.Kind) {
				continue
			}
			if sigs := d.Detect(g, r, now); len(sigs) > 0 {
				out[r.ID] = append(out[r.ID], sigs...)
			}
		}
	}
	return out
}

func (d Detector) appliesTo(k inventory.Kind) bool {
	for _, x := range d.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func (d Detector) signal(r *inventory.Resource, ev map[string]string) inventory.Signal {
	if len(ev) == 0 {
		ev = nil
	}
	return inventory.Signal{ID: d.ID, Pillar: d.Pillar, Resource: r.ID, Severity: d.Severity, Title: d.Title, Evidence: ev}
}

// unknown is the signal for a fact that could not be checked.
func (d Detector) unknown(r *inventory.Resource, ev map[string]string) inventory.Signal {
	s := d.signal(r, ev)
	s.Unknown = true
	return s
}

func days(now, t time.Time) int { return int(now.Sub(t).Hours() / 24) }

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func itoa(n int) string { return fmt.Sprint(n) }
