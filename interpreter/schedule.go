package interpreter

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	// Time zones come from the IANA database embedded in the binary, so a
	// machine without zoneinfo files runs cron schedules in any zone.
	_ "time/tzdata"
)

// ScheduleService is the virtual object of schedules, keyed by schedule
// name. Each object holds one schedule's spec and its fires, and re-arms
// itself with a delayed message to its Tick handler for the next fire.
const ScheduleService = "ReaflowSchedule"

// scheduleWatchService waits for a fired run to end and tells its schedule.
const scheduleWatchService = "ReaflowScheduleWatch"

// Overlap says what a fire does while runs of earlier fires of the same
// schedule are still in flight.
type Overlap string

const (
	// OverlapSkip (the default) skips the fire and counts it as skipped.
	OverlapSkip Overlap = "skip"
	// OverlapBufferOne keeps one such fire and starts it when the runs in
	// flight have ended; further fires meanwhile are skipped.
	OverlapBufferOne Overlap = "buffer-one"
	// OverlapAllowAll starts the run regardless.
	OverlapAllowAll Overlap = "allow-all"
	// OverlapCancelPrevious cancels the runs in flight and starts the run.
	OverlapCancelPrevious Overlap = "cancel-previous"
)

// Limits and defaults of schedules.
const (
	// MinScheduleInterval is the shortest --every a schedule accepts.
	MinScheduleInterval = time.Second
	// DefaultCatchupWindow is how late a fire may still run, after
	// downtime, when the spec names no catch-up window.
	DefaultCatchupWindow = time.Minute
	// MaxBackfillFires bounds the fires one backfill request starts.
	MaxBackfillFires = 1000
	// maxFiresPerTick bounds the fires one Tick starts, so that catching
	// up after a long downtime journals in bounded invocations: the rest
	// follow in the next Tick, sent without delay.
	maxFiresPerTick = 100
	// maxMissedScan bounds how many missed fire times a Tick walks to
	// count them; past it the count is a lower bound.
	maxMissedScan = 100_000
	// recentFires is how many fires a schedule remembers for describe.
	recentFires = 20
)

// ScheduleSpec is what a schedule does: the input of the Create and Update
// handlers. Durations are Go duration strings ("10s", "1h30m").
type ScheduleSpec struct {
	// Workflow is a deployed definition, NAME for the latest version at
	// each fire or NAME@VERSION (a label or content hash) to pin one.
	Workflow string `json:"workflow"`
	// Cron is a cron expression (five fields, or six with seconds first,
	// or a descriptor such as @hourly), read in Timezone. Exactly one of
	// Cron and Every is set.
	Cron string `json:"cron,omitempty"`
	// Timezone is an IANA zone name ("Europe/Berlin") for Cron; UTC when
	// empty.
	Timezone string `json:"timezone,omitempty"`
	// Every fires at the multiples of the interval since the Unix epoch
	// (every 10s fires at :00, :10, ...), at least MinScheduleInterval.
	Every string `json:"every,omitempty"`
	// Input is the input of every run, checked against the definition's
	// input schema.
	Input json.RawMessage `json:"input,omitempty"`
	// Overlap is the overlap policy, OverlapSkip when empty.
	Overlap Overlap `json:"overlap,omitempty"`
	// CatchupWindow is how late a fire missed during downtime may still
	// run; older ones are skipped and counted. DefaultCatchupWindow when
	// empty, at least 1s.
	CatchupWindow string `json:"catchupWindow,omitempty"`
	// Jitter delays each fire by a fixed pseudo-random part of it, derived
	// from the schedule and the fire time, to spread the load of many
	// schedules firing at once. Run ids keep the nominal time.
	Jitter string `json:"jitter,omitempty"`
	// Start and End bound the fire times; zero for no bound.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Paused schedules do not fire until resumed.
	Paused bool `json:"paused,omitempty"`
	// Note says why the schedule is paused.
	Note string `json:"note,omitempty"`
}

// Describe says when the spec fires, as list shows it.
func (s ScheduleSpec) Describe() string {
	if s.Every != "" {
		return "every " + s.Every
	}
	if s.Timezone != "" && s.Timezone != "UTC" {
		return s.Cron + " (" + s.Timezone + ")"
	}
	return s.Cron
}

// compiledSpec is a checked ScheduleSpec.
type compiledSpec struct {
	// times is asked for the fire time after a given one, and nothing
	// else: a cron spec, or an every-interval.
	times      cron.Schedule
	definition string
	version    string
	overlap    Overlap
	catchup    time.Duration
	jitter     time.Duration
	start, end time.Time
}

// scheduleName is what a schedule may be called: it is the key of its
// object and the first part of its runs' ids, which a colon ends.
var scheduleName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{0,99}$`)

// cronParser reads five-field cron expressions, an optional seconds field
// first, and descriptors (@daily).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// CheckScheduleName refuses names that cannot key a schedule.
func CheckScheduleName(name string) error {
	if !scheduleName.MatchString(name) {
		return fmt.Errorf("schedule name %q: use a letter, then letters, digits and - _ . (at most 100 characters)", name)
	}
	return nil
}

// compileSpec checks a spec, every problem at once, without looking up the
// workflow (the Create handler does that).
func compileSpec(s ScheduleSpec) (compiledSpec, error) {
	var errs []error
	c := compiledSpec{overlap: s.Overlap, start: s.Start, end: s.End}
	m := deployedName.FindStringSubmatch(s.Workflow)
	if m == nil {
		errs = append(errs, fmt.Errorf("workflow %q: name a deployed definition as NAME or NAME@VERSION", s.Workflow))
	} else {
		c.definition, c.version = m[1], m[2]
	}
	switch {
	case s.Cron != "" && s.Every != "":
		errs = append(errs, errors.New("give either a cron expression or an interval (every), not both"))
	case s.Cron != "":
		times, err := parseCron(s.Cron, s.Timezone)
		if err != nil {
			errs = append(errs, err)
		}
		c.times = times
	case s.Every != "":
		if s.Timezone != "" {
			errs = append(errs, errors.New("a time zone applies to cron expressions only; an interval (every) fires at the same instants in every zone"))
		}
		d, err := time.ParseDuration(s.Every)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("every %q: %v", s.Every, err))
		case d < MinScheduleInterval:
			errs = append(errs, fmt.Errorf("every %s: the interval must be at least %s", s.Every, MinScheduleInterval))
		default:
			c.times = every(d)
		}
	default:
		errs = append(errs, errors.New("give a cron expression or an interval (every)"))
	}
	switch s.Overlap {
	case "":
		c.overlap = OverlapSkip
	case OverlapSkip, OverlapBufferOne, OverlapAllowAll, OverlapCancelPrevious:
	default:
		errs = append(errs, fmt.Errorf("overlap %q: use skip, buffer-one, allow-all or cancel-previous", s.Overlap))
	}
	c.catchup = DefaultCatchupWindow
	if s.CatchupWindow != "" {
		d, err := time.ParseDuration(s.CatchupWindow)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("catch-up window %q: %v", s.CatchupWindow, err))
		case d < time.Second:
			errs = append(errs, fmt.Errorf("catch-up window %s: use at least 1s (a fire is always a little late)", s.CatchupWindow))
		}
		c.catchup = d
	}
	if s.Jitter != "" {
		d, err := time.ParseDuration(s.Jitter)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("jitter %q: %v", s.Jitter, err))
		case d < 0:
			errs = append(errs, fmt.Errorf("jitter %s: must not be negative", s.Jitter))
		}
		c.jitter = d
	}
	if !s.Start.IsZero() && !s.End.IsZero() && !s.End.After(s.Start) {
		errs = append(errs, fmt.Errorf("end %s is not after start %s", s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339)))
	}
	return c, errors.Join(errs...)
}

// deployedName matches NAME or NAME@VERSION.
var deployedName = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9_.-]*?)(?:@([^@/\\]+))?$`)

// parseCron reads a cron expression in the IANA zone tz (UTC when empty).
func parseCron(expr, tz string) (cron.Schedule, error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("cron %q: give the time zone as timezone (--timezone), not in the expression", expr)
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, fmt.Errorf("cron %q: give intervals as every (--every %s)", expr, strings.TrimSpace(strings.TrimPrefix(expr, "@every")))
	}
	loc := time.UTC
	if tz != "" {
		var err error
		if loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("time zone %q is not in the IANA time zone database (names look like Europe/Berlin or America/New_York)", tz)
		}
	}
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %v", expr, err)
	}
	if spec, ok := sched.(*cron.SpecSchedule); ok {
		spec.Location = loc
	}
	return sched, nil
}

// every fires at the multiples of an interval since the Unix epoch, so
// that its fire times follow from the spec alone, whatever the time a
// schedule was created or its Tick arrived.
type every time.Duration

func (e every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	since := t.Sub(time.Unix(0, 0))
	return time.Unix(0, 0).Add((since/d + 1) * d).In(time.UTC)
}

// next returns the first fire time after t within the spec's bounds, and
// false when there is none.
func (c compiledSpec) next(t time.Time) (time.Time, bool) {
	if !c.start.IsZero() && t.Before(c.start) {
		t = c.start.Add(-time.Nanosecond)
	}
	n := c.times.Next(t)
	if n.IsZero() || (!c.end.IsZero() && n.After(c.end)) {
		return time.Time{}, false
	}
	return n, true
}

// delayOf is the jitter of the fire at nominal: a fixed fraction of the
// jitter, the same in every replay and on every node.
func (c compiledSpec) delayOf(name string, nominal time.Time) time.Duration {
	if c.jitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", name, nominal.UnixNano())
	return time.Duration(h.Sum64() % uint64(c.jitter))
}

// ScheduleRunID is the workflow id of the run that the fire of schedule
// name at nominal starts: the same for every delivery, retry or backfill
// of that fire, so Restate runs it once.
func ScheduleRunID(name string, nominal time.Time) string {
	return name + ":" + formatNominal(nominal)
}

// triggerRunID is the workflow id of a run started by hand at t.
func triggerRunID(name string, t time.Time) string {
	return name + ":trigger:" + t.UTC().Format("20060102T150405.000Z")
}

func formatNominal(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("20060102T150405Z")
	}
	return t.Format("20060102T150405.000000000Z")
}
