package remediate

import (
	"fmt"

	"github.com/posture-dev/posture/internal/inventory"
)

const fixRDSPrivate = "aws.rds.disable_public_access"

func rdsDisablePublicAccess() Fix {
	return Fix{
		ID: fixRDSPrivate, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigPublicDatabase},
		Title:   "Make the database instance not publicly accessible",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			id := nativeID(r.ID)
			region := regionOf(r.ID, r.Region)
			call := func(public bool) Call {
				return Call{Service: "rds", Operation: "ModifyDBInstance", Region: region,
					Params: map[string]any{"DBInstanceIdentifier": id, "PubliclyAccessible": public, "ApplyImmediately": true}}
			}
			return []Plan{finish(Plan{
				ID:          planID(fixRDSPrivate, r.ID, ""),
				Fix:         fixRDSPrivate,
				Signal:      sig.ID,
				Resource:    r.ID,
				Title:       "Make database " + label(id, r) + " private",
				Change:      "Turn off public accessibility of " + label(id, r) + ", now: its endpoint resolves to its private address only. Security groups and data stay as they are.",
				Calls:       []Call{call(false)},
				Rollback:    []Call{call(true)},
				Terraform:   fmt.Sprintf("# in the aws_db_instance of %s\npublicly_accessible = false\n", id),
				BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: "clients that connect from outside the VPC (over the internet) lose access; clients inside the VPC or peered networks keep it."},
				Reversible:  true,
				Automatable: true,
				Why:         "reversible in one call, no restart",
			})}, nil
		},
	}
}

const fixRDSUpgrade = "aws.rds.upgrade_engine"

func rdsUpgradeEngine() Fix {
	return Fix{
		ID: fixRDSUpgrade, Cloud: inventory.AWS,
		Signals: []inventory.SignalID{SigEOLEngine},
		Title:   "Upgrade the database engine to a supported version",
		Plan: func(in Input, sig inventory.Signal) ([]Plan, error) {
			r := in.Graph.Resource(sig.Resource)
			id := nativeID(r.ID)
			engine := "its engine"
			if r.Database != nil && r.Database.Engine != "" {
				engine = r.Database.Engine + " " + r.Database.EngineVersion
			}
			eol := "past its end of life"
			if d := sig.Evidence["eol"]; d != "" {
				eol = "past its end of life (" + d + ")"
			}
			return []Plan{finish(Plan{
				ID:       planID(fixRDSUpgrade, r.ID, ""),
				Fix:      fixRDSUpgrade,
				Signal:   sig.ID,
				Resource: r.ID,
				Title:    "Upgrade " + label(id, r) + " from " + engine,
				Change: fmt.Sprintf("%s runs %s, %s. Take a snapshot (rds CreateDBSnapshot), test the upgrade on a copy restored from it, "+
					"then upgrade in a maintenance window: rds ModifyDBInstance {DBInstanceIdentifier: %q, EngineVersion: <a supported version>, AllowMajorVersionUpgrade: true, ApplyImmediately: false}, "+
					"with a parameter group for the new major version.", label(id, r), engine, eol, id),
				BlastRadius: BlastRadius{Resources: []string{r.ID}, Note: "the upgrade restarts the database (downtime), and applications must work with the new version."},
				Reversible:  false,
				Automatable: false,
				Why:         "a person must pick the target version and the window; a major upgrade is undone only by restoring the snapshot",
			})}, nil
		},
	}
}
