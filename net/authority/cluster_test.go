package authority_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres/pgtest"
	"github.com/tcanvas/tcanvas/net/wire"
)

// node is one authority of a cluster sharing a Postgres schema.
type node struct {
	t    *testing.T
	srv  *authority.Server
	http *httptest.Server
	st   *postgres.Store
}

func startNode(t *testing.T, dsn, id string, redirect bool) *node {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := st.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := authority.New(authority.Options{Store: st, Open: true, Cluster: authority.Cluster{
		NodeID: id, Advertise: "http://" + ln.Addr().String(), LeaseTTL: 2 * time.Second, Redirect: redirect, Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv}}
	hs.Start()
	n := &node{t: t, srv: srv, http: hs, st: st}
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	if n.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.Shutdown(ctx); err != nil {
		n.t.Error(err)
	}
	n.http.Close()
	n.st.Close()
	n.http = nil
}

func (n *node) link(room string) string { return n.http.URL + "/r/" + room }

func TestClusterRoutesToTheOwner(t *testing.T) {
	for _, redirect := range []bool{false, true} {
		t.Run(map[bool]string{false: "proxy", true: "redirect"}[redirect], func(t *testing.T) {
			dsn := pgtest.Schema(t)
			a := startNode(t, dsn, "a", redirect)
			b := startNode(t, dsn, "b", redirect)
			ctx := ctxT(t)
			ca := join(t, ctx, a.link("r"), "ca")
			cb := join(t, ctx, b.link("r"), "cb") // a owns the room: routed there
			if len(cb.Welcome.Roster) != 2 || a.srv.LiveRooms() != 1 || b.srv.LiveRooms() != 0 {
				t.Fatalf("roster %v; live rooms: a %d, b %d", cb.Welcome.Roster, a.srv.LiveRooms(), b.srv.LiveRooms())
			}
			m := committed(t)(cb.Commit(ctx, "cb-1", rawclient.Text(0, 0, "b")))
			if _, err := ca.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TCommitted }); err != nil {
				t.Fatal(err)
			}
			committed(t)(ca.Commit(ctx, "ca-1", rawclient.Text(1, 0, "a")))
			if _, err := cb.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TCommitted && cb.Seq == m.Seq+1 }); err != nil {
				t.Fatal(err)
			}
			if !ca.Canvas.Equal(cb.Canvas) {
				t.Fatal("the two nodes' clients diverge")
			}
			// The owner leaves gracefully: its lease is released, and the
			// other node takes the room at once, with everything in it.
			ca.WS.CloseNow()
			cb.WS.CloseNow()
			a.stop()
			start := time.Now()
			c2 := join(t, ctx, b.link("r"), "cb", func(h *wire.Hello) { h.Epoch = cb.Welcome.Epoch })
			if c2.Welcome.Sync != wire.SyncCatchup || c2.Welcome.Seq != 2 || b.srv.LiveRooms() != 1 {
				t.Fatalf("after the owner left: %+v", c2.Welcome)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("takeover after a graceful leave took %s", d)
			}
		})
	}
}

// TestClusterFencesOffTheOldOwner takes a room from its owner behind its
// back (its lease is made to expire in the database, as if the owner had
// been paused): the old owner's next write is refused by the store, its
// client is told to reconnect, and nothing it sent is acknowledged.
func TestClusterFencesOffTheOldOwner(t *testing.T) {
	dsn := pgtest.Schema(t)
	a := startNode(t, dsn, "a", false)
	b := startNode(t, dsn, "b", false)
	ctx := ctxT(t)
	ca := join(t, ctx, a.link("r"), "ca")
	committed(t)(ca.Commit(ctx, "ca-1", rawclient.Text(0, 0, "a")))

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE tcanvas_leases SET expires = clock_timestamp() WHERE room = 'r'`); err != nil {
		t.Fatal(err)
	}
	cb := join(t, ctx, b.link("r"), "cb") // b takes the expired lease
	if b.srv.LiveRooms() != 1 || cb.Welcome.Seq != 1 {
		t.Fatalf("b did not take the room: %+v", cb.Welcome)
	}
	// a either learns of the loss from its renewal (within TTL/3) or from
	// the store refusing this commit; either way it is not acknowledged.
	if err := ca.Send(ctx, wire.Commit{T: wire.TCommit, ID: "ca-2", Ops: []model.Op{rawclient.Text(1, 0, "x")}}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := ca.Read(ctx)
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusGoingAway {
				t.Fatalf("old owner closed with %v, want going away", err)
			}
			break
		}
		if f.T == wire.TCommitted || f.T == wire.TAck {
			t.Fatalf("the old owner acknowledged after losing its lease: %s", f.Raw)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM tcanvas_commits WHERE room = 'r'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("commits stored: %d, %v", n, err)
	}
	// The client comes back through a, which now routes it to b.
	ca2 := join(t, ctx, a.link("r"), "ca", func(h *wire.Hello) { h.Epoch = ca.Welcome.Epoch })
	m := committed(t)(ca2.Commit(ctx, "ca-2", rawclient.Text(1, 0, "x")))
	if m.Seq != 2 || a.srv.LiveRooms() != 0 {
		t.Fatalf("resent commit: seq %d; a live rooms %d", m.Seq, a.srv.LiveRooms())
	}
}

// TestClusterWaitsOutADeadOwner: a lease whose owner does not answer is
// waited out, then taken, within the TTL.
func TestClusterWaitsOutADeadOwner(t *testing.T) {
	dsn := pgtest.Schema(t)
	b := startNode(t, dsn, "b", false)
	ctx := ctxT(t)
	// A node that took the room and died: its address answers nothing.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead.Close()
	if _, err := b.st.Acquire(ctx, "r", "dead", "http://"+dead.Addr().String(), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := join(t, ctx, b.link("r"), "c")
	d := time.Since(start)
	if d < time.Second || d > 3500*time.Millisecond {
		t.Fatalf("joined after %s; the dead owner's lease had 1.5s left", d)
	}
	committed(t)(c.Commit(ctx, "c-1", rawclient.Text(0, 0, "x")))
	if err := c.Close(); err != nil && !errors.Is(err, context.Canceled) {
		t.Log(err)
	}

}
