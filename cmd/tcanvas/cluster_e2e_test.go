package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres/pgtest"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// These tests run three real `tcanvas serve` processes on one real
// Postgres ($TCANVAS_TEST_POSTGRES; scripts/test starts one) and break
// them in the ways a cluster breaks: SIGKILL, SIGSTOP, and a node losing
// its database.

const clTTL = 2 * time.Second

type clNode struct {
	*server
	id string
}

type cluster struct {
	t     *testing.T
	dsn   string
	db    *pgx.Conn
	nodes []clNode
}

// startCluster starts n nodes on a fresh schema. dsnFor may give a node
// another way to the database (a proxy); args adds flags per node.
func startCluster(t *testing.T, n int, dsnFor func(i int, dsn string) string, args func(i int) []string) *cluster {
	t.Helper()
	dsn := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	c := &cluster{t: t, dsn: dsn, db: db}
	for i := range n {
		id := fmt.Sprintf("n%d", i)
		d := dsn
		if dsnFor != nil {
			d = dsnFor(i, dsn)
		}
		a := []string{"--store", d, "--node-id", id, "--lease-ttl", clTTL.String(), "--open", "--log-level", "warn"}
		if args != nil {
			a = append(a, args(i)...)
		}
		c.nodes = append(c.nodes, clNode{server: startServerProc(t, t.TempDir(), a...), id: id})
	}
	return c
}

func (c *cluster) link(i int, room string) string { return c.nodes[i].base + "/r/" + room }

// owner reads the room's lease.
func (c *cluster) owner(ctx context.Context, room string) (node string, fence uint64) {
	c.t.Helper()
	var f int64
	err := c.db.QueryRow(ctx, `SELECT node, fence FROM tcanvas_leases WHERE room = $1`, room).Scan(&node, &f)
	if err != nil {
		c.t.Fatalf("lease of %s: %v", room, err)
	}
	return node, uint64(f)
}

// waitOwner polls until the room's lease is held by a node other than
// not, and returns it.
func (c *cluster) waitOwner(ctx context.Context, room, not string) (string, uint64) {
	c.t.Helper()
	for {
		var node string
		var f int64
		var live bool
		err := c.db.QueryRow(ctx, `SELECT node, fence, expires > clock_timestamp() FROM tcanvas_leases WHERE room = $1`, room).Scan(&node, &f, &live)
		if err == nil && node != not && live {
			return node, uint64(f)
		}
		select {
		case <-ctx.Done():
			c.t.Fatalf("no node other than %s took room %s", not, room)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *cluster) count(ctx context.Context, query string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// verify checks the room's log: contiguous seqs, each commit ID once, and
// every acknowledged commit at the seq its author was told.
func (c *cluster) verify(ctx context.Context, room string, acked map[string]uint64) int {
	c.t.Helper()
	rows, err := c.db.Query(ctx, `SELECT seq, id FROM tcanvas_commits WHERE room = $1 ORDER BY seq`, room)
	if err != nil {
		c.t.Fatal(err)
	}
	type rec struct {
		Seq int64
		ID  string
	}
	recs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[rec])
	if err != nil {
		c.t.Fatal(err)
	}
	bySeq := map[string]uint64{}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			c.t.Fatalf("log not contiguous: position %d holds seq %d", i, r.Seq)
		}
		if _, dup := bySeq[r.ID]; dup {
			c.t.Fatalf("commit %s logged twice", r.ID)
		}
		bySeq[r.ID] = uint64(r.Seq)
	}
	for id, seq := range acked {
		if bySeq[id] != seq {
			c.t.Fatalf("acknowledged commit %s (seq %d) is at seq %d in the log", id, seq, bySeq[id])
		}
	}
	return len(recs)
}

// writer is a session that commits steadily and notes what the authority
// acknowledged, and when.
type writer struct {
	t       *testing.T
	name    string
	s       *session.Session
	mu      sync.Mutex
	acked   map[string]uint64
	lastAck time.Time
	offline time.Time // when the link last left Online
	stop    chan struct{}
	stopped chan struct{} // closed once the committing goroutine has returned
	wg      sync.WaitGroup
}

func startWriter(t *testing.T, ctx context.Context, link, name string, every time.Duration) *writer {
	t.Helper()
	s, err := session.Dial(ctx, link, session.Options{
		Name: name, ClientID: name, NoMesh: true,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
		PingInterval: 300 * time.Millisecond, PingTimeout: 700 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("dial %s: %v", link, err)
	}
	w := &writer{t: t, name: name, s: s, acked: map[string]uint64{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		for {
			select {
			case ev := <-s.Events():
				switch e := ev.(type) {
				case session.Committed:
					if e.Own {
						w.mu.Lock()
						w.acked[e.ID], w.lastAck = e.Seq, time.Now()
						w.mu.Unlock()
					}
				case session.LinkChanged:
					if e.Link.State != session.Online {
						w.mu.Lock()
						if w.offline.IsZero() {
							w.offline = time.Now()
						}
						w.mu.Unlock()
					}
				}
			case <-s.Done():
				return
			}
		}
	}()
	go func() {
		defer w.wg.Done()
		defer close(w.stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
			op := model.Op{Kind: model.OpText, X: int32(i % 60), Y: int32(len(name) + i/60%20), Text: string(rune('a' + i%26))}
			if _, err := s.Commit([]model.Op{op}); err != nil {
				return
			}
		}
	}()
	t.Cleanup(w.close)
	return w
}

// halt stops committing and returns once no commit can follow: a tick taken
// just before stop closed would otherwise commit after settle saw nothing
// pending, and the log would outgrow the count verify took.
func (w *writer) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.stopped
}

func (w *writer) close() {
	w.halt()
	w.s.Close()
	w.wg.Wait()
}

// settle stops committing and waits until every commit was acknowledged.
func (w *writer) settle(ctx context.Context) {
	w.t.Helper()
	w.halt()
	for w.s.Info().Pending > 0 {
		select {
		case <-ctx.Done():
			w.t.Fatalf("%s: %d commits never acknowledged (link %v)", w.name, w.s.Info().Pending, w.s.Info().Link)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (w *writer) snapshot() (map[string]uint64, time.Time, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]uint64, len(w.acked))
	for k, v := range w.acked {
		m[k] = v
	}
	return m, w.lastAck, w.offline
}

func allAcked(ws ...*writer) map[string]uint64 {
	out := map[string]uint64{}
	for _, w := range ws {
		m, _, _ := w.snapshot()
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func waitAcks(t *testing.T, ctx context.Context, n int, ws ...*writer) {
	t.Helper()
	for len(allAcked(ws...)) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d commits acknowledged", len(allAcked(ws...)), n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestClusterSessionsOnThreeNodesConverge(t *testing.T) {
	// Node 2 redirects where the others proxy.
	c := startCluster(t, 3, nil, func(i int) []string {
		if i == 2 {
			return []string{"--route", "redirect"}
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws := []*writer{startWriter(t, ctx, c.link(0, "conv"), "w0", 5*time.Millisecond)}
	ws = append(ws, startWriter(t, ctx, c.link(1, "conv"), "w1", 5*time.Millisecond),
		startWriter(t, ctx, c.link(2, "conv"), "w2", 5*time.Millisecond))
	if node, _ := c.owner(ctx, "conv"); node != "n0" {
		t.Fatalf("owner %s, want n0 (the first node joined)", node)
	}
	waitAcks(t, ctx, 300, ws...)
	for _, w := range ws {
		w.settle(ctx)
	}
	total := c.verify(ctx, "conv", allAcked(ws...))
	for {
		same := true
		for _, w := range ws {
			same = same && w.s.Info().Seq == uint64(total)
		}
		if same {
			break
		}
		select {
		case <-ctx.Done():
			var at []string
			for _, w := range ws {
				at = append(at, fmt.Sprintf("%s at %d", w.name, w.s.Info().Seq))
			}
			t.Fatalf("sessions never reached seq %d: %s", total, strings.Join(at, ", "))
		case <-time.After(10 * time.Millisecond):
		}
	}
	ref := ws[0].s.Canvas()
	for _, w := range ws[1:] {
		if !w.s.Canvas().Equal(ref) {
			t.Fatalf("%s's canvas differs from w0's", w.name)
		}
	}
	t.Logf("%d commits from sessions on three nodes (proxied and redirected), converged", total)
}

func TestClusterOwnerKilled(t *testing.T) {
	c := startCluster(t, 3, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w0 := startWriter(t, ctx, c.link(0, "kill"), "w0", 3*time.Millisecond)
	w1 := startWriter(t, ctx, c.link(1, "kill"), "w1", 3*time.Millisecond)
	w2 := startWriter(t, ctx, c.link(2, "kill"), "w2", 3*time.Millisecond)
	waitAcks(t, ctx, 200, w0, w1, w2)
	if err := c.nodes[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	c.nodes[0].cmd.Wait()
	w0.halt() // its node is gone for good; what it had acknowledged must not be
	node, _ := c.waitOwner(ctx, "kill", "n0")
	took := time.Since(killed)
	if took > clTTL+2*time.Second {
		t.Fatalf("%s took the room %s after the kill; TTL is %s", node, took, clTTL)
	}
	before := len(allAcked(w1, w2))
	waitAcks(t, ctx, before+100, w1, w2)
	w1.settle(ctx)
	w2.settle(ctx)
	n := c.verify(ctx, "kill", allAcked(w0, w1, w2))
	t.Logf("owner SIGKILLed: %s took the room after %s (TTL %s); %d commits logged, every acknowledged one among them",
		node, took.Round(time.Millisecond), clTTL, n)
}

func TestClusterPausedOwnerIsFenced(t *testing.T) {
	c := startCluster(t, 3, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	w0 := startWriter(t, ctx, c.link(0, "pause"), "w0", 3*time.Millisecond)
	w1 := startWriter(t, ctx, c.link(1, "pause"), "w1", 3*time.Millisecond)
	w2 := startWriter(t, ctx, c.link(2, "pause"), "w2", 3*time.Millisecond)
	// A raw client straight on the owner keeps sending while it is paused:
	// those frames wait in the socket for the old owner to wake.
	rc, err := rawclient.Join(ctx, c.link(0, "pause"), wire.Hello{Client: "rc", Name: "rc"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.WS.CloseNow()
	waitAcks(t, ctx, 200, w0, w1, w2)
	_, oldFence := c.owner(ctx, "pause")

	p := c.nodes[0].cmd.Process
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer p.Signal(syscall.SIGCONT)
	// SIGSTOP takes effect asynchronously: what the raw client sends must
	// reach a node that is really stopped.
	waitStopped(t, ctx, p.Pid)
	paused := time.Now()
	var sent atomic.Int32
	sendOld := func(until time.Time) {
		for i := 0; time.Now().Before(until); i++ {
			wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
			if rc.Send(wctx, wire.Commit{T: wire.TCommit, ID: fmt.Sprintf("rc-%d", sent.Add(1)),
				Ops: []model.Op{rawclient.Text(int32(i%50), 40, "o")}}) != nil {
				wcancel()
				return
			}
			wcancel()
			time.Sleep(20 * time.Millisecond)
		}
	}
	go sendOld(paused.Add(clTTL))
	node, newFence := c.waitOwner(ctx, "pause", "n0")
	took := time.Since(paused)
	if took > clTTL+2*time.Second {
		t.Fatalf("%s took the room %s after the pause; TTL is %s", node, took, clTTL)
	}
	oldRows := c.count(ctx, `SELECT count(*) FROM tcanvas_commits WHERE room = 'pause' AND fence = $1`, int64(oldFence))
	waitAcks(t, ctx, len(allAcked(w1, w2))+100, w1, w2)
	// Past the old lease by a TTL more, the old owner wakes up with its
	// socket full of commits, and gets more.
	time.Sleep(time.Until(paused.Add(2 * clTTL)))
	if err := p.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	// The raw client must hear nothing but its connection closing: no
	// commit of its is acknowledged, by a node that no longer owns the room.
	done := make(chan error, 1)
	go func() {
		for {
			f, err := rc.Read(ctx)
			if err != nil {
				done <- nil
				return
			}
			var m struct {
				ID string `json:"id"`
			}
			if (f.T == wire.TCommitted || f.T == wire.TAck) && f.Decode(&m) == nil && strings.HasPrefix(m.ID, "rc-") {
				done <- fmt.Errorf("old owner acknowledged %s after waking: %s", m.ID, f.Raw)
				return
			}
		}
	}()
	sendOld(resumed.Add(time.Second))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the woken old owner kept the raw client's connection open")
	}
	time.Sleep(time.Second)
	if n := c.count(ctx, `SELECT count(*) FROM tcanvas_commits WHERE room = 'pause' AND fence = $1`, int64(oldFence)); n != oldRows {
		t.Fatalf("%d commits written under the old lease epoch %d after the takeover", n-oldRows, oldFence)
	}
	if n := c.count(ctx, `SELECT count(*) FROM tcanvas_commits WHERE room = 'pause' AND id LIKE 'rc-%'`); n != 0 {
		t.Fatalf("%d of the raw client's commits sent during the pause were written", n)
	}
	// w0, whose node woke up, is routed to the new owner and catches up.
	for _, w := range []*writer{w0, w1, w2} {
		w.settle(ctx)
	}
	n := c.verify(ctx, "pause", allAcked(w0, w1, w2))
	if cur, f := c.owner(ctx, "pause"); cur == "n0" || f < newFence {
		t.Fatalf("the old owner took the room back: %s fence %d", cur, f)
	}
	t.Logf("owner SIGSTOPped %s, %s took the room after %s (fence %d → %d); after SIGCONT 0 of %d commits were accepted from the old epoch; %d commits logged",
		2*clTTL, node, took.Round(time.Millisecond), oldFence, newFence, sent.Load(), n)
}

func TestClusterNodeCutOffFromPostgres(t *testing.T) {
	var px *tcpProxy
	c := startCluster(t, 3, func(i int, dsn string) string {
		if i != 0 {
			return dsn
		}
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		px = newTCPProxy(t, u.Host)
		u.Host = px.addr()
		return u.String()
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	w0 := startWriter(t, ctx, c.link(0, "cut"), "w0", 3*time.Millisecond)
	w1 := startWriter(t, ctx, c.link(1, "cut"), "w1", 3*time.Millisecond)
	waitAcks(t, ctx, 200, w0, w1)
	px.cut()
	cut := time.Now()
	node, _ := c.waitOwner(ctx, "cut", "n0")
	took := time.Since(cut)
	if took > clTTL+2*time.Second {
		t.Fatalf("%s took the room %s after n0 was cut off; TTL is %s", node, took, clTTL)
	}
	_, lastAck, offline := w0.snapshot()
	// n0 acknowledged nothing after losing Postgres (it could not make
	// anything durable: only acknowledgements of what was durable before
	// the cut may still have been on their way), and dropped its clients
	// before its lease ran out.
	if lastAck.After(cut.Add(clTTL / 4)) {
		t.Fatalf("n0 acknowledged a commit %s after it was cut off", lastAck.Sub(cut))
	}
	if offline.IsZero() || offline.After(cut.Add(clTTL)) {
		t.Fatalf("n0 kept its client until %s after the cut (TTL %s)", offline.Sub(cut), clTTL)
	}
	resp, err := http.Get(c.nodes[0].base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("n0 /healthz = %d while cut off from its store", resp.StatusCode)
	}
	waitAcks(t, ctx, len(allAcked(w1))+100, w1)
	w0.halt()
	w1.settle(ctx)
	n := c.verify(ctx, "cut", allAcked(w0, w1))
	t.Logf("n0 cut off from Postgres: last ack at cut%+dms, clients dropped %s after it, %s took the room after %s; %d commits logged, every acknowledged one among them",
		lastAck.Sub(cut).Milliseconds(), offline.Sub(cut).Round(time.Millisecond), node, took.Round(time.Millisecond), n)
}

// waitStopped waits until every thread of process pid is stopped.
func waitStopped(t *testing.T, ctx context.Context, pid int) {
	t.Helper()
	for {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(tasks) > 0
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			s := string(b)
			i := strings.LastIndexByte(s, ')')
			if err != nil || i < 0 || i+2 >= len(s) || (s[i+2] != 'T' && s[i+2] != 't') {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the node never stopped")
		case <-time.After(time.Millisecond):
		}
	}
}

// tcpProxy forwards connections to a target until cut: then it forwards
// nothing more, in either direction, and keeps every connection open, as a
// network partition does (the harder case: nothing fails, it just hangs).
type tcpProxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) cut() { p.down.Store(true) }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		if p.down.Load() {
			continue // accepted, never answered
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(up)
		p.wg.Add(2)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

func (p *tcpProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

// pipe copies until cut, then swallows what arrives.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.down.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			if !p.down.Load() {
				dst.Close()
			}
			return
		}
	}
}

func (p *tcpProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
