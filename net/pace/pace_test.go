package pace

import (
	"testing"
	"time"
)

func TestPacerLeadingEdge(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := Pacer{Interval: time.Second / 60}
	if !p.Ready(t0) {
		t.Fatal("the first send must go at once")
	}
	p.Sent(t0)
	if p.Ready(t0.Add(time.Millisecond)) {
		t.Fatal("a second send 1 ms after the first must wait")
	}
	if got, want := p.Next(), t0.Add(time.Second/60); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
	if !p.Ready(t0.Add(time.Second / 60)) {
		t.Fatal("a send one interval later must go")
	}
	// After a long quiet spell the next send goes at once, not on a grid.
	late := t0.Add(5*time.Second + 3*time.Millisecond)
	if !p.Ready(late) {
		t.Fatal("the first send after a quiet interval must go at once")
	}
}

// TestPacerRateBound: however often a caller asks, sends that follow the
// rule never exceed one per interval in any window.
func TestPacerRateBound(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := Pacer{Interval: time.Second / 60}
	var sends []time.Time
	for now := t0; now.Before(t0.Add(time.Second)); now = now.Add(100 * time.Microsecond) {
		if p.Ready(now) {
			p.Sent(now)
			sends = append(sends, now)
		}
	}
	if len(sends) != 60 {
		t.Fatalf("%d sends in one second of constant demand, want 60", len(sends))
	}
	for i := 1; i < len(sends); i++ {
		if d := sends[i].Sub(sends[i-1]); d < time.Second/60 {
			t.Fatalf("sends %d and %d only %v apart", i-1, i, d)
		}
	}
}

func tolerant() Pacer {
	return Pacer{Interval: time.Second / 60, Tolerance: time.Second / 120}
}

func TestPacerToleranceLetsEarlySendGo(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := tolerant()
	p.Sent(t0)
	if p.Ready(t0.Add(time.Second/120 - time.Microsecond)) {
		t.Fatal("a send closer than Interval − Tolerance after the last must wait")
	}
	// 12 ms after the last: the plain rule would hold it 4.7 ms more.
	if !p.Ready(t0.Add(12 * time.Millisecond)) {
		t.Fatal("a send 12 ms after the last waited")
	}
	p.Sent(t0.Add(12 * time.Millisecond))
	// Having gone early, the next is due on the even schedule again: at
	// 2 intervals less the tolerance, not 12 ms + an interval − tolerance.
	if got, want := p.Next(), t0.Add(2*(time.Second/60)-time.Second/120); !got.Equal(want) {
		t.Fatalf("Next = %v after t0, want %v", got.Sub(t0), want.Sub(t0))
	}
}

// TestPacerToleranceRateBound: under constant demand sends settle to one
// per Interval; under demand at 60 Hz on average but jittered, too, and no
// second ever holds more than 61 sends, none closer than Interval/2.
func TestPacerToleranceRateBound(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, step := range []time.Duration{100 * time.Microsecond, 3 * time.Millisecond, 11 * time.Millisecond} {
		p := tolerant()
		var sends []time.Time
		for now := t0; now.Before(t0.Add(3 * time.Second)); now = now.Add(step) {
			if p.Ready(now) {
				p.Sent(now)
				sends = append(sends, now)
			}
		}
		for i, s := range sends {
			n := 0
			for _, u := range sends[i:] {
				if u.Sub(s) < time.Second {
					n++
				}
			}
			if n > 61 {
				t.Fatalf("step %v: %d sends in the second from %v", step, n, s.Sub(t0))
			}
			if i > 0 && s.Sub(sends[i-1]) < time.Second/120 {
				t.Fatalf("step %v: sends %d and %d only %v apart", step, i-1, i, s.Sub(sends[i-1]))
			}
		}
		if len(sends) < 3*60*9/10 {
			t.Fatalf("step %v: only %d sends in 3 s of demand above 60 Hz", step, len(sends))
		}
	}
}
