package session

import (
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// onlineSession is just enough of a Session for presenceDue: online, with
// a wake channel for SetPresence's poke.
func onlineSession() *Session {
	s := &Session{wake: make(chan struct{}, 1)}
	s.state.State = Online
	return s
}

func cursorAt(x int32) wire.Presence {
	return wire.Presence{HasCursor: true, Cursor: model.Point{X: x, Y: 1}}
}

// TestPresenceSendLeadingEdge drives the sender's rule with a fake clock:
// a change after a quiet interval goes at once, changes within the
// interval after a send go together at its end, and the rate stays at
// most PresenceHz.
func TestPresenceSendLeadingEdge(t *testing.T) {
	const interval = time.Second / wire.PresenceHz / 2 // 1/60 s less the tolerance
	s := onlineSession()
	t0 := time.Unix(1_000_000, 0)

	s.SetPresence(cursorAt(1))
	select {
	case <-s.wake:
	default:
		t.Fatal("SetPresence did not wake the writer")
	}
	pkt, next := s.presenceDue(t0)
	if pkt == nil {
		t.Fatal("the first change was not sent at once")
	}
	if want := t0.Add(keepAlive); !next.Equal(want) {
		t.Fatalf("after a send, ask again at %v, want the keep-alive %v", next.Sub(t0), keepAlive)
	}

	// Two changes within the interval: nothing now, the latest at its end.
	s.SetPresence(cursorAt(2))
	if pkt, next := s.presenceDue(t0.Add(3 * time.Millisecond)); pkt != nil || !next.Equal(t0.Add(interval)) {
		t.Fatalf("change 3 ms after a send: packet %v, next %v; want none until %v", pkt, next.Sub(t0), interval)
	}
	s.SetPresence(cursorAt(3))
	pkt, _ = s.presenceDue(t0.Add(interval))
	p, err := wire.DecodePresence(pkt)
	if err != nil || p.Cursor.X != 3 || p.Seq != 2 {
		t.Fatalf("at the interval's end: %+v %v, want the latest cursor as seq 2", p, err)
	}

	// Quiet for a while, then a change: at once, not on a tick grid.
	late := t0.Add(500*time.Millisecond + 123*time.Microsecond)
	s.SetPresence(cursorAt(4))
	if pkt, _ := s.presenceDue(late); pkt == nil {
		t.Fatal("a change after a quiet interval waited")
	}

	// Unchanged: nothing but the keep-alive.
	if pkt, next := s.presenceDue(late.Add(time.Second)); pkt != nil || !next.Equal(late.Add(keepAlive)) {
		t.Fatalf("unchanged presence: packet %v, next %v", pkt, next.Sub(late))
	}
	if pkt, _ := s.presenceDue(late.Add(keepAlive)); pkt == nil {
		t.Fatal("no keep-alive after 3 s")
	}
}

func TestPresenceSendRateBound(t *testing.T) {
	s := onlineSession()
	t0 := time.Unix(1_000_000, 0)
	var sends []time.Time
	// A change every 250 µs (4,000 a second), the writer asked each time.
	for i := range 4000 {
		now := t0.Add(time.Duration(i) * 250 * time.Microsecond)
		s.SetPresence(cursorAt(int32(i)))
		if pkt, _ := s.presenceDue(now); pkt != nil {
			sends = append(sends, now)
		}
	}
	if len(sends) > wire.PresenceHz+1 || len(sends) < wire.PresenceHz*9/10 {
		t.Fatalf("%d packets in one second of constant change, want about %d", len(sends), wire.PresenceHz)
	}
	for i := 1; i < len(sends); i++ {
		if d := sends[i].Sub(sends[i-1]); d < time.Second/wire.PresenceHz/2 {
			t.Fatalf("packets %d and %d only %v apart", i-1, i, d)
		}
	}
	// A move 12 ms after the last packet, with the last 100 ms not full,
	// goes at once rather than waiting out 1/60 s.
	s2 := onlineSession()
	s2.SetPresence(cursorAt(1))
	s2.presenceDue(t0)
	s2.SetPresence(cursorAt(2))
	if pkt, _ := s2.presenceDue(t0.Add(12 * time.Millisecond)); pkt == nil {
		t.Fatal("a move 12 ms after the last packet waited")
	}
}
