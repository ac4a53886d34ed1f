package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
)

// The browser tests drive the web lab in real headless Chromium, as a user
// would, against `energylab serve` on loopback.

// browser finds Chromium. Without one the browser tests skip, unless
// ENERGYLAB_REQUIRE_BROWSER is set (.ci/run sets it), when they fail.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ENERGYLAB_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found (apt-get install chromium); ENERGYLAB_REQUIRE_BROWSER is set, so the browser tests may not skip")
	}
	t.Skip("no Chromium found: install Debian's chromium to run the browser tests")
	return ""
}

// artefacts is where screenshots go: $ENERGYLAB_ARTIFACTS/browser, or
// artifacts/browser at the repository root.
func artefacts(t *testing.T) string {
	dir := os.Getenv("ENERGYLAB_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serve starts `energylab serve` on a free loopback port and returns its URL.
func serve(t *testing.T, home string) string {
	t.Helper()
	cmd := exec.Command(binary, "serve", "-listen", "127.0.0.1:0", "-baseline", "100ms", "-poll-interval", "20ms")
	cmd.Env = append(cleanEnv(), "HOME="+home)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not stop cleanly on an interrupt: %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("serve did not stop within 15 s of an interrupt")
		}
	})
	found := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if u := re.FindString(lines.Text()); u != "" {
				found <- strings.TrimSuffix(u, "/")
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		t.Fatalf("serve printed no address\n%s", stderr.String())
	}
	return ""
}

func newBrowser(t *testing.T) context.Context {
	path := browser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 1800))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return bctx
}

type step = chromedp.Action[chromedp.Void]

// wait polls a JavaScript condition until it is true.
func wait(js string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(60*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", js, err)
		}
		return chromedp.Void{}, nil
	}
}

// click clicks an element with the mouse, as a user does.
func click(sel string) step { return chromedp.Click(chromedp.CSS(sel)) }

// set puts a value into a field and fires its input and change events.
func set(sel, value string) step {
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value)
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](js)(ctx, tg)
		return chromedp.Void{}, err
	}
}

func eval(js string, dst *string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := chromedp.Evaluate[string](js)(ctx, tg)
		*dst = v
		return chromedp.Void{}, err
	}
}

func text(sel string, dst *string) step {
	return eval(fmt.Sprintf(`document.querySelector(%q).textContent`, sel), dst)
}

func shot(t *testing.T, dir, name string) step {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		p := filepath.Join(dir, name+".png")
		t.Logf("screenshot %s", p)
		return chromedp.Void{}, os.WriteFile(p, buf, 0o644)
	}
}

// do runs one user step, showing the page's text when it fails.
func do(t *testing.T, ctx context.Context, what string, steps ...step) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage text:\n%.3000s", what, err, page)
	}
}

func TestBrowserEnergyLab(t *testing.T) {
	ctx := newBrowser(t)
	url := serve(t, t.TempDir())
	dir := artefacts(t)

	do(t, ctx, "load /energy with the synthetic model",
		chromedp.Navigate(url+"/energy"),
		wait(`document.body.dataset.ready === "true"`),
		wait(`document.querySelector("#model").value === "builtin/synthetic-tiny"`),
		wait(`!!document.querySelector("#synthetic-badge")`),
	)
	do(t, ctx, "add an injection",
		set("#inj-desc", "tool schemas"),
		set("#inj-content", `{"name": "search", "description": "search the web", "parameters": {"query": "string"}}`),
		click("#add-injection"),
		wait(`document.querySelectorAll("#injections .inj").length === 1`),
		set("#max-tokens", "24"),
	)
	do(t, ctx, "run: tokens stream, then the results and the breakdown chart",
		click("#run"),
		wait(`document.querySelector("#output").textContent.length > 0`),
		wait(`!document.querySelector("#results").hidden`),
		wait(`document.querySelectorAll("#breakdown-chart svg rect.bar").length >= 5`),
		wait(`document.querySelectorAll("#energy-chart svg rect.bar").length >= 1`),
		wait(`document.querySelectorAll("#compare tbody tr").length >= 2`),
		wait(`document.querySelectorAll("#history tbody tr").length === 1`),
		shot(t, dir, "energy-run"),
	)
	var injections, status, logText string
	do(t, ctx, "read the breakdown",
		eval(`Array.from(document.querySelectorAll("#breakdown tr")).find(r => r.cells[0].textContent === "injections").cells[1].textContent`, &injections),
		text("#run-status", &status),
		text("#log", &logText),
	)
	if injections == "" || injections == "0" {
		t.Errorf("the injection's tokens are %q in the breakdown", injections)
	}
	if !strings.Contains(status, "stored as run") {
		t.Errorf("status after the run: %q", status)
	}
	for _, want := range []string{"idle", "snapshot: first token"} {
		if !strings.Contains(logText, want) {
			t.Errorf("the live log lacks %q:\n%s", want, logText)
		}
	}

	do(t, ctx, "stop a second run mid-stream and see the UI recover",
		set("#max-tokens", "1800"),
		click("#ignore-eos"),
		click("#run"),
		wait(`document.querySelector("#output").textContent.length > 20 && document.querySelector("#stop").disabled === false`),
		click("#stop"),
		wait(`document.querySelector("#run-status").textContent.startsWith("cancelled")`),
		wait(`document.querySelector("#run").disabled === false && document.querySelector("#stop").disabled === true`),
		wait(`document.querySelectorAll("#history tbody tr").length === 2`),
		shot(t, dir, "energy-stopped"),
	)
	do(t, ctx, "run again after the stop",
		set("#max-tokens", "8"),
		click("#run"),
		wait(`document.querySelector("#run-status").textContent.startsWith("done")`),
		wait(`document.querySelectorAll("#history tbody tr").length === 3`),
	)
	do(t, ctx, "re-open a stored run from the history",
		click("#history tbody tr:last-child .open-run"),
		wait(`document.querySelector("#run-status").textContent.startsWith("showing stored run")`),
	)
	var first string
	do(t, ctx, "sort the history by status",
		click(`#history th[data-key="status"]`),
		text("#history tbody tr:first-child td:nth-child(3)", &first),
	)
	if first != "ok" {
		t.Errorf("first row after sorting by status (descending): %q", first)
	}
}

// TestBrowserExperiments runs a batch from the Energy Lab's experiment
// panel, then starts an overhead study and stops it.
func TestBrowserExperiments(t *testing.T) {
	ctx := newBrowser(t)
	url := serve(t, t.TempDir())
	dir := artefacts(t)
	do(t, ctx, "load /energy",
		chromedp.Navigate(url+"/energy"),
		wait(`document.body.dataset.ready === "true"`),
		wait(`document.querySelector("#model").value === "builtin/synthetic-tiny"`),
		set("#max-tokens", "8"),
		set("#exp-runs", "3"),
		set("#exp-warmup", "0"),
		// A loaded CI machine may disturb an idle sample; keep such runs so
		// that the count below is the batch's.
		click("#exp-flagged"),
	)
	do(t, ctx, "run a 3-run batch: progress, then the statistics",
		click("#exp-batch"),
		wait(`document.querySelector("#exp-stop").disabled === false || document.querySelector("#exp-status").textContent.startsWith("done")`),
		wait(`document.querySelector("#exp-status").textContent.startsWith("done")`),
		wait(`!document.querySelector("#exp-results").hidden && !document.querySelector("#exp-batch-results").hidden`),
		wait(`document.querySelectorAll("#exp-list tbody tr[data-id]").length === 1`),
	)
	var progress, bar, counts, ratio, total string
	do(t, ctx, "read the batch",
		eval(`document.querySelector("#experiment-panel").dataset.progress`, &progress),
		text("#exp-progress-text", &bar),
		text("#exp-counts", &counts),
		text("#exp-ratio", &ratio),
		eval(`Array.from(document.querySelectorAll("#exp-stats tbody tr")).find(r => r.cells[0].textContent === "total energy").cells.length + " " +
			Array.from(document.querySelectorAll("#exp-stats tbody tr")).find(r => r.cells[0].textContent === "total energy").cells[1].textContent`, &total),
	)
	if progress != "3" || !strings.HasPrefix(bar, "3/3") {
		t.Errorf("progress: %s messages, bar %q", progress, bar)
	}
	if !strings.HasPrefix(counts, "3 runs, 3 included") || !strings.Contains(ratio, "Wh/1k") || !strings.HasPrefix(total, "8 ") || !strings.Contains(total, "Wh") {
		t.Errorf("batch statistics: counts %q, ratio %q, total row %q", counts, ratio, total)
	}
	do(t, ctx, "start an overhead study of a system prompt and stop it",
		set("#system-prompt", "You are a careful assistant. Answer in full sentences and cite your sources."),
		set("#exp-runs", "200"),
		set("#max-tokens", "64"),
		click("#exp-study"),
		wait(`Number(document.querySelector("#experiment-panel").dataset.progress) >= 2`),
		wait(`document.querySelector("#exp-batch").disabled && document.querySelector("#exp-study").disabled`),
		click("#exp-stop"),
		wait(`document.querySelector("#exp-status").textContent.startsWith("stopped")`),
		wait(`document.querySelector("#exp-batch").disabled === false && document.querySelector("#exp-study").disabled === false && document.querySelector("#exp-stop").disabled === true`),
		wait(`!document.querySelector("#exp-study-results").hidden && document.querySelectorAll("#exp-arms tbody tr").length === 2`),
		wait(`!!document.querySelector("#overhead-chart svg")`),
		wait(`document.querySelectorAll("#exp-list tbody tr[data-id]").length === 2`),
		shot(t, dir, "experiments"),
	)
	var id, status string
	do(t, ctx, "show the stored batch again",
		text("#exp-status", &status),
		click("#exp-list tbody tr:last-child .show-experiment"),
		wait(`!document.querySelector("#exp-batch-results").hidden && document.querySelector("#exp-id").textContent.startsWith("batch")`),
		eval(`document.querySelector("#exp-list tbody tr:last-child").dataset.id`, &id),
		shot(t, dir, "experiments-batch"),
	)
	if !strings.Contains(status, "stored as experiment ablate-") || !strings.HasPrefix(id, "batch-") {
		t.Errorf("status after the stop %q; stored batch %q", status, id)
	}
}

func TestBrowserComparisonLab(t *testing.T) {
	ctx := newBrowser(t)
	url := serve(t, t.TempDir())
	dir := artefacts(t)
	do(t, ctx, "load /comparison and add two panes",
		chromedp.Navigate(url+"/comparison"),
		wait(`document.body.dataset.ready === "true"`),
		eval(`(() => { const o = Array.from(document.querySelectorAll("#models option")).find(o => o.value === "builtin/synthetic-tiny"); o.selected = true; return "ok" })()`, new(string)),
		click("#add-selected"),
		click("#add-selected"),
		wait(`document.querySelectorAll("#panes .pane").length === 2`),
		set("#pane_1 .max", "1800"),
		set("#pane_2 .max", "24"),
		set("#pane_2 .alias", "short"),
		click("#fixed-length"),
	)
	do(t, ctx, "generate both at once, stop the long one",
		click("#generate-all"),
		wait(`Number(document.querySelector("#pane_1 .tokens").textContent) > 5`),
		click("#pane_1 .stop"),
		wait(`(document.querySelector("#pane_1").dataset.state || "").startsWith("stopped")`),
		wait(`(document.querySelector("#pane_2").dataset.state || "").startsWith("done")`),
		wait(`document.querySelector("#pane_2 .energy").textContent !== "—"`),
		shot(t, dir, "comparison"),
	)
	var tokens2, energy2, title2 string
	do(t, ctx, "read pane 2",
		text("#pane_2 .tokens", &tokens2),
		text("#pane_2 .energy", &energy2),
		text("#pane_2 .title", &title2),
	)
	if tokens2 != "24" || !strings.Contains(energy2, "Wh") || !strings.Contains(title2, "[short]") {
		t.Errorf("pane 2: %s tokens, energy %q, title %q", tokens2, energy2, title2)
	}
}

// TestServeInterruptStoresRunsCancelled stops the server (Ctrl-C) while a
// run streams: the run is stored as cancelled and the server exits cleanly.
func TestServeInterruptStoresRunsCancelled(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command(binary, "serve", "-listen", "127.0.0.1:0", "-baseline", "100ms")
	cmd.Env = append(cleanEnv(), "HOME="+home)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	var url string
	for url == "" && lines.Scan() {
		url = regexp.MustCompile(`127\.0\.0\.1:\d+`).FindString(lines.Text())
	}
	c, _, err := websocket.Dial(t.Context(), "ws://"+url+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(t.Context(), websocket.MessageText, []byte(`{"model_name":"builtin/synthetic-tiny","user_prompt":"go on","max_tokens":1900,"ignore_eos":true}`)); err != nil {
		t.Fatal(err)
	}
	for {
		_, b, err := c.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), `"done":false`) {
			break // a token: the run is decoding
		}
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	r := run(t, home, "runs", "-json")
	if r.code != 0 || !strings.Contains(r.stdout, `"Status": "cancelled"`) {
		t.Fatalf("runs after the interrupt:\n%s\n%s", r.stdout, r.stderr)
	}
}
