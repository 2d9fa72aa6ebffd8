package authority_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
)

// history GETs a room's history and returns the status, headers and
// records.
func history(t *testing.T, ctx context.Context, url string, hdr ...string) (int, http.Header, []authority.HistoryRecord) {
	t.Helper()
	resp := get(t, ctx, url, hdr...)
	defer resp.Body.Close()
	var recs []authority.HistoryRecord
	sc := bufio.NewScanner(resp.Body)
	for resp.StatusCode == http.StatusOK && sc.Scan() {
		var r authority.HistoryRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return resp.StatusCode, resp.Header, recs
}

// TestHistoryStreamsEveryCommit: the whole log, past the 1000 commits a
// catch-up holds and across snapshots, in order, with undo records as
// applied; ?from= starts later; replaying the records gives the canvas.
func TestHistoryStreamsEveryCommit(t *testing.T) {
	e := start(t, authority.Options{Open: true, SnapshotEvery: 500, CommitRate: 1e6, CommitBurst: 1e6, FrameRate: 1e6, FrameBurst: 1e6})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("h"), "alice")
	const n = 1200
	for i := range n {
		committed(t)(a.Commit(ctx, a.NextID("alice"), rawclient.Text(int32(i%50), int32(i/50), string(rune('a'+i%26)))))
	}
	f, err := a.Request(ctx, "alice-undo", wire.Undo{T: wire.TUndo, ID: "alice-undo", Target: n})
	mustCommitted(t, f, err)

	code, hdr, recs := history(t, ctx, e.link("h")+"/history")
	if code != http.StatusOK || len(recs) != n+1 {
		t.Fatalf("history: %d, %d records", code, len(recs))
	}
	if hdr.Get("X-Tcanvas-Seq") != "1201" || hdr.Get("X-Tcanvas-Epoch") != a.Welcome.Epoch || !strings.HasPrefix(hdr.Get("Content-Type"), "application/x-ndjson") {
		t.Fatalf("headers %v", hdr)
	}
	replay := model.NewCanvas()
	for i, r := range recs {
		if r.Seq != uint64(i+1) || r.Name != "alice" || r.Author != wire.AuthorOf("alice") || r.At == 0 {
			t.Fatalf("record %d: %+v", i, r)
		}
		var ops []model.Op
		if err := json.Unmarshal(r.Ops, &ops); err != nil {
			t.Fatal(err)
		}
		replay.Apply(ops)
	}
	if last := recs[n]; last.Kind != wire.KindUndo || last.Target != n {
		t.Fatalf("last record %+v", last)
	}
	if !replay.Equal(a.Canvas) {
		t.Fatal("replaying the history does not give the room's canvas")
	}
	if _, _, recs := history(t, ctx, e.link("h")+"/history?from=1150"); len(recs) != 52 || recs[0].Seq != 1150 {
		t.Fatalf("from=1150: %d records", len(recs))
	}
	if code, _, _ := history(t, ctx, e.link("h")+"/history?from=0"); code != http.StatusBadRequest {
		t.Fatalf("from=0: %d", code)
	}
}

// TestHistoryAccess: a room that is not open needs a valid token, in the
// header or the query; a revoked token is refused at once; an unknown room
// is not created by asking, and answers like a room that exists (404 only
// where rooms are open).
func TestHistoryAccess(t *testing.T) {
	e := start(t, authority.Options{IdleTimeout: 50 * time.Millisecond})
	ctx := ctxT(t)
	owner := join(t, ctx, e.link("closed"), "owner")
	committed(t)(owner.Commit(ctx, "owner-1", rawclient.Text(0, 0, "secret")))
	tok := mintToken(t, ctx, owner, "m", wire.RoleViewer)
	url := e.link("closed") + "/history"
	if code, hdr, _ := history(t, ctx, url); code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("no token: %d", code)
	}
	if code, _, recs := history(t, ctx, url, "Authorization", "Bearer "+tok.Token); code != http.StatusOK || len(recs) != 1 {
		t.Fatalf("viewer token in the header: %d, %d records", code, len(recs))
	}
	if code, _, recs := history(t, ctx, url+"?token="+owner.Welcome.Token); code != http.StatusOK || len(recs) != 1 {
		t.Fatalf("owner token in the query: %d, %d records", code, len(recs))
	}
	if code, _, _ := history(t, ctx, url, "Authorization", "Bearer tc_nope"); code != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", code)
	}
	if err := owner.Send(ctx, wire.Revoke{T: wire.TRevoke, Req: "r", ID: tok.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TRevoked }); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := history(t, ctx, url, "Authorization", "Bearer "+tok.Token); code != http.StatusUnauthorized {
		t.Fatalf("revoked token, live room: %d", code)
	}
	// Hibernated: the same answers from the store.
	owner.Close()
	for deadline := time.Now().Add(10 * time.Second); e.srv.LiveRooms() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the room never hibernated")
		}
	}
	if code, _, recs := history(t, ctx, url+"?token="+owner.Welcome.Token); code != http.StatusOK || len(recs) != 1 {
		t.Fatalf("owner token, hibernated room: %d, %d records", code, len(recs))
	}
	if code, _, _ := history(t, ctx, url, "Authorization", "Bearer "+tok.Token); code != http.StatusUnauthorized {
		t.Fatalf("revoked token, hibernated room: %d", code)
	}
	if e.srv.LiveRooms() != 0 {
		t.Fatal("reading the history woke the room")
	}
	// Rooms are not open here, so without a valid token a room that does
	// not exist is answered like one that does: no existence oracle.
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer tc_nope"}} {
		codeA, bodyA := answer(t, ctx, url, hdr...)
		codeB, bodyB := answer(t, ctx, e.link("nobody")+"/history", hdr...)
		if codeA != http.StatusUnauthorized || codeA != codeB || bodyA != bodyB {
			t.Fatalf("token %v: existing room %d %q, unknown room %d %q", hdr, codeA, bodyA, codeB, bodyB)
		}
	}
	if n, _ := e.store.Rooms(ctx); n != 1 {
		t.Fatalf("%d rooms stored after asking for an unknown one", n)
	}
	// Where rooms are open, existence is no secret (anyone may read them):
	// a missing room is a 404 that says so.
	open := start(t, authority.Options{Open: true})
	if code, body := answer(t, ctx, open.link("nobody")+"/history"); code != http.StatusNotFound || !strings.Contains(body, "no room") {
		t.Fatalf("unknown room on an open authority: %d %q", code, body)
	}
	if n, _ := open.store.Rooms(ctx); n != 0 {
		t.Fatalf("%d rooms stored after asking for an unknown one", n)
	}
}

// get GETs url with the header pairs hdr (name, value, ...).
func get(t *testing.T, ctx context.Context, url string, hdr ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// answer GETs url and returns the status and the body.
func answer(t *testing.T, ctx context.Context, url string, hdr ...string) (int, string) {
	t.Helper()
	resp := get(t, ctx, url, hdr...)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestGrant: a front door's token lowers a role in an open room and raises
// it in a closed one; a role the room gives anyway needs no token; an
// unknown room is not created.
func TestGrant(t *testing.T) {
	ctx := ctxT(t)
	for _, open := range []bool{true, false} {
		e := start(t, authority.Options{Open: open})
		owner := join(t, ctx, e.link("g"), "owner")
		clients := []*rawclient.Client{owner}
		for _, role := range []wire.Role{wire.RoleViewer, wire.RoleEditor} {
			tok, err := e.srv.Grant(ctx, "g", role)
			if err != nil {
				t.Fatal(err)
			}
			if (role == wire.RoleEditor) == open {
				if tok != "" {
					t.Errorf("open %v: a token for %s, which joining gives anyway", open, role)
				}
				continue
			}
			c := join(t, ctx, e.link("g")+"?token="+tok, "c"+string(role))
			clients = append(clients, c)
			if c.Welcome.Role != role {
				t.Fatalf("open %v: granted %s, joined as %s", open, role, c.Welcome.Role)
			}
			f, err := c.Commit(ctx, c.NextID("c"+string(role)), rawclient.Text(0, 0, "x"))
			if role == wire.RoleEditor {
				mustCommitted(t, f, err)
			} else {
				mustReject(t, f, err, wire.CodeForbidden)
			}
		}
		if _, err := e.srv.Grant(ctx, "g", wire.RoleOwner); err == nil {
			t.Fatal("granted an owner token")
		}
		if _, err := e.srv.Grant(ctx, "new", wire.RoleEditor); err != authority.ErrNoRoom {
			t.Fatalf("grant in a room that does not exist: %v", err)
		}
		for _, c := range clients {
			c.WS.CloseNow()
		}
		if err := e.srv.Shutdown(ctx); err != nil { // flushes every room
			t.Fatal(err)
		}
		if n, _ := e.store.Rooms(ctx); n != 1 {
			t.Fatalf("%d rooms stored", n)
		}
	}
}
