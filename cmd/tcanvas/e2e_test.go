package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

var binary string

func TestMain(m *testing.M) {
	// Sessions in this process and the binaries it starts: the presence
	// mesh must never leave loopback in tests.
	if os.Getenv("TCANVAS_ICE_ALLOW") == "" {
		os.Setenv("TCANVAS_ICE_ALLOW", "127.0.0.0/8")
	}
	dir, err := os.MkdirTemp("", "tcanvas-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tcanvas")
	// Canvases keep outboxes and owner tokens in the state directory: not
	// the user's, in tests (tests that look at it set their own).
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build tcanvas: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a real `tcanvas serve` process.
type server struct {
	cmd  *exec.Cmd
	base string
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

func startServerProc(t *testing.T, data string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			s.base = m[1]
			go func() {
				for sc.Scan() {
				}
			}()
			return s
		}
	}
	t.Fatalf("server exited before listening: %v", sc.Err())
	return nil
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "tcanvas ") {
		t.Fatalf("version: %q %v", out, err)
	}
}

// TestKill9LosesNoAcknowledgedCommit streams commits from several clients,
// kills the server with SIGKILL mid-stream, restarts it on the same data
// and checks that every commit a client saw acknowledged is in the log,
// once, in a contiguous order, and that the canvas matches the log.
func TestKill9LosesNoAcknowledgedCommit(t *testing.T) {
	data := t.TempDir()
	srv := startServerProc(t, data, "--open")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link := srv.base + "/r/crash"

	var mu sync.Mutex
	acked := map[string]uint64{}
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := rawclient.Join(ctx, link, wire.Hello{Client: fmt.Sprintf("w%d", w), Name: fmt.Sprintf("w%d", w)})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.WS.CloseNow()
			// Pipeline: a reader notes acknowledgements while the writer sends.
			go func() {
				for i := 0; ; i++ {
					id := fmt.Sprintf("w%d-%d", w, i)
					op := rawclient.Text(int32(i%40), int32(w), fmt.Sprintf("%c", 'a'+i%26))
					if c.Send(ctx, wire.Commit{T: wire.TCommit, ID: id, Ops: []model.Op{op}}) != nil {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			for {
				f, err := c.Read(ctx)
				if err != nil {
					return // the server died
				}
				var m wire.Committed
				if f.T == wire.TCommitted && f.Decode(&m) == nil && strings.HasPrefix(m.ID, fmt.Sprintf("w%d-", w)) {
					mu.Lock()
					acked[m.ID] = m.Seq
					if len(acked) >= 300 {
						once.Do(func() { close(enough) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("never reached 300 acknowledged commits")
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()

	// Restart on the same data: the room wakes from what is on disk.
	srv2 := startServerProc(t, data, "--open")
	c, err := rawclient.Join(ctx, srv2.base+"/r/crash", wire.Hello{Client: "check", Name: "check"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	srv2.cmd.Process.Signal(syscall.SIGTERM)
	srv2.cmd.Wait()

	st, err := store.OpenSQLite(ctx, filepath.Join(data, "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Records(ctx, "crash", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[string]uint64{}
	replay := model.NewCanvas()
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("log not contiguous: position %d holds seq %d", i, r.Seq)
		}
		if _, dup := bySeq[r.ID]; dup {
			t.Fatalf("commit %s logged twice", r.ID)
		}
		bySeq[r.ID] = r.Seq
		var ops []model.Op
		if err := json.Unmarshal(r.Ops, &ops); err != nil {
			t.Fatal(err)
		}
		replay.Apply(ops)
	}
	for id, seq := range acked {
		if bySeq[id] != seq {
			t.Fatalf("acknowledged commit %s (seq %d) is %d in the log after kill -9", id, seq, bySeq[id])
		}
	}
	if c.Welcome.Seq != uint64(len(recs)) || !c.Canvas.Equal(replay) {
		t.Fatalf("restarted server's snapshot at seq %d differs from the log of %d commits", c.Welcome.Seq, len(recs))
	}
	t.Logf("%d commits acknowledged before SIGKILL, %d on disk, none lost", len(acked), len(recs))
}
