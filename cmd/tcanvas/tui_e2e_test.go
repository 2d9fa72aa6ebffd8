package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of the canvas: real `tcanvas join` (and `tcanvas`)
// processes in tmux panes, driven with send-keys and read with
// capture-pane, on a real `tcanvas serve`. They wait for what the screen
// shows (up to a deadline) and never assert on timing.

// tmux is a private tmux server: its own socket, killed after the test.
type tmux struct {
	t    *testing.T
	sock string
}

var tmuxN atomic.Int32

func newTmux(t *testing.T) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (scripts/test installs it)")
	}
	x := &tmux{t: t, sock: fmt.Sprintf("tcanvas-e2e-%d-%d", os.Getpid(), tmuxN.Add(1))}
	t.Cleanup(func() { exec.Command("tmux", "-L", x.sock, "kill-server").Run() })
	return x
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs argv in a new w×h session named name. A shell stays in the
// pane after argv exits and prints its status, so that the terminal state
// it left behind can be inspected (tmux hides the cursor of a dead pane).
func (x *tmux) start(name string, w, h int, env []string, argv ...string) {
	x.t.Helper()
	args := []string{"new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, e := range append([]string{"TERM=xterm-256color", "COLORTERM=truecolor"}, env...) {
		args = append(args, "-e", e)
	}
	sh := `"$0" "$@"; echo "[exited $?]"; exec sleep 600`
	x.run(append(append(args, "--", "sh", "-c", sh), argv...)...)
}

// keys sends tmux key names (l, Space, Escape, C-z, S-Right …).
func (x *tmux) keys(name string, keys ...string) {
	x.t.Helper()
	x.run(append([]string{"send-keys", "-t", name}, keys...)...)
}

// literal types s as is: text, or raw terminal input such as mouse reports.
func (x *tmux) literal(name, s string) {
	x.t.Helper()
	x.run("send-keys", "-t", name, "-l", s)
}

func (x *tmux) capture(name string) string {
	x.t.Helper()
	return x.run("capture-pane", "-p", "-t", name)
}

func (x *tmux) display(name, format string) string {
	x.t.Helper()
	return strings.TrimSpace(x.run("display-message", "-p", "-t", name, format))
}

// waitFor polls the pane until cond holds, failing with the screen after
// 30 seconds.
func (x *tmux) waitFor(name, what string, cond func(screen string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := x.capture(name)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%s: timed out waiting for %s; the screen:\n%s", name, what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (x *tmux) waitText(name, text string) string {
	x.t.Helper()
	return x.waitFor(name, fmt.Sprintf("%q", text), func(s string) bool { return strings.Contains(s, text) })
}

// rows returns screen rows y0..y1 with trailing spaces trimmed.
func rows(screen string, y0, y1 int) string { return block(screen, y0, y1, 0, 1<<20) }

// block returns columns [x0, x1) of rows y0..y1, trailing spaces trimmed:
// the part of the screen a check is about, without what others' cursors
// and labels put beside it.
func block(screen string, y0, y1, x0, x1 int) string {
	lines := strings.Split(screen, "\n")
	var out []string
	for y := y0; y <= y1 && y < len(lines); y++ {
		r := []rune(lines[y])
		r = r[min(x0, len(r)):min(x1, len(r))]
		out = append(out, strings.TrimRight(string(r), " "))
	}
	return strings.Join(out, "\n")
}

// exportRoom runs `tcanvas export` on the room and returns the text.
func exportRoom(t *testing.T, link string) string {
	t.Helper()
	out, err := exec.Command(binary, "export", link).Output()
	if err != nil {
		t.Fatalf("tcanvas export: %v", err)
	}
	return string(out)
}

// TestTUITwoUsersDrawTogether: two `tcanvas join` on one server. A
// rectangle drawn in one appears in the other; each sees the other's
// cursor and name; text typed in one is in `tcanvas export`; an undo in
// one removes its own commit and nothing of the other's, even where the
// other drew over it.
func TestTUITwoUsersDrawTogether(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/e2e"
	x := newTmux(t)
	x.start("alice", 80, 24, nil, binary, "join", link, "--name", "alice")
	x.start("bob", 80, 24, nil, binary, "join", "--name", "bob", link) // flags on either side of the link
	for _, p := range []string{"alice", "bob"} {
		x.waitFor(p, "online with both", func(s string) bool {
			return strings.Contains(s, "● online") && strings.Contains(s, "2 here")
		})
	}

	// alice draws a rectangle with the keyboard: screen (2,1) is cell 0,0.
	x.keys("alice", "3", "Space", "l", "l", "l", "l", "l", "l", "j", "j", "j", "Space")
	rect := "  #######\n  #     #\n  #     #\n  #######"
	x.waitFor("bob", "alice's rectangle", func(s string) bool { return rows(s, 1, 4) == rect })

	// bob moves; alice sees his cursor with his name beside it.
	x.keys("bob", "j", "j", "j", "j", "j", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l")
	x.waitFor("alice", "bob's cursor and name", func(s string) bool {
		return block(s, 7, 7, 13, 16) == "bob" // his name beside his cursor, at cell 10,5
	})
	x.waitText("bob", "alice") // and bob sees alice's

	// alice types a line of text at cell 0,6 and confirms it with esc.
	x.keys("alice", "t", "o", "j", "j", "j", "j", "j", "j", "Space")
	x.waitText("alice", "text typing")
	x.literal("alice", "hello e2e")
	x.keys("alice", "Escape")
	x.waitFor("alice", "the text to be committed", func(s string) bool {
		return !strings.Contains(s, "text typing") && !strings.Contains(s, "pending")
	})
	if out := exportRoom(t, link); !strings.Contains(out, "hello e2e") {
		t.Fatalf("export lacks alice's text:\n%s", out)
	}

	// bob draws a vertical line through the text's third letter (cell 2,5
	// to 2,7), after alice's text: alice's undo must leave it whole.
	x.keys("bob", "o", "l", "l", "j", "j", "j", "j", "j", "/", "B", "|", "Space", "j", "j", "Space")
	x.waitFor("alice", "bob's line over her text", func(s string) bool {
		return block(s, 6, 8, 0, 11) == "    |\n  he|lo e2e\n    |"
	})
	x.keys("alice", "u")
	x.waitFor("bob", "alice's undo", func(s string) bool { return block(s, 6, 8, 0, 11) == "    |\n    |\n    |" })
	got := strings.TrimRight(exportRoom(t, link), "\n")
	if want := "#######\n#     #\n#     #\n#######\n\n  |\n  |\n  |"; got != want {
		t.Fatalf("after alice's undo the room holds:\n%s\nwant:\n%s", got, want)
	}
	if s := x.capture("bob"); rows(s, 1, 4) != rect {
		t.Fatalf("alice's undo took more than her text:\n%s", s)
	}
}

// TestTUIMouseDrawing: a drag in the terminal (SGR mouse reports, as a
// terminal sends them) draws a box, and a right-drag pans the view.
func TestTUIMouseDrawing(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	x := newTmux(t)
	x.start("m", 80, 24, nil, binary, "join", srv.base+"/r/mouse", "--name", "mo")
	x.waitText("m", "● online")
	x.keys("m", "b")
	x.waitText("m", "box single")
	// Mouse reports are 1-based: screen cells (4,2) to (14,6).
	x.literal("m", "\x1b[<0;5;3M\x1b[<32;10;5M\x1b[<32;15;7M\x1b[<0;15;7m")
	box := "    ┌─────────┐\n    │         │\n    │         │\n    │         │\n    └─────────┘"
	x.waitFor("m", "the box", func(s string) bool { return rows(s, 2, 6) == box })
	// Right-drag 3 columns left and 1 row up: the box moves with the canvas.
	x.literal("m", "\x1b[<2;40;10M\x1b[<34;37;9M\x1b[<2;37;9m")
	x.waitFor("m", "the pan", func(s string) bool { return rows(s, 1, 1) == " ┌─────────┐" })
}

// TestTUILocalModeAndRestore: `tcanvas` alone starts its own authority
// with logs in the data directory, shows the link to join, takes a second
// user on that link, and gives the terminal back as it was when it quits.
func TestTUILocalModeAndRestore(t *testing.T) {
	data := t.TempDir()
	x := newTmux(t)
	x.start("local", 100, 30, []string{"XDG_DATA_HOME=" + data, "USER=lou"}, binary)
	s := x.waitText("local", "join me: tcanvas join http://127.0.0.1:")
	link := regexp.MustCompile(`tcanvas join (http://127\.0\.0\.1:\d+/r/main)`).FindStringSubmatch(s)[1]
	if strings.Contains(s, "level=") {
		t.Fatalf("authority logs on the canvas:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(data, "tcanvas", "tcanvas.log")); err != nil {
		t.Fatalf("no log file in the data directory: %v", err)
	}
	x.start("guest", 80, 24, nil, binary, "join", link, "--name", "guest")
	x.waitText("guest", "2 here")
	x.keys("guest", "Space", "Space") // one cell of pen
	x.waitFor("local", "the guest's drawing", func(s string) bool { return rows(s, 1, 1) == "  #" })

	x.keys("local", "q")
	x.waitText("local", "[exited 0]")
	assertRestored(t, x, "local")
}

// assertRestored checks the pane is back on the main screen, with mouse
// reporting off and the cursor shown.
func assertRestored(t *testing.T, x *tmux, name string) {
	t.Helper()
	got := x.display(name, "alt=#{alternate_on} mouse=#{mouse_any_flag}#{mouse_button_flag}#{mouse_sgr_flag} cursor=#{cursor_flag}")
	if got != "alt=0 mouse=000 cursor=1" {
		t.Fatalf("terminal not restored after quitting: %s", got)
	}
}

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestTUILostConnection: the server dies under a running canvas. The
// status bar says offline with a countdown; when the server comes back on
// its address and data, the canvas reconnects and a stroke drawn while
// offline lands; quitting restores the terminal.
func TestTUILostConnection(t *testing.T) {
	data, addr := t.TempDir(), freePort(t)
	srv := startServerProc(t, data, "--open", "--addr", addr)
	x := newTmux(t)
	x.start("c", 80, 24, nil, binary, "join", srv.base+"/r/lost", "--name", "cy")
	x.waitText("c", "● online")
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	x.waitFor("c", "the offline state", func(s string) bool {
		return strings.Contains(s, "● offline") || strings.Contains(s, "reconnecting")
	})
	x.keys("c", "Space", "l", "Space") // drawn while offline: pending
	x.waitText("c", "1 pending")
	startServerProc(t, data, "--open", "--addr", addr)
	x.waitFor("c", "reconnection and the pending stroke to land", func(s string) bool {
		return strings.Contains(s, "● online") && !strings.Contains(s, "pending") && rows(s, 1, 1) == "  ##"
	})
	x.keys("c", "q")
	x.waitText("c", "[exited 0]")
	assertRestored(t, x, "c")
}

// TestTUIWideText: alice types CJK and an emoji with the text tool; bob's
// terminal shows them two columns wide, `tcanvas export` has them (and
// --ascii keeps their columns as ??); bob typing over the right half of 漢
// erases all of it, on both screens.
func TestTUIWideText(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/wide"
	x := newTmux(t)
	x.start("alice", 80, 24, nil, binary, "join", link, "--name", "alice")
	x.start("bob", 80, 24, nil, binary, "join", link, "--name", "bob")
	for _, p := range []string{"alice", "bob"} {
		x.waitFor(p, "online with both", func(s string) bool {
			return strings.Contains(s, "● online") && strings.Contains(s, "2 here")
		})
	}

	// alice types at cell 0,0 (screen 2,1) and confirms with esc.
	x.keys("alice", "t", "Space")
	x.waitText("alice", "text typing")
	x.literal("alice", "漢字 😀")
	x.keys("alice", "Escape")
	x.waitFor("alice", "the text to be committed", func(s string) bool {
		return !strings.Contains(s, "text typing") && !strings.Contains(s, "pending")
	})
	x.waitFor("bob", "alice's wide text", func(s string) bool { return strings.HasPrefix(rows(s, 1, 1), "  漢字 😀") })
	if out := exportRoom(t, link); strings.TrimRight(out, "\n") != "漢字 😀" {
		t.Fatalf("export: %q, want alice's text", out)
	}
	out, err := exec.Command(binary, "export", "--ascii", link).Output()
	if err != nil || strings.TrimRight(string(out), "\n") != "???? ??" {
		t.Fatalf("export --ascii: %q, %v", out, err)
	}

	// bob moves to cell 1,0, the right half of 漢, and types x there. Both halves of 漢 go; 字 and 😀 keep their columns.
	x.keys("bob", "l", "t", "Space")
	x.waitText("bob", "text typing")
	x.literal("bob", "x")
	x.keys("bob", "Escape")
	for _, p := range []string{"alice", "bob"} {
		x.waitFor(p, "漢 erased by bob's x", func(s string) bool { return strings.HasPrefix(rows(s, 1, 1), "   x字 😀") })
	}
	if out := exportRoom(t, link); strings.TrimRight(out, "\n") != "x字 😀" { // the bounding box now starts at x
		t.Fatalf("export after bob's x: %q", out)
	}
}
