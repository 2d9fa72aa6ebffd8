package main

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOwnerTokenOfSSHRoomStaysOutOfTheLog is finding 9 of issue 15: a
// room created over SSH wrote its owner token to the server's log. Now
// the token goes to its owner's terminal only; the log, at debug level,
// holds no token.
func TestOwnerTokenOfSSHRoomStaysOutOfTheLog(t *testing.T) {
	dir := t.TempDir()
	sshAddr := freePort(t)
	var logs lockedBuffer
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-level", "debug", "--open", "--ssh", sshAddr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !listenRE.MatchString(sc.Text()) {
	}
	go func() {
		for sc.Scan() {
		}
	}()
	waitListening(t, sshAddr)
	x := newTmux(t)
	x.start("a", 100, 24, nil, sshArgv(t, sshAddr, "ann", "", "fresh")...)
	x.waitText("a", "you are an owner in room fresh")
	x.keys("a", "q")
	x.waitText("a", "[exited 0]")
	x.waitText("a", "its owner token (shown once") // on the owner's terminal, after the canvas
	if strings.Contains(logs.String(), "tc_") || !strings.Contains(logs.String(), "room created over SSH") {
		t.Fatalf("the server log holds a token (or no creation line):\n%s", logs.String())
	}
}
