package authority

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Budget holds the bounds that keep one client, one address or one room
// from exhausting the server. The zero value of each field means the
// default documented beside it; docs/SECURITY.md lists them with their
// tests.
type Budget struct {
	// ConnsPerIP caps the TCP connections one address holds open through
	// Server.Listener, idle keep-alives included. Default 256; negative
	// means no cap (behind a proxy that enforces its own).
	ConnsPerIP int
	// HTTPIdle closes a keep-alive connection idle this long; HTTPHeader
	// bounds the wait for a request's headers. Default 60s and 10s.
	HTTPIdle, HTTPHeader time.Duration
	// SignalBytes is the rate, in bytes of signal data per second, at
	// which one connection may send signals, with a burst of four seconds'
	// worth. A sender over it is closed (4003). Default 64 KiB/s: a mesh
	// handshake with every peer of a full mesh is a few KiB.
	SignalBytes int
	// SignalRecvBytes is the rate at which one connection may be sent
	// signals by everyone together, burst four seconds' worth. A signal
	// over it is refused to its sender (error rate_limited) and never
	// queued for the recipient. Default 128 KiB/s.
	SignalRecvBytes int
	// StreamPage bounds the bytes of stored ops one catch-up or history
	// stream holds at once (one record, if that alone is bigger); a page
	// must be written within StreamPageTimeout, or the reader is cut off.
	// StreamBytes bounds all of them together, server-wide; streams wait
	// for their turn. Default 1 MiB, 30s and 32 MiB.
	StreamPage, StreamBytes int
	StreamPageTimeout       time.Duration
}

func (b Budget) withDefaults() Budget {
	if b.ConnsPerIP == 0 {
		b.ConnsPerIP = 256
	}
	if b.HTTPIdle <= 0 {
		b.HTTPIdle = 60 * time.Second
	}
	if b.HTTPHeader <= 0 {
		b.HTTPHeader = 10 * time.Second
	}
	if b.SignalBytes <= 0 {
		b.SignalBytes = 64 << 10
	}
	if b.SignalRecvBytes <= 0 {
		b.SignalRecvBytes = 128 << 10
	}
	if b.StreamPage <= 0 {
		b.StreamPage = 1 << 20
	}
	if b.StreamBytes <= 0 {
		b.StreamBytes = 32 << 20
	}
	b.StreamBytes = max(b.StreamBytes, b.StreamPage)
	if b.StreamPageTimeout <= 0 {
		b.StreamPageTimeout = 30 * time.Second
	}
	return b
}

// connBudget is a connection's byte budgets; owned by its room's goroutine.
type connBudget struct {
	sigOut, sigIn *rate.Limiter
}

func (c *conn) budgets() *connBudget {
	if c.budget == nil {
		b := c.srv.opts.Budget
		c.budget = &connBudget{
			sigOut: rate.NewLimiter(rate.Limit(b.SignalBytes), 4*b.SignalBytes),
			sigIn:  rate.NewLimiter(rate.Limit(b.SignalRecvBytes), 4*b.SignalRecvBytes),
		}
	}
	return c.budget
}

// allowSignal charges a signal of n bytes from c to to. A flood costs its
// sender, never its recipient: the sender over its own budget is closed,
// and one that finds the recipient's budget spent (by itself or others) is
// refused, while the recipient's queue only ever holds what its budget
// allows.
func (r *room) allowSignal(c, to *conn, n int) bool {
	now := time.Now()
	b := r.srv.opts.Budget
	if !c.budgets().sigOut.AllowN(now, n) {
		c.kick(wire.CloseRateLimited, wire.CodeRateLimited,
			fmt.Sprintf("signals over %d bytes per second (burst %d)", b.SignalBytes, 4*b.SignalBytes))
		return false
	}
	if !to.budgets().sigIn.AllowN(now, n) {
		c.sendError(wire.CodeRateLimited, fmt.Sprintf("signal: peer %d receives at most %d bytes of signals per second; retry later", to.peer.ID, b.SignalRecvBytes))
		return false
	}
	return true
}

// cachedBytes is what a record kept in a room's undo cache costs: its
// variable-length fields plus the record, map entry and queue slot.
func cachedBytes(rec *store.Record) int {
	const overhead = 256
	return overhead + len(rec.ID) + len(rec.Client) + len(rec.Name) + len(rec.Kind) + len(rec.Ops) + len(rec.Effect)
}
