package report

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/posture-dev/posture/internal/inventory"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplateText string
	//go:embed assets/report.css
	htmlCSS string

	htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))
)

// htmlMaxGaps is how many gaps the partial-scan banner lists.
const htmlMaxGaps = 50

type htmlWriter struct {
	w   io.Writer
	top int
}

func (hw *htmlWriter) Write(ctx context.Context, r Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r, err := prepared(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(hw.w)
	if err := htmlTemplate.Execute(bw, newHTMLPage(r, hw.top)); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlPage is everything the template shows, computed here so the template
// only lays it out. Every string is escaped by html/template on the way out.
type htmlPage struct {
	CSS        template.CSS // our own stylesheet, embedded; never user data
	Tool       string
	Generated  string
	SnapshotID string
	Status     string
	Partial    bool
	Started    string
	Finished   string
	Resources  int
	Clouds     string
	Scopes     int
	Model      string
	Feeds      string

	Gaps     []htmlGap
	MoreGaps int

	Summary summary
	Hist    histChart
	Pillars pillarChart

	Rows   []htmlRow
	Scored int

	// Unscored are resources the model does not score that have
	// signals, up to top; UnscoredTotal counts them all.
	Unscored      []htmlRow
	UnscoredTotal int
}

type htmlGap struct {
	Where, Reason, Message string
}

type htmlRow struct {
	Rank       int
	Risk       string // "0.93"
	RiskPct    int    // 0..100, the bar's width
	Band       string // itemBand: "high", "medium", "low" or "unknown"
	Unknown    bool   // some fact could not be read (hasUnknown): risk shows "?"
	Name       string
	ID         string
	Kind       string
	NativeType string
	Cloud      string
	Account    string
	Region     string
	Reasons    []htmlReason
	Signals    []htmlSignal
	Evidence   int // signals with evidence
}

type htmlReason struct {
	Text         string
	Contribution string // "+1.20" log-odds
}

type htmlSignal struct {
	ID       string
	Title    string
	Pillar   string
	Severity string
	Class    string // one of a fixed set of CSS classes
	Unknown  bool
	// Suppressed says which mutelist rule suppressed the signal and why;
	// "" when none did.
	Suppressed string
	Evidence   []keyValue
}

type keyValue struct{ Key, Value string }

func newHTMLPage(r Report, top int) htmlPage {
	s := r.Snapshot
	p := htmlPage{
		CSS:        template.CSS(htmlCSS),
		Tool:       strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version),
		Generated:  timeText(r.Generated),
		SnapshotID: s.ID,
		Status:     string(s.Status),
		Partial:    s.Status == inventory.StatusPartial || len(s.Gaps) > 0,
		Started:    timeText(s.Started),
		Finished:   timeText(s.Finished),
		Resources:  s.Resources,
		Scopes:     len(s.Scopes),
		Model:      modelLine(r.Model),
		Feeds:      feedsLine(r),
		Summary:    summarize(r.Items, r.Unscored),
		Hist:       newHistChart(r.Items),
		Scored:     len(r.Items),
	}
	var clouds []string
	for _, c := range s.Clouds {
		clouds = append(clouds, string(c))
	}
	p.Clouds = strings.Join(clouds, ", ")
	p.Pillars = newPillarChart(p.Summary.Pillars)
	for i, g := range s.Gaps {
		if i == htmlMaxGaps {
			p.MoreGaps = len(s.Gaps) - htmlMaxGaps
			break
		}
		p.Gaps = append(p.Gaps, htmlGap{Where: gapWhere(g), Reason: string(g.Reason), Message: g.Message})
	}
	for i, it := range limit(r.Items, top) {
		p.Rows = append(p.Rows, newHTMLRow(i+1, it))
	}
	p.UnscoredTotal = len(r.Unscored)
	for i, it := range limit(r.Unscored, top) {
		p.Unscored = append(p.Unscored, newHTMLRow(i+1, it))
	}
	return p
}

func gapWhere(g inventory.Gap) string {
	parts := []string{string(g.Cloud)}
	for _, x := range []string{g.Account, g.Region, g.Service, g.Operation, g.Resource} {
		if x != "" {
			parts = append(parts, x)
		}
	}
	return strings.Join(parts, " / ")
}

func newHTMLRow(rank int, it Item) htmlRow {
	row := htmlRow{
		Rank:       rank,
		Risk:       fmt.Sprintf("%.2f", it.Risk),
		RiskPct:    int(math.Round(it.Risk * 100)),
		Band:       itemBand(it),
		Unknown:    hasUnknown(it),
		Name:       displayName(it),
		ID:         it.ID,
		Kind:       string(it.Kind),
		NativeType: it.NativeType,
		Cloud:      string(it.Cloud),
		Account:    it.Account,
		Region:     it.Region,
	}
	if row.Region == "" {
		row.Region = "global"
	}
	for _, rs := range it.Reasons {
		row.Reasons = append(row.Reasons, htmlReason{Text: rs.Text, Contribution: fmt.Sprintf("%+.2f", rs.Contribution)})
	}
	for _, sig := range it.Signals {
		hs := htmlSignal{
			ID:       string(sig.ID),
			Title:    sig.Title,
			Pillar:   pillarTitle(sig.Pillar),
			Severity: string(sig.Severity),
			Class:    severityClass(sig.Severity),
			Unknown:  sig.Unknown,
		}
		if sig.Suppressed != nil {
			hs.Suppressed = suppressionText(sig.Suppressed)
		}
		keys := make([]string, 0, len(sig.Evidence))
		for k := range sig.Evidence {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			hs.Evidence = append(hs.Evidence, keyValue{Key: k, Value: sig.Evidence[k]})
		}
		if len(hs.Evidence) > 0 || hs.Unknown || hs.Suppressed != "" {
			row.Evidence++
		}
		row.Signals = append(row.Signals, hs)
	}
	return row
}

// severityClass maps a severity to a CSS class from a fixed set, so no
// signal data ever becomes a class name.
func severityClass(s inventory.Severity) string {
	switch s {
	case inventory.SevCritical:
		return "sev-critical"
	case inventory.SevHigh:
		return "sev-high"
	case inventory.SevMedium:
		return "sev-medium"
	default:
		return "sev-low"
	}
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 560
	chartHeight = 240
	histLeft    = 40
	histRight   = 12
	histTop     = 20
	histBottom  = 40
	histBins    = 10
)

type histChart struct {
	Width, Height int
	Bars          []histBar
	XTicks        []tick
	YTicks        []tick
	BaseY         float64
	Left, Right   float64
	Label         string // accessible description
}

// histBar is one bin. Its resources in the unknown band are stacked on top
// of the others, hatched: they share the bin's risk but are not low or medium.
type histBar struct {
	X, Y, W, H float64 // the part in Band
	Count      int     // every resource in the bin
	Unknown    int     // of which in the unknown band
	UY, UH     float64 // the unknown part, above the other
	Range      string  // "0.7–0.8"
	Band       string
	TextY      float64
	TextX      float64
}

type tick struct {
	X, Y  float64
	Label string
}

// riskBin puts a risk into one of ten bins, consistent with its band even
// where floating point would put 0.7 just below the line.
func riskBin(risk float64) int {
	b := min(max(int(risk*histBins), 0), histBins-1)
	switch band(risk) {
	case "high":
		b = max(b, 7)
	case "medium":
		b = min(max(b, 3), 6)
	default:
		b = min(b, 2)
	}
	return b
}

func newHistChart(items []Item) histChart {
	var counts, unknown [histBins]int
	for _, it := range items {
		b := riskBin(it.Risk)
		counts[b]++
		if itemBand(it) == "unknown" {
			unknown[b]++
		}
	}
	peak := slices.Max(counts[:])
	yMax := niceCeil(peak)
	plotW := float64(chartWidth - histLeft - histRight)
	plotH := float64(chartHeight - histTop - histBottom)
	base := float64(chartHeight - histBottom)
	c := histChart{
		Width: chartWidth, Height: chartHeight, BaseY: base,
		Left: histLeft, Right: chartWidth - histRight,
	}
	binW := plotW / histBins
	var desc []string
	for i, n := range counts {
		h, uh := 0.0, 0.0
		if yMax > 0 {
			h = plotH * float64(n) / float64(yMax)
			uh = plotH * float64(unknown[i]) / float64(yMax)
		}
		x := histLeft + float64(i)*binW
		lo, hi := float64(i)/histBins, float64(i+1)/histBins
		b := histBar{
			X: round1(x + 3), Y: round1(base - h + uh), W: round1(binW - 6), H: round1(h - uh),
			Count: n, Unknown: unknown[i], UY: round1(base - h), UH: round1(uh),
			Range: fmt.Sprintf("%.1f–%.1f", lo, hi), Band: band(lo + 0.05),
			TextX: round1(x + binW/2), TextY: round1(base - h - 6),
		}
		c.Bars = append(c.Bars, b)
		d := fmt.Sprintf("%s: %d", b.Range, n)
		if b.Unknown > 0 {
			d += fmt.Sprintf(" (%d not fully checked)", b.Unknown)
		}
		desc = append(desc, d)
	}
	for i := 0; i <= histBins; i++ {
		c.XTicks = append(c.XTicks, tick{X: round1(histLeft + float64(i)*binW), Y: base + 18, Label: fmt.Sprintf("%.1f", float64(i)/histBins)})
	}
	step := max(yMax/4, 1)
	for v := 0; v <= yMax; v += step {
		y := base - plotH*float64(v)/float64(max(yMax, 1))
		c.YTicks = append(c.YTicks, tick{X: histLeft - 8, Y: round1(y), Label: fmt.Sprint(v)})
	}
	c.Label = "Resources per risk range: " + strings.Join(desc, ", ")
	return c
}

// niceCeil returns the top of a y axis for a peak of n: four whole ticks,
// each a step of 1–5 or 1, 2 or 5 times a power of ten.
func niceCeil(n int) int {
	step := max((n+3)/4, 1)
	if step > 5 {
		for scale := 10; ; scale *= 10 {
			if v := niceStepAbove(step, scale); v > 0 {
				step = v
				break
			}
		}
	}
	return 4 * step
}

// niceStepAbove returns the least of 1, 2, 5 and 10 times scale/10 that is
// at least step, or 0 when step is above scale.
func niceStepAbove(step, scale int) int {
	for _, m := range []int{1, 2, 5, 10} {
		if v := m * scale / 10; v >= step {
			return v
		}
	}
	return 0
}

type pillarChart struct {
	Width, Height        int
	LabelW, BarMax, BarH int // bar geometry shared by every row
	Rows                 []pillarBar
	Label                string
}

type pillarBar struct {
	Title            string
	Found, Unknown   int
	Y, TextY         float64
	FoundW, UnknownX float64
	UnknownW         float64
	CountX           float64
	Key              string // fixed css class per pillar
}

const (
	pillarLabelW = 96
	pillarBarMax = 380
	pillarRowH   = 44
	pillarTop    = 16
	pillarBarH   = 24
)

func newPillarChart(counts []pillarCount) pillarChart {
	peak := 1
	for _, c := range counts {
		peak = max(peak, c.Found+c.Unknown)
	}
	pc := pillarChart{
		Width: chartWidth, Height: pillarTop*2 + pillarRowH*len(counts),
		LabelW: pillarLabelW, BarMax: pillarBarMax, BarH: pillarBarH,
	}
	var desc []string
	for i, c := range counts {
		y := float64(pillarTop + i*pillarRowH)
		fw := pillarBarMax * float64(c.Found) / float64(peak)
		uw := pillarBarMax * float64(c.Unknown) / float64(peak)
		pc.Rows = append(pc.Rows, pillarBar{
			Title: c.Title, Found: c.Found, Unknown: c.Unknown,
			Y: y, TextY: y + pillarBarH/2 + 5,
			FoundW: round1(fw), UnknownX: round1(pillarLabelW + fw), UnknownW: round1(uw),
			CountX: round1(pillarLabelW + fw + uw + 8),
			Key:    "p-" + string(c.Pillar),
		})
		d := fmt.Sprintf("%s: %d found", c.Title, c.Found)
		if c.Unknown > 0 {
			d += fmt.Sprintf(", %d could not be checked", c.Unknown)
		}
		desc = append(desc, d)
	}
	pc.Label = "Signals per pillar: " + strings.Join(desc, "; ")
	return pc
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// feedsLine lists the exploitation feeds with their age, "" when the
// snapshot needed none.
func feedsLine(r Report) string {
	var parts []string
	for _, f := range r.Feeds {
		parts = append(parts, f.Text(r.Generated))
	}
	return strings.Join(parts, " · ")
}
