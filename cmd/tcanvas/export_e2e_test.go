package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestExportOfMissingRoom: `tcanvas export` of a room that does not exist
// fails with "no such room" and does not create it, so that whoever joins
// next creates and owns it.
func TestExportOfMissingRoom(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/nothere"
	var stderr bytes.Buffer
	cmd := exec.Command(binary, "export", link)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil || len(out) != 0 || !strings.Contains(stderr.String(), "no such room: nothere at "+srv.base) {
		t.Fatalf("export of a missing room: %v, out %q, stderr %q", err, out, stderr.String())
	}
	// A pipe bot is now the first joiner: it is told it created the room.
	log, err := exec.Command(binary, "bot", "pipe", link, "--name", "first").CombinedOutput()
	if err != nil || !strings.Contains(string(log), "created the room") {
		t.Fatalf("after the export, the first joiner: %v\n%s", err, log)
	}
}
