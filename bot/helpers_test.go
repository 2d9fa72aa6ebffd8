package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// authorityProc is a real authority on a loopback port, over a real
// SQLite store, in this process.
type authorityProc struct {
	addr string
	srv  *authority.Server
	hs   *http.Server
	st   *store.SQLite
}

func newAuthority(t *testing.T, opts authority.Options) *authorityProc {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = st
	srv, err := authority.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &authorityProc{addr: ln.Addr().String(), srv: srv, st: st, hs: &http.Server{Handler: srv}}
	served := make(chan struct{})
	go func() { defer close(served); a.hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.srv.Shutdown(ctx)
		a.hs.Shutdown(ctx)
		<-served
		a.st.Close()
	})
	return a
}

func (a *authorityProc) link(room string) string { return "http://" + a.addr + "/r/" + room }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fast makes reconnection quick, so tests that cut links do not wait.
var fast = session.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}

func config(link, name string) bot.Config {
	return bot.Config{Link: link, Name: name, Session: fast}
}

// observe joins a room as a plain participant that watches what bots do.
func observe(t *testing.T, ctx context.Context, link string) *observer {
	t.Helper()
	s, err := session.Dial(ctx, link, session.Options{Name: "observer"})
	if err != nil {
		t.Fatal(err)
	}
	o := &observer{s: s, done: make(chan struct{})}
	go o.drain()
	t.Cleanup(func() { s.Close(); <-o.done })
	return o
}

type observer struct {
	s         *session.Session
	done      chan struct{}
	mu        sync.Mutex
	committed []session.Committed
	rosters   []session.Roster
}

func (o *observer) drain() {
	defer close(o.done)
	for {
		select {
		case ev := <-o.s.Events():
			o.mu.Lock()
			switch ev := ev.(type) {
			case session.Committed:
				o.committed = append(o.committed, ev)
			case session.Roster:
				o.rosters = append(o.rosters, ev)
			}
			o.mu.Unlock()
		case <-o.s.Done():
			return
		}
	}
}

func (o *observer) commits() []session.Committed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]session.Committed(nil), o.committed...)
}

// eventually polls cond until it holds or the test's context ends.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// lines is an io.Writer that splits what Pipe writes into JSON events.
type lines struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	events []map[string]any
	raw    []string
	t      *testing.T
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	for {
		line, err := l.buf.ReadBytes('\n')
		if err != nil {
			l.buf.Write(line) // incomplete: keep for the next write
			return len(b), nil
		}
		var ev map[string]any
		if err := json.Unmarshal(line, &ev); err != nil {
			l.t.Errorf("pipe wrote a line that is not JSON: %q", line)
			continue
		}
		l.events = append(l.events, ev)
		l.raw = append(l.raw, string(bytes.TrimSpace(line)))
	}
}

func (l *lines) all() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.events...)
}

// find returns the events whose "event" is kind.
func (l *lines) find(kind string) []map[string]any {
	var out []map[string]any
	for _, ev := range l.all() {
		if ev["event"] == kind {
			out = append(out, ev)
		}
	}
	return out
}
