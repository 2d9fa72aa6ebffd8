package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/internal/sshview"
)

// watcher is an SSH viewer that remembers whether the canvas reached it.
type watcher struct {
	v    *sshview.Viewer
	mu   sync.Mutex
	text bytes.Buffer
}

func (w *watcher) seen(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Contains(w.text.Bytes(), []byte(s))
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.text.String()
}

func watch(ctx context.Context, addr, local, user, room string, width, height int) (*watcher, error) {
	w := &watcher{}
	v, err := sshview.Dial(ctx, sshview.Options{Addr: addr, Local: local, User: user, Command: room, Width: width, Height: height,
		Text: func(b []byte) {
			w.mu.Lock()
			if w.text.Len() < 1<<20 {
				w.text.Write(b)
			}
			w.mu.Unlock()
		}})
	if err != nil {
		return nil, err
	}
	w.v = v
	return w, nil
}

// TestSSHAudienceFromOneAddress: 80 SSH sessions from one loopback address
// join one room through a real `tcanvas serve --ssh`, half as editors
// (a canvas program each) and half as viewers (one shared program), and
// all of them get the canvas: the door's sessions reach the authority in process and are
// not throttled as one client by the authority's per-IP connection rate.
// Meanwhile a plain WebSocket client hammering the authority from that same
// address is still refused with 429.
func TestSSHAudienceFromOneAddress(t *testing.T) {
	const viewers = 80
	sshAddr := freePort(t)
	srv := startServerProc(t, t.TempDir(), "--open", "--ssh", sshAddr, "--max-peers", "100",
		"--ssh-rate", "100", "--ssh-burst", "100", "--conn-rate", "2") // WebSocket burst: 10
	waitListening(t, sshAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The abuser: new WebSockets from 127.0.0.1 as fast as it can, until
	// refused.
	refused := make(chan int, 1)
	go func() {
		for i := range 500 {
			ws, resp, err := websocket.Dial(ctx, strings.Replace(srv.base, "http", "ws", 1)+"/r/talk", nil)
			if err == nil {
				ws.CloseNow()
				continue
			}
			if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
				refused <- i
				return
			}
		}
		refused <- -1
	}()

	ws := make([]*watcher, viewers)
	// The first, an editor, creates the room (a viewer could not).
	first, err := watch(ctx, sshAddr, "127.0.0.1", "v0", "talk", 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	ws[0] = first
	for !first.seen("seq ") {
		select {
		case <-first.v.Done():
			t.Fatalf("the first session ended:\n%s", first)
		case <-time.After(20 * time.Millisecond):
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, viewers)
	for i := 1; i < viewers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half of them as viewers, who share one canvas program.
			cmd := "talk"
			if i%2 == 1 {
				cmd = "talk --view"
			}
			w, err := watch(ctx, sshAddr, "127.0.0.1", "v"+strconv.Itoa(i), cmd, 80, 24)
			if err != nil {
				errs <- err
				return
			}
			ws[i] = w
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, w := range ws {
			w.v.Close()
		}
	}()
	if n := <-refused; n < 0 {
		t.Fatal("the plain WebSocket client was never refused with 429")
	} else {
		t.Logf("the plain WebSocket client was refused with 429 after %d connections", n)
	}
	// Every viewer gets the canvas: its welcome and its status bar.
	for i, w := range ws {
		for !w.seen("in room talk") || !w.seen("seq ") {
			select {
			case <-w.v.Done():
				t.Fatalf("viewer %d: the session ended before the canvas came:\n%s", i, w)
			case <-ctx.Done():
				t.Fatalf("viewer %d: no canvas:\n%s", i, w)
			case <-time.After(20 * time.Millisecond):
			}
		}
		// Not a bare "429": the screen shows viewers' names, v1…v79, in any
		// order and in pieces. A refusal says it in words.
		if s := w.String(); strings.Contains(s, "Too Many") || strings.Contains(s, "too many") {
			t.Fatalf("viewer %d was throttled:\n%s", i, s)
		}
	}
}

// hugePTYBudget is what two SSH sessions asking for the largest terminals
// may add to the server's memory: each is drawn at most ui.MaxWidth ×
// ui.MaxHeight (512×256), whose grid and Bubble Tea's two cell buffers
// take about 40 MiB at most. Without the bound one 5000×5000 request took
// the server from 31 MB to 1.9 GB in 2 s and out of memory.
const hugePTYBudget = 160 << 10 // KiB, over the server's RSS before they came

// TestSSHHugePTY: sessions asking for a 65535×65535 terminal, then
// resizing it to 5000×5000 and back to 65535×65535, are drawn at the
// bounded size, and the server's memory stays within hugePTYBudget.
func TestSSHHugePTY(t *testing.T) {
	sshAddr := freePort(t)
	srv := startServerProc(t, t.TempDir(), "--open", "--ssh", sshAddr)
	waitListening(t, sshAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base, err := watch(ctx, sshAddr, "127.0.0.1", "base", "big", 80, 24)
	if err != nil {
		t.Fatal(err)
	}
	defer base.v.Close()
	for !base.seen("seq ") {
		time.Sleep(20 * time.Millisecond)
	}
	before := int(vmRSS(t, srv.cmd.Process.Pid) >> 10) // KiB
	peak := before
	var ws []*watcher
	for i := range 2 {
		w, err := watch(ctx, sshAddr, "127.0.0.1", fmt.Sprint("huge", i), "big", 65535, 65535)
		if err != nil {
			t.Fatal(err)
		}
		defer w.v.Close()
		ws = append(ws, w)
	}
	for _, size := range [][2]int{{65535, 65535}, {5000, 5000}, {65535, 65535}, {100000, 1}} {
		for _, w := range ws {
			if size != [2]int{65535, 65535} || w.v.Bytes() > 0 {
				if err := w.v.WindowChange(size[0], size[1]); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Let each session draw a frame at that size.
		for range 20 {
			time.Sleep(50 * time.Millisecond)
			peak = max(peak, int(vmRSS(t, srv.cmd.Process.Pid)>>10))
		}
	}
	for i, w := range ws {
		if !w.seen("seq ") {
			t.Fatalf("session %d got no canvas:\n%.2000s", i, w)
		}
		select {
		case <-w.v.Done():
			t.Fatalf("session %d ended", i)
		default:
		}
	}
	t.Logf("server RSS %d KiB before the huge sessions, peak %d KiB (budget +%d KiB)", before, peak, hugePTYBudget)
	if peak-before > hugePTYBudget {
		t.Fatalf("server RSS grew by %d KiB with two huge terminals; the budget is %d KiB", peak-before, hugePTYBudget)
	}
}
