// Package pace holds the leading-edge rate rule that presence follows on
// every hop (the session's send, the authority's relay): a send goes at
// once when nothing went in the last interval, otherwise at the end of the
// interval, so a lone cursor move never waits for a tick and a stream of
// them never exceeds one send per interval.
package pace

import "time"

// Pacer spaces sends at least Interval apart without delaying the first
// one after a quiet interval. The zero Pacer (with Interval set) lets the
// first send go at once. It keeps no clock of its own: callers pass the
// time, so tests drive it with a fake clock.
type Pacer struct {
	Interval time.Duration
	last     time.Time
	used     bool
}

// Next is the earliest time the next send may go: at or before now means
// at once.
func (p *Pacer) Next() time.Time {
	if !p.used {
		return time.Time{}
	}
	return p.last.Add(p.Interval)
}

// Ready says whether a send may go at now.
func (p *Pacer) Ready(now time.Time) bool { return !now.Before(p.Next()) }

// Sent records a send at now.
func (p *Pacer) Sent(now time.Time) {
	p.last, p.used = now, true
}

// Last is when the last send went, and whether there was one.
func (p *Pacer) Last() (time.Time, bool) { return p.last, p.used }

// Window allows at most Max sends in any Span, each at least Gap after the
// one before, and otherwise lets a send go at once. With Max 6 per 100 ms
// it holds a stream to 60 a second, like a Pacer of 1/60 s, but a change
// that comes a little early after the last send (input is never a steady
// clock) goes at once instead of waiting out the interval; the cost is
// short runs at up to 1/Gap a second. The zero Window (with the fields
// set) lets the first send go at once.
type Window struct {
	Gap  time.Duration
	Span time.Duration
	Max  int
	sent []time.Time // the last Max sends, oldest at head once full
	head int
}

// Next is the earliest time the next send may go: at or before now means
// at once.
func (w *Window) Next() time.Time {
	last, ok := w.Last()
	if !ok {
		return time.Time{}
	}
	next := last.Add(w.Gap)
	if len(w.sent) >= w.Max {
		if t := w.sent[w.head].Add(w.Span); t.After(next) {
			next = t
		}
	}
	return next
}

// Ready says whether a send may go at now.
func (w *Window) Ready(now time.Time) bool { return !now.Before(w.Next()) }

// Sent records a send at now.
func (w *Window) Sent(now time.Time) {
	if len(w.sent) < w.Max {
		w.sent = append(w.sent, now)
		return
	}
	w.sent[w.head] = now
	w.head = (w.head + 1) % len(w.sent)
}

// Last is when the last send went, and whether there was one.
func (w *Window) Last() (time.Time, bool) {
	switch {
	case len(w.sent) == 0:
		return time.Time{}, false
	case len(w.sent) < w.Max:
		return w.sent[len(w.sent)-1], true
	default:
		return w.sent[(w.head+len(w.sent)-1)%len(w.sent)], true
	}
}
