package authority

import (
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/net/wire"
)

// quietTicksBeforeStop is how many empty ticks the relay ticker survives,
// so a still room costs no wake-ups.
const quietTicksBeforeStop = 120

// presence keeps a peer's latest packet for the next relay tick. Only the
// latest matters: presence is state, not a log.
func (r *room) presence(c *conn, pkt []byte) {
	if !c.welcomed {
		// Before its welcome a peer is in no one's roster: its latest
		// packet waits for the welcome, like the requests held for it.
		c.earlyPresence = pkt
		return
	}
	r.srv.metrics.presenceIn.Inc()
	r.latest[c.peer.ID] = pkt
	r.quietTicks = 0
	if r.presenceTick == nil {
		r.presenceTick = time.NewTicker(r.srv.opts.PresenceTick)
	}
}

// relayPresence sends each peer one frame holding every other peer's
// latest packet: n frames per tick, not n², whatever the peers send.
func (r *room) relayPresence() {
	if len(r.latest) == 0 {
		r.quietTicks++
		if r.quietTicks > quietTicksBeforeStop {
			r.stopPresence()
		}
		return
	}
	for id, c := range r.conns {
		buf := wire.AppendRelayHeader(make([]byte, 0, 64))
		n := 0
		for from, pkt := range r.latest {
			if from != id {
				buf = wire.AppendRelayEntry(buf, from, pkt)
				n++
			}
		}
		if n > 0 && c.enqueue(outMsg{typ: websocket.MessageBinary, data: buf}) {
			r.srv.metrics.relayed.Add(float64(n))
			r.srv.metrics.relayFrames.Inc()
		}
	}
	clear(r.latest)
}

func (r *room) stopPresence() {
	if r.presenceTick != nil {
		r.presenceTick.Stop()
		r.presenceTick = nil
	}
}
