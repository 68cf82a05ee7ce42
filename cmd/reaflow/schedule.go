package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reaflow/reaflow/interpreter"
)

type scheduleCommand struct{ m *Main }

func (*scheduleCommand) Name() string { return "schedule" }
func (*scheduleCommand) Summary() string {
	return "run deployed workflows on cron and interval schedules"
}

const scheduleUsage = `Usage:
  reaflow schedule <subcommand> [flags] [arguments]

Subcommands:
  create NAME --workflow DEF[@VERSION] (--cron EXPR [--timezone TZ] | --every DURATION) [flags]
  update NAME [the flags of create to change]
  list [--json]              every schedule: spec, next fires, last run, paused
  describe NAME [--json]     one schedule with its recent fires and their runs
  pause NAME [--note TEXT]   stop firing until resumed
  resume NAME                fire again from the next fire time
  trigger NAME               fire now, under the overlap policy
  backfill NAME --from TIME --to TIME
                             start the runs of the fires the range would have had
  delete NAME                delete the schedule; runs in flight go on

Run 'reaflow schedule <subcommand> --help' for its flags.
`

func (c *scheduleCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(c.m.Stderr, scheduleUsage)
		if len(args) == 0 {
			return usagef("name a subcommand")
		}
		return flag.ErrHelp
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "create", "update":
		return c.put(ctx, sub, rest)
	case "list":
		return c.list(ctx, rest)
	case "describe":
		return c.describe(ctx, rest)
	case "pause", "resume", "trigger", "delete":
		return c.change(ctx, sub, rest)
	case "backfill":
		return c.backfill(ctx, rest)
	}
	return usagef("unknown subcommand %q; run 'reaflow schedule --help'", sub)
}

// oneName parses the flags and returns the one schedule name.
func oneName(fs *flag.FlagSet, args []string) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", usagef("name exactly one schedule")
	}
	return fs.Arg(0), interpreter.CheckScheduleName(fs.Arg(0))
}

func (c *scheduleCommand) put(ctx context.Context, sub string, args []string) error {
	synopsis := "schedule create NAME --workflow DEF[@VERSION] (--cron EXPR [--timezone TZ] | --every DURATION) [--input JSON|@FILE] [--overlap skip|buffer-one|allow-all|cancel-previous] [--catchup-window DURATION] [--jitter DURATION] [--start TIME] [--end TIME] [--paused]"
	example := `
reaflow schedule create nightly-report --workflow report@1.0.0 --cron "30 2 * * *" --timezone Europe/Berlin --input '{"region": "eu"}'
reaflow schedule create heartbeat --workflow ping --every 10s --overlap skip --catchup-window 5m`
	if sub == "update" {
		synopsis = "schedule update NAME [--workflow DEF[@VERSION]] [--cron EXPR [--timezone TZ] | --every DURATION] [--input JSON|@FILE] [--overlap POLICY] [--catchup-window DURATION] [--jitter DURATION] [--start TIME] [--end TIME]"
		example = `
reaflow schedule update heartbeat --every 30s
reaflow schedule update nightly-report --workflow report@1.1.0`
	}
	fs := c.m.newFlagSet("schedule "+sub, synopsis, example)
	target := c.m.addRestateFlags(fs)
	c.m.addDeployTokenFlag(fs, target)
	workflow := fs.String("workflow", "", "the deployed definition to run: NAME for the latest version at each fire, NAME@VERSION to pin one")
	cronExpr := fs.String("cron", "", `cron expression: five fields (minute hour day-of-month month day-of-week), six with seconds first, or @hourly, @daily, @weekly, @monthly`)
	timezone := fs.String("timezone", "", "IANA time zone of --cron, e.g. America/New_York (default UTC)")
	every := fs.String("every", "", "fire at every multiple of this interval since the Unix epoch, at least 1s: 10s fires at :00, :10, ...")
	inputArg := fs.String("input", "", "every run's input: JSON text, or @FILE, or @- for stdin")
	overlap := fs.String("overlap", "", "while earlier runs are in flight: skip (default), buffer-one, allow-all or cancel-previous")
	catchup := fs.String("catchup-window", "", "how late a fire missed during downtime may still run (default 1m); older ones are skipped and counted")
	jitter := fs.String("jitter", "", "delay each fire by a fixed pseudo-random part of this, to spread load; run ids keep the nominal time")
	start := fs.String("start", "", "first possible fire time, RFC 3339 (2026-03-01T09:00:00Z) or a date (2026-03-01, UTC)")
	end := fs.String("end", "", "last possible fire time, like --start")
	paused := fs.Bool("paused", false, "create the schedule paused")
	asJSON := fs.Bool("json", false, "print the schedule as JSON")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	rc, err := target.client()
	if err != nil {
		return err
	}
	var spec interpreter.ScheduleSpec
	if sub == "update" {
		info, err := rc.DescribeSchedule(ctx, name)
		if err != nil {
			return err
		}
		spec = info.Spec
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if sub == "update" && set["paused"] {
		return usagef("--paused is for create; pause and resume change a schedule's state")
	}
	// A cron spec and an interval replace each other.
	if set["cron"] {
		spec.Every = ""
	}
	if set["every"] {
		spec.Cron, spec.Timezone = "", ""
	}
	for _, f := range []struct {
		flag         string
		value, field *string
	}{
		{"workflow", workflow, &spec.Workflow}, {"cron", cronExpr, &spec.Cron}, {"timezone", timezone, &spec.Timezone},
		{"every", every, &spec.Every}, {"catchup-window", catchup, &spec.CatchupWindow}, {"jitter", jitter, &spec.Jitter},
	} {
		if set[f.flag] {
			*f.field = *f.value
		}
	}
	if set["overlap"] {
		spec.Overlap = interpreter.Overlap(*overlap)
	}
	if set["input"] {
		if spec.Input, err = readInput(c.m.Stdin, *inputArg); err != nil {
			return err
		}
	}
	if spec.Start, err = parseScheduleTime("--start", *start, spec.Start); err != nil {
		return err
	}
	if spec.End, err = parseScheduleTime("--end", *end, spec.End); err != nil {
		return err
	}
	spec.Paused = spec.Paused || *paused
	if sub == "create" && spec.Workflow == "" {
		return usagef("--workflow names the deployed definition to run")
	}
	put := rc.CreateSchedule
	if sub == "update" {
		put = rc.UpdateSchedule
	}
	info, err := put(ctx, name, spec)
	if err != nil {
		return err
	}
	if *asJSON {
		return printValue(c.m.Stdout, info)
	}
	fmt.Fprintf(c.m.Stdout, "%sd schedule %s: %s runs %s\n", sub, name, info.Spec.Describe(), info.Spec.Workflow)
	printNextFires(c.m.Stdout, *info)
	return nil
}

// parseScheduleTime reads RFC 3339 or a date (midnight UTC); an empty
// value keeps def.
func parseScheduleTime(what, value string, def time.Time) (time.Time, error) {
	if value == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, value); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q: give a time as RFC 3339 (2026-03-01T09:00:00Z, 2026-03-01T10:00:00+01:00) or a date (2026-03-01)", what, value)
}

func printNextFires(w io.Writer, info interpreter.ScheduleInfo) {
	switch {
	case info.Spec.Paused:
		fmt.Fprintf(w, "paused%s\n", noteSuffix(info.Spec.Note))
	case len(info.NextFires) == 0:
		fmt.Fprintln(w, "ended: no fire time left before its end")
	default:
		fmt.Fprintf(w, "next fires: %s\n", joinTimes(info.NextFires))
	}
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

func joinTimes(times []time.Time) string {
	s := make([]string, len(times))
	for i, t := range times {
		s[i] = t.UTC().Format(time.RFC3339)
	}
	return strings.Join(s, ", ")
}

func printValue(w io.Writer, v any) error {
	encoded, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return printJSON(w, encoded)
}

func (c *scheduleCommand) list(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("schedule list", "schedule list [--json]", `
reaflow schedule list
reaflow schedule list --json`)
	target := c.m.addRestateFlags(fs)
	asJSON := fs.Bool("json", false, "print the schedules as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("list takes no arguments")
	}
	rc, err := target.client()
	if err != nil {
		return err
	}
	names, err := rc.Schedules(ctx)
	if err != nil {
		return fmt.Errorf("list schedules: %w (start one with 'reaflow dev')", err)
	}
	all := []interpreter.ScheduleInfo{}
	for _, name := range names {
		info, err := rc.DescribeSchedule(ctx, name)
		if err != nil {
			return err
		}
		all = append(all, *info)
	}
	if *asJSON {
		return printValue(c.m.Stdout, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(c.m.Stdout, "no schedules (reaflow schedule create makes one)")
		return nil
	}
	w := tabwriter.NewWriter(c.m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tWORKFLOW\tSPEC\tNEXT\tLAST RUN\tSTATE\tPAUSED")
	for _, info := range all {
		next := "-"
		if len(info.NextFires) > 0 {
			next = joinTimes(info.NextFires[:min(2, len(info.NextFires))])
		}
		last, state := "-", "-"
		if f := info.LastRun(); f != nil {
			last, state = f.RunID, f.State
		}
		paused := "no"
		if info.Spec.Paused {
			paused = "yes" + noteSuffix(info.Spec.Note)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", info.Name, info.Spec.Workflow, info.Spec.Describe(), next, last, state, paused)
	}
	return w.Flush()
}

func (c *scheduleCommand) describe(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("schedule describe", "schedule describe NAME [--json]", `
reaflow schedule describe nightly-report`)
	target := c.m.addRestateFlags(fs)
	asJSON := fs.Bool("json", false, "print the schedule as JSON")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	rc, err := target.client()
	if err != nil {
		return err
	}
	info, err := rc.DescribeSchedule(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printValue(c.m.Stdout, info)
	}
	out := c.m.Stdout
	fmt.Fprintf(out, "schedule %s: %s runs %s\n", info.Name, info.Spec.Describe(), info.Spec.Workflow)
	overlap := info.Spec.Overlap
	if overlap == "" {
		overlap = interpreter.OverlapSkip
	}
	fmt.Fprintf(out, "overlap: %s; catch-up window: %s\n", overlap, orDefault(info.Spec.CatchupWindow, interpreter.DefaultCatchupWindow.String()))
	printNextFires(out, *info)
	fmt.Fprintf(out, "started %d, skipped %d, missed %d, not started %d; %d in flight\n",
		info.Counts.Started, info.Counts.Skipped, info.Counts.Missed, info.Counts.NotStarted, len(info.Running))
	if len(info.Recent) == 0 {
		return nil
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\nNOMINAL\tREASON\tRUN\tSTATE\tDETAIL")
	for _, f := range info.Recent {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.Nominal.UTC().Format(time.RFC3339), f.Reason, orDefault(f.RunID, "-"), f.State, f.Error)
	}
	return w.Flush()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (c *scheduleCommand) change(ctx context.Context, sub string, args []string) error {
	examples := map[string]string{
		"pause":   `reaflow schedule pause nightly-report --note "warehouse migration"`,
		"resume":  `reaflow schedule resume nightly-report`,
		"trigger": `reaflow schedule trigger nightly-report`,
		"delete":  `reaflow schedule delete nightly-report`,
	}
	synopsis := "schedule " + sub + " NAME"
	if sub == "pause" {
		synopsis += " [--note TEXT]"
	}
	fs := c.m.newFlagSet("schedule "+sub, synopsis, examples[sub])
	target := c.m.addRestateFlags(fs)
	c.m.addDeployTokenFlag(fs, target)
	var note *string
	if sub == "pause" {
		note = fs.String("note", "", "why the schedule is paused, shown by list and describe")
	}
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	rc, err := target.client()
	if err != nil {
		return err
	}
	switch sub {
	case "pause":
		if _, err := rc.PauseSchedule(ctx, name, *note); err != nil {
			return err
		}
		fmt.Fprintf(c.m.Stdout, "paused schedule %s\n", name)
	case "resume":
		info, err := rc.ResumeSchedule(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.m.Stdout, "resumed schedule %s\n", name)
		printNextFires(c.m.Stdout, *info)
	case "trigger":
		f, err := rc.TriggerSchedule(ctx, name)
		if err != nil {
			return err
		}
		printFire(c.m.Stdout, *f)
	case "delete":
		if err := rc.DeleteSchedule(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(c.m.Stdout, "deleted schedule %s\n", name)
	}
	return nil
}

func printFire(w io.Writer, f interpreter.Fire) {
	switch f.State {
	case interpreter.FireRunning:
		fmt.Fprintf(w, "started %s\n", f.RunID)
	case interpreter.FireNotStarted:
		fmt.Fprintf(w, "not started %s: %s\n", f.RunID, f.Error)
	default:
		fmt.Fprintf(w, "%s %s (overlap policy)\n", f.State, f.RunID)
	}
}

func (c *scheduleCommand) backfill(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("schedule backfill", "schedule backfill NAME --from TIME --to TIME [--json]", `
reaflow schedule backfill nightly-report --from 2026-03-01 --to 2026-03-07T23:59:59Z`)
	target := c.m.addRestateFlags(fs)
	c.m.addDeployTokenFlag(fs, target)
	from := fs.String("from", "", "start of the range, RFC 3339 or a date (UTC), included")
	to := fs.String("to", "", "end of the range, included")
	asJSON := fs.Bool("json", false, "print the fires as JSON")
	name, err := oneName(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usagef("give the range with --from and --to")
	}
	var req interpreter.BackfillRequest
	if req.From, err = parseScheduleTime("--from", *from, time.Time{}); err != nil {
		return err
	}
	if req.To, err = parseScheduleTime("--to", *to, time.Time{}); err != nil {
		return err
	}
	rc, err := target.client()
	if err != nil {
		return err
	}
	fires, err := rc.BackfillSchedule(ctx, name, req.From, req.To)
	if err != nil {
		return err
	}
	if *asJSON {
		return printValue(c.m.Stdout, fires)
	}
	for _, f := range fires {
		printFire(c.m.Stdout, f)
	}
	fmt.Fprintf(c.m.Stdout, "%d fires in the range; each run id runs once, however often it is backfilled\n", len(fires))
	return nil
}
