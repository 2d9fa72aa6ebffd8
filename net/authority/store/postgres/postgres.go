package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// fencedCode is the SQLSTATE tcanvas_fence raises.
const fencedCode = "TCF01"

const schema = `
CREATE TABLE IF NOT EXISTS tcanvas_rooms (
	room    text PRIMARY KEY,
	epoch   text NOT NULL,
	open    boolean NOT NULL,
	created bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS tcanvas_commits (
	room   text NOT NULL,
	seq    bigint NOT NULL,
	id     text NOT NULL,
	client text NOT NULL,
	name   text NOT NULL,
	kind   text NOT NULL,
	target bigint NOT NULL,
	ops    bytea NOT NULL,
	effect bytea NOT NULL,
	at     bigint NOT NULL,
	fence  bigint NOT NULL, -- the lease epoch it was written under (0: none)
	PRIMARY KEY (room, seq),
	UNIQUE (room, id)
);
CREATE TABLE IF NOT EXISTS tcanvas_snapshots (
	room text PRIMARY KEY,
	seq  bigint NOT NULL,
	data bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS tcanvas_tokens (
	room    text NOT NULL,
	id      text NOT NULL,
	hash    bytea NOT NULL,
	role    text NOT NULL,
	revoked boolean NOT NULL,
	created bigint NOT NULL,
	PRIMARY KEY (room, id)
);
-- A lease row is never deleted, so its fence only grows.
CREATE TABLE IF NOT EXISTS tcanvas_leases (
	room    text PRIMARY KEY,
	node    text NOT NULL,
	addr    text NOT NULL,
	fence   bigint NOT NULL,
	expires timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS tcanvas_cluster (
	id     int PRIMARY KEY CHECK (id = 1),
	secret bytea NOT NULL
);
-- The fence: called first in every fenced batch. FOR SHARE holds the lease
-- row until the batch's transaction ends, so a takeover (an UPDATE of the
-- row) waits for the batch and then sees it, or the batch sees the new
-- fence and fails.
CREATE OR REPLACE FUNCTION tcanvas_fence(r text, f bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM tcanvas_leases WHERE room = r AND fence = f AND expires > clock_timestamp() FOR SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'room %: lease epoch % is not current', r, f USING ERRCODE = 'TCF01';
	END IF;
END $$;
`

// Options tunes a Store. Zero values mean the defaults beside them.
type Options struct {
	// Writers is how many transactions may be in flight at once, each
	// carrying a group of batches. Default 8.
	Writers int
	// MaxConns bounds the connection pool (writers included). Default 16.
	MaxConns int
	// Timeout bounds each statement or transaction whose context has no
	// deadline of its own, so that a lost database fails calls rather than
	// hanging them. Default 10s.
	Timeout time.Duration
}

// Store is the Postgres backend. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	writes *store.GroupWriter // Options.Writers transactions in flight at once
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Leaser = (*Store)(nil)
)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; a search_path parameter picks the schema) and creates
// the tables if they are missing.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Writers <= 0 {
		opts.Writers = 8
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	opts.MaxConns = max(opts.MaxConns, opts.Writers+2)
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.ConnConfig.ConnectTimeout = min(opts.Timeout, 5*time.Second)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{pool: pool, opts: opts}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.writes = store.NewGroupWriter(opts.Writers, s.send)
	return s, nil
}

// migrate creates the schema. Nodes starting together take turns, since
// concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
func (s *Store) migrate(ctx context.Context) error {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(74636176)`); err != nil {
		return fmt.Errorf("schema lock: %w", err)
	}
	if _, err := tx.Exec(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	if _, err := tx.Exec(ctx, `INSERT INTO tcanvas_cluster (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, secret); err != nil {
		return fmt.Errorf("cluster secret: %w", err)
	}
	return tx.Commit(ctx)
}

// timeout applies Options.Timeout to a context without a deadline.
func (s *Store) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opts.Timeout)
}

// Secret returns the random secret the nodes sharing this database share,
// created with the schema; nodes use it to recognise each other's proxied
// requests.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	var b []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret FROM tcanvas_cluster WHERE id = 1`).Scan(&b); err != nil {
		return nil, fmt.Errorf("cluster secret: %w", err)
	}
	return b, nil
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, b store.Batch) error { return s.writes.Write(ctx, b) }

const (
	sqlFence = `SELECT tcanvas_fence($1, $2)`
	sqlMeta  = `INSERT INTO tcanvas_rooms (room, epoch, open, created) VALUES ($1, $2, $3, $4)
		ON CONFLICT (room) DO UPDATE SET epoch = excluded.epoch, open = excluded.open`
	sqlCommit = `INSERT INTO tcanvas_commits (room, seq, id, client, name, kind, target, ops, effect, at, fence)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlToken = `INSERT INTO tcanvas_tokens (room, id, hash, role, revoked, created) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (room, id) DO UPDATE SET revoked = excluded.revoked, role = excluded.role`
	sqlSnapshot = `INSERT INTO tcanvas_snapshots (room, seq, data) VALUES ($1, $2, $3)
		ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, data = excluded.data`
)

// send writes batches in one pipelined implicit transaction: one round
// trip, all or nothing.
func (s *Store) send(group []store.Batch) error {
	var pb pgx.Batch
	for _, b := range group {
		if b.Fence != 0 {
			pb.Queue(sqlFence, b.Room, int64(b.Fence))
		}
		if m := b.Meta; m != nil {
			pb.Queue(sqlMeta, b.Room, m.Epoch, m.Open, m.Created)
		}
		for _, r := range b.Records {
			pb.Queue(sqlCommit, b.Room, int64(r.Seq), r.ID, r.Client, r.Name, r.Kind, int64(r.Target),
				nonNil(r.Ops), nonNil(r.Effect), r.At, int64(b.Fence))
		}
		for _, t := range b.Tokens {
			pb.Queue(sqlToken, b.Room, t.ID, nonNil(t.Hash), t.Role, t.Revoked, t.Created)
		}
		if sn := b.Snapshot; sn != nil {
			pb.Queue(sqlSnapshot, b.Room, int64(sn.Seq), nonNil(sn.Data))
		}
	}
	if pb.Len() == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
	defer cancel()
	err := s.pool.SendBatch(ctx, &pb).Close()
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == fencedCode {
		return fmt.Errorf("store write: %s: %w", pe.Message, store.ErrFenced)
	}
	if len(group) == 1 {
		return fmt.Errorf("store write: room %s: %w", group[0].Room, err)
	}
	return fmt.Errorf("store write: %w", err)
}

// nonNil keeps Go's nil slices from becoming SQL NULLs.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Load implements store.Store. Its queries go in one round trip.
func (s *Store) Load(ctx context.Context, room string, recentIDs int) (store.Room, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	var out store.Room
	out.Meta.Room = room
	var pb pgx.Batch
	pb.Queue(`SELECT epoch, open, created FROM tcanvas_rooms WHERE room = $1`, room).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out.Meta.Epoch, &out.Meta.Open, &out.Meta.Created)
	})
	var snapSeq int64
	pb.Queue(`SELECT seq, data FROM tcanvas_snapshots WHERE room = $1`, room).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&snapSeq, &out.Snapshot.Data)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	// Records after the snapshot: the snapshot's seq is not known yet in
	// this round trip, so the query finds it itself.
	pb.Queue(`SELECT seq, id, client, name, kind, target, ops, at FROM tcanvas_commits
		WHERE room = $1 AND seq > coalesce((SELECT seq FROM tcanvas_snapshots WHERE room = $1), 0) ORDER BY seq`, room).
		Query(func(rows pgx.Rows) error {
			var err error
			out.Records, err = scanRecords(rows)
			return err
		})
	pb.Queue(`SELECT id, hash, role, revoked, created FROM tcanvas_tokens WHERE room = $1`, room).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var t store.Token
			if err := rows.Scan(&t.ID, &t.Hash, &t.Role, &t.Revoked, &t.Created); err != nil {
				return err
			}
			out.Tokens = append(out.Tokens, t)
		}
		return rows.Err()
	})
	pb.Queue(`SELECT id, seq FROM tcanvas_commits WHERE room = $1 ORDER BY seq DESC LIMIT $2`, room, recentIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var v store.IDSeq
			var seq int64
			if err := rows.Scan(&v.ID, &seq); err != nil {
				return err
			}
			v.Seq = uint64(seq)
			out.RecentIDs = append(out.RecentIDs, v)
		}
		return rows.Err()
	})
	// Only the room's owner writes it, and it loads before it writes, so
	// the reads need no snapshot in common.
	err := s.pool.SendBatch(ctx, &pb).Close()
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Room{}, fmt.Errorf("room %s: %w", room, store.ErrNotFound)
	}
	if err != nil {
		return store.Room{}, fmt.Errorf("load room %s: %w", room, err)
	}
	slices.Reverse(out.RecentIDs)
	out.Snapshot.Seq = uint64(snapSeq)
	out.LastSeq = out.Snapshot.Seq
	if n := len(out.Records); n > 0 {
		out.LastSeq = out.Records[n-1].Seq
	}
	return out, nil
}

func scanRecords(rows pgx.Rows) ([]store.Record, error) {
	var out []store.Record
	for rows.Next() {
		var r store.Record
		var seq, target int64
		if err := rows.Scan(&seq, &r.ID, &r.Client, &r.Name, &r.Kind, &target, &r.Ops, &r.At); err != nil {
			return nil, err
		}
		r.Seq, r.Target = uint64(seq), uint64(target)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Records implements store.Store. A negative limit means no limit.
func (s *Store) Records(ctx context.Context, room string, after uint64, limit int) ([]store.Record, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	var lim any = limit
	if limit < 0 {
		lim = nil // LIMIT NULL: no limit
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, id, client, name, kind, target, ops, at FROM tcanvas_commits
		WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3`, room, int64(after), lim)
	if err != nil {
		return nil, fmt.Errorf("room %s: records: %w", room, err)
	}
	out, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("room %s: records: %w", room, err)
	}
	return out, nil
}

// RecordSizes implements store.Store. octet_length of a bytea reads its
// size without detoasting it.
func (s *Store) RecordSizes(ctx context.Context, room string, after uint64, limit int) ([]store.RecordSize, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT seq, octet_length(ops) FROM tcanvas_commits
		WHERE room = $1 AND seq > $2 ORDER BY seq LIMIT $3`, room, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
	}
	defer rows.Close()
	var out []store.RecordSize
	for rows.Next() {
		var seq, n int64
		if err := rows.Scan(&seq, &n); err != nil {
			return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
		}
		out = append(out, store.RecordSize{Seq: uint64(seq), Ops: int(n)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
	}
	return out, nil
}

// Record implements store.Store.
func (s *Store) Record(ctx context.Context, room string, seq uint64) (store.Record, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	r := store.Record{Seq: seq}
	var target int64
	err := s.pool.QueryRow(ctx, `SELECT id, client, name, kind, target, ops, effect, at FROM tcanvas_commits
		WHERE room = $1 AND seq = $2`, room, int64(seq)).
		Scan(&r.ID, &r.Client, &r.Name, &r.Kind, &target, &r.Ops, &r.Effect, &r.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, fmt.Errorf("room %s: commit %d: %w", room, seq, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("room %s: commit %d: %w", room, seq, err)
	}
	r.Target = uint64(target)
	return r, nil
}

// SeqOf implements store.Store.
func (s *Store) SeqOf(ctx context.Context, room, id string) (uint64, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq FROM tcanvas_commits WHERE room = $1 AND id = $2`, room, id).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("room %s: commit id %s: %w", room, id, store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("room %s: commit id %s: %w", room, id, err)
	}
	return uint64(seq), nil
}

// Rooms implements store.Store.
func (s *Store) Rooms(ctx context.Context) (int, error) {
	ctx, cancel := s.timeout(ctx)
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tcanvas_rooms`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rooms: %w", err)
	}
	return n, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.writes.Close()
	s.pool.Close()
	return nil
}
