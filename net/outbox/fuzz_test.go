package outbox

import (
	"bytes"
	"testing"

	"github.com/tcanvas/tcanvas/net/wire"
)

// FuzzDecode: any bytes decode without a panic to a valid prefix, and the
// state decoded re-encodes to a journal that decodes to the same state.
func FuzzDecode(f *testing.F) {
	st := State{Client: "3f9a2c1d5e8b7046", Counter: 3, Pending: []Entry{
		draw("3f9a2c1d5e8b7046-1", 4),
		{ID: "3f9a2c1d5e8b7046-3", Kind: wire.KindUndo, Target: "3f9a2c1d5e8b7046-2", TargetSeq: 12},
	}}
	b, err := Encode(st)
	if err != nil {
		f.Fatal(err)
	}
	b, _ = appendRecord(b, record{K: kSettle, ID: "3f9a2c1d5e8b7046-1", Seq: 5})
	f.Add(b)
	f.Add(b[:len(b)-3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		st, n, err := Decode(b)
		if n < 0 || n > len(b) || (err == nil) != (n == len(b)) {
			t.Fatalf("valid prefix %d of %d bytes, err %v", n, len(b), err)
		}
		if st.Client == "" {
			return
		}
		enc, err := Encode(st)
		if err != nil {
			return // a pending commit too big to re-frame cannot have decoded
		}
		st2, n2, err := Decode(enc)
		if err != nil || n2 != len(enc) {
			t.Fatalf("re-encoded journal does not decode: %v", err)
		}
		enc2, _ := Encode(st2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("state changed across a round trip:\n%q\n%q", enc, enc2)
		}
	})
}
