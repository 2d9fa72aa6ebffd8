package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of the SSH front door: a real `tcanvas serve --ssh`
// and Debian's OpenSSH client, driven in tmux like the canvas tests.

// sshArgv is the ssh command line that joins room on addr as user: no
// config file, no host key checks (a test server's key is new each time),
// and either the private key at key (that key only) or no key at all
// (anonymous: keyboard-interactive, which asks nothing).
func sshArgv(t *testing.T, addr, user, key, room string, extra ...string) []string {
	t.Helper()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("ssh is not installed (scripts/test installs openssh-client)")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	argv := []string{"ssh", "-F", "/dev/null", "-p", port, "-t",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "IdentityAgent=none", "-o", "BatchMode=no"}
	if key != "" {
		argv = append(argv, "-i", key, "-o", "IdentitiesOnly=yes")
	} else {
		argv = append(argv, "-o", "PubkeyAuthentication=no")
	}
	argv = append(argv, user+"@"+host, room)
	return append(argv, extra...)
}

// newSSHKey makes an Ed25519 key pair with ssh-keygen and returns the
// private key's path and the public key's line.
func newSSHKey(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, strings.TrimSpace(string(pub))
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSSHEditorDrawsViewerWatches: on a server whose rooms are not open
// and whose anonymous SSH users are viewers, a user whose key the
// authorized-keys file maps to editor joins over ssh and draws, and the
// stroke is in `tcanvas export`; an anonymous user sees it live but cannot
// draw; a resized terminal is redrawn at its new size; both leave with q
// and ssh exits 0.
func TestSSHEditorDrawsViewerWatches(t *testing.T) {
	dir := t.TempDir()
	key, pub := newSSHKey(t, dir, "id_editor")
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("# the demo's host\neditor "+pub+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sshAddr := freePort(t)
	srv := startServerProc(t, filepath.Join(dir, "data"), "--ssh", sshAddr, "--ssh-role", "viewer", "--ssh-authorized-keys", keys)
	waitListening(t, sshAddr)
	if _, err := os.Stat(filepath.Join(dir, "data", "ssh_host_ed25519_key")); err != nil {
		t.Fatalf("no host key generated in the data directory: %v", err)
	}
	link := srv.base + "/r/demo"
	createRoom(t, link) // the SSH users join an existing, closed room

	x := newTmux(t)
	x.start("ed", 80, 24, nil, sshArgv(t, sshAddr, "edna", key, "demo")...)
	x.waitText("ed", "you are an editor in room demo")
	x.start("vi", 80, 24, nil, sshArgv(t, sshAddr, "victor", "", "demo")...)
	x.waitText("vi", "you are a viewer in room demo")
	x.waitText("vi", "READ-ONLY")

	// edna types a line of text at cell 0,0 (screen 2,1).
	x.keys("ed", "t", "Space")
	x.waitText("ed", "text typing")
	x.literal("ed", "drawn over ssh")
	x.keys("ed", "Escape")
	x.waitFor("ed", "the text to land", func(s string) bool {
		return !strings.Contains(s, "text typing") && !strings.Contains(s, "pending") && strings.Contains(s, "seq 1")
	})
	if out := exportRoom(t, link); out != "drawn over ssh\n" {
		t.Fatalf("export after edna's text: %q", out)
	}
	x.waitFor("vi", "edna's text, live", func(s string) bool { return rows(s, 1, 1) == "  drawn over ssh" })

	// victor tries to draw: a pen stroke and text. Nothing lands.
	x.keys("vi", "o", "j", "j", "Space", "l", "l", "Space")
	x.waitText("vi", "read-only")
	x.keys("vi", "t", "Space")
	x.literal("vi", "nope")
	x.keys("vi", "Escape")
	time.Sleep(300 * time.Millisecond) // give a wrongly accepted stroke time to land
	if out := exportRoom(t, link); out != "drawn over ssh\n" {
		t.Fatalf("a viewer drew over ssh: %q", out)
	}

	// Resize victor's window: the canvas fills the new size, and its status
	// bar, on the new last row, now has room for the toolbar.
	if strings.Contains(x.capture("vi"), "8select") {
		t.Fatalf("the toolbar fits in 80 columns?\n%s", x.capture("vi"))
	}
	x.run("resize-window", "-t", "vi", "-x", "120", "-y", "30")
	s := x.waitFor("vi", "the redraw at 120x30", func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return len(lines) == 30 && strings.Contains(lines[29], "8select") && strings.Contains(lines[29], "READ-ONLY")
	})
	if !strings.Contains(s, "drawn over ssh") { // the view keeps its centre: the text moved, but is there
		t.Fatalf("after the resize:\n%s", s)
	}

	for _, p := range []string{"ed", "vi"} {
		x.keys(p, "q")
		x.waitText(p, "[exited 0]")
		assertRestored(t, x, p)
	}
}

// TestSSHAnonymousInOpenRoomAndBadCommands: with no SSH flags but --ssh, an
// anonymous user gets the room's default role (an editor in an open room)
// and draws; a viewer-only link refuses a room that does not exist; a
// command without -t is told to add it.
func TestSSHAnonymousInOpenRoomAndBadCommands(t *testing.T) {
	dir := t.TempDir()
	sshAddr := freePort(t)
	srv := startServerProc(t, dir, "--open", "--ssh", sshAddr)
	waitListening(t, sshAddr)
	x := newTmux(t)
	x.start("a", 80, 24, nil, sshArgv(t, sshAddr, "ann", "", "open")...)
	x.waitText("a", "you are an owner in room open") // the first joiner of a new room
	x.start("b", 80, 24, nil, sshArgv(t, sshAddr, "bo", "", "open")...)
	x.waitText("b", "you are an editor in room open")
	x.keys("b", "Space", "l", "l", "Space")
	x.waitFor("a", "bo's stroke", func(s string) bool { return rows(s, 1, 1) == "  ###" })
	if out := exportRoom(t, srv.base+"/r/open"); out != "###\n" {
		t.Fatalf("export: %q", out)
	}
	for _, p := range []string{"a", "b"} {
		x.keys(p, "q")
		x.waitText(p, "[exited 0]")
	}

	// No -t: ssh gives a command no terminal.
	argv := sshArgv(t, sshAddr, "cy", "", "open")
	for i, a := range argv {
		if a == "-t" {
			argv[i] = "-T"
		}
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "needs a terminal: add -t") {
		t.Fatalf("without -t: %v\n%s", err, out)
	}
	x.start("c", 80, 24, nil, sshArgv(t, sshAddr, "cy", "", "bad/name")...)
	x.waitText("c", "usage: ssh -t HOST [ROOM] [--view]")
	x.waitText("c", "[exited 1]")
}

// createRoom creates the room at link (owned by a pipe bot that leaves at
// once: its input is empty), as export no longer does.
func createRoom(t *testing.T, link string) {
	t.Helper()
	cmd := exec.Command(binary, "bot", "pipe", link, "--name", "host")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tcanvas bot pipe %s: %v\n%s", link, err, out)
	}
}
