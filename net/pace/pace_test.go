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
