package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/posture-dev/posture/internal/inventory"
)

// Column widths of the table, in runes.
const (
	tableNameWidth    = 40
	tableReasonsWidth = 80
	tableMaxGaps      = 5 // gaps listed under the header; the rest are counted
)

// tableUnknownMark follows the risk of a resource with a fact that could not
// be read (hasUnknown); a footer explains it.
const tableUnknownMark = "?"

// tableSuppressedMark follows the risk of a resource with a signal a
// mutelist rule suppressed (hasSuppressed); a footer explains it.
const tableSuppressedMark = "*"

type tableWriter struct {
	w   io.Writer
	top int
}

func (tw *tableWriter) Write(ctx context.Context, r Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := prepared(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(tw.w)
	writeTableHeader(bw, r)

	if err := writeTableRows(bw, r, tw.top); err != nil {
		return err
	}
	if err := writeTableUnscored(bw, r.Unscored, tw.top); err != nil {
		return err
	}
	return flush(bw)
}

// writeTableRows writes the ranked rows of the scored resources and the
// footers that explain their marks.
func writeTableRows(bw io.Writer, r Report, top int) error {
	rows := limit(r.Items, top)
	if len(rows) == 0 {
		fmt.Fprintln(bw, "\nno resources scored")
		return nil
	}
	fmt.Fprintln(bw)
	t := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, "RANK\tRISK\tKIND\tNAME\tREGION\tTOP REASONS")
	marked, muted := false, false
	for i, it := range rows {
		region := it.Region
		if region == "" {
			region = "-"
		}
		risk := fmt.Sprintf("%.2f", it.Risk)
		if hasUnknown(it) {
			risk += tableUnknownMark
			marked = true
		}
		if hasSuppressed(it) {
			risk += tableSuppressedMark
			muted = true
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%s\t%s\n",
			i+1, risk, clean(string(it.Kind)),
			truncate(clean(displayName(it)), tableNameWidth),
			clean(region), topReasons(it, tableReasonsWidth))
	}
	if err := t.Flush(); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	if marked {
		fmt.Fprintf(bw, "\n%s = some facts could not be read: unknown, not safe\n", tableUnknownMark)
	}
	if muted {
		if !marked {
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "%s = some signals are suppressed by the mutelist: listed in the json and html reports, not counted in the risk\n", tableSuppressedMark)
	}
	if len(rows) < len(r.Items) {
		fmt.Fprintf(bw, "\nshowing the top %d of %d scored resources\n", len(rows), len(r.Items))
	}
	return nil
}

// writeTableUnscored lists, after the ranked rows, the resources the model
// does not score that have signals: one line each, up to top.
func writeTableUnscored(bw io.Writer, unscored []Item, top int) error {
	if len(unscored) == 0 {
		return nil
	}
	n := 0
	for _, it := range unscored {
		n += len(it.Signals)
	}
	fmt.Fprintf(bw, "\n%s on %s the model does not score (no risk of their own; evidence in the json and html reports):\n",
		plural(n, "signal", "signals"), plural(len(unscored), "resource", "resources"))
	rows := limit(unscored, top)
	t := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	for _, it := range rows {
		region := it.Region
		if region == "" {
			region = "-"
		}
		fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", clean(string(it.Kind)),
			truncate(clean(displayName(it)), tableNameWidth), clean(region), signalTitles(it, tableReasonsWidth))
	}
	if err := t.Flush(); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	if len(rows) < len(unscored) {
		fmt.Fprintf(bw, "showing %d of %d unscored resources\n", len(rows), len(unscored))
	}
	return nil
}

// signalTitles joins the item's signal titles, each marked when it could not
// be checked or is suppressed, within width runes.
func signalTitles(it Item, width int) string {
	var texts []string
	for _, s := range it.Signals {
		t := clean(s.Title)
		switch {
		case s.Suppressed != nil:
			t += " (suppressed)"
		case s.Unknown:
			t += " (could not be checked)"
		}
		texts = append(texts, t)
	}
	if len(texts) == 0 {
		return "-"
	}
	return truncate(strings.Join(texts, "; "), width)
}

func writeTableHeader(w io.Writer, r Report) {
	s := r.Snapshot
	fmt.Fprintf(w, "%s %s · snapshot %s · %s · %s · %s · %s scored\n",
		clean(r.Tool.Name), clean(r.Tool.Version), clean(s.ID), clean(string(s.Status)),
		plural(s.Resources, "resource", "resources"), plural(len(s.Gaps), "gap", "gaps"),
		plural(len(r.Items), "resource", "resources"))
	fmt.Fprintf(w, "scanned %s · model: %s\n", timeText(s.Finished), clean(modelLine(r.Model)))
	if line := feedsLine(r); line != "" {
		fmt.Fprintf(w, "feeds: %s\n", clean(line))
	}
	if n := summarize(r.Items, r.Unscored).SuppressedSignals; n > 0 {
		fmt.Fprintf(w, "mutelist: %s suppressed (marked %s; not counted in the risk, never fixed)\n", plural(n, "signal", "signals"), tableSuppressedMark)
	}
	if len(s.Gaps) == 0 && s.Status != inventory.StatusPartial {
		return
	}
	fmt.Fprintf(w, "PARTIAL: %s — some resources could not be checked\n", plural(len(s.Gaps), "gap", "gaps"))
	for i, g := range s.Gaps {
		if i == tableMaxGaps {
			fmt.Fprintf(w, "  … and %d more (see the json or html report)\n", len(s.Gaps)-tableMaxGaps)
			break
		}
		fmt.Fprintf(w, "  - %s\n", truncate(clean(g.String()), 120))
	}
}

// topReasons joins the first two reasons' text within width runes.
func topReasons(it Item, width int) string {
	var texts []string
	for _, rs := range it.Reasons {
		if len(texts) == 2 {
			break
		}
		if t := clean(rs.Text); t != "" {
			texts = append(texts, t)
		}
	}
	if len(texts) == 0 {
		return "-"
	}
	return truncate(strings.Join(texts, "; "), width)
}

// clean makes text from the cloud safe for a terminal and a tabwriter:
// control characters (escape sequences, tabs, newlines) become spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimRight(string(rs[:n-1]), " ;,") + "…"
}

func flush(bw *bufio.Writer) error {
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}
