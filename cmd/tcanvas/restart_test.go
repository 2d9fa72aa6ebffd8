package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/net/session"
)

// TestFiveHundredSessionsReconnectAfterRestart restarts the authority
// process under 500 connected sessions: every one of them reconnects by
// itself (jittered backoff spreads them out) and the time each took is
// reported.
func TestFiveHundredSessionsReconnectAfterRestart(t *testing.T) {
	n := 500
	if testing.Short() {
		n = 100
	}
	data := t.TempDir()
	// Many sessions from one address: raise the per-IP connection rate, as
	// an operator behind a NAT or a load balancer would.
	srv := startServerProc(t, data, "--open", "--conn-rate", "1000", "--conn-max", "1000")
	addr := strings.TrimPrefix(srv.base, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	ss := make([]*session.Session, n)
	var g errgroup.Group
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error {
			s, err := session.Dial(ctx, fmt.Sprintf("%s/r/room%d", srv.base, i%50),
				session.Options{Name: fmt.Sprintf("s%d", i), NoMesh: true, EventBuffer: 16})
			ss[i] = s
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, s := range ss {
			s.Close()
		}
	}()

	// Watch each session's link: when did it come back online?
	var mu sync.Mutex
	back := map[int]time.Time{}
	offline := map[int]bool{}
	for i, s := range ss {
		go func() {
			for {
				select {
				case ev := <-s.Events():
					if l, ok := ev.(session.LinkChanged); ok {
						mu.Lock()
						switch l.Link.State {
						case session.Offline:
							offline[i] = true
						case session.Online:
							if offline[i] {
								back[i] = time.Now()
							}
						}
						mu.Unlock()
					}
				case <-s.Done():
					return
				}
			}
		}()
	}

	srv.cmd.Process.Signal(syscall.SIGTERM) // graceful: clients are told "going away"
	srv.cmd.Wait()
	restarted := time.Now()
	srv = startServerProc(t, data, "--open", "--conn-rate", "1000", "--conn-max", "1000", "--addr", addr)
	up := time.Since(restarted)

	for {
		mu.Lock()
		got := len(back)
		mu.Unlock()
		if got == n {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d sessions reconnected", got, n)
		case <-time.After(20 * time.Millisecond):
		}
	}
	mu.Lock()
	var ds []time.Duration
	for _, at := range back {
		ds = append(ds, at.Sub(restarted))
	}
	mu.Unlock()
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[int(p*float64(len(ds)-1))] }
	for _, s := range ss {
		if st := s.Link().State; st != session.Online {
			t.Fatalf("a session is %s after reconnecting", st)
		}
	}
	t.Logf("%d sessions back online after a restart (server up in %s): p50 %s, p99 %s, max %s after the restart began",
		n, up.Round(time.Millisecond), pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), ds[len(ds)-1].Round(time.Millisecond))
	if os.Getenv("TCANVAS_VERBOSE") != "" {
		t.Logf("all: %v", ds)
	}
}
