package authority_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	t     *testing.T
	srv   *authority.Server
	http  *httptest.Server
	store *store.SQLite
	dir   string
}

// start runs a real authority on a random loopback port over a real SQLite
// file, and stops it when the test ends.
func start(t *testing.T, opts authority.Options) *env {
	t.Helper()
	dir := t.TempDir()
	return startAt(t, dir, opts)
}

func startAt(t *testing.T, dir string, opts authority.Options) *env {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	opts.Store = st
	srv, err := authority.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	e := &env{t: t, srv: srv, http: hs, store: st, dir: dir}
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	if e.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		e.t.Error(err)
	}
	e.http.Close()
	e.store.Close()
	e.http = nil
}

func (e *env) link(room string) string { return e.http.URL + "/r/" + room }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func join(t *testing.T, ctx context.Context, link, name string, mod ...func(*wire.Hello)) *rawclient.Client {
	t.Helper()
	h := wire.Hello{Client: name, Name: name}
	for _, m := range mod {
		m(&h)
	}
	c, err := rawclient.Join(ctx, link, h)
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(func() { c.WS.CloseNow() })
	return c
}

// committed checks that an answer is a committed frame: use it as
// committed(t)(c.Commit(...)).
func committed(t *testing.T) func(rawclient.Frame, error) wire.Committed {
	return func(f rawclient.Frame, err error) wire.Committed { t.Helper(); return mustCommitted(t, f, err) }
}

// rejected checks that an answer is a reject with code.
func rejected(t *testing.T, code string) func(rawclient.Frame, error) wire.Reject {
	return func(f rawclient.Frame, err error) wire.Reject { t.Helper(); return mustReject(t, f, err, code) }
}

func mustCommitted(t *testing.T, f rawclient.Frame, err error) wire.Committed {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if f.T != wire.TCommitted {
		t.Fatalf("want committed, got %s", f.Raw)
	}
	var m wire.Committed
	if err := f.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustReject(t *testing.T, f rawclient.Frame, err error, code string) wire.Reject {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var m wire.Reject
	if f.T != wire.TReject || f.Decode(&m) != nil || m.Code != code {
		t.Fatalf("want reject %s, got %s", code, f.Raw)
	}
	if m.Reason == "" {
		t.Fatalf("reject without a reason: %s", f.Raw)
	}
	return m
}

// readUntilSeq reads until the client's canvas is at seq.
func readUntilSeq(t *testing.T, ctx context.Context, c *rawclient.Client, seq uint64) {
	t.Helper()
	for c.Seq < seq {
		if _, err := c.Read(ctx); err != nil {
			t.Fatalf("waiting for seq %d at %d: %v", seq, c.Seq, err)
		}
	}
}

func TestConcurrentCommitsConvergeToServerOrder(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("conv"), "alice")
	b := join(t, ctx, e.link("conv"), "bob")
	const n = 50
	var wg sync.WaitGroup
	for i, c := range []*rawclient.Client{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range n {
				// Both write the same cells, so the final canvas depends on
				// the order the authority chose.
				op := rawclient.Text(int32(k%7), 0, fmt.Sprintf("%c%d", 'a'+i, k))
				if err := c.Send(ctx, wire.Commit{T: wire.TCommit, ID: c.NextID([]string{"alice", "bob"}[i]), Ops: []model.Op{op}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	readUntilSeq(t, ctx, a, 2*n)
	readUntilSeq(t, ctx, b, 2*n)
	if !a.Canvas.Equal(b.Canvas) {
		t.Fatalf("clients diverged:\n%s\n---\n%s", model.RenderText(a.Canvas, model.Rect{W: 10, H: 1}), model.RenderText(b.Canvas, model.Rect{W: 10, H: 1}))
	}
	fresh := join(t, ctx, e.link("conv"), "carol")
	if fresh.Welcome.Seq != 2*n || !fresh.Canvas.Equal(a.Canvas) {
		t.Fatalf("a new joiner's snapshot (seq %d) differs from the clients' canvas", fresh.Welcome.Seq)
	}
}

func TestResentCommitAppliedOnce(t *testing.T) {
	e := start(t, authority.Options{Open: true, IdleTimeout: 20 * time.Millisecond})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("dup"), "alice")
	first := committed(t)(a.Commit(ctx, "alice-1", rawclient.Text(0, 0, "x")))
	f, err := a.Commit(ctx, "alice-1", rawclient.Text(5, 5, "should not land"))
	if err != nil {
		t.Fatal(err)
	}
	var ack wire.Ack
	if f.T != wire.TAck || f.Decode(&ack) != nil || ack.Seq != first.Seq {
		t.Fatalf("resend: want ack with seq %d, got %s", first.Seq, f.Raw)
	}
	// The resend also dedupes after the room hibernated and woke from disk.
	a.Close()
	waitHibernated(t, e)
	a = join(t, ctx, e.link("dup"), "alice")
	f, err = a.Commit(ctx, "alice-1", rawclient.Text(5, 5, "should not land"))
	if err != nil || f.T != wire.TAck {
		t.Fatalf("resend after wake: want ack, got %s (%v)", f.Raw, err)
	}
	if a.Seq != 1 || a.Canvas.Get(5, 5).Ch != 0 {
		t.Fatalf("resent commit applied twice: seq %d", a.Seq)
	}
}

func waitHibernated(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.LiveRooms() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("room did not hibernate")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestViewerCannotCommit(t *testing.T) {
	e := start(t, authority.Options{}) // rooms closed: token needed to write
	ctx := ctxT(t)
	owner := join(t, ctx, e.link("closed"), "owner")
	if owner.Welcome.Role != wire.RoleOwner || owner.Welcome.Token == "" {
		t.Fatalf("first joiner: role %s, token %q; want owner with a token", owner.Welcome.Role, owner.Welcome.Token)
	}
	committed(t)(owner.Commit(ctx, "owner-1", rawclient.Text(0, 0, "mine")))
	viewer := join(t, ctx, e.link("closed"), "viewer")
	if viewer.Welcome.Role != wire.RoleViewer {
		t.Fatalf("tokenless joiner of a closed room: role %s", viewer.Welcome.Role)
	}
	f, err := viewer.Commit(ctx, "viewer-1", rawclient.Text(0, 0, "evil"))
	mustReject(t, f, err, wire.CodeForbidden)
	check := join(t, ctx, e.link("closed"), "check")
	if got := model.RenderText(check.Canvas, model.Rect{W: 10, H: 1}); got != "mine" || check.Welcome.Seq != 1 {
		t.Fatalf("canvas after viewer commits: %q at seq %d", got, check.Welcome.Seq)
	}
	// The owner's token makes a later connection the owner again.
	again := join(t, ctx, e.link("closed")+"?token="+owner.Welcome.Token, "owner2")
	if again.Welcome.Role != wire.RoleOwner {
		t.Fatalf("owner token gave role %s", again.Welcome.Role)
	}
	// An unknown token is refused, not silently downgraded.
	c, err := rawclient.Dial(ctx, e.link("closed")+"?token=tc_nope", wire.Hello{Client: "x", Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	expectClose(t, ctx, c, wire.CloseToken, wire.CodeToken)
}

// expectClose reads until the connection closes and checks the error frame
// and close code.
func expectClose(t *testing.T, ctx context.Context, c *rawclient.Client, code websocket.StatusCode, errCode string) {
	t.Helper()
	sawErr := errCode == ""
	for {
		f, err := c.Read(ctx)
		if err != nil {
			if got := websocket.CloseStatus(err); got != code {
				t.Fatalf("close status %d (%v), want %d", got, err, code)
			}
			if !sawErr {
				t.Fatalf("closed with %d but no error frame %q came first", code, errCode)
			}
			return
		}
		var m wire.Error
		if f.T == wire.TError && f.Decode(&m) == nil && m.Code == errCode && m.Fatal && m.Reason != "" {
			sawErr = true
		}
	}
}

func TestCommitBeforeHelloChangesNothing(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	ws, _, err := websocket.Dial(ctx, strings.Replace(e.link("early"), "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	b, _ := json.Marshal(wire.Commit{T: wire.TCommit, ID: "early-1", Ops: []model.Op{rawclient.Text(0, 0, "sneaky")}})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	c := &rawclient.Client{WS: ws, Canvas: model.NewCanvas()}
	expectClose(t, ctx, c, wire.CloseHello, wire.CodeHello)
	check := join(t, ctx, e.link("early"), "check")
	if check.Welcome.Seq != 0 || check.Canvas.Len() != 0 {
		t.Fatalf("a commit before hello changed the room: seq %d", check.Welcome.Seq)
	}
}

func TestOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	good := join(t, ctx, e.link("big"), "good")
	bad := join(t, ctx, e.link("big"), "bad")
	huge := wire.Commit{T: wire.TCommit, ID: "bad-1", Ops: []model.Op{rawclient.Text(0, 0, strings.Repeat("x", wire.MaxFrameBytes))}}
	if err := bad.Send(ctx, huge); err != nil {
		t.Fatal(err)
	}
	expectClose(t, ctx, bad, websocket.StatusMessageTooBig, "")
	committed(t)(good.Commit(ctx, "good-1", rawclient.Text(0, 0, "still here")))
}

func TestHibernateAndWakeIdentical(t *testing.T) {
	e := start(t, authority.Options{Open: true, IdleTimeout: 50 * time.Millisecond, SnapshotEvery: 7})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("sleepy"), "alice")
	for i := range 20 {
		op := model.Op{Kind: model.OpRect, X: int32(i), Y: int32(-i), W: 3, H: 2, Ch: '#', FG: model.RGB(255, 0, byte(i))}
		committed(t)(a.Commit(ctx, a.NextID("alice"), op))
	}
	before := a.Canvas.Clone()
	a.Close()
	waitHibernated(t, e)
	b := join(t, ctx, e.link("sleepy"), "bob")
	if b.Welcome.Seq != 20 || !b.Canvas.Equal(before) || b.Welcome.Epoch != a.Welcome.Epoch {
		t.Fatalf("woken room: seq %d epoch %s, canvas equal %v", b.Welcome.Seq, b.Welcome.Epoch, b.Canvas.Equal(before))
	}
	// And after a restart of the whole server on the same file.
	b.Close()
	e.stop()
	e2 := startAt(t, e.dir, authority.Options{Open: true})
	c := join(t, ctx, e2.link("sleepy"), "carol")
	if c.Welcome.Seq != 20 || !c.Canvas.Equal(before) {
		t.Fatalf("after restart: seq %d", c.Welcome.Seq)
	}
}

func TestCatchupAfterReconnect(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("cu"), "alice")
	b := join(t, ctx, e.link("cu"), "bob")
	committed(t)(a.Commit(ctx, "alice-1", rawclient.Text(0, 0, "one")))
	readUntilSeq(t, ctx, b, 1)
	b.Close()
	committed(t)(a.Commit(ctx, "alice-2", rawclient.Text(0, 1, "two")))
	committed(t)(a.Commit(ctx, "alice-3", rawclient.Text(0, 2, "three")))
	// Reconnect with the last seq and epoch: only the two missed commits come.
	b2, err := rawclient.Dial(ctx, e.link("cu"), wire.Hello{Client: "bob", Name: "bob", Epoch: b.Welcome.Epoch, Seq: b.Seq})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.WS.CloseNow()
	b2.Canvas, b2.Seq = b.Canvas, b.Seq
	if err := b2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b2.Welcome.Sync != wire.SyncCatchup || !b2.Canvas.Equal(a.Canvas) {
		t.Fatalf("sync %s, canvas equal %v", b2.Welcome.Sync, b2.Canvas.Equal(a.Canvas))
	}
	// A stale epoch gets a snapshot instead.
	b3 := join(t, ctx, e.link("cu"), "bob3", func(h *wire.Hello) { h.Epoch, h.Seq = "other", 1 })
	if b3.Welcome.Sync != wire.SyncSnapshot || !b3.Canvas.Equal(a.Canvas) {
		t.Fatalf("stale epoch: sync %s", b3.Welcome.Sync)
	}
}

func TestUndoRestoresOnlyCellsStillOwned(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("undo"), "alice")
	b := join(t, ctx, e.link("undo"), "bob")
	ca := committed(t)(a.Commit(ctx, "alice-1", rawclient.Text(0, 0, "aaaa")))
	readUntilSeq(t, ctx, b, ca.Seq)
	committed(t)(b.Commit(ctx, "bob-1", rawclient.Text(2, 0, "B")))
	// Bob may not undo Alice's commit.
	f, err := b.Request(ctx, "bob-2", wire.Undo{T: wire.TUndo, ID: "bob-2", Target: ca.Seq})
	mustReject(t, f, err, wire.CodeForbidden)
	undo := committed(t)(a.Request(ctx, "alice-2", wire.Undo{T: wire.TUndo, ID: "alice-2", Target: ca.Seq}))
	if got := model.RenderText(a.Canvas, model.Rect{W: 8, H: 1}); got != "  B" {
		t.Fatalf("after undo: %q, want Bob's B kept", got)
	}
	committed(t)(a.Request(ctx, "alice-3", wire.Undo{T: wire.TRedo, ID: "alice-3", Target: undo.Seq}))
	if got := model.RenderText(a.Canvas, model.Rect{W: 8, H: 1}); got != "aaBa" {
		t.Fatalf("after redo: %q", got)
	}
	f, err = a.Request(ctx, "alice-4", wire.Undo{T: wire.TUndo, ID: "alice-4", Target: 99})
	mustReject(t, f, err, wire.CodeNotFound)
}

// TestUndoKeepsWideCharactersWhole: Alice writes 漢字 over "ab"; Bob writes
// x over the right half of 字 (erasing it); Alice's undo restores "a" and
// "b" under 漢, the one wide character still hers, and leaves Bob's x —
// never half a character, on the authority and every replica alike.
func TestUndoKeepsWideCharactersWhole(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("wide"), "alice")
	b := join(t, ctx, e.link("wide"), "bob")
	committed(t)(a.Commit(ctx, "alice-1", rawclient.Text(0, 0, "ab")))
	ca := committed(t)(a.Commit(ctx, "alice-2", rawclient.Text(0, 0, "漢字")))
	readUntilSeq(t, ctx, b, ca.Seq)
	committed(t)(b.Commit(ctx, "bob-1", rawclient.Text(3, 0, "x")))
	undo := committed(t)(a.Request(ctx, "alice-3", wire.Undo{T: wire.TUndo, ID: "alice-3", Target: ca.Seq}))
	readUntilSeq(t, ctx, b, undo.Seq)
	for _, c := range []*rawclient.Client{a, b} {
		if got := model.RenderText(c.Canvas, model.Rect{W: 8, H: 1}); got != "ab x" {
			t.Fatalf("after undo: %q, want alice's ab back and bob's x kept", got)
		}
	}
	check := join(t, ctx, e.link("wide"), "check")
	if !check.Canvas.Equal(a.Canvas) {
		t.Fatal("the authority's snapshot differs from the replicas")
	}
}

func TestRevokedEditorLosesWriteOnLiveConnection(t *testing.T) {
	e := start(t, authority.Options{})
	ctx := ctxT(t)
	owner := join(t, ctx, e.link("tok"), "owner")
	tok := mintToken(t, ctx, owner, "r1", wire.RoleEditor)
	ed := join(t, ctx, e.link("tok")+"?token="+tok.Token, "editor")
	if ed.Welcome.Role != wire.RoleEditor {
		t.Fatalf("editor token gave %s", ed.Welcome.Role)
	}
	committed(t)(ed.Commit(ctx, "editor-1", rawclient.Text(0, 0, "ok")))
	if err := owner.Send(ctx, wire.Revoke{T: wire.TRevoke, Req: "r2", ID: tok.ID}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	upd, err := ed.Until(ctx, func(f rawclient.Frame) bool {
		var m wire.RosterJoin
		return f.T == wire.TUpdate && f.Decode(&m) == nil && m.Peer.ID == ed.Welcome.You
	})
	if err != nil {
		t.Fatal(err)
	}
	var m wire.RosterJoin
	upd.Decode(&m)
	if m.Peer.Role != wire.RoleViewer {
		t.Fatalf("after revoke: role %s", m.Peer.Role)
	}
	t.Logf("revocation reached the live connection in %s", time.Since(start))
	rejected(t, wire.CodeForbidden)(ed.Commit(ctx, "editor-2", rawclient.Text(0, 0, "no")))
	// The revoked token no longer admits anyone.
	c, err := rawclient.Dial(ctx, e.link("tok")+"?token="+tok.Token, wire.Hello{Client: "y", Name: "y"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	expectClose(t, ctx, c, wire.CloseToken, wire.CodeToken)
}

func TestPresenceRelayBatchesAndStampsSender(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	var cs []*rawclient.Client
	for _, n := range []string{"a", "b", "c"} {
		cs = append(cs, join(t, ctx, e.link("pres"), n))
	}
	p := wire.Presence{Seq: 1, HasCursor: true, Cursor: model.Point{X: 10, Y: -3}}
	pkt := p.AppendBinary(nil)
	if len(pkt) > 24 {
		t.Fatalf("cursor packet is %d bytes, budget 24", len(pkt))
	}
	for _, c := range cs[:2] {
		if err := c.WS.Write(ctx, websocket.MessageBinary, pkt); err != nil {
			t.Fatal(err)
		}
	}
	// c receives one frame per tick with a's and b's cursors; a only b's.
	want := map[uint16]bool{cs[0].Welcome.You: true, cs[1].Welcome.You: true}
	got := map[uint16]bool{}
	for len(got) < 2 {
		f, err := cs[2].Until(ctx, func(f rawclient.Frame) bool { return f.Bin })
		if err != nil {
			t.Fatal(err)
		}
		es, err := wire.DecodeRelay(f.Raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range es {
			if !want[en.Peer] {
				t.Fatalf("relay names peer %d, not a sender", en.Peer)
			}
			q, err := wire.DecodePresence(en.Packet)
			if err != nil || q.Cursor != p.Cursor {
				t.Fatalf("relayed packet %v %v", q, err)
			}
			got[en.Peer] = true
		}
	}
	f, err := cs[0].Until(ctx, func(f rawclient.Frame) bool { return f.Bin })
	if err != nil {
		t.Fatal(err)
	}
	es, _ := wire.DecodeRelay(f.Raw)
	for _, en := range es {
		if en.Peer == cs[0].Welcome.You {
			t.Fatal("a peer was sent its own presence")
		}
	}
	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(sb.String(), "tcanvas_presence_relayed_packets_total") {
		t.Fatal("metrics lack tcanvas_presence_relayed_packets_total")
	}
}

func TestSignalRelayStampsSender(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("sig"), "a")
	b := join(t, ctx, e.link("sig"), "b")
	// a claims to be someone else; the authority overwrites From.
	if err := a.Send(ctx, wire.Signal{T: wire.TSignal, To: b.Welcome.You, From: 999, Data: json.RawMessage(`{"sdp":"x"}`)}); err != nil {
		t.Fatal(err)
	}
	f, err := b.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TSignal })
	if err != nil {
		t.Fatal(err)
	}
	var s wire.Signal
	f.Decode(&s)
	if s.From != a.Welcome.You || string(s.Data) != `{"sdp":"x"}` {
		t.Fatalf("signal delivered as %s", f.Raw)
	}
	if err := a.Send(ctx, wire.Signal{T: wire.TSignal, To: 4242, Data: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	f, err = a.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TError })
	var m wire.Error
	if err != nil || f.Decode(&m) != nil || m.Code != wire.CodeUnknownPeer {
		t.Fatalf("signal to nobody: %s %v", f.Raw, err)
	}
}

func TestSlowClientIsDisconnectedNotStallingRoom(t *testing.T) {
	e := start(t, authority.Options{Open: true, SendQueue: 8, WriteTimeout: time.Second, CommitRate: 1e6, CommitBurst: 1e6, FrameRate: 1e6, FrameBurst: 1e6})
	ctx := ctxT(t)
	// A tiny receive buffer so that a client that stops reading backs up
	// into the server quickly, instead of into megabytes of loopback buffer.
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	httpc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	slow, err := rawclient.DialWith(ctx, e.link("slow"), wire.Hello{Client: "slow", Name: "slow"}, &websocket.DialOptions{HTTPClient: httpc})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.WS.CloseNow()
	if err := slow.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	fast := join(t, ctx, e.link("slow"), "fast")
	// The slow client stops reading; the fast one keeps committing and
	// getting its answers while the slow one is cut off.
	big := strings.Repeat("#", 4000)
	left := false
	var stalled, after []time.Duration // the fast client's commit round trips
	for i := 0; !left; i++ {
		if i == 5000 {
			t.Fatal("the slow client was never disconnected")
		}
		id := fast.NextID("fast")
		sent := time.Now()
		if err := fast.Send(ctx, wire.Commit{T: wire.TCommit, ID: id, Ops: []model.Op{rawclient.Text(0, int32(i%50), big)}}); err != nil {
			t.Fatal(err)
		}
		_, err := fast.Until(ctx, func(f rawclient.Frame) bool {
			var l wire.RosterLeave
			if f.T == wire.TLeave && f.Decode(&l) == nil && l.ID == slow.Welcome.You {
				left = true
			}
			var c wire.Committed
			return f.T == wire.TCommitted && f.Decode(&c) == nil && c.ID == id
		})
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, time.Since(sent))
	}
	for i := range min(len(stalled), 200) {
		sent := time.Now()
		committed(t)(fast.Commit(ctx, fast.NextID("fast"), rawclient.Text(0, int32(i%50), big)))
		after = append(after, time.Since(sent))
	}
	// A figure, not an assertion (timings are noisy here): the others'
	// commit round trip while a reader stalls, and once it is gone.
	t.Logf("fast client's commit round trip over %d commits: p50 %s p99 %s while the slow reader stalled; p50 %s p99 %s after it was cut off",
		len(stalled), pctl(stalled, 0.5), pctl(stalled, 0.99), pctl(after, 0.5), pctl(after, 0.99))
}

func pctl(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))].Round(10 * time.Microsecond)
}

func TestCommitRateLimitAnswersClearly(t *testing.T) {
	e := start(t, authority.Options{Open: true, CommitRate: 1, CommitBurst: 2})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("rl"), "a")
	committed(t)(a.Commit(ctx, "a-1", rawclient.Text(0, 0, "1")))
	committed(t)(a.Commit(ctx, "a-2", rawclient.Text(0, 0, "2")))
	rejected(t, wire.CodeRateLimited)(a.Commit(ctx, "a-3", rawclient.Text(0, 0, "3")))
}

func TestInvalidCommitRejectedWithReason(t *testing.T) {
	e := start(t, authority.Options{Open: true, MaxRoomCells: 10})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("inv"), "a")
	rejected(t, wire.CodeInvalid)(a.Commit(ctx, "a-1", rawclient.Text(0, 0, "e\u0301")))
	rejected(t, wire.CodeInvalid)(a.Commit(ctx, "a-1b", rawclient.Text(1<<30, 0, "中"))) // its right half is out of bounds
	rejected(t, wire.CodeTooLarge)(a.Commit(ctx, "a-2", model.Op{Kind: model.OpRect, W: 1 << 20, H: 1 << 20, Ch: 'x'}))
	rejected(t, wire.CodeInvalid)(a.Commit(ctx, "a-3", rawclient.Text(1<<30+1, 0, "x")))
	rejected(t, wire.CodeRoomFull)(a.Commit(ctx, "a-4", model.Op{Kind: model.OpRect, W: 4, H: 4, Ch: 'x'}))
	// Undecodable commit still gets a reject naming its ID.
	if err := a.WS.Write(ctx, websocket.MessageText, []byte(`{"t":"commit","id":"a-5","ops":[{"op":"set","cells":[{"x":"no"}]}]}`)); err != nil {
		t.Fatal(err)
	}
	rejected(t, wire.CodeInvalid)(a.AnswerTo(ctx, "a-5"))
	// Text that is not UTF-8, raw or as a lone surrogate escape, is refused
	// rather than stored as U+FFFD.
	for _, f := range []string{
		"{\"t\":\"commit\",\"id\":\"a-6\",\"ops\":[{\"op\":\"text\",\"text\":\"a\xffb\"}]}",
		`{"t":"commit","id":"a-7","ops":[{"op":"text","text":"a\ud800b"}]}`,
	} {
		if err := a.WS.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a-6", "a-7"} {
		if r := rejected(t, wire.CodeInvalid)(a.AnswerTo(ctx, id)); !strings.Contains(r.Reason, "UTF-8") {
			t.Fatalf("%s refused with %q", id, r.Reason)
		}
	}
	check := join(t, ctx, e.link("inv"), "check")
	if check.Welcome.Seq != 0 || check.Canvas.Len() != 0 {
		t.Fatal("rejected commits changed the room")
	}
}

func TestCommitIDsAndClientIDsStayPrivate(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("priv"), "ann", func(h *wire.Hello) { h.Client = "secret-a" })
	b := join(t, ctx, e.link("priv"), "bob", func(h *wire.Hello) { h.Client = "secret-b" })
	// b cannot commit under a's client ID, so it can neither collide with
	// nor be mistaken for a's commits.
	rejected(t, wire.CodeInvalid)(b.Commit(ctx, "secret-a-1", rawclient.Text(0, 0, "x")))
	mine := committed(t)(a.Commit(ctx, "secret-a-1", rawclient.Text(0, 0, "y")))
	if mine.ID != "secret-a-1" || mine.Author != wire.AuthorOf("secret-a") {
		t.Fatalf("author's own committed frame: %+v", mine)
	}
	f, err := b.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TCommitted })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(f.Raw), "secret-a") {
		t.Fatalf("another peer saw the author's client ID: %s", f.Raw)
	}
	for _, p := range b.Welcome.Roster {
		if p.Author == "" || strings.Contains(p.Author, "secret") {
			t.Fatalf("roster entry leaks or lacks an author: %+v", p)
		}
	}
}

func TestHelloProblemsGetClearCloses(t *testing.T) {
	e := start(t, authority.Options{Open: true, HelloTimeout: 100 * time.Millisecond})
	ctx := ctxT(t)
	wsURL := strings.Replace(e.link("hello"), "http", "ws", 1)
	// Silence: closed with 4000 and a reason once the hello timeout passes.
	ws, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	expectClose(t, ctx, &rawclient.Client{WS: ws, Canvas: model.NewCanvas()}, wire.CloseHello, wire.CodeHello)
	// Another protocol version: 4001 with the version code.
	ws2, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.CloseNow()
	ws2.Write(ctx, websocket.MessageText, []byte(`{"t":"hello","v":99,"client":"x","name":"x"}`))
	expectClose(t, ctx, &rawclient.Client{WS: ws2, Canvas: model.NewCanvas()}, wire.CloseVersion, wire.CodeVersion)
}

func TestFramesBeforeWelcomeAnsweredAfterIt(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	c, err := rawclient.Dial(ctx, e.link("early2"), wire.Hello{Client: "ann", Name: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	// Sent right behind the hello, before any welcome could arrive.
	c.Send(ctx, wire.Commit{T: wire.TCommit, ID: "ann-1", Ops: []model.Op{rawclient.Text(0, 0, "hi")}})
	c.Send(ctx, wire.Signal{T: wire.TSignal, To: 999, Data: json.RawMessage(`{}`)})
	if err := c.Sync(ctx); err != nil {
		t.Fatalf("the welcome must come first: %v", err)
	}
	// Both answers come after the welcome, in whichever order.
	sawCommit, sawErr := false, false
	if _, err := c.Until(ctx, func(f rawclient.Frame) bool {
		sawCommit = sawCommit || f.T == wire.TCommitted
		sawErr = sawErr || f.T == wire.TError
		return sawCommit && sawErr
	}); err != nil {
		t.Fatal(err)
	}
	// An empty room's snapshot is an empty list, not null.
	d, err := rawclient.Dial(ctx, e.link("empty"), wire.Hello{Client: "bob", Name: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.WS.CloseNow()
	f, err := d.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TSnap })
	if err != nil || !strings.Contains(string(f.Raw), `"runs":[]`) {
		t.Fatalf("empty snapshot: %s %v", f.Raw, err)
	}
}

// TestDeadClientDetectedByServer: a client that stops answering (it never
// reads again, so never pongs: a half-open link) is dropped by the
// authority on its own, and the others see it leave.
func TestDeadClientDetectedByServer(t *testing.T) {
	e := start(t, authority.Options{Open: true, PingIdle: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	ctx := ctxT(t)
	watcher := join(t, ctx, e.link("dead"), "watcher")
	dead := join(t, ctx, e.link("dead"), "dead")
	begin := time.Now()
	f, err := watcher.Until(ctx, func(f rawclient.Frame) bool {
		var l wire.RosterLeave
		return f.T == wire.TLeave && f.Decode(&l) == nil && l.ID == dead.Welcome.You
	})
	if err != nil {
		t.Fatalf("the silent client was never dropped: %v %s", err, f.Raw)
	}
	t.Logf("silent client dropped after %s (ping after 100ms idle, 200ms to answer)", time.Since(begin))
	// The watcher itself keeps reading, so it answers pings and stays.
	committed(t)(watcher.Commit(ctx, "watcher-1", rawclient.Text(0, 0, "alive")))
}

// TestTenThousandMalformedFrames sends 10,000 bad frames of many kinds
// over real sockets: frames after a valid hello each get an error frame
// or a reject, bad first frames get an error frame and a close code, the
// server stays up, and a client in another room sees nothing of it.
func TestTenThousandMalformedFrames(t *testing.T) {
	// The answers are sent as fast as the frames arrive: a queue deep
	// enough for all of them keeps this a test of answers, not of speed.
	e := start(t, authority.Options{Open: true, FrameRate: 1e6, FrameBurst: 1e6, CommitRate: 1e6, CommitBurst: 1e6,
		ConnRate: 1e6, ConnBurst: 1e6, SendQueue: 20000})
	ctx := ctxT(t)
	bystander := join(t, ctx, e.link("quiet"), "bystander")

	after := []string{
		`{`, `null`, `[]`, `"str"`, `{"t":42}`, `{"t":"nope"}`, `{"t":"welcome"}`,
		`{"t":"commit"}`, `{"t":"commit","id":"evil-1","ops":[{"op":"text","text":"x"}]}`,
		`{"t":"commit","id":"mal-1","ops":[{"op":"zap"}]}`,
		`{"t":"commit","id":"mal-2","ops":[{"op":"set","cells":[{"x":1,"y":1,"ch":"ab"}]}]}`,
		`{"t":"commit","id":"mal-3","ops":[{"op":"text","x":99999999999,"text":"x"}]}`,
		`{"t":"commit","id":"mal-4","ops":[{"op":"rect","w":-1,"h":2,"ch":"#"}]}`,
		`{"t":"commit","id":"mal-5","ops":[{"op":"text","text":"\u0007"}]}`,
		`{"t":"undo","id":"mal-6"}`, `{"t":"redo","id":"mal-7","target":"x"}`,
		`{"t":"signal","to":0,"data":{}}`, `{"t":"signal","to":9,"data":null}`,
		`{"t":"mint","role":"king"}`, `{"t":"revoke"}`, `{"t":"hello","v":1,"client":"x","name":"x"}`,
	}
	binaries := [][]byte{{}, {0xff}, {0x40, 0, 1, 0xff}, make([]byte, 600)}
	c := join(t, ctx, e.link("mal"), "mal")
	sent, answered := 0, 0
	const total = 10000
	const bad1st = 500 // of which sent as first frames on fresh connections
	done := make(chan error, 1)
	go func() {
		for answered < total-bad1st {
			f, err := c.Read(ctx)
			if err != nil {
				done <- err
				return
			}
			if f.T == wire.TError || f.T == wire.TReject {
				answered++
			}
		}
		done <- nil
	}()
	for i := 0; sent < total-bad1st; i++ {
		var err error
		if i%5 == 4 {
			err = c.WS.Write(ctx, websocket.MessageBinary, binaries[i%len(binaries)])
		} else {
			err = c.WS.Write(ctx, websocket.MessageText, []byte(after[i%len(after)]))
		}
		if err != nil {
			t.Fatal(err)
		}
		sent++
	}
	if err := <-done; err != nil {
		t.Fatalf("after %d answers: %v", answered, err)
	}
	firsts := []string{`{`, `{"t":"commit","id":"x-1","ops":[]}`, `{"t":"hello","v":1}`, `{"t":"hello","v":1,"client":"a b","name":"x"}`, `{"t":"hello","v":1,"client":"x","name":""}`}
	for i := range bad1st {
		ws, _, err := websocket.Dial(ctx, strings.Replace(e.link("mal"), "http", "ws", 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.Write(ctx, websocket.MessageText, []byte(firsts[i%len(firsts)]))
		expectClose(t, ctx, &rawclient.Client{WS: ws, Canvas: model.NewCanvas()}, wire.CloseHello, wire.CodeHello)
		ws.CloseNow()
		sent++
	}
	// Still up, the room untouched, the other room none the wiser.
	resp, err := http.Get(e.http.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz after %d malformed frames: %v", sent, err)
	}
	resp.Body.Close()
	check := join(t, ctx, e.link("mal"), "check")
	if check.Welcome.Seq != 0 {
		t.Fatalf("malformed frames changed the room: seq %d", check.Welcome.Seq)
	}
	committed(t)(bystander.Commit(ctx, "bystander-1", rawclient.Text(0, 0, "calm")))
	t.Logf("%d malformed frames: %d answered with an error or reject on a live connection, %d refused as first frames with close %d", sent, answered, bad1st, wire.CloseHello)
}

func TestNewConnectionsRateLimitedPerIP(t *testing.T) {
	e := start(t, authority.Options{Open: true, ConnRate: 1, ConnBurst: 2})
	ctx := ctxT(t)
	join(t, ctx, e.link("ip"), "a")
	join(t, ctx, e.link("ip"), "b")
	_, resp, err := websocket.Dial(ctx, strings.Replace(e.link("ip"), "http", "ws", 1), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third connection in a burst of 2: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "too many new connections") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("429 without a clear reason: %q", body)
	}
}

func TestCommitIDSuffixCannotReachAnotherClient(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("ids"), "a")
	// "a-b-1" would be an ID of client "a-b".
	rejected(t, wire.CodeInvalid)(a.Commit(ctx, "a-b-1", rawclient.Text(0, 0, "x")))
	committed(t)(a.Commit(ctx, "a-1", rawclient.Text(0, 0, "x")))
}

func TestLongRunSnapshotStaysUnderFrameLimit(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("long"), "a")
	// One row of 65,536 '<' (6 bytes each as JSON) would be an 18 MB run.
	committed(t)(a.Commit(ctx, "a-1", model.Op{Kind: model.OpRect, W: 65536, H: 1, Ch: '<'}))
	b := join(t, ctx, e.link("long"), "b") // rawclient reads with the client limit
	if !b.Canvas.Equal(a.Canvas) || b.Canvas.Len() != 65536 {
		t.Fatalf("snapshot of a long row: %d cells", b.Canvas.Len())
	}
}

func TestFrameFloodAndRoomCapAndNonOwnerMint(t *testing.T) {
	e := start(t, authority.Options{Open: true, FrameRate: 10, FrameBurst: 20, MaxPeers: 3})
	ctx := ctxT(t)
	owner := join(t, ctx, e.link("caps"), "owner")
	ed := join(t, ctx, e.link("caps"), "ed")
	// Not the owner: no tokens.
	if err := ed.Send(ctx, wire.Mint{T: wire.TMint, Req: "m1", Role: wire.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	rejected(t, wire.CodeForbidden)(ed.AnswerTo(ctx, "m1"))
	// A third fills the room; a fourth is refused with 4004.
	join(t, ctx, e.link("caps"), "third")
	c, err := rawclient.Dial(ctx, e.link("caps"), wire.Hello{Client: "fourth", Name: "fourth"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	expectClose(t, ctx, c, wire.CloseRoomFull, wire.CodeRoomFull)
	// A flood of frames closes only the flooder, with 4003.
	for range 100 {
		if ed.Send(ctx, wire.Signal{T: wire.TSignal, To: owner.Welcome.You, Data: json.RawMessage(`{}`)}) != nil {
			break
		}
	}
	expectClose(t, ctx, ed, wire.CloseRateLimited, wire.CodeRateLimited)
	committed(t)(owner.Commit(ctx, "owner-1", rawclient.Text(0, 0, "fine")))
}

// TestDotRoomNamesAre400: "." and ".." are invalid room names like any
// other, answered 400, not a 307 to the path the mux would clean them to.
func TestDotRoomNamesAre400(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/r/.", "/r/..", "/r/./history", "/r/../history"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %d %q, want 400", path, resp.StatusCode, body)
		}
		if !strings.Contains(string(body), "room name") {
			t.Errorf("GET %s: body %q does not say what is wrong", path, body)
		}
	}
}

// TestExistingHelloNeverCreates: hello.existing on a missing room closes
// with 4006 and stores nothing (the next plain joiner creates and owns
// the room); on a room that exists, live or hibernated, it joins as usual.
func TestExistingHelloNeverCreates(t *testing.T) {
	e := start(t, authority.Options{Open: true, IdleTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	existing := func(h *wire.Hello) { h.Existing = true }
	c, err := rawclient.Dial(ctx, e.link("ghost"), wire.Hello{Client: "r", Name: "reader", Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	expectClose(t, ctx, c, wire.CloseNoRoom, wire.CodeNoRoom)
	waitHibernated(t, e)
	if n, _ := e.store.Rooms(ctx); n != 0 {
		t.Fatalf("%d rooms stored after a join that must not create", n)
	}
	owner := join(t, ctx, e.link("ghost"), "owner")
	if owner.Welcome.Role != wire.RoleOwner || owner.Welcome.Token == "" {
		t.Fatalf("the first real joiner is %s: the room was created before it", owner.Welcome.Role)
	}
	committed(t)(owner.Commit(ctx, "owner-1", rawclient.Text(0, 0, "hi")))
	live := join(t, ctx, e.link("ghost"), "live", existing)
	if live.Welcome.Role != wire.RoleEditor || live.Canvas.Len() != 2 {
		t.Fatalf("existing join of a live room: %s, %d cells", live.Welcome.Role, live.Canvas.Len())
	}
	owner.Close()
	live.Close()
	waitHibernated(t, e)
	if later := join(t, ctx, e.link("ghost"), "later", existing); later.Canvas.Len() != 2 {
		t.Fatalf("existing join of a hibernated room: %d cells", later.Canvas.Len())
	}
}

// TestQuietPeerIsRelayedNoPresence: a connection that asked for quiet (in
// its hello, or with a quiet frame) is sent no relay batch while others
// are; turned back on, it gets every peer's latest packet at once.
func TestQuietPeerIsRelayedNoPresence(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("hush"), "a")
	q := join(t, ctx, e.link("hush"), "q", func(h *wire.Hello) { h.Quiet = true })
	l := join(t, ctx, e.link("hush"), "l")
	move := func(seq uint16, x int32) wire.Presence {
		p := wire.Presence{Seq: seq, HasCursor: true, Cursor: model.Point{X: x, Y: 1}}
		if err := a.WS.Write(ctx, websocket.MessageBinary, p.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// batchesBefore reads c up to the commit at seq and counts the relay
	// batches that came first.
	batchesBefore := func(c *rawclient.Client, seq uint64) int {
		n := 0
		if _, err := c.Until(ctx, func(f rawclient.Frame) bool {
			if f.Bin {
				n++
			}
			return c.Seq >= seq
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	commitA := func() uint64 {
		if _, err := a.Commit(ctx, a.NextID("a"), rawclient.Text(0, 0, "x")); err != nil {
			t.Fatal(err)
		}
		return a.Seq
	}
	// The room's first packet goes to each recipient at once, before the
	// commit sent after it: l's batch proves q would have had one.
	move(1, 1)
	id := commitA()
	if n := batchesBefore(l, id); n != 1 {
		t.Fatalf("l got %d batches before the commit, want 1", n)
	}
	if n := batchesBefore(q, id); n != 0 {
		t.Fatalf("quiet q got %d batches", n)
	}
	last := move(2, 2)
	id = commitA()
	batchesBefore(l, id)
	if n := batchesBefore(q, id); n != 0 {
		t.Fatalf("quiet q got %d batches", n)
	}

	on := false
	if err := q.Send(ctx, wire.Quiet{T: wire.TQuiet, On: &on}); err != nil {
		t.Fatal(err)
	}
	f, err := q.Until(ctx, func(f rawclient.Frame) bool { return f.Bin })
	if err != nil {
		t.Fatal(err)
	}
	es, err := wire.DecodeRelay(f.Raw)
	if err != nil || len(es) != 1 || es[0].Peer != a.Welcome.You {
		t.Fatalf("batch after quiet off: %v %v", es, err)
	}
	if p, err := wire.DecodePresence(es[0].Packet); err != nil || p.Cursor != last.Cursor {
		t.Fatalf("batch after quiet off holds %+v %v, want a's latest cursor %v", p, err, last.Cursor)
	}

	yes := true
	if err := q.Send(ctx, wire.Quiet{T: wire.TQuiet, On: &yes}); err != nil {
		t.Fatal(err)
	}
	// q's own commit is answered after its quiet frame took effect.
	if _, err := q.Commit(ctx, q.NextID("q"), rawclient.Text(0, 1, "q")); err != nil {
		t.Fatal(err)
	}
	move(3, 3)
	id = commitA()
	batchesBefore(l, id)
	if n := batchesBefore(q, id); n != 0 {
		t.Fatalf("q, quiet again, got %d batches", n)
	}
	if err := q.Send(ctx, wire.Quiet{T: wire.TQuiet}); err != nil {
		t.Fatal(err)
	}
	f, err = q.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TError })
	var m wire.Error
	if err != nil || f.Decode(&m) != nil || m.Code != wire.CodeInvalid {
		t.Fatalf("a quiet frame without on: %s %v, want an invalid error", f.Raw, err)
	}
}

// TestPresenceBeforeWelcomeRelayedAfterIt: a cursor sent right behind the
// hello, before the welcome (a new room's welcome waits for its creation
// to be durable), is kept and relayed once the sender is welcomed, like the
// requests held for the welcome.
func TestPresenceBeforeWelcomeRelayedAfterIt(t *testing.T) {
	e := start(t, authority.Options{Open: true})
	ctx := ctxT(t)
	a, err := rawclient.Dial(ctx, e.link("eager"), wire.Hello{Client: "a", Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.WS.CloseNow()
	old := wire.Presence{Seq: 1, HasCursor: true, Cursor: model.Point{X: 1, Y: 1}}
	latest := wire.Presence{Seq: 2, HasCursor: true, Cursor: model.Point{X: 7, Y: -2}}
	for _, p := range []wire.Presence{old, latest} {
		if err := a.WS.Write(ctx, websocket.MessageBinary, p.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	b := join(t, ctx, e.link("eager"), "b")
	f, err := b.Until(ctx, func(f rawclient.Frame) bool { return f.Bin })
	if err != nil {
		t.Fatalf("a's early cursor never reached b: %v", err)
	}
	es, err := wire.DecodeRelay(f.Raw)
	if err != nil || len(es) != 1 || es[0].Peer != a.Welcome.You {
		t.Fatalf("relay batch %v %v", es, err)
	}
	if q, err := wire.DecodePresence(es[0].Packet); err != nil || q.Cursor != latest.Cursor {
		t.Fatalf("relayed %+v %v, want the latest early packet", q, err)
	}
}

// box is a box outline of merged box glyphs, as the canvas's box tool
// commits it.
func box(x0, y0, x1, y1 int32) model.Op { return styledBox(model.BoxSingle, 0, x0, y0, x1, y1) }

// styledBox is box in a style and colour; one row or column high, it is a
// line.
func styledBox(style model.BoxStyle, fg model.Color, x0, y0, x1, y1 int32) model.Op {
	var cells []model.CellAt
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			row, col := y == y0 || y == y1, x == x0 || x == x1
			if ch := model.BoxGlyph(style, col && y > y0, row && x < x1, col && y < y1, row && x > x0); ch != 0 && (row || col) {
				cells = append(cells, model.CellAt{X: x, Y: y, Cell: model.Cell{Ch: ch, FG: fg}})
			}
		}
	}
	return model.Op{Kind: model.OpSet, Merge: true, Cells: cells}
}

// TestUndoRemovesOnlyItsJunctionArms: alice's box, bob's crossing it
// (junctions); alice undoes hers and bob's stays whole, in plain lines;
// redo brings the junctions back; the same after the room hibernated, when
// the log comes from the store.
func TestUndoRemovesOnlyItsJunctionArms(t *testing.T) {
	e := start(t, authority.Options{Open: true, IdleTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("arms"), "alice")
	b := join(t, ctx, e.link("arms"), "bob")
	mine := committed(t)(a.Commit(ctx, "alice-1", box(0, 0, 4, 2)))
	readUntilSeq(t, ctx, b, mine.Seq)
	last := committed(t)(b.Commit(ctx, "bob-1", box(2, 1, 7, 3)))
	view := func(c *rawclient.Client) string { return model.RenderText(c.Canvas, model.Rect{W: 8, H: 4}) }
	const both, bobs = "┌───┐\n│ ┌─┼──┐\n└─┼─┘  │\n  └────┘", "\n  ┌────┐\n  │    │\n  └────┘"
	readUntilSeq(t, ctx, a, last.Seq)
	if view(a) != both {
		t.Fatalf("drawn:\n%s", view(a))
	}
	undo := committed(t)(a.Request(ctx, "alice-2", wire.Undo{T: wire.TUndo, ID: "alice-2", Target: mine.Seq}))
	readUntilSeq(t, ctx, b, undo.Seq)
	if view(a) != bobs || view(b) != bobs {
		t.Fatalf("after alice's undo:\n%s\nbob sees:\n%s\nwant:\n%s", view(a), view(b), bobs)
	}
	redo := committed(t)(a.Request(ctx, "alice-3", wire.Undo{T: wire.TRedo, ID: "alice-3", Target: undo.Seq}))
	readUntilSeq(t, ctx, b, redo.Seq)
	if view(a) != both || view(b) != both {
		t.Fatalf("after alice's redo:\n%s\nbob sees:\n%s", view(a), view(b))
	}
	a.Close()
	b.Close()
	waitHibernated(t, e)
	a = join(t, ctx, e.link("arms"), "alice")
	committed(t)(a.Request(ctx, "alice-4", wire.Undo{T: wire.TUndo, ID: "alice-4", Target: redo.Seq}))
	if view(a) != bobs {
		t.Fatalf("undo of the redo, after a wake:\n%s", view(a))
	}
}

// mintToken has owner mint a token of role and returns the answer.
func mintToken(t *testing.T, ctx context.Context, owner *rawclient.Client, req string, role wire.Role) wire.Token {
	t.Helper()
	if err := owner.Send(ctx, wire.Mint{T: wire.TMint, Req: req, Role: role}); err != nil {
		t.Fatal(err)
	}
	f, err := owner.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TToken })
	if err != nil {
		t.Fatal(err)
	}
	var tok wire.Token
	f.Decode(&tok)
	return tok
}
