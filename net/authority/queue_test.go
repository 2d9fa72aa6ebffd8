package authority

import "testing"

func TestSendQueueBoundAndOrder(t *testing.T) {
	q := newSendQueue(3)
	for i := range 3 {
		if !q.push(outMsg{data: []byte{byte(i)}}) {
			t.Fatalf("push %d refused below the bound", i)
		}
	}
	if q.push(outMsg{}) {
		t.Fatal("push accepted beyond the bound")
	}
	for i := range 3 {
		m, ok := q.pop()
		if !ok || m.data[0] != byte(i) {
			t.Fatalf("pop %d: %v %v", i, m.data, ok)
		}
	}
	if _, ok := q.pop(); ok {
		t.Fatal("pop from an empty queue")
	}
	// Room again once drained.
	if !q.push(outMsg{}) {
		t.Fatal("push refused after draining")
	}
}
