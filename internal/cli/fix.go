package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/features"
	"github.com/posture-dev/posture/remediate"
)

// FixOptions are the flags of `posture fix`.
type FixOptions struct {
	SourceOptions
	JSON bool
}

// NewFixCommand builds `posture fix`. In this version it only plans: it
// prints each fix with its exact API calls and rollback, ranked by the
// model's predicted risk drop, and changes nothing.
func NewFixCommand(g *Global) *cobra.Command {
	var o FixOptions
	cmd := &cobra.Command{
		Use:   "fix [--snapshot ID] [--json]",
		Short: "Plan fixes for the snapshot's fixable signals (dry run: nothing is changed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, st, err := o.assess(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer st.Close()
			// Plans that could not be made (a resource missing from a
			// partial snapshot) are reported; the others are still shown.
			plans, err := remediate.Plans(remediate.Input{Graph: a.Graph}, a.Signals)
			if err != nil {
				fmt.Fprintf(g.Err, "posture: some fixes could not be planned: %v\n", err)
			}
			rankPlans(a, plans)
			if o.JSON {
				return printJSON(g, plans)
			}
			if err := remediate.Text(g.Out, plans); err != nil {
				return err
			}
			if a.Suppressed > 0 {
				what := fmt.Sprintf("%d signals", a.Suppressed)
				if a.Suppressed == 1 {
					what = "1 signal"
				}
				_, err := fmt.Fprintf(g.Out, "\n%s suppressed by the mutelist: not planned (a plan an unsuppressed signal also needs is kept).\n", what)
				return err
			}
			return nil
		},
	}
	o.bind(cmd.Flags())
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the plans as JSON")
	return cmd
}

// rankPlans fills each plan's risk before and after (the model's what-if:
// the resource's vector with the features the fix clears, derived path
// features included) and orders plans by the drop, largest first.
func rankPlans(a *assessed, plans []remediate.Plan) {
	for i := range plans {
		p := &plans[i]
		for _, target := range planTargets(a, p) {
			v, ok := a.Vectors[target]
			if !ok {
				continue
			}
			before, after := a.Model.Predict(v.Values), a.Model.WhatIf(v.Values, features.Current.ClearedBy(p.Signal))
			if before-after > p.RiskBefore-p.RiskAfter {
				p.RiskBefore, p.RiskAfter = before, after
			}
		}
	}
	sort.SliceStable(plans, func(i, j int) bool {
		return plans[i].RiskBefore-plans[i].RiskAfter > plans[j].RiskBefore-plans[j].RiskAfter
	})
}

// planTargets are the scored resources a plan's signal sits on: the plan's
// own resource and, for a firewall rule, the resources it protects.
func planTargets(a *assessed, p *remediate.Plan) []string {
	out := []string{p.Resource}
	out = append(out, p.BlastRadius.Resources...)
	return out
}
