package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestTokenCLI: `tcanvas token` on a room that is not open. The first call
// creates the room and keeps its owner token; later calls use it: mint an
// editor link that lets a participant draw, list the live tokens, revoke
// the editor's, and the participant is read-only at once.
func TestTokenCLI(t *testing.T) {
	srv := startServerProc(t, t.TempDir())
	link := srv.base + "/r/cli"
	env := append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())
	tok := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"token"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tcanvas token %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// Listing a room that does not exist is an error and creates nothing.
	cmd := exec.Command(binary, "token", "list", link)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no such room") {
		t.Fatalf("list of a missing room: %v\n%s", err, out)
	}
	out := tok("mint", link) // editor by default; the room is created and owned
	m := regexp.MustCompile(`editor token ([0-9a-f]+) for room cli:\n  tcanvas join (\S+)\n  (\S+)`).FindStringSubmatch(out)
	if !strings.Contains(out, "did not exist: it was created, and you own it") || m == nil || m[2] != m[3] || !strings.HasPrefix(m[2], link+"?token=tc_") {
		t.Fatalf("mint:\n%s", out)
	}
	if out := tok("list", link); !regexp.MustCompile(`(?m)^[0-9a-f]{12}  owner `).MatchString(out) {
		t.Fatalf("list after mint:\n%s", out)
	}
	id, invite := m[1], m[2]

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ed, err := session.Dial(ctx, invite, session.Options{Name: "ed", NoMesh: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ed.Close()
	go func() {
		for range ed.Events() {
		}
	}()
	if ed.Info().Role != wire.RoleEditor {
		t.Fatalf("the invite gave %s", ed.Info().Role)
	}
	if _, err := ed.Commit([]model.Op{{Kind: model.OpText, Text: "hi"}}); err != nil {
		t.Fatal(err)
	}
	if err := ed.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if out := tok("list", link); !strings.Contains(out, id+"  editor") {
		t.Fatalf("list lacks the editor token %s:\n%s", id, out)
	}
	if out := tok("revoke", link, id); !strings.Contains(out, "revoked token "+id) {
		t.Fatalf("revoke:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ed.Info().Role != wire.RoleViewer {
		if time.Now().After(deadline) {
			t.Fatalf("after the revoke the participant is %s", ed.Info().Role)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out := tok("list", link); strings.Contains(out, id) {
		t.Fatalf("the revoked token is still listed:\n%s", out)
	}
	// Someone else's CLI, without the owner token, is refused clearly.
	cmd = exec.Command(binary, "token", "list", link)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "only its owner manages tokens") {
		t.Fatalf("a viewer listed tokens: %v\n%s", err, out)
	}
}
