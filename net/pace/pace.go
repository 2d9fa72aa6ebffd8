// Package pace holds the leading-edge rate rule that presence follows on
// every hop (the session's send, the authority's relay): a send goes at
// once when nothing went in the last interval, otherwise at the end of the
// interval, so a lone cursor move never waits for a tick and a stream of
// them never exceeds one send per interval.
package pace

import "time"

// Pacer holds sends to one per Interval on average without delaying the
// first one after a quiet interval: it is the generic cell rate algorithm
// (a token bucket kept as one time). A send may go up to Tolerance ahead of
// the even schedule, so input that comes at the rate but not like a clock
// (a person's) goes at once, while a stream that presses harder is spaced
// exactly Interval apart. Tolerance at most Interval/2 keeps any two sends
// that far apart, and any second holds at most one send more than
// 1s/Interval. Tolerance 0 is the plain rule "Interval since the last".
// The zero Pacer (with the fields set) lets the first send go at once. It
// keeps no clock of its own: callers pass the time, so tests drive it with
// a fake clock.
type Pacer struct {
	Interval  time.Duration
	Tolerance time.Duration
	tat       time.Time // theoretical arrival time of the next send
	last      time.Time
	used      bool
}

// Next is the earliest time the next send may go: at or before now means
// at once.
func (p *Pacer) Next() time.Time {
	if !p.used {
		return time.Time{}
	}
	return p.tat.Add(-p.Tolerance)
}

// Ready says whether a send may go at now.
func (p *Pacer) Ready(now time.Time) bool { return !now.Before(p.Next()) }

// Sent records a send at now.
func (p *Pacer) Sent(now time.Time) {
	if !p.used || now.After(p.tat) {
		p.tat = now
	}
	p.tat = p.tat.Add(p.Interval)
	p.last, p.used = now, true
}

// Last is when the last send went, and whether there was one.
func (p *Pacer) Last() (time.Time, bool) { return p.last, p.used }
