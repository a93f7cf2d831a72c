package labels_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/posture-dev/posture/internal/labels"
)

func TestReadFileFormats(t *testing.T) {
	web := "arn:aws:ec2:eu-west-1:111122223333:instance/i-0web"
	db := "arn:aws:ec2:eu-west-1:111122223333:instance/i-0db"
	want := []labels.Label{
		{Resource: web, Compromised: true, Time: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), Source: "INC-1042"},
		{Resource: "arn:aws:s3:::acme-logs", Time: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)},
		{Resource: db, Time: time.Date(2026, 3, 6, 8, 30, 0, 0, time.UTC)},
	}
	for _, tc := range []struct {
		file   string
		format labels.Format
		lines  []int
		source string // the second label's source
	}{
		{"incidents.csv", labels.CSV, []int{2, 3, 4}, "pentest-2026-q1"},
		{"incidents.jsonl", labels.JSONLines, []int{1, 3, 4}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			got, format, err := labels.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format {
				t.Errorf("format %q, want %q", format, tc.format)
			}
			w := append([]labels.Label(nil), want...)
			w[1].Source = tc.source
			for i := range w {
				w[i].File, w[i].Line = path, tc.lines[i]
			}
			if diff := cmp.Diff(got, w); diff != "" {
				t.Errorf("labels (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReadLabelSpellings(t *testing.T) {
	for _, tc := range []struct {
		csv, json   string // the label as written in each format
		compromised bool
	}{
		{"1", `1`, true},
		{"true", `true`, true},
		{"TRUE", `"True"`, true},
		{"compromised", `"compromised"`, true},
		{"Compromised", `"COMPROMISED"`, true},
		{" compromised ", `" compromised"`, true},
		{"0", `0`, false},
		{"false", `false`, false},
		{"False", `"false"`, false},
		{"benign", `"benign"`, false},
		{"BENIGN", `"Benign"`, false},
		{"\"0\"", `"0"`, false},
	} {
		for _, in := range []struct{ format, text string }{
			{"csv", "resource,label,time\nr-1," + tc.csv + ",2026-01-02\n"},
			{"jsonl", `{"resource":"r-1","label":` + tc.json + `,"time":"2026-01-02"}` + "\n"},
		} {
			t.Run(in.format+"/"+in.text, func(t *testing.T) {
				got, _, err := labels.Read(strings.NewReader(in.text), "l")
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Compromised != tc.compromised {
					t.Errorf("got %+v, want one label compromised=%v", got, tc.compromised)
				}
			})
		}
	}
}

func TestReadTimes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-03-02", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-03-02T10:00:00Z", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)},
		{"2026-03-02T10:00:00.25Z", time.Date(2026, 3, 2, 10, 0, 0, 250e6, time.UTC)},
		{"2026-03-02T00:30:00+02:00", time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC)},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, _, err := labels.Read(strings.NewReader("resource,time,label\nr-1,"+tc.in+",1\n"), "l")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got[0].Time, tc.want); diff != "" {
				t.Errorf("time (-got +want):\n%s", diff)
			}
		})
	}
}

func TestReadCSVColumns(t *testing.T) {
	got, _, err := labels.Read(strings.NewReader("Source, Time ,LABEL,resource\nINC-7,2026-01-02,benign,r-9\n"), "l.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []labels.Label{{Resource: "r-9", Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Source: "INC-7", File: "l.csv", Line: 2}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("labels (-got +want):\n%s", diff)
	}
}

func TestReadMalformed(t *testing.T) {
	const header = "resource,label,time,source\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "f: the file is empty"},
		{"blank", " \n\n", "f: the file is empty"},
		{"header only", header, "f: no labels, only a header"},
		{"unknown column", "resource,label,time,severity\n", `f:1: unknown column "severity"`},
		{"missing column", "resource,label\nr,1\n", `f:1: no "time" column`},
		{"column twice", "resource,label,time,Label\n", `f:1: column "label" appears twice`},
		{"bad label", header + "r-1,1,2026-01-02,\nr-2,maybe,2026-01-02,\n", `f:3: r-2: label "maybe": want 1, true or compromised, or 0, false or benign`},
		{"empty label", header + "r-1,,2026-01-02,\n", `f:2: r-1: label ""`},
		{"bad time", header + "r-1,1,2026-01-02,\n\nr-2,1,02/03/2026,\n", `f:4: r-2: time "02/03/2026": want RFC 3339`},
		{"time without zone", header + "r-1,1,2026-01-02T10:00:00,\n", `f:2: r-1: time "2026-01-02T10:00:00"`},
		{"empty resource", header + "r-1,1,2026-01-02,\n ,0,2026-01-02,\n", "f:3: empty resource id"},
		{"too few fields", header + "r-1,1,2026-01-02,\nr-2,1\n", "f:3: wrong number of fields"},
		{"too many fields", header + "r-1,1,2026-01-02,a,b\n", "f:2: wrong number of fields"},
		{"bare quote", header + "r-1,1,2026-01-02,\"INC\"7\n", "f:2: extraneous or missing \" in quoted-field"},
		{"not utf-8", header + "r-\xff,1,2026-01-02,\n", "f:2: not UTF-8 text"},
		{"json unknown field", `{"resource":"r-1","label":1,"time":"2026-01-02","severity":"high"}`, `f:1: not a label object: json: unknown field "severity"`},
		{"json no resource", `{"label":1,"time":"2026-01-02"}`, `f:1: no "resource"`},
		{"json no label", `{"resource":"r-1","time":"2026-01-02"}`, `f:1: r-1: no "label"`},
		{"json null label", `{"resource":"r-1","label":null,"time":"2026-01-02"}`, `f:1: r-1: no "label"`},
		{"json no time", `{"resource":"r-1","label":1}`, `f:1: r-1: no "time"`},
		{"json number label", `{"resource":"r-1","label":2,"time":"2026-01-02"}`, `f:1: r-1: label "2"`},
		{"json time a number", `{"resource":"r-1","label":1,"time":20260102}`, "f:1: not a label object"},
		{"json broken line", "{\"resource\":\"r-1\",\"label\":1,\"time\":\"2026-01-02\"}\n\n{\"resource\":\"r-2\",\n", "f:3: not a label object"},
		{"json two objects", `{"resource":"r-1","label":1,"time":"2026-01-02"} {"resource":"r-2"}`, "f:1: more than one JSON value"},
		{"json array line", "{\"resource\":\"r-1\",\"label\":1,\"time\":\"2026-01-02\"}\n[1]\n", "f:2: not a label object"},
		{"json bad time", "{\"resource\":\"r-1\",\"label\":true,\"time\":\"yesterday\"}\n", `f:1: r-1: time "yesterday"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := labels.Read(strings.NewReader(tc.in), "f")
			if err == nil {
				t.Fatalf("got %+v, want error %q", got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start %q", err, tc.want)
			}
		})
	}
}

func TestReadFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(labels.MaxFileSize + 1); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	f.Close()
	_, _, err = labels.ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("error %v, want a refusal naming %s and the limit", err, path)
	}
}

func TestReadLongJSONLine(t *testing.T) {
	in := `{"resource":"r-1","label":1,"time":"2026-01-02","source":"` + strings.Repeat("x", 2<<20) + `"}`
	_, _, err := labels.Read(strings.NewReader(in), "f")
	if err == nil || !strings.HasPrefix(err.Error(), "f:1: line longer than") {
		t.Errorf("error %v, want f:1: line longer than …", err)
	}
}
