package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/internal/cdp"
)

// Like the benchmark itself, its test runs in a network namespace with
// only loopback: the test binary re-executes itself under unshare -n.
func TestMain(m *testing.M) {
	os.Setenv("TCANVAS_ICE_ALLOW", "127.0.0.0/8")
	if code, done := cdp.Isolate(); done {
		os.Exit(code)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestQuickRunReportsEveryFigure runs the benchmark briefly and checks that
// each figure is there and made of real samples; never how fast they are.
func TestQuickRunReportsEveryFigure(t *testing.T) {
	chromium := cdp.Find()
	why := ""
	switch {
	case !cdp.InNetns():
		why = "needs a network namespace of its own: " + cdp.NetnsProblem()
	case chromium == "":
		why = "no chromium (scripts/test installs it)"
	}
	if why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	var out bytes.Buffer
	png := t.TempDir() + "/shot.png"
	if err := bench(context.Background(), config{loads: 2, pings: 20, chromium: chromium, screenshot: png}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	report := out.String()
	for _, fig := range []string{"page load → first canvas", "cursor round trip", "cursor one way, Go peer → page", "cursor one way, page → Go peer",
		"page `ready` → p2p pair with", "page `ready` → p2p pair, page sends no candidates"} {
		re := regexp.MustCompile(`\| ` + regexp.QuoteMeta(fig) + `[^|]* \| ([0-9.]+) ms \| ([0-9.]+) ms \| [0-9.]+ ms \| ([0-9]+) \|`)
		m := re.FindStringSubmatch(report)
		if m == nil || m[1] == "0.00" || m[3] == "0" {
			t.Errorf("no figure for %q in:\n%s", fig, report)
		}
	}
	if !strings.Contains(report, "p2p both ways, 0 relayed packets") {
		t.Errorf("the cursor phase was not p2p only:\n%s", report)
	}
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Errorf("no screenshot: %v", err)
	}
}
