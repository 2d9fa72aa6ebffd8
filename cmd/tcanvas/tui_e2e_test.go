package main

import (
	"context"
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

	"github.com/tcanvas/tcanvas/internal/statedir"
	"github.com/tcanvas/tcanvas/net/session"
)

// End-to-end tests of the canvas: real `tcanvas join` (and `tcanvas`)
// processes in tmux panes, driven with send-keys and read with
// capture-pane, on a real `tcanvas serve`. They wait for what the screen
// shows (up to a deadline) and never assert on timing.

// tmux is a private tmux server: its own socket, killed after the test.
type tmux struct {
	t    *testing.T
	sock string
	cfg  string // XDG_CONFIG_HOME of everything started: never the user's own preferences
}

var tmuxN atomic.Int32

func newTmux(t *testing.T) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (scripts/test installs it)")
	}
	x := &tmux{t: t, sock: fmt.Sprintf("tcanvas-e2e-%d-%d", os.Getpid(), tmuxN.Add(1)), cfg: t.TempDir()}
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
	for _, e := range append([]string{"TERM=xterm-256color", "COLORTERM=truecolor", "XDG_CONFIG_HOME=" + x.cfg}, env...) {
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

// exportRoom runs `tcanvas export [flags]` on the room and returns the text.
func exportRoom(t *testing.T, link string, flags ...string) string {
	t.Helper()
	out, err := exec.Command(binary, append(append([]string{"export"}, flags...), link)...).Output()
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
	// One cell further: his label stays put while he moves and comes back
	// beside his cursor by itself once he is still (ui/label.go).
	x.keys("bob", "l")
	x.waitFor("alice", "bob's name beside his cursor after a pause", func(s string) bool {
		return block(s, 7, 7, 14, 17) == "bob"
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

	// bob draws a vertical stroke through the text's third letter (cell 2,5
	// to 2,7), after alice's text: alice's undo must leave it whole.
	x.keys("bob", "o", "l", "l", "j", "j", "j", "j", "j", "p", "B", "|", "Space", "j", "j", "Space")
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

	x.keys("local", "q") // asks first: the guest is still here
	x.waitText("local", "quitting ends the room for them")
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

// TestTUIOutboxSurvivesQuitAndServerCrash: two participants; the server
// is SIGKILLed; one of them draws while it is gone, presses q and is told
// the strokes are not in the room yet; a second q quits, keeping them. The
// server comes back, the participant starts again, and its strokes land,
// once, and the other participant sees them.
func TestTUIOutboxSurvivesQuitAndServerCrash(t *testing.T) {
	data, addr := t.TempDir(), freePort(t)
	srv := startServerProc(t, data, "--open", "--addr", addr)
	link := srv.base + "/r/outbox"
	state := []string{"XDG_STATE_HOME=" + t.TempDir()}
	x := newTmux(t)
	x.start("ann", 80, 24, state, binary, "join", link, "--name", "ann")
	x.start("bo", 80, 24, nil, binary, "join", link, "--name", "bo")
	for _, p := range []string{"ann", "bo"} {
		x.waitFor(p, "online with both", func(s string) bool {
			return strings.Contains(s, "● online") && strings.Contains(s, "2 here")
		})
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()
	x.waitFor("ann", "the offline state", func(s string) bool { return !strings.Contains(s, "● online") })
	x.keys("ann", "Space", "l", "l", "Space") // three cells of pen, drawn offline
	x.keys("ann", "j", "Space", "Space")      // and one more cell below
	x.waitText("ann", "2 pending")
	x.keys("ann", "q")
	x.waitText("ann", "quitting: 2 commits not in the room yet")
	if s := x.capture("ann"); strings.Contains(s, "[exited") {
		t.Fatalf("the first q quit with strokes pending:\n%s", s)
	}
	x.keys("ann", "q")
	s := x.waitText("ann", "[exited 0]")
	if !strings.Contains(s, "2 commits not yet in room outbox") {
		t.Fatalf("no word about the kept commits after quitting:\n%s", s)
	}

	startServerProc(t, data, "--open", "--addr", addr)
	x.waitFor("bo", "bo back online", func(s string) bool { return strings.Contains(s, "● online") })
	if s := x.capture("bo"); rows(s, 1, 2) != "\n" {
		t.Fatalf("ann's strokes reached the room before she came back:\n%s", s)
	}
	x.start("ann2", 80, 24, state, binary, "join", link, "--name", "ann")
	x.waitFor("ann2", "the kept strokes to land", func(s string) bool {
		return strings.Contains(s, "● online") && !strings.Contains(s, "pending") && rows(s, 1, 2) == "  ###\n    #"
	})
	x.keys("ann2", "j", "j", "j", "j", "j", "j") // her name label beside her cursor would cover the second stroke
	x.waitFor("bo", "ann's strokes", func(s string) bool { return rows(s, 1, 2) == "  ###\n    #" })
	// Once: the room holds exactly the two commits, whatever was resent.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	check, err := session.Dial(ctx, link, session.Options{Name: "check", NoMesh: true})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	if seq := check.Info().Seq; seq != 2 {
		t.Fatalf("the room is at seq %d, want 2 (ann's two strokes, once each)", seq)
	}
	if got := strings.TrimRight(exportRoom(t, link), "\n"); got != "###\n  #" {
		t.Fatalf("the room holds:\n%s", got)
	}
}

// TestTUIInvitePanel: in a room that is not open, the owner opens the
// invite panel, mints an editor link (shown, and copied with OSC 52); a
// second participant joins with it and draws; the owner revokes it in the
// panel and the second participant is read-only at once.
func TestTUIInvitePanel(t *testing.T) {
	srv := startServerProc(t, t.TempDir())
	link := srv.base + "/r/invite"
	x := newTmux(t)
	ownState := t.TempDir()
	x.start("own", 140, 30, []string{"XDG_STATE_HOME=" + ownState}, binary, "join", link, "--name", "own")
	x.waitFor("own", "the owner online", func(s string) bool { return strings.Contains(s, "● online") && strings.Contains(s, "owner") })
	x.run("set-option", "-g", "set-clipboard", "on") // keep what OSC 52 copies in a tmux buffer

	x.keys("own", "C-k")
	x.waitText("own", "live tokens · 1")
	x.keys("own", "e")
	s := x.waitText("own", "new editor link")
	m := regexp.MustCompile(`tcanvas join (http://\S+\?token=tc_[A-Za-z0-9_-]+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no invite on screen:\n%s", s)
	}
	invite := m[1]
	x.waitText("own", "live tokens · 2")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(x.run("show-buffer"), invite) {
		if time.Now().After(deadline) {
			t.Fatalf("the invite was not copied: buffer %q", x.run("show-buffer"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	x.start("ed", 80, 24, []string{"XDG_STATE_HOME=" + t.TempDir()}, binary, "join", invite, "--name", "ed")
	x.waitFor("ed", "the editor online", func(s string) bool {
		return strings.Contains(s, "● online") && strings.Contains(s, "editor") && strings.Contains(s, "2 here")
	})
	x.keys("ed", "Space", "Space")
	x.waitFor("own", "the editor's drawing", func(s string) bool { return block(s, 1, 1, 0, 10) == "  #" })

	x.keys("own", "j", "x") // the second token, the editor's
	x.waitText("own", "revoked ")
	x.waitText("ed", "READ-ONLY")
	x.keys("ed", "l", "Space", "Space")
	x.waitText("ed", "read-only")
	// The owner's token was kept in its state directory when it created the room.
	tok, err := statedir.OwnerTokens(filepath.Join(ownState, "tcanvas")).Get(srv.base, "invite")
	if err != nil || tok == "" {
		t.Fatalf("no owner token kept: %q %v", tok, err)
	}
	if got := strings.TrimRight(exportRoom(t, link+"?token="+tok), "\n"); got != "#" {
		t.Fatalf("the room holds %q after the viewer tried to draw", got)
	}
}

// TestTUILocalModeRestartKeepsRoom: the host of `tcanvas` is asked before
// quitting ends the room for a guest; started again, it listens on the
// same address, is the room's owner again, and the guest, who did
// nothing, is back online with it by itself.
func TestTUILocalModeRestartKeepsRoom(t *testing.T) {
	env := []string{"XDG_DATA_HOME=" + t.TempDir(), "XDG_STATE_HOME=" + t.TempDir(), "USER=lou"}
	x := newTmux(t)
	x.start("host", 100, 30, env, binary)
	s := x.waitFor("host", "the owner's canvas", func(s string) bool {
		return strings.Contains(s, "join me: tcanvas join http://127.0.0.1:") && strings.Contains(s, "owner")
	})
	link := regexp.MustCompile(`tcanvas join (http://127\.0\.0\.1:\d+/r/main)`).FindStringSubmatch(s)[1]
	x.start("guest", 80, 24, nil, binary, "join", link, "--name", "guest")
	x.waitText("guest", "2 here")
	x.waitText("host", "2 here")

	x.keys("host", "q")
	x.waitText("host", "1 other is here: quitting ends the room for them")
	x.keys("host", "q")
	x.waitText("host", "[exited 0]")
	x.waitFor("guest", "the guest to lose the room", func(s string) bool { return !strings.Contains(s, "● online") })

	x.start("host2", 100, 30, env, binary)
	x.waitFor("host2", "the host back as owner", func(s string) bool {
		return strings.Contains(s, "join me: tcanvas join "+link) && strings.Contains(s, "main owner")
	})
	x.waitFor("guest", "the guest back by itself", func(s string) bool {
		return strings.Contains(s, "● online") && strings.Contains(s, "2 here")
	})
	x.keys("guest", "Space", "Space")
	x.waitFor("host2", "the guest's drawing", func(s string) bool { return rows(s, 1, 1) == "  #" })
}

// exportTxt runs `tcanvas export --format txt` on the room.
func exportTxt(t *testing.T, link string) string { return exportRoom(t, link, "--format", "txt") }

// TestTUIArrowsTextGhostsImportAndPrefs: alice draws an arrow with an
// elbow; bob sees it forming (her ghost) and then committed, and the
// room's text export holds it. Text alice is still typing shows on bob's
// screen before she commits it. ctrl+o imports a file as a paste. Her
// arrow setting is still there after she quits and comes back.
func TestTUIArrowsTextGhostsImportAndPrefs(t *testing.T) {
	x, link := aliceAndBob(t, "arrows")

	// An arrow from cell 0,0: right first (the first move decides), then down.
	x.keys("alice", "/", ">")
	x.waitText("alice", "line single ─▶")
	x.keys("alice", "Space", "l", "l", "l", "l", "l", "l", "j", "j", "j")
	arrow := "  ──────┐\n        │\n        │\n        ▼"
	x.waitFor("bob", "alice's arrow forming (her ghost)", func(s string) bool { return block(s, 1, 4, 0, 9) == arrow })
	if out := exportTxt(t, link); strings.Contains(out, "┐") {
		t.Fatalf("the ghost was committed before alice finished:\n%s", out)
	}
	x.keys("alice", "Space")
	x.waitFor("alice", "the arrow committed", func(s string) bool { return !strings.Contains(s, "pending") })
	want := "──────┐\n      │\n      │\n      ▼"
	waitExport := func(what, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			out := exportTxt(t, link)
			if strings.Contains(out, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("export lacks %s:\n%s", what, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitExport("the arrow", want)
	x.waitFor("bob", "alice's arrow", func(s string) bool { return block(s, 1, 4, 0, 9) == arrow })

	// Text being typed at cell 0,6 reaches bob before it is committed.
	x.keys("alice", "t", "o", "j", "j", "j", "j", "j", "j", "Space")
	x.waitText("alice", "text typing")
	x.literal("alice", "draft")
	x.waitFor("bob", "alice's text ghost", func(s string) bool { return block(s, 7, 7, 0, 7) == "  draft" })
	if out := exportTxt(t, link); strings.Contains(out, "draft") {
		t.Fatalf("the text was committed while alice was still typing:\n%s", out)
	}
	x.keys("alice", "Escape")
	waitExport("alice's text", "draft")

	// ctrl+o: a file floats at the cursor (cell 10,8) until space drops it.
	file := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(file, []byte("+-----+\n| imp |\n+-----+\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	x.keys("alice", "o", "l", "l", "l", "l", "l", "l", "l", "l", "l", "l", "j", "j", "j", "j", "j", "j", "j", "j", "C-o")
	x.waitText("alice", "import file:")
	x.literal("alice", file)
	x.keys("alice", "Enter")
	x.waitText("alice", "note.txt: 7×3")
	x.keys("alice", "Space")
	waitExport("the imported file", "          +-----+\n          | imp |\n          +-----+")

	// The arrow setting survives a restart (the preferences file).
	x.keys("alice", "q")
	x.waitText("alice", "[exited 0]")
	x.start("alice2", 80, 24, nil, binary, "join", link, "--name", "alice")
	x.waitText("alice2", "● online")
	x.keys("alice2", "/")
	x.waitText("alice2", "line single ─▶")
}

// TestImportCommand: `tcanvas import FILE ROOM_URL --at x,y` draws a text
// or ANSI file (colours kept) where asked; a missing file is a clear error.
func TestImportCommand(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/import"
	file := filepath.Join(t.TempDir(), "art.ans")
	if err := os.WriteFile(file, []byte("\x1b[31mred\x1b[m box\n┌─┐\n└─┘\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "import", file, link, "--at", "4,2").CombinedOutput()
	if err != nil {
		t.Fatalf("tcanvas import: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "import: drew") {
		t.Fatalf("import said: %s", out)
	}
	if got, want := exportTxt(t, link), "red box\n┌─┐\n└─┘"; !strings.Contains(got, want) {
		t.Fatalf("export:\n%q\nwant it to contain %q", got, want)
	}
	ansi, err := exec.Command(binary, "export", "--format", "ansi", link).Output()
	if err != nil || !strings.Contains(string(ansi), "31m") && !strings.Contains(string(ansi), "38;5;1m") {
		t.Fatalf("the colour was not kept (%v):\n%q", err, ansi)
	}
	out, err = exec.Command(binary, "import", filepath.Join(t.TempDir(), "missing.txt"), link).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no such file") {
		t.Fatalf("a missing file: err %v, said %s", err, out)
	}
}

// TestTUIWideText: alice types CJK and an emoji with the text tool; bob's
// terminal shows them two columns wide, `tcanvas export` has them (and
// --ascii keeps their columns as ??); bob typing over the right half of 漢
// erases all of it, on both screens.
func TestTUIWideText(t *testing.T) {
	x, link := aliceAndBob(t, "wide")

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
	// alice may be seeing bob's text ghost: the commit is in the room once
	// the export shows it (the bounding box now starts at x).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out := exportRoom(t, link)
		if strings.TrimRight(out, "\n") == "x字 😀" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("export after bob's x: %q", out)
		}
	}
}

// aliceAndBob starts an open server and two participants, alice and bob,
// in room, both 80×24, and waits until each sees the other.
func aliceAndBob(t *testing.T, room string) (*tmux, string) {
	t.Helper()
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/" + room
	x := newTmux(t)
	x.start("alice", 80, 24, nil, binary, "join", link, "--name", "alice")
	x.start("bob", 80, 24, nil, binary, "join", link, "--name", "bob")
	for _, p := range []string{"alice", "bob"} {
		x.waitFor(p, "online with both", func(s string) bool {
			return strings.Contains(s, "● online") && strings.Contains(s, "2 here")
		})
	}
	return x, link
}
