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
