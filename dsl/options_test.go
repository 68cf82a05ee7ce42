package dsl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/reaflow/reaflow/dsl"
)

func TestActivityOptions(t *testing.T) {
	def := []byte(`{"name": "a", "steps": [{"id": "s", "activity": "shipp"}]}`)
	tests := []struct {
		name string
		opts []dsl.Option
		want string // "" means Load succeeds
	}{
		{"no option accepts any name", nil, ""},
		{"a predicate", []dsl.Option{dsl.WithActivities(func(n string) bool { return n == "ship" })},
			`a.json:1:49: /steps/0/activity: unknown activity "shipp"`},
		{"names are listed sorted", []dsl.Option{dsl.WithActivityNames("ship", "email", "ship")},
			`a.json:1:49: /steps/0/activity: unknown activity "shipp"; registered: email, ship`},
		{"the predicate decides, the names are listed", []dsl.Option{dsl.WithActivities(func(n string) bool { return n == "shipp" }), dsl.WithActivityNames("ship")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dsl.Load("a.json", def, tt.opts...)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Fatalf("got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	_, err := dsl.Load("s.json", []byte("{\n\t\"name\": \"s\",\n\t\"steps\": [{\"id\": \"a\", \"activity\": \"http\", \"when\": \"inptu.x\"}]\n}"))
	list := err.(dsl.ErrorList)
	want := "   3 | \t\"steps\": [{\"id\": \"a\", \"activity\": \"http\", \"when\": \"inptu.x\"}]\n" +
		"     | \t                                                   ^"
	if got := list[0].Snippet(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSnippetOfALongLine(t *testing.T) {
	var with strings.Builder
	for i := range 60 {
		fmt.Fprintf(&with, `"k%02d": 1, `, i)
	}
	with.WriteString(`"x": "${ inptu }"`)
	def := `{"name": "s", "steps": [{"id": "a", "activity": "http", "with": {` + with.String() + strings.Repeat(" ", 200) + `}}]}`
	_, err := dsl.Load("s.json", []byte(def))
	got := err.(dsl.ErrorList)[0].Snippet()
	lines := strings.Split(got, "\n")
	text, caret := []rune(lines[0]), []rune(lines[1])
	if len(text) > 130 || text[7] != '…' || text[len(text)-1] != '…' {
		t.Errorf("line not cut to a window:\n%s", got)
	}
	if i := len(caret) - 1; caret[i] != '^' || string(text[i:i+5]) != "inptu" {
		t.Errorf("caret not under the error:\n%s", got)
	}
}
