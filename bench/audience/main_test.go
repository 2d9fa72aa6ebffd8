package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestAudienceSmoke runs the benchmark briefly, shared and per viewer: every
// viewer joins and stays, and commits reach their screens. It checks that
// the figures make sense, never how fast anything is.
func TestAudienceSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds tcanvas and runs a server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tcanvas")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tcanvas/tcanvas/cmd/tcanvas").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := config{window: 2 * time.Second, joinTimeout: time.Minute, addrs: 2, bots: 2, width: 80, height: 24, bin: bin}
	for _, shared := range []bool{true, false} {
		r, err := runOne(cfg, dir, 4, shared)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(r.row)
		if r.joined != 4 || r.stayed != 4 {
			t.Errorf("shared=%v: %d joined, %d stayed, of 4", shared, r.joined, r.stayed)
		}
		if r.samples == 0 {
			t.Errorf("shared=%v: no commit reached a screen in the window", shared)
		}
	}
}
