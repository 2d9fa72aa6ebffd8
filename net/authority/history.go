package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Errors of reads outside a room's WebSocket (history, Grant).
var (
	// ErrNoRoom means the room does not exist: nothing was ever stored for
	// it and nobody is creating it.
	ErrNoRoom = errors.New("no such room")
	// ErrUnknownToken means a token that the room does not know or that
	// was revoked.
	ErrUnknownToken = errors.New("unknown or revoked token")
)

// roomView is what a request that is not a participant needs to know about
// a room.
type roomView struct {
	open    bool
	epoch   string
	role    wire.Role // the token's role; without a token the room's default
	durable uint64    // the last seq on disk
}

// view looks a room up without creating or waking it. A live room answers
// from its own goroutine, so a token revoked a moment ago is refused at
// once; a hibernated room answers from the store.
func (s *Server) view(ctx context.Context, name, token string) (roomView, error) {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return roomView{}, ErrShuttingDown
	}
	r, closing := s.live[name], s.closing[name]
	if r != nil {
		r.refs++ // keeps it from hibernating while we ask
	}
	s.mu.Unlock()
	if r != nil {
		defer s.release(r)
		type answer struct {
			v   roomView
			err error
		}
		ch := make(chan answer, 1)
		if !r.post(func() { v, err := r.view(token); ch <- answer{v, err} }) {
			return roomView{}, ErrShuttingDown
		}
		select {
		case a := <-ch:
			return a.v, a.err
		case <-r.done:
			select {
			case a := <-ch: // answered on its way out
				return a.v, a.err
			default:
				return roomView{}, ErrShuttingDown
			}
		case <-ctx.Done():
			return roomView{}, ctx.Err()
		}
	}
	if closing != nil {
		// It is flushing on its way to hibernation: the store is complete
		// once it is done.
		select {
		case <-closing:
		case <-ctx.Done():
			return roomView{}, ctx.Err()
		}
	}
	data, err := s.opts.Store.Load(ctx, name, 0)
	if errors.Is(err, store.ErrNotFound) {
		return roomView{}, ErrNoRoom
	}
	if err != nil {
		return roomView{}, err
	}
	v := roomView{open: data.Meta.Open, epoch: data.Meta.Epoch, role: wire.RoleViewer, durable: data.LastSeq}
	if v.open {
		v.role = wire.RoleEditor
	}
	if token != "" {
		h := hashToken(token)
		var found *store.Token
		for i := range data.Tokens {
			if string(data.Tokens[i].Hash) == string(h) {
				found = &data.Tokens[i]
			}
		}
		if found == nil || found.Revoked {
			return roomView{}, ErrUnknownToken
		}
		v.role = wire.Role(found.Role)
	}
	return v, nil
}

// view runs on the room's goroutine.
func (r *room) view(token string) (roomView, error) {
	if r.created && len(r.tokens) == 0 {
		// Woken for a joiner whose join has not run yet: the room does not
		// exist until someone owns it.
		return roomView{}, ErrNoRoom
	}
	v := roomView{open: r.meta.Open, epoch: r.meta.Epoch, role: r.defaultRole(), durable: r.durable}
	if token != "" {
		t := r.tokens[string(hashToken(token))]
		if t == nil || t.Revoked {
			return roomView{}, ErrUnknownToken
		}
		v.role = wire.Role(t.Role)
	}
	return v, nil
}

// HistoryRecord is one line of GET /r/ROOM/history: a committed record,
// as the committed frame shows it to everyone but its author (no commit
// ID), with the time the authority accepted it.
type HistoryRecord struct {
	Seq    uint64          `json:"seq"`
	At     int64           `json:"at"`     // unix milliseconds
	Author string          `json:"author"` // wire.AuthorOf the author's client ID
	Name   string          `json:"name"`
	Kind   string          `json:"kind"`
	Target uint64          `json:"target,omitempty"`
	Ops    json.RawMessage `json:"ops"`
}

// bearer is the token of a read request: "Authorization: Bearer T", else
// "?token=T".
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	return r.URL.Query().Get("token")
}

// serveHistory streams a room's committed records from ?from= (default 1)
// to the last durable one as JSON lines: the read-only way to a room's
// whole history, which the WebSocket's catch-up (at most wire.MaxCatchup
// commits, or a snapshot) does not give. It never creates or wakes a room.
// A room that is not open needs a token (any role).
func (s *Server) serveHistory(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := wire.CheckRoom(name); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	from := uint64(1)
	if f := r.URL.Query().Get("from"); f != "" {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil || v == 0 {
			http.Error(w, fmt.Sprintf("from=%q: want a sequence number, 1 or more", f), http.StatusBadRequest)
			return
		}
		from = v
	}
	// Counted like a connection, so that Shutdown waits for the stream,
	// which ends as soon as Shutdown starts.
	done, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer done()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()

	token := bearer(r)
	v, err := s.view(ctx, name, token)
	switch {
	case errors.Is(err, ErrNoRoom) && !s.opts.Open:
		// Where rooms are not open, a 404 here and a 401 for a room that
		// exists would tell anyone without a token which rooms exist:
		// both get the answer a room that exists would give.
		if token != "" {
			unauthorized(w, ErrUnknownToken.Error())
		} else {
			unauthorized(w, needsToken)
		}
		return
	case errors.Is(err, ErrNoRoom):
		http.Error(w, fmt.Sprintf("no room %q", name), http.StatusNotFound)
		return
	case errors.Is(err, ErrUnknownToken):
		unauthorized(w, err.Error())
		return
	case errors.Is(err, ErrShuttingDown):
		w.Header().Set("Retry-After", "1")
		http.Error(w, "authority shutting down; retry", http.StatusServiceUnavailable)
		return
	case err != nil:
		s.opts.Logger.Error("history", "room", name, "err", err)
		http.Error(w, "cannot read the room; retry", http.StatusInternalServerError)
		return
	}
	if !v.open && token == "" {
		unauthorized(w, needsToken)
		return
	}
	if !v.role.Valid() { // every role may read; this refuses only a corrupt one
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Tcanvas-Epoch", v.epoch)
	h.Set("X-Tcanvas-Seq", strconv.FormatUint(v.durable, 10))
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	timeout := s.opts.Budget.StreamPageTimeout
	err = s.streamRecords(ctx, name, from-1, v.durable, func() {
		rc.SetWriteDeadline(time.Now().Add(timeout)) // a slow reader cannot hold a page for long
	}, func(rec store.Record) error {
		return enc.Encode(HistoryRecord{Seq: rec.Seq, At: rec.At, Author: wire.AuthorOf(rec.Client),
			Name: rec.Name, Kind: rec.Kind, Target: rec.Target, Ops: rec.Ops})
	}, rc.Flush)
	// Headers are out: a cut stream is the only way left to say it failed,
	// and a reader sees fewer records than X-Tcanvas-Seq.
	if err != nil && ctx.Err() == nil {
		s.opts.Logger.Debug("history", "room", name, "err", err)
	}
}

// needsToken answers a tokenless history request for a room that is not
// open, or that does not exist on an authority whose rooms are not open:
// the same words for both.
const needsToken = "this room's history needs a token (Authorization: Bearer TOKEN, or ?token=)"

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="tcanvas"`)
	http.Error(w, msg, http.StatusUnauthorized)
}
