package store

import (
	"context"
	"errors"
)

// ErrNotFound means the room, commit or token does not exist.
var ErrNotFound = errors.New("not found")

// ErrClosed means the store was closed.
var ErrClosed = errors.New("store closed")

// Meta describes a room. Epoch names the lineage of its log: a client that
// remembers another epoch must resync from a snapshot.
type Meta struct {
	Room    string
	Epoch   string
	Open    bool  // anyone may edit without a token
	Created int64 // unix milliseconds
}

// Record is one commit in a room's log.
type Record struct {
	Seq    uint64
	ID     string // the client's commit ID, unique in the room
	Client string // the author's client instance ID
	Name   string // the author's display name when it committed
	Kind   string // wire.KindDraw, KindUndo or KindRedo
	Target uint64 // for undo and redo: the seq reverted
	Ops    []byte // JSON array of model.Op, as applied
	Effect []byte // model.AppendEffect of what the commit changed
	At     int64  // unix milliseconds
}

// Token is an invite token. Only the hash of its secret is stored.
type Token struct {
	ID      string
	Hash    []byte
	Role    string
	Revoked bool
	Created int64
}

// Snapshot is the binary canvas (model.Canvas.MarshalBinary) after Seq.
type Snapshot struct {
	Seq  uint64
	Data []byte
}

// Batch is everything one flush of a room makes durable, in one transaction.
type Batch struct {
	Room     string
	Meta     *Meta     // set when the room is created
	Records  []Record  // consecutive seqs
	Tokens   []Token   // inserted or replaced (revocation)
	Snapshot *Snapshot // replaces the room's snapshot
	// Fence, when not 0, is the lease epoch (see Leaser) the writer holds
	// the room under. A store that implements Leaser writes the batch only
	// if it is still the room's current, unexpired lease epoch, checked in
	// the batch's own transaction, and fails it with ErrFenced otherwise.
	// Stores without leases (one node) ignore it.
	Fence uint64
}

// Room is what waking a room needs.
type Room struct {
	Meta      Meta
	Snapshot  Snapshot // Seq 0 and no Data when none was taken
	Records   []Record // every record after the snapshot, Effect omitted
	Tokens    []Token
	RecentIDs []IDSeq // the IDs of the most recent commits, oldest first
	LastSeq   uint64
}

// RecordSize is a record's seq and the length of its Ops.
type RecordSize struct {
	Seq uint64
	Ops int
}

// IDSeq pairs a commit ID with its seq.
type IDSeq struct {
	ID  string
	Seq uint64
}

// Store persists rooms. Implementations are safe for concurrent use; Write
// returns only once its batch is durable, and concurrent Writes (from many
// rooms) share transactions and fsyncs.
type Store interface {
	// Load returns a room, with up to recentIDs of its latest commit IDs,
	// or ErrNotFound.
	Load(ctx context.Context, room string, recentIDs int) (Room, error)
	// Write makes a batch durable.
	Write(ctx context.Context, b Batch) error
	// Records returns up to limit records with seq > after, in order,
	// without their effects.
	Records(ctx context.Context, room string, after uint64, limit int) ([]Record, error)
	// RecordSizes returns the seq and the size in bytes of the ops of up
	// to limit records with seq > after, in order, without reading the
	// ops: what a reader needs to budget its memory before Records.
	RecordSizes(ctx context.Context, room string, after uint64, limit int) ([]RecordSize, error)
	// Record returns one record, with its effect, or ErrNotFound.
	Record(ctx context.Context, room string, seq uint64) (Record, error)
	// SeqOf returns the seq of the commit with this ID, or ErrNotFound.
	SeqOf(ctx context.Context, room, id string) (uint64, error)
	// Rooms returns the number of rooms stored.
	Rooms(ctx context.Context) (int, error)
	// Close waits for writes in flight and releases the store.
	Close() error
}
