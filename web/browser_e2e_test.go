package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/internal/cdp"
	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/internal/testtools/scrape"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// The browser end to end: the real tcanvas binary serves a room, real bot
// processes draw and move cursors, and a real headless Chromium opens the
// room's page. The whole test binary runs in a network namespace of its
// own with only loopback (TestMain re-executes it under `unshare -n`), so
// nothing the browser or WebRTC does can reach any other network.

var (
	binary   string // the tcanvas binary
	chromium string // the browser, "" when missing
)

func TestMain(m *testing.M) {
	os.Setenv("TCANVAS_ICE_ALLOW", "127.0.0.0/8")
	dir, err := os.MkdirTemp("", "tcanvas-web")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	binary = os.Getenv("TCANVAS_WEB_BIN")
	if binary == "" {
		// Built out here, where the module cache and network are.
		binary = filepath.Join(dir, "tcanvas")
		if out, err := exec.Command("go", "build", "-o", binary, "../cmd/tcanvas").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build tcanvas: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	if code, done := cdp.Isolate("TCANVAS_WEB_BIN=" + binary); done {
		os.RemoveAll(dir)
		os.Exit(code)
	}
	chromium = cdp.Find()
	code := m.Run()
	if code == 0 {
		// Every goroutine the tests started (DevTools readers, authorities,
		// process pipes) has ended.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needBrowser skips (or, in CI, fails) a test that cannot run here.
func needBrowser(t *testing.T) {
	t.Helper()
	var why string
	switch {
	case !cdp.InNetns():
		why = "browser tests run only in a network namespace of their own: " + cdp.NetnsProblem()
	case chromium == "":
		why = "no chromium (scripts/test installs Debian's chromium)"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (CI must run the browser tests as root, through scripts/test)")
	}
	t.Skip(why)
}

type server struct {
	base string
	cmd  *exec.Cmd
}

// kill ends the server with SIGKILL, as a crash would.
func (s *server) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &syncWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	// serve prints the browser's link beside the terminal's.
	sc := bufio.NewScanner(stdout)
	var base string
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if base != "" && sc.Text() == "or in a browser:    "+base+"/r/ROOM" {
			go io.Copy(io.Discard, stdout)
			return &server{base: base, cmd: cmd}
		}
	}
	t.Fatalf("server exited before printing its links (base %q): %v", base, sc.Err())
	return nil
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *server) metric(t *testing.T, name string) float64 {
	t.Helper()
	v, err := scrape.Metric(s.base, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ownRoom creates a room as its owner and mints an editor token, with a
// raw client that leaves again, so that it is in nobody's roster later.
func ownRoom(t *testing.T, ctx context.Context, link string) (owner, editor string) {
	t.Helper()
	c, err := rawclient.Join(ctx, link, wire.Hello{Client: "setup0123456789", Name: "setup"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	owner = c.Welcome.Token
	if owner == "" {
		t.Fatal("the first joiner got no owner token")
	}
	if err := c.Send(ctx, wire.Mint{T: wire.TMint, Req: "m1", Role: wire.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	f, err := c.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TToken || f.T == wire.TReject })
	if err != nil {
		t.Fatal(err)
	}
	var tok wire.Token
	if err := f.Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("mint: %s (%v)", f.Raw, err)
	}
	return owner, tok.Token
}

// pipe is a `tcanvas bot pipe` process.
type pipe struct {
	in   io.WriteCloser
	mu   sync.Mutex
	evs  []map[string]any
	done chan struct{}
}

func startPipe(t *testing.T, link string, args ...string) *pipe {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"bot", "pipe", link}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &pipe{in: in, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				p.mu.Lock()
				p.evs = append(p.evs, ev)
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { in.Close(); cmd.Process.Kill(); <-p.done; cmd.Wait() })
	return p
}

func (p *pipe) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// last returns the latest event of a kind, or nil.
func (p *pipe) last(kind string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.evs) - 1; i >= 0; i-- {
		if p.evs[i]["event"] == kind {
			return p.evs[i]
		}
	}
	return nil
}

func (p *pipe) has(kind, key string, val any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.evs {
		if e["event"] == kind && e[key] == val {
			return true
		}
	}
	return false
}

// route is the bot's route to peer id, from its latest roster event.
func (p *pipe) route(id float64) string {
	r := p.last("roster")
	if r == nil {
		return ""
	}
	peers, _ := r["peers"].([]any)
	for _, x := range peers {
		if m, _ := x.(map[string]any); m != nil && m["id"] == id {
			s, _ := m["route"].(string)
			return s
		}
	}
	return ""
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// browser starts Chromium with one page, logging the page's console and
// exceptions into the test's log.
func browser(t *testing.T, ctx context.Context) (*cdp.Browser, *cdp.Page) {
	t.Helper()
	b, err := cdp.Launch(ctx, chromium, 1100, 640, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	b.OnEvent(func(_, method string, params json.RawMessage) {
		switch method {
		case "Runtime.exceptionThrown", "Runtime.consoleAPICalled":
			t.Logf("page %s: %.600s", method, params)
		}
	})
	p, err := b.NewPage(ctx, 1100, 640)
	if err != nil {
		t.Fatal(err)
	}
	return b, p
}

// pageState is what the page reports about itself (window.tcanvas.state()).
type pageState struct {
	You, Peers       int
	VX, VY           int
	Cols, Rows       int
	Follow           int
	Role             string
	Seq              uint64
	Ready            bool
	RelayedIn, P2PIn int
	FirstCanvasMs    float64
	Pending          int
}

func state(t *testing.T, ctx context.Context, p *cdp.Page) pageState {
	t.Helper()
	var s pageState
	if err := p.Eval(ctx, "window.tcanvas ? window.tcanvas.state() : {}", &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func screen(t *testing.T, ctx context.Context, p *cdp.Page) string {
	t.Helper()
	var rows []string
	if err := p.Eval(ctx, "window.tcanvas ? window.tcanvas.screen() : []", &rows); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

type shownCursor struct {
	ID   int
	X, Y int
	Name string
}

func cursors(t *testing.T, ctx context.Context, p *cdp.Page) []shownCursor {
	t.Helper()
	var cs []shownCursor
	if err := p.Eval(ctx, "window.tcanvas ? window.tcanvas.cursors() : []", &cs); err != nil {
		t.Fatal(err)
	}
	return cs
}

// waitCursor waits until the page draws the named peer's cursor at (x, y).
func waitCursor(t *testing.T, ctx context.Context, p *cdp.Page, name string, x, y int) {
	t.Helper()
	waitUntil(t, ctx, fmt.Sprintf("%s's cursor at (%d,%d) on the page", name, x, y), func() bool {
		for _, c := range cursors(t, ctx, p) {
			if c.Name == name && c.X == x && c.Y == y {
				return true
			}
		}
		return false
	})
}

// TestBrowserViewerSeesCommitsAndCursorsOverP2P: a viewer page shows a
// bot's committed text, and the bot's cursor reaches the page over the
// WebRTC mesh while the authority relays no presence at all.
func TestBrowserViewerSeesCommitsAndCursorsOverP2P(t *testing.T) {
	needBrowser(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	link := srv.base + "/r/webdemo"
	owner, _ := ownRoom(t, ctx, link)

	bot := startPipe(t, link+"?token="+owner, "--name", "drawbot", "--color", "#ff8800")
	bot.send(t, `{"cmd":"text","x":2,"y":1,"text":"hello from a bot","fg":"#5fd38d"}`)
	bot.send(t, `{"cmd":"cells","merge":true,"cells":[{"x":2,"y":3,"ch":"┌"},{"x":3,"y":3,"ch":"─"},{"x":4,"y":3,"ch":"┐"}]}`)
	bot.send(t, `{"cmd":"sync","req":"drawn"}`)
	waitUntil(t, ctx, "the bot's commits", func() bool { return bot.has("synced", "req", "drawn") })

	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, link); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the page to sync", func() bool { return state(t, ctx, page).Ready })
	if s := state(t, ctx, page); s.Role != "viewer" {
		t.Fatalf("a link without a token made the page %q, want viewer", s.Role)
	}
	waitUntil(t, ctx, "the bot's text on the page", func() bool {
		return strings.Contains(screen(t, ctx, page), "hello from a bot")
	})
	if sc := screen(t, ctx, page); !strings.Contains(sc, "┌─┐") {
		t.Fatalf("box glyphs not shown in their cells:\n%s", sc)
	}

	// Live: a commit made now appears without a reload.
	bot.send(t, `{"cmd":"text","x":2,"y":5,"text":"and live","fg":"3"}`)
	waitUntil(t, ctx, "a live commit on the page", func() bool {
		return strings.Contains(screen(t, ctx, page), "and live")
	})

	// The presence mesh: the bot and the page pair up, then the bot's
	// cursor reaches the page with the relay counter standing still.
	you := float64(state(t, ctx, page).You)
	waitUntil(t, ctx, "a p2p route from the bot to the page", func() bool { return bot.route(you) == "p2p" })
	var routes map[string]string
	waitUntil(t, ctx, "a p2p route from the page to the bot", func() bool {
		if err := page.Eval(ctx, "tcanvas.routes()", &routes); err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r == "p2p" {
				return true
			}
		}
		return false
	})
	relayed := srv.metric(t, "tcanvas_presence_relayed_packets_total")
	before := state(t, ctx, page)
	for x := 10; x <= 30; x++ {
		bot.send(t, fmt.Sprintf(`{"cmd":"cursor","x":%d,"y":7}`, x))
	}
	waitCursor(t, ctx, page, "drawbot", 30, 7)
	after := state(t, ctx, page)
	if got := srv.metric(t, "tcanvas_presence_relayed_packets_total"); got != relayed {
		t.Fatalf("the authority relayed %v presence packets while both ends had a p2p link", got-relayed)
	}
	if after.RelayedIn != before.RelayedIn || after.P2PIn <= before.P2PIn {
		t.Fatalf("the page got the cursor by relay %d→%d, p2p %d→%d; want p2p only",
			before.RelayedIn, after.RelayedIn, before.P2PIn, after.P2PIn)
	}
	// And the other way: the page's cursor reaches the bot.
	if err := page.Eval(ctx, "tcanvas.moveCursor(-4, 9)", nil); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the page's cursor at the bot", func() bool {
		e := bot.last("presence")
		c, _ := e["cursor"].(map[string]any)
		return e != nil && e["peer"] == you && c["x"] == -4.0 && c["y"] == 9.0
	})
	if got := srv.metric(t, "tcanvas_presence_relayed_packets_total"); got != relayed {
		t.Fatalf("the authority relayed %v presence packets", got-relayed)
	}

	// Following the bot: its cursor goes far off, and the page's view goes
	// with it.
	botID := 0
	for _, c := range cursors(t, ctx, page) {
		if c.Name == "drawbot" {
			botID = c.ID
		}
	}
	if err := page.Eval(ctx, fmt.Sprintf("document.querySelector('#peers li[data-peer=\"%d\"] button').click()", botID), nil); err != nil {
		t.Fatal(err)
	}
	bot.send(t, `{"cmd":"cursor","x":400,"y":-200}`)
	waitUntil(t, ctx, "the view to follow the bot to (400,-200)", func() bool {
		s := state(t, ctx, page)
		return s.Follow == botID && s.VX <= 400 && 400 < s.VX+s.Cols && s.VY <= -200 && -200 < s.VY+s.Rows
	})
	// Dragging the canvas pans it and stops following.
	s0 := state(t, ctx, page)
	from := cellCenter(t, ctx, page, s0.VX+20, s0.VY+10)
	if err := page.Drag(ctx, from, [2]float64{from[0] - 50, from[1] + 40}, [2]float64{from[0] - 100, from[1] + 80}); err != nil {
		t.Fatal(err)
	}
	s1 := state(t, ctx, page)
	if s1.Follow != 0 || s1.VX <= s0.VX || s1.VY >= s0.VY {
		t.Fatalf("a drag left and down from view (%d,%d) gave (%d,%d), following %d", s0.VX, s0.VY, s1.VX, s1.VY, s1.Follow)
	}
}

func exportTxt(t *testing.T, link string) string {
	t.Helper()
	cmd := exec.Command(binary, "export", link, "--format", "txt")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// clickCell clicks the middle of canvas cell (x, y) on the page.
func clickCell(t *testing.T, ctx context.Context, p *cdp.Page, x, y int) {
	t.Helper()
	c := cellCenter(t, ctx, p, x, y)
	if err := p.Click(ctx, c[0], c[1]); err != nil {
		t.Fatal(err)
	}
}

func cellCenter(t *testing.T, ctx context.Context, p *cdp.Page, x, y int) [2]float64 {
	t.Helper()
	var c struct{ X, Y float64 }
	if err := p.Eval(ctx, fmt.Sprintf("tcanvas.cellCenter(%d, %d)", x, y), &c); err != nil {
		t.Fatal(err)
	}
	return [2]float64{c.X, c.Y}
}

func tool(t *testing.T, ctx context.Context, p *cdp.Page, name string) {
	t.Helper()
	if err := p.Eval(ctx, fmt.Sprintf("document.querySelector('[data-tool=%q]').click()", name), nil); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the page has no commit without an answer.
func settled(t *testing.T, ctx context.Context, p *cdp.Page, want uint64) {
	t.Helper()
	waitUntil(t, ctx, fmt.Sprintf("the page's commits up to seq %d", want), func() bool {
		s := state(t, ctx, p)
		return s.Pending == 0 && s.Seq >= want
	})
}

// TestBrowserEditorDrawsIntoExport: with an editor token the page types
// text, draws with the pen, erases and undoes, with real key and mouse
// input, and `tcanvas export` shows each result. The token leaves the
// address bar as soon as the page has read it.
func TestBrowserEditorDrawsIntoExport(t *testing.T) {
	needBrowser(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	link := srv.base + "/r/webedit"
	owner, editor := ownRoom(t, ctx, link)
	ownerLink := link + "?token=" + owner

	b, page := browser(t, ctx)
	if err := page.Navigate(ctx, link+"?token="+editor); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the page to sync", func() bool { return state(t, ctx, page).Ready })
	if s := state(t, ctx, page); s.Role != "editor" {
		t.Fatalf("an editor link made the page %q", s.Role)
	}
	var href string
	if err := page.Eval(ctx, "location.href", &href); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(href, editor) || strings.Contains(href, "token") {
		t.Fatalf("the token is still in the address bar: %s", href)
	}

	tool(t, ctx, page, "text")
	clickCell(t, ctx, page, 3, 2)
	if err := page.Type(ctx, "typed in chromium\n"); err != nil {
		t.Fatal(err)
	}
	settled(t, ctx, page, 1)
	if got := exportTxt(t, ownerLink); !strings.Contains(got, "typed in chromium") {
		t.Fatalf("export after typing:\n%s", got)
	}

	// A bot watches the pen stroke forming: the page sends it as a ghost.
	watcher := startPipe(t, ownerLink, "--name", "watcher")
	waitUntil(t, ctx, "the watcher in the page's roster", func() bool { return state(t, ctx, page).Peers == 2 })
	tool(t, ctx, page, "pen")
	var pts [][2]float64
	for x := 3; x <= 9; x++ {
		pts = append(pts, cellCenter(t, ctx, page, x, 4))
	}
	if err := page.Mouse(ctx, "mousePressed", pts[0][0], pts[0][1]); err != nil {
		t.Fatal(err)
	}
	you := float64(state(t, ctx, page).You)
	for _, pt := range pts[1:] {
		if err := page.Mouse(ctx, "mouseMoved", pt[0], pt[1]); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, ctx, "the watcher to see the stroke's ghost", func() bool {
		e := watcher.last("presence")
		g, _ := e["ghost"].(map[string]any)
		pts, _ := g["points"].([]any)
		return e != nil && e["peer"] == you && g["kind"] == 4.0 && g["ch"] == "*" && len(pts) == 7
	})
	if err := page.Mouse(ctx, "mouseReleased", pts[6][0], pts[6][1]); err != nil {
		t.Fatal(err)
	}
	settled(t, ctx, page, 2)
	if got := exportTxt(t, ownerLink); !strings.Contains(got, "typed in chromium\n\n*******") {
		t.Fatalf("export after a pen stroke:\n%q", got)
	}

	tool(t, ctx, page, "erase")
	if err := page.Drag(ctx, cellCenter(t, ctx, page, 5, 4), cellCenter(t, ctx, page, 6, 4), cellCenter(t, ctx, page, 7, 4)); err != nil {
		t.Fatal(err)
	}
	settled(t, ctx, page, 3)
	if got := exportTxt(t, ownerLink); !strings.Contains(got, "\n**   **") {
		t.Fatalf("export after erasing three cells:\n%q", got)
	}

	if err := page.Key(ctx, "z", 2); err != nil { // ctrl+z
		t.Fatal(err)
	}
	settled(t, ctx, page, 4)
	if got := exportTxt(t, ownerLink); !strings.Contains(got, "typed in chromium\n\n*******") {
		t.Fatalf("export after undoing the erase:\n%q", got)
	}
	if sc := screen(t, ctx, page); !strings.Contains(sc, "*******") {
		t.Fatalf("the page does not show the undone erase:\n%s", sc)
	}

	// A #token= link, which no server or proxy ever sees, works the same,
	// in a tab of its own (a tab keeps its token for reloads).
	if err := page.Close(ctx); err != nil {
		t.Fatal(err)
	}
	page2, err := b.NewPage(ctx, 800, 480)
	if err != nil {
		t.Fatal(err)
	}
	if err := page2.Navigate(ctx, link+"#token="+editor); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the second page to sync", func() bool { return state(t, ctx, page2).Ready })
	if err := page2.Eval(ctx, "location.href", &href); err != nil {
		t.Fatal(err)
	}
	if s := state(t, ctx, page2); s.Role != "editor" || strings.Contains(href, "token") {
		t.Fatalf("a #token= link: role %q, address %s", s.Role, href)
	}
}

// TestBrowserReconnectsAfterServerKill: the authority is killed and
// restarted on the same address and data; the page reconnects by itself,
// catches up and goes on showing live commits.
func TestBrowserReconnectsAfterServerKill(t *testing.T) {
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	data := t.TempDir()
	srv := startServer(t, "--addr", addr, "--data", data)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	link := srv.base + "/r/phoenix"
	owner, _ := ownRoom(t, ctx, link)
	bot := startPipe(t, link+"?token="+owner, "--name", "phoenixbot")
	bot.send(t, `{"cmd":"text","x":0,"y":0,"text":"before the crash"}`)
	bot.send(t, `{"cmd":"sync","req":"a"}`)
	waitUntil(t, ctx, "the first commit", func() bool { return bot.has("synced", "req", "a") })

	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, link); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the first commit on the page", func() bool {
		return strings.Contains(screen(t, ctx, page), "before the crash")
	})
	srv.kill()
	waitUntil(t, ctx, "the page to notice", func() bool { return !state(t, ctx, page).Ready })
	startServer(t, "--addr", addr, "--data", data)
	bot.send(t, `{"cmd":"text","x":0,"y":2,"text":"after the restart"}`)
	bot.send(t, `{"cmd":"sync","req":"b"}`)
	waitUntil(t, ctx, "the second commit", func() bool { return bot.has("synced", "req", "b") })
	waitUntil(t, ctx, "the page back online with both commits", func() bool {
		sc := screen(t, ctx, page)
		return state(t, ctx, page).Ready && strings.Contains(sc, "before the crash") && strings.Contains(sc, "after the restart")
	})
	if s := state(t, ctx, page); s.Role != "viewer" || s.Seq != 2 {
		t.Fatalf("after reconnecting: role %q, seq %d; want viewer at seq 2", s.Role, s.Seq)
	}
}

// TestBrowserPairsThroughPeerReflexive: a page that signals none of its
// ICE candidates, so the Go peer learns its address only from its
// connectivity checks (a peer-reflexive candidate, as with a browser that
// hides its addresses behind mDNS names), still pairs p2p and carries
// cursors with nothing relayed.
func TestBrowserPairsThroughPeerReflexive(t *testing.T) {
	needBrowser(t)
	srv := startServer(t, "--open")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	link := srv.base + "/r/prflx"
	bot := startPipe(t, link, "--name", "gobot")
	waitUntil(t, ctx, "the bot's welcome", func() bool { return bot.last("welcome") != nil })

	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, link+"?candidates=0"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the page to sync", func() bool { return state(t, ctx, page).Ready })
	you := float64(state(t, ctx, page).You)
	waitUntil(t, ctx, "a p2p route from the bot to the page", func() bool { return bot.route(you) == "p2p" })
	relayed := srv.metric(t, "tcanvas_presence_relayed_packets_total")
	bot.send(t, `{"cmd":"cursor","x":8,"y":2}`)
	waitCursor(t, ctx, page, "gobot", 8, 2)
	if got := srv.metric(t, "tcanvas_presence_relayed_packets_total"); got != relayed {
		t.Fatalf("the authority relayed %v presence packets on a p2p pair", got-relayed)
	}
}

// createRoom answers the page's question about a room that does not exist.
func createRoom(t *testing.T, ctx context.Context, p *cdp.Page) {
	t.Helper()
	waitUntil(t, ctx, "the page to offer to create the room", func() bool {
		var shown bool
		if err := p.Eval(ctx, "!!document.querySelector('#create') && !document.querySelector('#create').hidden", &shown); err != nil {
			t.Fatal(err)
		}
		return shown
	})
	if err := p.Eval(ctx, "document.querySelector('#create button').click()", nil); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserDoesNotCreateRoomsBySurprise: a tokenless link to a room that
// does not exist asks before joining (which would create the room and make
// the browser its owner); the room is created only when asked to.
func TestBrowserDoesNotCreateRoomsBySurprise(t *testing.T) {
	needBrowser(t)
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link := srv.base + "/r/notyet"
	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, link); err != nil {
		t.Fatal(err)
	}
	var text string
	waitUntil(t, ctx, "the question", func() bool {
		if err := page.Eval(ctx, "(document.querySelector('#create') || {hidden: true}).hidden ? '' : document.querySelector('#create').innerText", &text); err != nil {
			t.Fatal(err)
		}
		return text != ""
	})
	if !strings.Contains(text, "no room notyet") {
		t.Fatalf("the question reads %q", text)
	}
	if s := state(t, ctx, page); s.Ready || s.You != 0 {
		t.Fatalf("the page joined before being asked to: %+v", s)
	}
	if _, err := session.Dial(ctx, link, session.Options{Name: "check", Bot: true, NoMesh: true, Existing: true}); !errors.Is(err, session.ErrNoRoom) {
		t.Fatalf("the room exists before anyone created it (a join of existing rooms: %v)", err)
	}
	createRoom(t, ctx, page)
	waitUntil(t, ctx, "the page to join", func() bool { return state(t, ctx, page).Ready })
	if s := state(t, ctx, page); s.Role != "owner" {
		t.Fatalf("the page that created the room is %q, want owner", s.Role)
	}
}
