package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// pipeProc is a real `tcanvas bot pipe` process.
type pipeProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr bytes.Buffer
	done   chan struct{} // stdout reached EOF

	mu     sync.Mutex
	events []map[string]any
	waitc  chan struct{} // closed and replaced at every event
}

func startPipe(t *testing.T, link string, args ...string) *pipeProc {
	t.Helper()
	p := &pipeProc{t: t, done: make(chan struct{}), waitc: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"bot", "pipe", link}, args...)...)
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("bot pipe stderr:\n%s", p.stderr.String())
		}
	})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("bot pipe wrote a line that is not JSON: %q", sc.Text())
				continue
			}
			p.mu.Lock()
			p.events = append(p.events, ev)
			close(p.waitc)
			p.waitc = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *pipeProc) send(line string) {
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		p.t.Errorf("write to bot pipe: %v", err)
	}
}

// waitFor blocks until cond holds for the events so far.
func (p *pipeProc) waitFor(ctx context.Context, what string, cond func([]map[string]any) bool) {
	p.t.Helper()
	for {
		p.mu.Lock()
		ok, ch := cond(p.events), p.waitc
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-p.done:
			p.mu.Lock()
			ok = cond(p.events)
			p.mu.Unlock()
			if !ok {
				p.t.Fatalf("bot pipe exited before %s", what)
			}
			return
		case <-ctx.Done():
			p.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// finish closes stdin (the pipe then syncs and exits) and checks it exits 0.
func (p *pipeProc) finish(ctx context.Context) {
	p.t.Helper()
	p.in.Close()
	select {
	case <-p.done:
	case <-ctx.Done():
		p.t.Fatal("bot pipe did not exit after the end of its input")
	}
	if err := p.cmd.Wait(); err != nil {
		p.t.Fatalf("bot pipe: %v\n%s", err, p.stderr.String())
	}
}

func hasEvent(kind, key string, val any) func([]map[string]any) bool {
	return func(evs []map[string]any) bool {
		for _, e := range evs {
			if e["event"] == kind && (key == "" || e[key] == val) {
				return true
			}
		}
		return false
	}
}

func export(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"export"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("export %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// TestBotPipeTextAppearsInExport: text a pipe bot draws is in what
// `tcanvas export` writes, as text and as ANSI.
func TestBotPipeTextAppearsInExport(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link := srv.base + "/r/exported"
	p := startPipe(t, link, "--name", "writer", "--no-presence")
	p.send(`{"cmd":"text","x":2,"y":1,"text":"hello from a pipe","fg":"#00ff00"}`)
	p.send(`{"cmd":"text","x":4,"y":3,"text":"second line"}`)
	p.send(`{"cmd":"sync","req":"done"}`)
	p.waitFor(ctx, "the sync answer", hasEvent("synced", "req", "done"))

	if got, want := export(t, link), "hello from a pipe\n\n  second line\n"; got != want {
		t.Fatalf("export:\n%q\nwant\n%q", got, want)
	}
	file := filepath.Join(t.TempDir(), "room.ans")
	export(t, link, "-o", file, "--region", "0,0,10,2")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\n  \x1b[38;2;0;255;0mhello fr\x1b[0m\n"; string(b) != want {
		t.Fatalf("ANSI export of 0,0,10,2:\n%q\nwant\n%q", b, want)
	}
	p.finish(ctx)
}

// freeAddr returns a loopback address nothing listens on, so a server can
// be restarted on the address its clients know.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestBotPipeSurvivesServerKill9 keeps a pipe bot committing while the
// server is killed with SIGKILL and restarted on the same address and
// data. The bot must reconnect by itself; afterwards every commit it saw
// acknowledged is in the log under the same seq, every command it was
// given landed exactly once, and export shows them all.
func TestBotPipeSurvivesServerKill9(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	srv := startServerProc(t, data, "--open", "--addr", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	link := srv.base + "/r/phoenix"
	p := startPipe(t, link, "--name", "phoenix", "--no-presence")
	p.waitFor(ctx, "welcome", hasEvent("welcome", "", nil))

	// The writer paces itself under the authority's per-connection commit
	// rate, so nothing is rejected for going too fast.
	stop := make(chan struct{})
	writerDone := make(chan int)
	go func() {
		i := 0
		defer func() { writerDone <- i }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Millisecond):
			}
			p.send(fmt.Sprintf(`{"cmd":"text","x":0,"y":%d,"text":"line-%d"}`, i, i))
			i++
		}
	}()
	acked := func(evs []map[string]any) map[string]uint64 {
		m := map[string]uint64{}
		for _, e := range evs {
			if e["event"] == "committed" && e["own"] == true {
				m[e["id"].(string)] = uint64(e["seq"].(float64))
			}
		}
		return m
	}
	atLeast := func(n int) func([]map[string]any) bool {
		return func(evs []map[string]any) bool { return len(acked(evs)) >= n }
	}
	p.waitFor(ctx, "40 acknowledged commits", atLeast(40))
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	p.waitFor(ctx, "the bot to notice", hasEvent("link", "state", "offline"))
	p.mu.Lock()
	before := len(acked(p.events))
	p.mu.Unlock()
	time.Sleep(300 * time.Millisecond) // commits pile up while the server is down

	srv2 := startServerProc(t, data, "--open", "--addr", addr)
	p.waitFor(ctx, "40 more acknowledged commits", atLeast(before+40))
	close(stop)
	sent := <-writerDone
	p.send(`{"cmd":"sync","req":"end"}`)
	p.waitFor(ctx, "the final sync", hasEvent("synced", "req", "end"))

	got := export(t, link)
	for i := range sent {
		if !strings.Contains(got, fmt.Sprintf("line-%d\n", i)) {
			t.Fatalf("line-%d missing from the export after the restart:\n%s", i, got)
		}
	}
	p.finish(ctx)

	p.mu.Lock()
	seen := acked(p.events)
	for _, e := range p.events {
		// unknown_peer is the presence mesh signalling to the export
		// process after it left: nothing to do with commits.
		if e["event"] == "rejected" || e["event"] == "error" && e["code"] != "unknown_peer" {
			t.Errorf("unexpected %v", e)
		}
	}
	p.mu.Unlock()
	srv2.cmd.Process.Signal(syscall.SIGTERM)
	srv2.cmd.Wait()
	st, err := store.OpenSQLite(ctx, filepath.Join(data, "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Records(ctx, "phoenix", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[string]uint64{}
	draws := 0
	for _, r := range recs {
		if _, dup := bySeq[r.ID]; dup {
			t.Fatalf("commit %s is in the log twice", r.ID)
		}
		bySeq[r.ID] = r.Seq
		if r.Kind == wire.KindDraw {
			draws++
		}
	}
	for id, seq := range seen {
		if bySeq[id] != seq {
			t.Fatalf("acknowledged commit %s (seq %d) is at seq %d in the log", id, seq, bySeq[id])
		}
	}
	if draws != sent {
		t.Fatalf("%d commits in the log, %d commands sent: not exactly once", draws, sent)
	}
	t.Logf("%d commits, %d acknowledged before the kill, all %d present once after the restart", sent, before, draws)
}
