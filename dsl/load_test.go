package dsl_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// activities are the names the golden definitions may use.
var activities = dsl.WithActivityNames("charge", "refund", "ship", "cancelShipment", "email", "http")

// TestValid loads every testdata/valid definition and compares a summary of
// the compiled program (hash included: runs are pinned by it, so a change
// of the canonical form must be deliberate) with its .program golden file.
func TestValid(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.json")
	if len(files) == 0 {
		t.Fatal("no testdata/valid files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := dsl.Load(filepath.Base(path), data, activities)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			golden(t, strings.TrimSuffix(path, ".json")+".program", summary(prog))
		})
	}
}

// TestInvalid loads every testdata/invalid definition and compares the
// errors, one per line, with its .errors golden file.
func TestInvalid(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.json")
	if len(files) == 0 {
		t.Fatal("no testdata/invalid files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = dsl.Load(filepath.Base(path), data, activities)
			if err == nil {
				t.Fatal("Load succeeded, want errors")
			}
			var list dsl.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want dsl.ErrorList", err)
			}
			for _, e := range list {
				if e.Line == 0 || e.Column == 0 {
					t.Errorf("error without a position: %v", e)
				}
			}
			golden(t, strings.TrimSuffix(path, ".json")+".errors", list.Error()+"\n")
		})
	}
}

func TestOversized(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"name": "big", "steps": [`)
	for i := 0; b.Len() < dsl.DefaultMaxSize; i++ {
		fmt.Fprintf(&b, `{"id": "s%d", "activity": "http"},`, i)
	}
	b.WriteString(`{"id": "last", "activity": "http"}]}`)
	_, err := dsl.Load("big.json", []byte(b.String()))
	want := fmt.Sprintf("big.json: definition is %d bytes, more than the limit of %d bytes", b.Len(), dsl.DefaultMaxSize)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	// The same file passes with a larger limit.
	if _, err := dsl.Load("big.json", []byte(b.String()), dsl.WithMaxSize(2*dsl.DefaultMaxSize)); err != nil {
		t.Fatal(err)
	}
}

func TestTooManyExpressions(t *testing.T) {
	def := `{"name": "x", "steps": [{"id": "a", "activity": "http", "with": "` + strings.Repeat("${1}", 10001) + `"}]}`
	_, err := dsl.Load("x.json", []byte(def))
	if want := "x.json:1:65: /steps/0/with: more than 10000 expressions in one definition"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test -update if the change is intended)\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// summary describes a compiled program in a stable text form.
func summary(p *dsl.Program) string {
	var b strings.Builder
	fmt.Fprintf(&b, "name %s\nversion %s\nhash %s\n", p.Name, p.Version, p.Hash)
	if p.Timeout > 0 {
		fmt.Fprintf(&b, "timeout %s\n", p.Timeout)
	}
	if len(p.Signals) > 0 {
		fmt.Fprintf(&b, "signals %s\n", strings.Join(p.Signals, ","))
	}
	writeSteps(&b, p.Steps, "")
	if p.Output != nil {
		fmt.Fprintf(&b, "output %s\n", jsonOf(p.Output))
	}
	return b.String()
}

func writeSteps(b *strings.Builder, steps []dsl.Step, indent string) {
	for _, s := range steps {
		info := s.Info()
		fmt.Fprintf(b, "%sstep %s %s", indent, info.ID, info.Pointer)
		if info.When != nil {
			fmt.Fprintf(b, " when(%s)", info.When.Source)
		}
		if info.Timeout > 0 {
			fmt.Fprintf(b, " timeout %s", info.Timeout)
		}
		var blocks []func()
		nested := func(label string, steps []dsl.Step) {
			blocks = append(blocks, func() {
				fmt.Fprintf(b, "%s  %s\n", indent, label)
				writeSteps(b, steps, indent+"    ")
			})
		}
		switch s := s.(type) {
		case *dsl.ActivityStep:
			fmt.Fprintf(b, " activity %s", s.Activity)
			if s.With != nil {
				fmt.Fprintf(b, " with %s", jsonOf(s.With))
			}
			if s.Retry != nil {
				fmt.Fprintf(b, " retry %+v", *s.Retry)
			}
			if s.Dedup != nil {
				fmt.Fprintf(b, " dedup(%s)", s.Dedup.Source)
			}
			if s.Callback {
				b.WriteString(" callback")
			}
			if c := s.Compensate; c != nil {
				fmt.Fprintf(b, " compensate %s", c.Activity)
				if c.With != nil {
					fmt.Fprintf(b, " with %s", jsonOf(c.With))
				}
			}
		case *dsl.SetStep:
			b.WriteString(" set")
			for _, a := range s.Vars {
				fmt.Fprintf(b, " %s=%s", a.Name, jsonOf(a.Value))
			}
		case *dsl.SwitchStep:
			b.WriteString(" switch")
			for _, c := range s.Cases {
				nested(fmt.Sprintf("case(%s)", c.When.Source), c.Steps)
			}
			if s.Default != nil {
				nested("default", s.Default)
			}
		case *dsl.ParallelStep:
			fmt.Fprintf(b, " parallel failFast=%t", s.FailFast)
			for _, br := range s.Branches {
				nested("branch "+br.Name, br.Steps)
			}
		case *dsl.ForeachStep:
			fmt.Fprintf(b, " foreach(%s) concurrency=%d", s.Items.Source, s.Concurrency)
			nested("do", s.Steps)
		case *dsl.SleepStep:
			if s.Until != nil {
				fmt.Fprintf(b, " sleep until(%s)", s.Until.Source)
			} else {
				fmt.Fprintf(b, " sleep %s", s.Duration)
			}
		case *dsl.AwaitStep:
			fmt.Fprintf(b, " await %s", s.Signal)
			if s.OnTimeout != nil {
				fmt.Fprintf(b, " onTimeout %s", jsonOf(s.OnTimeout))
			}
		case *dsl.FailStep:
			fmt.Fprintf(b, " fail %s", s.Error)
			if s.Message != nil {
				fmt.Fprintf(b, " %s", jsonOf(s.Message))
			}
		case *dsl.ReturnStep:
			fmt.Fprintf(b, " return %s", jsonOf(s.Output))
		case *dsl.WorkflowStep:
			fmt.Fprintf(b, " workflow %s wait=%t definition %s", s.File, s.Wait, s.Definition)
			if s.Input != nil {
				fmt.Fprintf(b, " input %s", jsonOf(s.Input))
			}
		}
		for _, c := range info.Catch {
			nested(fmt.Sprintf("catch %s", strings.Join(c.Errors, ",")), c.Steps)
		}
		b.WriteByte('\n')
		for _, block := range blocks {
			block()
		}
	}
}

func jsonOf(t *dsl.Template) string {
	data, err := t.MarshalJSON()
	if err != nil {
		return err.Error()
	}
	return string(data)
}
