package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// left converts Postgres' seconds to a duration.
func left(secs float64) time.Duration { return time.Duration(secs * float64(time.Second)) }

// Acquire implements store.Leaser. Expiry is judged by the database's
// clock alone. Taking a lease back from ourselves (a node restarted under
// the same ID, or a room reloaded) also bumps the fence, so whatever an
// earlier incarnation still had in flight is fenced off.
func (s *Store) Acquire(ctx context.Context, room, node, addr string, ttl time.Duration) (store.Lease, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	l := store.Lease{Room: room, Node: node, Addr: addr}
	var fence int64
	var secs float64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO tcanvas_leases AS l (room, node, addr, fence, expires)
		VALUES ($1, $2, $3, 1, clock_timestamp() + make_interval(secs => $4))
		ON CONFLICT (room) DO UPDATE SET node = excluded.node, addr = excluded.addr, fence = l.fence + 1,
			expires = clock_timestamp() + make_interval(secs => $4)
		WHERE l.expires <= clock_timestamp() OR l.node = excluded.node
		RETURNING fence, extract(epoch FROM expires - clock_timestamp())::float8`,
		room, node, addr, ttl.Seconds()).Scan(&fence, &secs)
	if errors.Is(err, pgx.ErrNoRows) {
		held, err := s.Owner(ctx, room)
		if err != nil {
			return store.Lease{}, err
		}
		return held, fmt.Errorf("room %s: held by node %s until %s from now: %w", room, held.Node, held.Left.Round(time.Millisecond), store.ErrLeaseHeld)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("room %s: acquire lease: %w", room, err)
	}
	l.Fence, l.Left = uint64(fence), left(secs)
	return l, nil
}

// Renew implements store.Leaser, for all of a node's rooms in one
// statement.
func (s *Store) Renew(ctx context.Context, node string, ttl time.Duration, fences map[string]uint64) (map[string]bool, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	rooms := make([]string, 0, len(fences))
	fs := make([]int64, 0, len(fences))
	for r, f := range fences {
		rooms = append(rooms, r)
		fs = append(fs, int64(f))
	}
	rows, err := s.pool.Query(ctx, `
		UPDATE tcanvas_leases AS l SET expires = clock_timestamp() + make_interval(secs => $2)
		FROM unnest($3::text[], $4::bigint[]) AS h(room, fence)
		WHERE l.room = h.room AND l.fence = h.fence AND l.node = $1
		RETURNING l.room`, node, ttl.Seconds(), rooms, fs)
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	out := make(map[string]bool, len(kept))
	for _, r := range kept {
		out[r] = true
	}
	return out, nil
}

// Release implements store.Leaser. The row stays, so the fence keeps
// growing across owners.
func (s *Store) Release(ctx context.Context, room, node string, fence uint64) error {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE tcanvas_leases SET expires = clock_timestamp()
		WHERE room = $1 AND node = $2 AND fence = $3 AND expires > clock_timestamp()`, room, node, int64(fence))
	if err != nil {
		return fmt.Errorf("room %s: release lease: %w", room, err)
	}
	return nil
}

// Owner implements store.Leaser.
func (s *Store) Owner(ctx context.Context, room string) (store.Lease, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	l := store.Lease{Room: room}
	var fence int64
	var secs float64
	err := s.pool.QueryRow(ctx, `SELECT node, addr, fence, extract(epoch FROM expires - clock_timestamp())::float8
		FROM tcanvas_leases WHERE room = $1`, room).Scan(&l.Node, &l.Addr, &fence, &secs)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Lease{}, fmt.Errorf("room %s: lease: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return store.Lease{}, fmt.Errorf("room %s: lease: %w", room, err)
	}
	l.Fence, l.Left = uint64(fence), left(secs)
	return l, nil
}
