package report

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Format names an output format.
type Format string

const (
	JSON  Format = "json"
	HTML  Format = "html"
	Table Format = "table"
)

// Formats lists the formats NewWriter knows, in the order help text shows them.
func Formats() []Format { return []Format{Table, JSON, HTML} }

func formatList() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// ParseFormat parses a format name as a user typed it.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case JSON, HTML, Table:
		return f, nil
	default:
		return "", fmt.Errorf("unknown report format %q (valid: %s)", s, formatList())
	}
}

// DefaultTop is how many rows the table shows when Options.Top is 0.
const DefaultTop = 10

// Options tune a writer.
type Options struct {
	// Top limits how many resources are written, highest risk first. 0 means
	// DefaultTop rows for the table and every resource for JSON and HTML.
	// Summaries and charts always count every resource.
	Top int
	// Color asks for coloured terminal output. The table writer ignores it
	// for now: escape codes would break its column alignment.
	Color bool
}

// Writer writes a report in one format.
type Writer interface {
	Write(ctx context.Context, r Report) error
}

// NewWriter returns the writer for format f, writing to w.
func NewWriter(f Format, w io.Writer, opts Options) (Writer, error) {
	if opts.Top < 0 {
		return nil, fmt.Errorf("report top %d is negative", opts.Top)
	}
	switch f {
	case JSON:
		return &jsonWriter{w: w, top: opts.Top}, nil
	case HTML:
		return &htmlWriter{w: w, top: opts.Top}, nil
	case Table:
		top := opts.Top
		if top == 0 {
			top = DefaultTop
		}
		return &tableWriter{w: w, top: top}, nil
	default:
		return nil, fmt.Errorf("unknown report format %q (valid: %s)", f, formatList())
	}
}

// limit returns the first top items, or all of them when top is 0.
func limit(items []Item, top int) []Item {
	if top > 0 && len(items) > top {
		return items[:top]
	}
	return items
}
