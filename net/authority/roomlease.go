package authority

import (
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/net/wire"
)

// The room's side of its lease (see cluster): a timer that follows the
// lease's local deadline, and the channel that says it was lost.

func (r *room) leaseTimerC() <-chan time.Time {
	if r.leaseTimer == nil {
		return nil
	}
	return r.leaseTimer.C
}

func (r *room) leaseLost() <-chan struct{} {
	if r.lease == nil {
		return nil
	}
	return r.lease.lost
}

// checkLease re-arms the timer while the lease is renewed; false once it
// ran out (the room has then stopped).
func (r *room) checkLease() bool {
	if left := r.srv.cl.remaining(r.lease); left > 0 {
		r.leaseTimer.Reset(left)
		return true
	}
	r.loseLease()
	return false
}

// loseLease stops the room without another write: its lease ran out
// locally (renewals failed: this node may be cut off from the store) or
// another node took it. Nothing more is acknowledged or broadcast here;
// clients reconnect, reach the room's next owner, and resend what was not
// acknowledged (commit IDs make that safe).
func (r *room) loseLease() {
	r.log().Warn("lease lost: this node no longer serves the room", "fence", r.lease.fence)
	r.srv.cl.forgetLost(r)
	r.srv.forget(r)
	for _, c := range r.conns {
		c.kick(websocket.StatusGoingAway, wire.CodeShutdown, "this node lost the room; reconnect")
	}
	for _, c := range r.joining {
		c.kick(websocket.StatusGoingAway, wire.CodeShutdown, "this node lost the room; reconnect")
	}
	if r.inflight {
		// Its result no longer matters (a write that did land is found by
		// its commit ID when the client resends), but its goroutine is
		// ours to wait for; the store bounds how long it takes.
		<-r.flushed
		r.inflight = false
	}
	r.gated = nil
}
