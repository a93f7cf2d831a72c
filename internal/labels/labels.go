// Package labels reads an organisation's own outcomes — which resources were
// compromised, which were checked and found clean, and when — and joins each
// to the features its resource had in the snapshot in force at that time,
// as rows the model trains on.
//
// A label file is CSV or JSON lines, told apart by content (a file whose
// first non-blank character is '{' is JSON lines):
//
//	resource,label,time,source
//	arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc,compromised,2026-03-02T10:00:00Z,INC-1042
//	arn:aws:s3:::acme-logs,benign,2026-03-05,pentest-2026-q1
//
//	{"resource": "arn:aws:ec2:…:instance/i-0abc", "label": "compromised", "time": "2026-03-02T10:00:00Z", "source": "INC-1042"}
//
// The CSV header names the columns (any order, case-insensitive); resource,
// label and time are required, source (an incident id, a confirmed finding)
// is optional, and no other column is accepted. A label is 1, true or
// compromised (the resource was compromised), or 0, false or benign (it was
// not), in any case; JSON lines may also give a number 1/0 or a boolean. A
// time is RFC 3339 (2026-03-02T10:00:00Z, 2026-03-02T11:00:00+01:00) or a
// date, 2026-03-02, meaning midnight UTC that day. Parsing is strict: a
// malformed row is an error naming the file and line, never skipped.
package labels

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxFileSize is the largest label file read, in bytes; a larger one is
// refused rather than read in part.
const MaxFileSize = 64 << 20

// maxLine is the longest JSON line accepted.
const maxLine = 1 << 20

// Label is one observed outcome.
type Label struct {
	Resource    string    `json:"resource"`
	Compromised bool      `json:"compromised"`
	Time        time.Time `json:"time"`
	Source      string    `json:"source,omitempty"`
	// File and Line say where the label was read, for reports and errors.
	File string `json:"file"`
	Line int    `json:"line"`
}

// Y is the label as a training target: 1 compromised, 0 benign.
func (l Label) Y() float64 {
	if l.Compromised {
		return 1
	}
	return 0
}

// Format of a label file.
type Format string

// Formats ReadFile tells apart.
const (
	CSV       Format = "csv"
	JSONLines Format = "jsonl"
)

// ReadFile reads a label file, CSV or JSON lines.
func ReadFile(path string) ([]Label, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("read labels: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, "", fmt.Errorf("%s: %d bytes, more than the %d MiB a label file may have", path, fi.Size(), MaxFileSize>>20)
	}
	return Read(f, path)
}

// Read parses labels from r; name is the file name errors and Label.File
// carry. The format is told by content.
func Read(r io.Reader, name string) ([]Label, Format, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, "", fmt.Errorf("%s: more than the %d MiB a label file may have", name, MaxFileSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		return nil, "", fmt.Errorf("%s:%d: not UTF-8 text", name, 1+bytes.Count(data[:bad], []byte("\n")))
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, "", fmt.Errorf("%s: the file is empty", name)
	}
	var ls []Label
	format := CSV
	if trimmed[0] == '{' {
		format = JSONLines
		ls, err = readJSONLines(data, name)
	} else {
		ls, err = readCSV(data, name)
	}
	if err != nil {
		return nil, format, err
	}
	if len(ls) == 0 {
		return nil, format, fmt.Errorf("%s: no labels, only a header", name)
	}
	return ls, format, nil
}

// columns of a CSV label file.
const (
	colResource = "resource"
	colLabel    = "label"
	colTime     = "time"
	colSource   = "source"
)

func readCSV(data []byte, name string) ([]Label, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case colResource, colLabel, colTime, colSource:
		default:
			return nil, fmt.Errorf("%s:1: unknown column %q; the header is resource,label,time[,source]", name, header[i])
		}
		if _, dup := idx[h]; dup {
			return nil, fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		idx[h] = i
	}
	for _, c := range []string{colResource, colLabel, colTime} {
		if _, ok := idx[c]; !ok {
			return nil, fmt.Errorf("%s:1: no %q column; the header is resource,label,time[,source]", name, c)
		}
	}
	var out []Label
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		l := Label{File: name, Line: line, Resource: strings.TrimSpace(rec[idx[colResource]])}
		if l.Resource == "" {
			return nil, fmt.Errorf("%s:%d: empty resource id", name, line)
		}
		if l.Compromised, err = parseLabel(rec[idx[colLabel]]); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", name, line, l.Resource, err)
		}
		if l.Time, err = parseTime(rec[idx[colTime]]); err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %w", name, line, l.Resource, err)
		}
		if i, ok := idx[colSource]; ok {
			l.Source = strings.TrimSpace(rec[i])
		}
		out = append(out, l)
	}
}

// csvError turns encoding/csv's error into file:line: message.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: %w", name, pe.Line, pe.Err)
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: no header line", name)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// jsonLabel is one JSON line; label is a string, number or boolean.
type jsonLabel struct {
	Resource *string         `json:"resource"`
	Label    json.RawMessage `json:"label"`
	Time     *string         `json:"time"`
	Source   string          `json:"source"`
}

func readJSONLines(data []byte, name string) ([]Label, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var out []Label
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		l, err := parseJSONLine(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		l.File, l.Line = name, line
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d KiB", name, line+1, maxLine>>10)
		}
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

func parseJSONLine(text []byte) (Label, error) {
	var j jsonLabel
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Label{}, fmt.Errorf("not a label object: %w", err)
	}
	if dec.More() {
		return Label{}, errors.New("more than one JSON value on the line; want one object per line")
	}
	if j.Resource == nil || strings.TrimSpace(*j.Resource) == "" {
		return Label{}, errors.New(`no "resource"`)
	}
	l := Label{Resource: strings.TrimSpace(*j.Resource), Source: strings.TrimSpace(j.Source)}
	if len(j.Label) == 0 || string(j.Label) == "null" {
		return Label{}, fmt.Errorf(`%s: no "label"`, l.Resource)
	}
	var err error
	switch j.Label[0] {
	case '"':
		var s string
		if err := json.Unmarshal(j.Label, &s); err != nil {
			return Label{}, fmt.Errorf("%s: label: %w", l.Resource, err)
		}
		l.Compromised, err = parseLabel(s)
	default: // a number or a boolean, written as in CSV
		l.Compromised, err = parseLabel(string(j.Label))
	}
	if err != nil {
		return Label{}, fmt.Errorf("%s: %w", l.Resource, err)
	}
	if j.Time == nil {
		return Label{}, fmt.Errorf(`%s: no "time"`, l.Resource)
	}
	if l.Time, err = parseTime(*j.Time); err != nil {
		return Label{}, fmt.Errorf("%s: %w", l.Resource, err)
	}
	return l, nil
}

// parseLabel reads 1/true/compromised or 0/false/benign, in any case.
func parseLabel(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "compromised":
		return true, nil
	case "0", "false", "benign":
		return false, nil
	}
	return false, fmt.Errorf("label %s: want 1, true or compromised, or 0, false or benign", strconv.Quote(s))
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %s: want RFC 3339 (2026-03-02T10:00:00Z) or a date (2026-03-02)", strconv.Quote(s))
}

// sourceName is the Dataset.Source of labels read from files.
func sourceName(ls []Label) string {
	var names []string
	seen := map[string]bool{}
	for _, l := range ls {
		b := filepath.Base(l.File)
		if l.File == "" {
			b = "-"
		}
		if !seen[b] {
			seen[b] = true
			names = append(names, b)
		}
	}
	return "labels:" + strings.Join(names, "+")
}
