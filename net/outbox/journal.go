package outbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/tcanvas/tcanvas/internal/statedir"
)

// compactAbove is the size past which a journal holding nothing pending is
// rewritten as just its header.
const compactAbove = 1 << 20

// maxJournals bounds how many journals one server and room may have: one
// per canvas open on it at the same time.
const maxJournals = 64

// Journal is an open outbox. It is safe for concurrent use.
type Journal struct {
	mu      sync.Mutex
	path    string
	f       *os.File // the journal, opened for appending
	lock    *os.File // held for as long as the journal is open
	log     *slog.Logger
	st      State
	live    map[string]bool // IDs of entries not yet settled
	size    int64
	settled bool // a settle record was written since the last rewrite
	closed  bool
}

// Open opens a journal for room on server (a room link's base URL) in dir,
// creating dir (0700) and the journal (0600) as needed. Of that room's
// journals it takes the first that no other process holds; a new one starts
// with a fresh random client ID. A torn tail is cut off and logged.
func Open(dir, server, room string, log *slog.Logger) (*Journal, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	h := sha256.Sum256([]byte(server + "\x00" + room))
	key := hex.EncodeToString(h[:8])
	for i := range maxJournals {
		base := filepath.Join(dir, fmt.Sprintf("%s.%d", key, i))
		lf, err := os.OpenFile(base+".lock", os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		ok, err := tryLock(lf)
		if err != nil {
			lf.Close()
			return nil, fmt.Errorf("outbox: lock %s: %w", lf.Name(), err)
		}
		if !ok {
			lf.Close()
			continue
		}
		j, err := load(base+".journal", lf, log)
		if err != nil {
			lf.Close()
			return nil, err
		}
		return j, nil
	}
	return nil, fmt.Errorf("outbox: %d canvases already hold a journal of room %s", maxJournals, room)
}

func load(path string, lock *os.File, log *slog.Logger) (*Journal, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	st, n, derr := Decode(b)
	if derr != nil {
		log.Warn("outbox: skipping the journal's damaged tail", "file", path, "kept_bytes", n, "dropped_bytes", len(b)-n, "err", derr)
	}
	if st.Client == "" {
		c := make([]byte, 8)
		rand.Read(c)
		st = State{Client: hex.EncodeToString(c)}
	}
	j := &Journal{path: path, lock: lock, log: log, st: st, live: map[string]bool{}}
	for _, e := range st.Pending {
		j.live[e.ID] = true
	}
	// Always start from a compact copy: it drops settled entries and any
	// torn tail, and proves the directory is writable before anyone draws.
	if err := j.rewriteLocked(); err != nil {
		return nil, err
	}
	return j, nil
}

// rewriteLocked replaces the file with the compact form of j.st and opens
// it for appending.
func (j *Journal) rewriteLocked() error {
	b, err := Encode(j.st)
	if err != nil {
		return err
	}
	if err := statedir.WriteFileAtomic(j.path, b); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if j.f != nil {
		j.f.Close()
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		j.f = nil
		return fmt.Errorf("outbox: %w", err)
	}
	j.f, j.size, j.settled = f, int64(len(b)), false
	return nil
}

// ClientID is the client identity the journal's commits were made with.
func (j *Journal) ClientID() string { return j.st.Client }

// Counter is the highest commit counter ever used with this identity.
func (j *Journal) Counter() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.Counter
}

// Pending returns the unanswered commits, oldest first.
func (j *Journal) Pending() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]Entry, 0, len(j.live))
	for _, e := range j.st.Pending {
		if j.live[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

// Add records a new commit made with counter value counter, and returns
// once it is on disk.
func (j *Journal) Add(e Entry, counter uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed || j.f == nil {
		return errors.New("outbox: the journal is closed")
	}
	b, err := appendRecord(nil, record{K: kCommit, Counter: counter, Entry: &e})
	if err != nil {
		return err
	}
	if err := j.appendLocked(b); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	j.st.Counter = max(j.st.Counter, counter)
	j.st.Pending = append(j.st.Pending, e)
	j.live[e.ID] = true
	return nil
}

// Settle records that the authority answered commit id: it landed at seq,
// or (seq 0) it was rejected. It does not wait for the disk: a settlement
// lost in a crash only makes the commit be resent, and answered with an
// ack.
func (j *Journal) Settle(id string, seq uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed || j.f == nil || !j.live[id] {
		return
	}
	delete(j.live, id)
	// Undos made while their target was pending learn its seq here, so a
	// compacted journal can still send them.
	for i := range j.st.Pending {
		if p := &j.st.Pending[i]; p.Target == id && p.TargetSeq == 0 {
			p.TargetSeq = seq
		}
	}
	b, err := appendRecord(nil, record{K: kSettle, ID: id, Seq: seq})
	if err == nil {
		err = j.appendLocked(b)
	}
	if err != nil {
		j.log.Warn("outbox: recording an answer failed; the commit will be resent", "id", id, "err", err)
		return
	}
	j.settled = true
	if len(j.live) == 0 {
		// Everything answered: forget the settled entries (they would
		// only grow), and shrink the file once it is big.
		j.st.Pending = j.st.Pending[:0]
		if j.size > compactAbove {
			j.compactLocked()
		}
	}
}

func (j *Journal) appendLocked(b []byte) error {
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	j.size += int64(len(b))
	return nil
}

func (j *Journal) compactLocked() {
	kept := j.st.Pending[:0]
	for _, e := range j.st.Pending {
		if j.live[e.ID] {
			kept = append(kept, e)
		}
	}
	j.st.Pending = kept
	if err := j.rewriteLocked(); err != nil {
		j.log.Warn("outbox: compacting the journal failed", "file", j.path, "err", err)
	}
}

// Len is how many commits are unanswered.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.live)
}

// Close compacts the journal if anything was settled, then releases it for
// the next canvas on the room.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	if j.settled {
		j.compactLocked()
	}
	var err error
	if j.f != nil {
		err = j.f.Close()
	}
	return errors.Join(err, j.lock.Close())
}
