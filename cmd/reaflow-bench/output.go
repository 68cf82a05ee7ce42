package main

import (
	"encoding/json"
	"io"
	"os"
	"runtime/debug"

	"github.com/reaflow/reaflow/internal/testkit/bench"
)

// writeReports prints the report and writes it to the Markdown and JSON
// files named, if any.
func writeReports(r *bench.Report, markdown, jsonFile string) error {
	if err := r.WriteText(os.Stdout); err != nil {
		return err
	}
	if markdown != "" {
		if err := writeFile(markdown, r.WriteMarkdown); err != nil {
			return err
		}
	}
	if jsonFile != "" {
		return writeFile(jsonFile, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(r)
		})
	}
	return nil
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// revision is the commit this program was built from, as the go command
// records it (`go build -buildvcs=auto`), so a report says which code it
// measured.
func revision() string {
	rev, dirty := "unknown", ""
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return rev
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 7:
			rev = s.Value[:7]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	return rev + dirty
}
