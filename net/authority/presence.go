package authority

import (
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/net/pace"
	"github.com/tcanvas/tcanvas/net/wire"
)

// presence hands a peer's packet to every other welcomed peer's outbox.
// Only the latest packet per sender matters: presence is state, not a log.
func (r *room) presence(c *conn, pkt []byte) {
	if !c.welcomed {
		// Before its welcome a peer is in no one's roster: its latest
		// packet waits for the welcome, like the requests held for it.
		c.earlyPresence = pkt
		return
	}
	r.srv.metrics.presenceIn.Inc()
	r.lastPresence[c.peer.ID] = pkt
	now := time.Now()
	for id, to := range r.conns {
		if id != c.peer.ID && !to.quiet {
			r.relay.add(id, c.peer.ID, pkt)
		}
	}
	r.relayPresence(now)
}

// greetPresence gives a newly welcomed peer every other peer's latest
// packet, in its first batch: it sees cursors that are holding still.
func (r *room) greetPresence(c *conn) {
	if len(r.lastPresence) == 0 || c.quiet {
		return
	}
	for from, pkt := range r.lastPresence {
		if from != c.peer.ID {
			r.relay.add(c.peer.ID, from, pkt)
		}
	}
	r.relayPresence(time.Now())
}

// setQuiet turns the relay to c off (on) or back on. What waits for c is
// dropped, its pace kept; turned back on, c first gets every peer's latest packet, as a
// newcomer does, so cursors holding still reappear at once.
func (r *room) setQuiet(c *conn, on bool) {
	if c.quiet == on {
		return
	}
	c.quiet = on
	if on {
		r.relay.forget(c.peer.ID)
		return
	}
	r.greetPresence(c)
}

// relayPresence sends every batch that is due and arms the timer for the
// next one; with nothing waiting, no timer runs.
func (r *room) relayPresence(now time.Time) {
	next := r.relay.flush(now, func(to uint16, frame []byte, entries int) {
		if c := r.conns[to]; c != nil && c.enqueue(outMsg{typ: websocket.MessageBinary, data: frame}) {
			r.srv.metrics.relayed.Add(float64(entries))
			r.srv.metrics.relayFrames.Inc()
		}
	})
	r.armRelay(now, next)
}

func (r *room) armRelay(now, next time.Time) {
	if next.IsZero() {
		if r.relayTimer != nil {
			r.relayTimer.Stop()
		}
		return
	}
	if r.relayTimer == nil {
		r.relayTimer = time.NewTimer(next.Sub(now))
		return
	}
	r.relayTimer.Reset(next.Sub(now)) // Go ≥ 1.23: Reset drops a stale tick
}

// relayTimerC is the relay timer's channel, nil (never ready) when none runs.
func (r *room) relayTimerC() <-chan time.Time {
	if r.relayTimer == nil {
		return nil
	}
	return r.relayTimer.C
}

func (r *room) stopPresence() {
	if r.relayTimer != nil {
		r.relayTimer.Stop()
	}
}

// relayBatcher is the relay's leading-edge batching, per recipient: a
// recipient that has had no frame in the last tick gets a packet at once;
// what arrives for it sooner than its pace allows (a tick after the last
// frame, up to half a tick less) waits for that moment and goes as one
// frame holding each sender's latest packet. So a lone
// moving cursor crosses the relay without waiting, a busy room still costs
// at most one frame per recipient per tick, and a quiet room costs no
// wake-ups. It keeps no clock: the room passes the time in.
type relayBatcher struct {
	tick time.Duration
	out  map[uint16]*outbox // by recipient
}

// outbox is one recipient's pacing and the packets waiting for it.
type outbox struct {
	pace    pace.Pacer
	pending map[uint16][]byte // sender → latest packet since the last frame
}

func newRelayBatcher(tick time.Duration) relayBatcher {
	return relayBatcher{tick: tick, out: map[uint16]*outbox{}}
}

// add queues from's packet for to, replacing an older one from the same
// sender. flush decides whether it goes now.
func (b *relayBatcher) add(to, from uint16, pkt []byte) {
	o := b.out[to]
	if o == nil {
		// Half a tick of tolerance, as the session's sender has: a lone
		// cursor's packets, paced by its sender, pass at once even when the
		// network brings one a little early; and a frame that goes late
		// (the room was busy when its timer fired) does not push the next
		// one back, so a busy recipient keeps its 60 frames a second.
		// bench/mesh found no tolerance (none, a quarter, a half, a whole
		// tick) with lower latency at that rate: every frame of a busy
		// recipient goes a tick after the last whatever the tolerance.
		o = &outbox{pace: pace.Pacer{Interval: b.tick, Tolerance: b.tick / 2}, pending: map[uint16][]byte{}}
		b.out[to] = o
	}
	o.pending[from] = pkt
}

// flush sends every recipient whose frame is due at now one frame, and
// returns when the next waiting frame is due (zero when none waits).
func (b *relayBatcher) flush(now time.Time, send func(to uint16, frame []byte, entries int)) (next time.Time) {
	for to, o := range b.out {
		if len(o.pending) == 0 {
			if last, ok := o.pace.Last(); !ok || now.Sub(last) >= b.tick {
				delete(b.out, to) // quiet for a tick: its next packet goes at once anyway
			}
			continue
		}
		if !o.pace.Ready(now) {
			if due := o.pace.Next(); next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		frame := wire.AppendRelayHeader(make([]byte, 0, 4+len(o.pending)*16))
		for from, pkt := range o.pending {
			frame = wire.AppendRelayEntry(frame, from, pkt)
		}
		n := len(o.pending)
		clear(o.pending)
		o.pace.Sent(now)
		send(to, frame, n)
	}
	return next
}

// forget drops what waits for to. Its pace stays: a recipient turning quiet
// on and off gets no batch sooner than one that stayed loud (flush drops
// the outbox once it has been idle for a tick).
func (b *relayBatcher) forget(to uint16) {
	if o := b.out[to]; o != nil {
		clear(o.pending)
	}
}

// drop forgets a peer that left: its outbox, and its packets in others'.
func (b *relayBatcher) drop(id uint16) {
	delete(b.out, id)
	for _, o := range b.out {
		delete(o.pending, id)
	}
}
