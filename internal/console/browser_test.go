package console_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/client"
	"github.com/reaflow/reaflow/internal/console"
)

// updateScreenshots, when set, makes TestBrowser save the screenshots
// the README shows (docs/console-runs.png, docs/console-run.png).
const updateScreenshots = "REAFLOW_UPDATE_SCREENSHOTS"

// chromium finds Debian's chromium (`make test` installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	// A page nobody looked at is not tested: fail rather than skip.
	t.Fatal("this test drives a real browser and found no chromium on PATH: `make test` installs it (apt-get install chromium)")
	return ""
}

// newChrome starts a headless Chromium that fails the test on any
// JavaScript error or console error the pages cause, and accepts the
// confirmation dialogs of the console's actions.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{},
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 960),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	var (
		mu       sync.Mutex
		problems []string
		dialogs  []string
	)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			what := d.Text
			if d.Exception != nil {
				what += " " + d.Exception.Description
			}
			problems = append(problems, fmt.Sprintf("exception: %s at %s:%d", what, d.URL, d.LineNumber))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				problems = append(problems, "console."+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *page.EventJavascriptDialogOpening:
			dialogs = append(dialogs, ev.Message)
			// Not from here: a listener must not run commands.
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}))
	_, err := chromedp.Call(ctx, log.Enable, cdp.Empty{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, runtime.Enable, cdp.Empty{})
	require.NoError(t, err)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) > 0 {
			t.Errorf("the pages had errors:\n%s", strings.Join(problems, "\n"))
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// computed returns a step box's classes and computed background colour.
func computed(ctx context.Context, id string) (classes, background string, err error) {
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
		const el = document.getElementById("step-%s");
		return el ? [el.className, getComputedStyle(el).backgroundColor] : ["", ""];
	})()`, id)))
	if err == nil && len(out) == 2 {
		classes, background = out[0], out[1]
	}
	return classes, background, err
}

// waitBox waits until the step's box has the state's class and colour.
func waitBox(t *testing.T, ctx context.Context, id, state, color string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		classes, bg, err := computed(ctx, id)
		require.NoError(t, err)
		if strings.Contains(" "+classes+" ", " state-"+state+" ") && bg == color {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s: classes %q, background %s; want state-%s, %s", id, classes, bg, state, color)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The state colours of the stylesheet, as getComputedStyle reports them.
const (
	colorWaiting = "rgb(255, 249, 196)"
	colorPending = "rgb(255, 255, 255)"
	colorDone    = "rgb(200, 230, 201)"
	colorFailed  = "rgb(255, 205, 210)"
)

// A person opens the runs page, finds the order waiting for approval,
// opens it, sees its graph coloured by state, approves it through the
// signal form and watches it finish; then redrives a failed order from
// its page; then pauses a schedule from the schedules page.
func TestBrowser(t *testing.T) {
	ctx := newChrome(t)
	h, err := console.New(cl)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	prefix := uniqueID(t)
	waiting, failed := prefix+"-big-order", prefix+"-declined"
	submit(t, "order-approval.json", failed, approvalInput("cus_declined_3", 40))
	waitState(t, failed, client.Failed)
	submit(t, "order-approval.json", waiting, approvalInput("cus_grace", 2400))
	waitState(t, waiting, client.Waiting)

	row := fmt.Sprintf(`tr[data-run=%q]`, waiting)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/runs?id="+prefix),
		chromedp.WaitVisible(row),
		// The live refresh has run once the status line says so.
		chromedp.WaitVisible(`#live-status:not(:empty)`),
	))
	state, err := chromedp.Run(ctx, chromedp.Text(row+" td:nth-child(3)"))
	require.NoError(t, err)
	require.Equal(t, "waiting", strings.TrimSpace(state))
	screenshot(t, ctx, "console-runs.png")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(row+" td:first-child a"),
		chromedp.WaitVisible(`#step-approval`),
	))
	waitBox(t, ctx, "approval", "waiting", colorWaiting)
	waitBox(t, ctx, "review", "waiting", colorWaiting)
	waitBox(t, ctx, "charge", "pending", colorPending)

	// Selecting a step shows its details without reloading the page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(`#step-approval a.step-head`),
		chromedp.WaitVisible(`#step h2 code`),
		chromedp.WaitVisible(`#step-approval.selected`),
	))
	screenshot(t, ctx, "console-run.png")

	// The approval, through the form made from the await's schema.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(`form.signal select[name="field.approved"]`, "true"),
		chromedp.SendKeys(`form.signal input[name="field.by"]`, "grace's manager"),
		chromedp.Click(`form.signal button[type=submit]`),
		chromedp.WaitVisible(`p.notice`),
	))
	notice, err := chromedp.Run(ctx, chromedp.Text(`p.notice`))
	require.NoError(t, err)
	require.Contains(t, notice, `delivered signal "approve"`)
	// The page follows the run to its end by itself.
	waitBox(t, ctx, "charge", "done", colorDone)
	waitBox(t, ctx, "receipt", "done", colorDone)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(`#summary[data-state="done"]`), chromedp.WaitVisible(`#run-output`)))

	// The failed order, redriven from its page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/runs/"+failed),
		chromedp.WaitVisible(`form.redrive`),
	))
	waitBox(t, ctx, "charge", "failed", colorFailed)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(`form.redrive button[type=submit]`),
		chromedp.WaitVisible(`p.notice`),
	))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Contains(t, location, "/runs/"+failed+"-redrive-1")
	lineage, err := chromedp.Run(ctx, chromedp.Nodes(fmt.Sprintf(`#summary a[href="/runs/%s"]`, failed)))
	require.NoError(t, err)
	require.Len(t, lineage, 1, "the new run's page links the run it redrives")

	// A schedule, paused from the list.
	schedule := newSchedule(t)
	scheduleRow := fmt.Sprintf(`tr[data-schedule=%q]`, schedule)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/schedules"),
		chromedp.WaitVisible(scheduleRow),
		chromedp.SendKeys(scheduleRow+` form.pause input[name="note"]`, "quiet hours"),
		chromedp.Click(scheduleRow+` form.pause button[type=submit]`),
		chromedp.WaitVisible(`p.notice`),
		chromedp.WaitVisible(`#schedule[data-state="paused"]`),
	))
	notice, err = chromedp.Run(ctx, chromedp.Text(`p.notice`))
	require.NoError(t, err)
	require.Contains(t, notice, "paused schedule "+schedule)
	paused, err := chromedp.Run(ctx, chromedp.Text(`#schedule-state`))
	require.NoError(t, err)
	require.Equal(t, "paused", strings.TrimSpace(paused))
}

// screenshot saves the page to docs/ when REAFLOW_UPDATE_SCREENSHOTS is
// set, and takes it anyway, so that the step works in every run.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	if os.Getenv(updateScreenshots) == "" {
		return
	}
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644))
}
