package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// meshPipe is a `tcanvas bot pipe` process: we write commands to it and
// collect its events.
type meshPipe struct {
	cmd *exec.Cmd
	in  io.WriteCloser

	mu       sync.Mutex
	you      uint16
	routes   map[uint16]string     // from its latest roster event
	cursors  map[uint16][2]float64 // latest cursor per peer
	finished chan struct{}
}

func startMeshPipe(t *testing.T, ctx context.Context, link, name string, extra ...string) *meshPipe {
	t.Helper()
	args := append([]string{"bot", "pipe", link, "--name", name}, extra...)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "TCANVAS_ICE_ALLOW=127.0.0.0/8")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &meshPipe{cmd: cmd, in: in, routes: map[uint16]string{}, cursors: map[uint16][2]float64{}, finished: make(chan struct{})}
	go p.read(out)
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		<-p.finished
		cmd.Wait()
	})
	return p
}

func (p *meshPipe) read(out io.Reader) {
	defer close(p.finished)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Event  string `json:"event"`
			You    uint16 `json:"you"`
			Peer   uint16 `json:"peer"`
			Cursor *struct{ X, Y float64 }
			Peers  []struct {
				ID    uint16 `json:"id"`
				You   bool   `json:"you"`
				Route string `json:"route"`
			} `json:"peers"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		p.mu.Lock()
		switch ev.Event {
		case "roster":
			clear(p.routes)
			for _, peer := range ev.Peers {
				if peer.You {
					p.you = peer.ID
				} else {
					p.routes[peer.ID] = peer.Route
				}
			}
		case "presence":
			if ev.Cursor != nil {
				p.cursors[ev.Peer] = [2]float64{ev.Cursor.X, ev.Cursor.Y}
			}
		}
		p.mu.Unlock()
	}
}

func (p *meshPipe) send(t *testing.T, line string) {
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		t.Errorf("pipe: %v", err)
	}
}

func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// TestMeshAcrossProcesses: four bot processes see each other's cursors
// over p2p links while the authority handles no presence at all; then a
// fifth that refuses the mesh (as if UDP to it were blocked) is still
// seen, through the relay.
func TestMeshAcrossProcesses(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	link := srv.base + "/r/mesh"
	var ps []*meshPipe
	for i := range 4 {
		ps = append(ps, startMeshPipe(t, ctx, link, fmt.Sprintf("p%d", i)))
	}
	waitUntil(t, ctx, "all pairs on p2p", func() bool {
		for _, p := range ps {
			p.mu.Lock()
			ok := len(p.routes) == 3
			for _, r := range p.routes {
				ok = ok && r == "p2p"
			}
			p.mu.Unlock()
			if !ok {
				return false
			}
		}
		return true
	})
	waitUntil(t, ctx, "every cursor at every peer", func() bool {
		for i, p := range ps {
			p.send(t, fmt.Sprintf(`{"cmd":"cursor","x":%d,"y":7}`, 100+i))
		}
		for i, p := range ps {
			for j, q := range ps {
				if i == j {
					continue
				}
				q.mu.Lock()
				id := q.you
				q.mu.Unlock()
				p.mu.Lock()
				c, ok := p.cursors[id]
				p.mu.Unlock()
				if !ok || c[0] != float64(100+j) {
					return false
				}
			}
		}
		return true
	})
	if n := metric(t, srv.base, "tcanvas_presence_received_packets_total"); n != 0 {
		t.Fatalf("the authority received %g presence packets while all pairs were p2p", n)
	}

	lone := startMeshPipe(t, ctx, link, "lone", "--no-mesh")
	waitUntil(t, ctx, "the mesh-less peer's cursor", func() bool {
		lone.send(t, `{"cmd":"cursor","x":5,"y":5}`)
		lone.mu.Lock()
		id := lone.you
		lone.mu.Unlock()
		ps[0].mu.Lock()
		defer ps[0].mu.Unlock()
		c, ok := ps[0].cursors[id]
		return ok && c == [2]float64{5, 5} && ps[0].routes[id] == "relay"
	})
	if metric(t, srv.base, "tcanvas_presence_relayed_packets_total") == 0 {
		t.Fatal("the relay carried nothing for the mesh-less peer")
	}
}

func waitUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
