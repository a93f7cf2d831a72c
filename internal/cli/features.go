package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/features"
)

// NewFeaturesCommand builds `posture features --doc`: the feature schema
// the model reads and the signal catalogue that sets it.
func NewFeaturesCommand(g *Global) *cobra.Command {
	var doc, asJSON bool
	cmd := &cobra.Command{
		Use:   "features --doc [--json]",
		Short: "Print the feature schema and the signal catalogue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !doc && !asJSON {
				return usageError("features: nothing to do; use --doc to print the schema (--json for JSON)")
			}
			if asJSON {
				type signal struct {
					ID       string   `json:"id"`
					Pillar   string   `json:"pillar"`
					Severity string   `json:"severity"`
					Title    string   `json:"title"`
					CIS      []string `json:"cis,omitempty"` // CIS AWS Foundations v3.0
					CISGCP   []string `json:"cis_gcp,omitempty"`
					CISAzure []string `json:"cis_azure,omitempty"`
					Fix      string   `json:"fix,omitempty"`
				}
				out := struct {
					Schema  features.Schema `json:"schema"`
					Hash    string          `json:"hash"`
					Signals []signal        `json:"signals"`
				}{Schema: features.Current, Hash: features.Current.Hash()}
				for _, d := range features.Catalogue() {
					out.Signals = append(out.Signals, signal{string(d.ID), string(d.Pillar), string(d.Severity), d.Title, d.CIS, d.CISGCP, d.CISAzure, d.Fix})
				}
				return printJSON(g, out)
			}
			return writeFeatureDoc(g, cmd)
		},
	}
	cmd.Flags().BoolVar(&doc, "doc", false, "print the feature schema (version, hash, every column) and the signal catalogue")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print it as JSON (implies --doc)")
	return cmd
}

func writeFeatureDoc(g *Global, _ *cobra.Command) error {
	s := features.Current
	fmt.Fprintf(g.Out, "Feature schema v%s (hash %s), %d features, in vector order:\n\n", s.Version, s.Hash(), len(s.Features))
	tw := tabwriter.NewWriter(g.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tFEATURE\tP\tSET BY SIGNAL\tUNIT\tMEANING")
	for i, f := range s.Features {
		p, sig := string(f.Pillar), string(f.Signal)
		if p == "" {
			p = "-"
		}
		if sig == "" {
			sig = "(graph)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", i, f.Name, p, sig, f.Unit, f.Meaning)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(g.Out, "\nSignal catalogue, %d signals (CIS: AWS Foundations v3.0, Google Cloud Platform Foundation v3.0.0, Microsoft Azure Foundations v2.1.0):\n\n", len(features.Catalogue()))
	tw = tabwriter.NewWriter(g.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SIGNAL\tP\tSEVERITY\tCIS AWS\tCIS GCP\tCIS AZURE\tFIX\tTITLE")
	for _, d := range features.Catalogue() {
		fix := d.Fix
		if fix == "" {
			fix = "-"
		}
		ids := func(cis []string) string {
			if len(cis) == 0 {
				return "-"
			}
			return strings.Join(cis, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Pillar, d.Severity, ids(d.CIS), ids(d.CISGCP), ids(d.CISAzure), fix, d.Title)
	}
	return tw.Flush()
}
