package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/scenario"
	"github.com/reaflow/reaflow/internal/testkit/restateserver/restatetest"
)

// -update-test-golden rewrites testdata/test/*.golden from what `reaflow
// test` prints now.
var updateTestGolden = flag.Bool("update-test-golden", false, "rewrite testdata/test/*.golden")

// runTest runs `reaflow test ARGS` in process. Every scenario starts a
// restate-server of its own, so the shared stack is not involved; in the
// always-replay mode of `make test` the scenarios' servers use it too.
func runTest(t *testing.T, args ...string) result {
	t.Helper()
	full := []string{"test"}
	if os.Getenv(restatetest.AlwaysReplayEnv) != "" {
		full = append(full, "--always-replay")
	}
	var stdout, stderr bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	code := m.Run(ctx, append(full, args...))
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestExampleScenarios runs the scenario files shipped next to the example
// workflows, and checks that every example has one.
func TestExampleScenarios(t *testing.T) {
	definitions, err := filepath.Glob("../../workflows/*.json")
	require.NoError(t, err)
	var files []string
	for _, def := range definitions {
		if strings.HasSuffix(def, ".test.json") {
			continue
		}
		test := strings.TrimSuffix(def, ".json") + ".test.json"
		if assert.FileExists(t, test, "every example workflow has a scenario file") {
			files = append(files, test)
		}
	}
	require.NotEmpty(t, files)

	r := runTest(t, files...)
	require.Equal(t, exitOK, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	for _, line := range lines[:len(lines)-1] {
		assert.True(t, strings.HasPrefix(line, "ok "), line)
	}
	assert.Regexp(t, `^ok: \d+ scenarios passed$`, lines[len(lines)-1])
	for _, file := range files {
		assert.Contains(t, r.stdout, file, "every file has scenarios that ran")
	}
}

// TestTestCommandOutput pins what `reaflow test` prints for passing,
// failing and invalid scenario files, against golden files in
// testdata/test (durations masked).
func TestTestCommandOutput(t *testing.T) {
	dir := filepath.Join("testdata", "test")
	tests := []struct {
		name   string
		args   []string
		code   int
		golden string // of stdout, or of stderr when the files are invalid
		stderr bool
	}{
		{name: "passing", args: []string{"contract.test.json"}, code: exitOK, golden: "contract.golden"},
		{name: "failing", args: []string{"failing.test.json"}, code: exitFailed, golden: "failing.golden"},
		{name: "json", args: []string{"--json", "--run", "wrong|refusal", "failing.test.json"}, code: exitFailed, golden: "failing.json.golden"},
		{name: "run picks scenarios", args: []string{"--run", "^the customer", "contract.test.json"}, code: exitOK, golden: "run.golden"},
		{name: "invalid files", args: []string{"invalid.test.json", "malformed.test.json", "syntax.test.json"}, code: exitFailed, golden: "invalid.golden", stderr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				if strings.HasSuffix(a, ".test.json") {
					a = filepath.Join(dir, a)
				}
				args[i] = a
			}
			r := runTest(t, args...)
			assert.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			got := r.stdout
			if tt.stderr {
				got = r.stderr
			}
			compareGolden(t, filepath.Join(dir, tt.golden), maskDurations(got))
		})
	}
}

var (
	textDuration = regexp.MustCompile(`\((\d+(\.\d+)?(h|m|s|ms|µs|ns))+\)$`)
	jsonDuration = regexp.MustCompile(`"durationMs": \d+`)
)

func maskDurations(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = textDuration.ReplaceAllString(line, "(…)")
	}
	return jsonDuration.ReplaceAllString(strings.Join(lines, "\n"), `"durationMs": 0`)
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateTestGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run the test with -update-test-golden to write %s", path)
	assert.Equal(t, string(want), got)
}

// TestTestCommandJSONIsTheActualRun checks that --json carries what the run
// did, in a form a script can take apart.
func TestTestCommandJSONIsTheActualRun(t *testing.T) {
	r := runTest(t, "--json", "--run", "refuses", filepath.Join("testdata", "test", "contract.test.json"))
	require.Equal(t, exitOK, r.code, r.stderr)
	var report struct {
		Passed, Failed int
		Scenarios      []struct {
			Scenario string
			OK       bool
			Actual   scenario.Actual
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report))
	require.Len(t, report.Scenarios, 1)
	s := report.Scenarios[0]
	assert.True(t, s.OK)
	assert.Equal(t, 1, report.Passed)
	assert.Equal(t, "failed", s.Actual.Status)
	assert.Equal(t, "callback_rejected", s.Actual.Error.Code)
	assert.Equal(t, []string{"prepare", "sign"}, s.Actual.Steps)
	assert.Len(t, s.Actual.Keys["prepare"], 68)
}

func TestTestCommandUsage(t *testing.T) {
	contract := filepath.Join("testdata", "test", "contract.test.json")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "no files", args: nil, code: exitUsage, stderr: "name at least one scenario file"},
		{name: "bad regexp", args: []string{"--run", "(", contract}, code: exitUsage, stderr: "--run: error parsing regexp"},
		{name: "no parallelism", args: []string{"--parallel", "0", contract}, code: exitUsage, stderr: "--parallel must be at least 1"},
		{name: "nothing matches", args: []string{"--run", "no such scenario", contract}, code: exitFailed, stderr: `no scenario matches --run "no such scenario"`},
		{name: "missing file", args: []string{"nope.test.json"}, code: exitFailed, stderr: "nope.test.json: no such file"},
		{name: "help has an example", args: []string{"--help"}, code: exitOK, stderr: "reaflow test workflows/*.test.json"},
		{name: "schema", args: []string{"--schema"}, code: exitOK, stdout: `"title": "reaflow test scenarios"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTest(t, tt.args...)
			assert.Equal(t, tt.code, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			assert.Contains(t, r.stdout, tt.stdout)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}
}
