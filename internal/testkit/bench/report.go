package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Report is a whole benchmark run.
type Report struct {
	Machine Machine `json:"machine"`
	// Revision is the commit of the code measured, "+dirty" when the
	// working tree had changes.
	Revision string `json:"revision"`
	Command  string `json:"command"`
	Rows     []Row  `json:"rows"`
	// EndpointPeakRSS is the endpoint's VmHWM at the end, in bytes.
	EndpointPeakRSS int64         `json:"endpointPeakRSS"`
	Wall            time.Duration `json:"wallNs"`
}

// Problems lists what the numbers say is wrong regardless of speed: a
// plain run must journal exactly what the hand-written one does.
func (r *Report) Problems() []string {
	var problems []string
	base := map[Point]Journal{}
	for _, row := range r.Rows {
		switch row.Variant {
		case Baseline:
			base[row.Point] = row.Journal
		case Plain:
			if b, ok := base[row.Point]; ok && row.Journal != b {
				problems = append(problems, fmt.Sprintf("%s: a plain interpreted run has %s journal entries, the hand-written one %s", row.Point, row.Journal, b))
			}
		}
	}
	return problems
}

var columns = []struct {
	head  string
	left  bool
	value func(Row) string
}{
	{"K", false, func(r Row) string { return fmt.Sprint(r.Steps) }},
	{"C", false, func(r Row) string { return fmt.Sprint(r.Concurrency) }},
	{"variant", true, func(r Row) string { return string(r.Variant) }},
	{"wf/s", false, func(r Row) string { return fmt.Sprintf("%.1f", r.WorkflowsPerSec) }},
	{"steps/s", false, func(r Row) string { return fmt.Sprintf("%.0f", r.StepsPerSec) }},
	{"p50 ms", false, func(r Row) string { return millis(r.P50) }},
	{"p99 ms", false, func(r Row) string { return millis(r.P99) }},
	{"×wf/s", false, func(r Row) string { return ratio(r.ThroughputRatio) }},
	{"×p50", false, func(r Row) string { return ratio(r.P50Ratio) }},
	{"spread", false, func(r Row) string { return fmt.Sprintf("%.0f%%", 100*r.Spread) }},
	{"journal", false, func(r Row) string { return r.Journal.String() }},
	{"ep µs/step", false, func(r Row) string { return micros(r.EndpointCPUPerStep) }},
	{"srv µs/step", false, func(r Row) string { return micros(r.ServerCPUPerStep) }},
	{"gen µs/step", false, func(r Row) string { return micros(r.LoadCPUPerStep) }},
	{"ep RSS MiB", false, func(r Row) string { return fmt.Sprintf("%.1f", float64(r.EndpointRSS)/(1<<20)) }},
}

func millis(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
func micros(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond)) }

func ratio(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", x)
}

// WriteText writes the report as an aligned plain-text table.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "machine:  %s\nrevision: %s\ncommand:  %s\n\n", r.Machine, r.Revision, r.Command)
	cells := r.cells()
	widths := make([]int, len(columns))
	for _, line := range cells {
		for i, cell := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	for _, line := range cells {
		for i, cell := range line {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				b.WriteString("  ")
			}
			if columns[i].left {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(pad + cell)
			}
		}
		b.WriteString("\n")
	}
	r.writeFooter(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// cells returns the table: a line of headings, then a line per row.
func (r *Report) cells() [][]string {
	heads := make([]string, len(columns))
	for i, c := range columns {
		heads[i] = c.head
	}
	lines := [][]string{heads}
	for _, row := range r.Rows {
		line := make([]string, len(columns))
		for i, c := range columns {
			line[i] = c.value(row)
		}
		lines = append(lines, line)
	}
	return lines
}

// WriteMarkdown writes the report as a Markdown table with the same
// columns, for BENCHMARKS.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s\n\nRevision: %s\n\nCommand: `%s`\n\n", r.Machine, r.Revision, r.Command)
	cells := r.cells()
	rule := make([]string, len(columns))
	for i, c := range columns {
		rule[i] = "---:"
		if c.left {
			rule[i] = "---"
		}
	}
	cells = slices.Insert(cells, 1, rule)
	for _, line := range cells {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(line, " | "))
	}
	r.writeFooter(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeFooter(b *strings.Builder) {
	fmt.Fprintf(b, "\nendpoint peak RSS (VmHWM) %.1f MiB; wall time %s\n", float64(r.EndpointPeakRSS)/(1<<20), r.Wall.Round(time.Second))
	for _, p := range r.Problems() {
		fmt.Fprintf(b, "\n!!! JOURNAL MISMATCH: %s\n", p)
	}
}
