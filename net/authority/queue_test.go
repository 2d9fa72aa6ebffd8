package authority

import "testing"

func TestSendQueueBoundOrderAndWriterStarts(t *testing.T) {
	starts := 0
	q := newSendQueue(3, func() { starts++ })
	for i := range 3 {
		if !q.push(outMsg{data: []byte{byte(i)}}, false) {
			t.Fatalf("push %d refused below the bound", i)
		}
	}
	if starts != 1 {
		t.Fatalf("%d writers started for one backlog", starts)
	}
	if q.push(outMsg{}, false) {
		t.Fatal("push accepted beyond the bound")
	}
	if !q.push(outMsg{data: []byte{9}}, true) {
		t.Fatal("an urgent push was refused")
	}
	for _, want := range []byte{9, 0, 1, 2} {
		m, ok := q.next()
		if !ok || m.data[0] != want {
			t.Fatalf("next: %v %v, want %d", m.data, ok, want)
		}
	}
	if _, ok := q.next(); ok {
		t.Fatal("next from an empty queue")
	}
	// The writer has exited; the next push starts another.
	q.push(outMsg{}, false)
	if starts != 2 {
		t.Fatalf("starts = %d after the writer exited", starts)
	}
	q.stop()
	if _, ok := q.next(); ok {
		t.Fatal("a stopped queue still yields frames")
	}
}
