package remediate

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Text writes plans as a numbered, readable listing for `posture fix`.
func Text(w io.Writer, plans []Plan) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "posture fix plans")
	fmt.Fprintln(bw, "dry run: nothing is changed; applying fixes is not available in this version.")
	switch len(plans) {
	case 0:
		fmt.Fprintln(bw, "\nNo fixable signals.")
	case 1:
		fmt.Fprintln(bw, "\n1 plan.")
	default:
		fmt.Fprintf(bw, "\n%d plans.\n", len(plans))
	}
	for i, p := range plans {
		fmt.Fprintf(bw, "\n%d. %s\n", i+1, p.Title)
		field(bw, "id", p.ID)
		field(bw, "fix", fmt.Sprintf("%s (signal %s)", p.Fix, p.Signal))
		field(bw, "resource", p.Resource)
		if p.RiskBefore != 0 || p.RiskAfter != 0 {
			field(bw, "risk", fmt.Sprintf("%.2f -> %.2f", p.RiskBefore, p.RiskAfter))
		}
		field(bw, "change", p.Change)
		if len(p.Calls) == 0 {
			field(bw, "calls", "none: a person makes this change (see change)")
		} else {
			fmt.Fprintln(bw, "   calls:")
			for _, line := range CLI(p.Calls) {
				fmt.Fprintf(bw, "     $ %s\n", line)
			}
		}
		if len(p.Rollback) > 0 {
			fmt.Fprintln(bw, "   rollback:")
			for _, line := range CLI(p.Rollback) {
				fmt.Fprintf(bw, "     $ %s\n", line)
			}
		}
		if p.Terraform != "" {
			fmt.Fprintln(bw, "   terraform:")
			for _, line := range strings.Split(strings.TrimRight(p.Terraform, "\n"), "\n") {
				fmt.Fprintf(bw, "     %s\n", line)
			}
		}
		n := len(p.BlastRadius.Resources)
		switch n {
		case 0:
			fmt.Fprintln(bw, "   blast radius: no other resource")
		case 1:
			fmt.Fprintln(bw, "   blast radius: 1 resource")
		default:
			fmt.Fprintf(bw, "   blast radius: %d resources\n", n)
		}
		for _, r := range p.BlastRadius.Resources {
			fmt.Fprintf(bw, "     - %s\n", r)
		}
		if p.BlastRadius.Note != "" {
			fmt.Fprintf(bw, "     %s\n", p.BlastRadius.Note)
		}
		field(bw, "reversible", yesNo(p.Reversible))
		field(bw, "automatable", fmt.Sprintf("%s (%s)", yesNo(p.Automatable), p.Why))
	}
	return bw.Flush()
}

func field(w io.Writer, name, value string) {
	fmt.Fprintf(w, "   %s: %s\n", name, value)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
