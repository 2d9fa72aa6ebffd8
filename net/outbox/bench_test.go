package outbox

import (
	"strconv"
	"testing"
)

// BenchmarkAdd is the cost a commit pays before it is shown: one framed
// append and an fsync. BenchmarkSettle is the answer's: an append only.
func BenchmarkAdd(b *testing.B) {
	j := open(b, b.TempDir())
	defer j.Close()
	i := 0
	for b.Loop() {
		i++
		if err := j.Add(draw(j.ClientID()+"-"+strconv.Itoa(i), int32(i)), uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSettle(b *testing.B) {
	j := open(b, b.TempDir())
	defer j.Close()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		id := j.ClientID() + "-" + strconv.Itoa(i)
		j.st.Pending = append(j.st.Pending, draw(id, 0))
		j.live[id] = true
		b.StartTimer()
		j.Settle(id, uint64(i))
	}
}
