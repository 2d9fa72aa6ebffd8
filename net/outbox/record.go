package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Entry is one commit the authority has not answered yet.
type Entry struct {
	ID   string     `json:"id"`
	Kind string     `json:"kind"` // wire.KindDraw, KindUndo or KindRedo
	Ops  []model.Op `json:"ops,omitempty"`
	// Target is the commit ID an undo or redo reverts; TargetSeq its seq
	// once known (it may itself be pending when the undo is made).
	Target    string `json:"target,omitempty"`
	TargetSeq uint64 `json:"target_seq,omitempty"`
}

// record is one journal record's payload.
type record struct {
	K       string `json:"k"` // kHeader, kCommit or kSettle
	Client  string `json:"client,omitempty"`
	Counter uint64 `json:"counter,omitempty"`
	Entry   *Entry `json:"entry,omitempty"`
	ID      string `json:"id,omitempty"`  // settle: the commit answered
	Seq     uint64 `json:"seq,omitempty"` // settle: where it landed; 0 when rejected
}

const (
	kHeader = "h"
	kCommit = "c"
	kSettle = "s"
)

// maxRecord bounds one payload: a commit is at most one client frame,
// plus the record's own members.
const maxRecord = wire.MaxFrameBytes + 4096

const frameHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames r onto b.
func appendRecord(b []byte, r record) ([]byte, error) {
	p, err := json.Marshal(r)
	if err != nil {
		return b, err
	}
	if len(p) > maxRecord {
		return b, fmt.Errorf("outbox: record of %d bytes is over the %d-byte limit", len(p), maxRecord)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(p, castagnoli))
	return append(b, p...), nil
}

// State is what a journal holds: who we are, the highest commit counter
// ever used, and the commits still unanswered, oldest first.
type State struct {
	Client  string
	Counter uint64
	Pending []Entry
}

// errTorn marks a journal whose tail is not a whole, valid record.
var errTorn = errors.New("torn or corrupt record")

// Decode reads a journal. It returns the state of its whole records and
// the length of the valid prefix; when that is shorter than b, err says
// what is wrong with the rest (which the caller cuts off). A journal that
// does not start with a header decodes to the zero State and length 0.
func Decode(b []byte) (st State, n int, err error) {
	var pending []Entry
	settled := map[string]uint64{}
	for n < len(b) {
		if len(b)-n < frameHeader {
			return finish(st, pending, settled), n, fmt.Errorf("%w at byte %d: %d bytes of a record header", errTorn, n, len(b)-n)
		}
		size := binary.BigEndian.Uint32(b[n:])
		sum := binary.BigEndian.Uint32(b[n+4:])
		if size > maxRecord || int(size) > len(b)-n-frameHeader {
			return finish(st, pending, settled), n, fmt.Errorf("%w at byte %d: length %d, %d bytes left", errTorn, n, size, len(b)-n-frameHeader)
		}
		p := b[n+frameHeader : n+frameHeader+int(size)]
		if crc32.Checksum(p, castagnoli) != sum {
			return finish(st, pending, settled), n, fmt.Errorf("%w at byte %d: checksum mismatch", errTorn, n)
		}
		var r record
		if err := json.Unmarshal(p, &r); err != nil {
			return finish(st, pending, settled), n, fmt.Errorf("%w at byte %d: %v", errTorn, n, err)
		}
		if err := apply(&st, &pending, settled, r, n == 0); err != nil {
			return finish(st, pending, settled), n, fmt.Errorf("%w at byte %d: %v", errTorn, n, err)
		}
		n += frameHeader + int(size)
	}
	return finish(st, pending, settled), n, nil
}

func apply(st *State, pending *[]Entry, settled map[string]uint64, r record, first bool) error {
	if first != (r.K == kHeader) {
		return errors.New("the header must be the first record, and only it")
	}
	st.Counter = max(st.Counter, r.Counter)
	switch r.K {
	case kHeader:
		if err := wire.CheckID("client", r.Client); err != nil {
			return fmt.Errorf("header: client: %v", err)
		}
		st.Client = r.Client
	case kCommit:
		e := r.Entry
		if e == nil || wire.CheckID("id", e.ID) != nil {
			return errors.New("commit without a valid id")
		}
		*pending = append(*pending, *e)
	case kSettle:
		settled[r.ID] = r.Seq
	default:
		return fmt.Errorf("unknown record kind %q", r.K)
	}
	return nil
}

// finish drops settled entries and fills in the seqs of undo targets that
// were settled after the undo was written.
func finish(st State, pending []Entry, settled map[string]uint64) State {
	if st.Client == "" {
		return State{}
	}
	for _, e := range pending {
		if _, done := settled[e.ID]; done {
			continue
		}
		if e.Target != "" && e.TargetSeq == 0 {
			e.TargetSeq = settled[e.Target]
		}
		st.Pending = append(st.Pending, e)
	}
	return st
}

// Encode writes st as a compact journal: its header and one commit record
// per pending entry.
func Encode(st State) ([]byte, error) {
	b, err := appendRecord(nil, record{K: kHeader, Client: st.Client, Counter: st.Counter})
	if err != nil {
		return nil, err
	}
	for i := range st.Pending {
		if b, err = appendRecord(b, record{K: kCommit, Entry: &st.Pending[i]}); err != nil {
			return nil, err
		}
	}
	return b, nil
}
