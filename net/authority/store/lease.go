package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseHeld means another node holds the room's lease and it has not
// expired.
var ErrLeaseHeld = errors.New("room lease held by another node")

// ErrFenced means a write's Fence is not the room's current lease epoch:
// another node took the room (or the lease expired), so the write was
// refused and nothing of its batch was stored.
var ErrFenced = errors.New("room lease lost: write fenced off")

// Lease is a node's exclusive claim on a room, for a time. Fence (the
// lease epoch) grows by one at every acquisition, so a write carrying an
// older fence can be told apart from the current owner's and refused. It
// is unrelated to Meta.Epoch, which names the lineage of the room's log.
type Lease struct {
	Room  string
	Node  string // the owner's node ID
	Addr  string // the owner's advertised base URL (http://host:port)
	Fence uint64
	// Left is how long the lease was still valid when the store answered,
	// by the store's clock; zero or less means expired.
	Left time.Duration
}

// Leaser is implemented by stores that several authority nodes share. It
// keeps at most one owner per room at a time; the store's own clock alone
// decides expiry, so nodes' clocks need not agree.
type Leaser interface {
	// Acquire takes the room's lease for node, valid for ttl, when it is
	// free, expired or already node's, and returns it with a new fence.
	// Otherwise it fails with ErrLeaseHeld and returns the holder's lease.
	Acquire(ctx context.Context, room, node, addr string, ttl time.Duration) (Lease, error)
	// Renew extends by ttl each of node's leases named in fences (room to
	// fence) that is still current, and returns the rooms it renewed; the
	// others are lost.
	Renew(ctx context.Context, node string, ttl time.Duration, fences map[string]uint64) (map[string]bool, error)
	// Release ends node's lease on the room now, if fence is still
	// current, so another node may take the room without waiting.
	Release(ctx context.Context, room, node string, fence uint64) error
	// Owner returns the room's lease, expired or not, or ErrNotFound if
	// no node ever held it.
	Owner(ctx context.Context, room string) (Lease, error)
}
