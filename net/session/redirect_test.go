package session_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/session"
)

// TestSessionFollowsRedirects: an authority node that does not own a room
// may answer the WebSocket handshake with 307 and the owner's address
// (serve --route redirect). The session follows it, and dials the link it
// was given again on every reconnection, since the owner can change.
func TestSessionFollowsRedirects(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	var hits atomic.Int32
	owner := a.addr // the restart below keeps the address
	entry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "http://"+owner+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer entry.Close()
	ctx := testCtx(t)
	s := dial(t, ctx, entry.URL+"/r/moved", "m")
	if _, err := s.Commit(text(0, 0, "x")); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the commit acknowledged", func() bool { return s.Info().Pending == 0 })
	a.stop()
	a.start()
	eventually(t, ctx, "back online through the redirect", func() bool {
		return s.Info().Link.State == session.Online && hits.Load() >= 2
	})
	if _, err := s.Commit(text(1, 0, "y")); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the second commit acknowledged", func() bool { return s.Info().Pending == 0 && s.Info().Seq == 2 })
}
