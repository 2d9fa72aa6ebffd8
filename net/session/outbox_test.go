package session_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/outbox"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestOutboxResendsAfterTheClientRestarts: commits made while the
// authority is down are in the journal when the session ends; a new
// session on the same journal (a restarted canvas) shows them at once and
// sends them with their original IDs once the authority is back. A commit
// that had landed but whose answer was lost is acked, not applied twice.
func TestOutboxResendsAfterTheClientRestarts(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	dir := t.TempDir()
	l, _ := wire.ParseLink(a.link("ob"))
	j, err := outbox.Open(dir, l.Base, l.Room, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := j.ClientID()
	s := dial(t, ctx, a.link("ob"), "one", func(o *session.Options) { o.Outbox = j })
	if s.ClientID() != client {
		t.Fatalf("session client %q, journal's %q", s.ClientID(), client)
	}
	first, _ := s.Commit(text(0, 0, "before"))
	s.Sync(ctx)
	a.stop()
	eventually(t, ctx, "the session to notice", func() bool { return s.Link().State != session.Online })
	for i := range 3 {
		if _, err := s.Commit(text(0, int32(i+1), "offline")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Undo(); err != nil { // of the third offline line, itself pending
		t.Fatal(err)
	}
	s.Close()
	j.Close()

	j, err = outbox.Open(dir, l.Base, l.Room, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.ClientID() != client || j.Len() != 4 {
		t.Fatalf("journal after the session: client %q, %d pending; want %q, 4", j.ClientID(), j.Len(), client)
	}
	// The answer to the first commit was lost in a crash: it is resent.
	if err := j.Add(outbox.Entry{ID: first, Kind: wire.KindDraw, Ops: text(0, 0, "before")}, 1); err != nil {
		t.Fatal(err)
	}
	a.start()
	s2 := dial(t, ctx, a.link("ob"), "one", func(o *session.Options) { o.Outbox = j })
	if err := s2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if j.Len() != 0 {
		t.Fatalf("%d commits still in the journal after Sync", j.Len())
	}
	check := dial(t, ctx, a.link("ob"), "check")
	// before, three lines, one undo: 5 commits; the resent first one is not new.
	if got := check.Info().Seq; got != 5 {
		t.Fatalf("the room is at seq %d, want 5", got)
	}
	got := strings.TrimRight(model.RenderText(check.Canvas(), model.Rect{W: 10, H: 4}), "\n")
	if want := "before\noffline\noffline"; got != want {
		t.Fatalf("the room holds\n%s\nwant\n%s", got, want)
	}
	// New commits never reuse an ID the journal had handed out.
	id, _ := s2.Commit(text(0, 5, "new"))
	if n, err := strconv.Atoi(strings.TrimPrefix(id, client+"-")); err != nil || n <= 5 {
		t.Fatalf("new commit ID %q reuses an old one", id)
	}
	s2.Sync(ctx)
	if check2 := dial(t, ctx, a.link("ob"), "check2"); check2.Info().Seq != 6 {
		t.Fatalf("the new commit did not land: seq %d", check2.Info().Seq)
	}
}
