package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

const schema = `
CREATE TABLE IF NOT EXISTS rooms (
	room    TEXT PRIMARY KEY,
	epoch   TEXT NOT NULL,
	open    INTEGER NOT NULL,
	created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commits (
	room   TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	id     TEXT NOT NULL,
	client TEXT NOT NULL,
	name   TEXT NOT NULL,
	kind   TEXT NOT NULL,
	target INTEGER NOT NULL,
	ops    BLOB NOT NULL,
	effect BLOB NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS commits_id ON commits (room, id);
CREATE TABLE IF NOT EXISTS snapshots (
	room TEXT PRIMARY KEY,
	seq  INTEGER NOT NULL,
	data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
	room    TEXT NOT NULL,
	id      TEXT NOT NULL,
	hash    BLOB NOT NULL,
	role    TEXT NOT NULL,
	revoked INTEGER NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (room, id)
) WITHOUT ROWID;
`

// SQLite is the embedded store: one file, WAL, synchronous=FULL, so a write
// that returned survives a crash of the process or the machine. One
// goroutine owns all writes and groups the batches that queue up while an
// fsync is in progress into one transaction.
type SQLite struct {
	w, r   *sql.DB
	stmts  map[string]*sql.Stmt // prepared once on w: modernc parses SQL text on every Exec otherwise
	writes *GroupWriter         // one writer: SQLite has one write lock anyway
}

// OpenSQLite opens or creates the database file at path.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: create schema: %w", err)
	}
	stmts := map[string]*sql.Stmt{}
	for _, q := range []string{sqlMeta, sqlCommit, sqlToken, sqlSnapshot} {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("open store: prepare: %w", err)
		}
		stmts[q] = st
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	r.SetMaxOpenConns(4)
	s := &SQLite{w: w, r: r, stmts: stmts}
	s.writes = NewGroupWriter(1, s.commit)
	return s, nil
}

// Write implements Store.
func (s *SQLite) Write(ctx context.Context, b Batch) error { return s.writes.Write(ctx, b) }

// commit writes a group of batches in one transaction.
func (s *SQLite) commit(bs []Batch) error {
	return s.tx(func(tx *sql.Tx) error {
		for _, b := range bs {
			if err := s.writeBatch(tx, b); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *SQLite) tx(fn func(*sql.Tx) error) error {
	tx, err := s.w.Begin()
	if err != nil {
		return fmt.Errorf("store write: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return fmt.Errorf("store write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store write: commit: %w", err)
	}
	return nil
}

const (
	sqlMeta = `INSERT INTO rooms (room, epoch, open, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (room) DO UPDATE SET epoch = excluded.epoch, open = excluded.open`
	sqlCommit = `INSERT INTO commits (room, seq, id, client, name, kind, target, ops, effect, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlToken = `INSERT INTO tokens (room, id, hash, role, revoked, created) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (room, id) DO UPDATE SET revoked = excluded.revoked, role = excluded.role`
	sqlSnapshot = `INSERT INTO snapshots (room, seq, data) VALUES (?, ?, ?)
		ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, data = excluded.data`
)

func (s *SQLite) writeBatch(tx *sql.Tx, b Batch) error {
	exec := func(q string, args ...any) error {
		_, err := tx.Stmt(s.stmts[q]).Exec(args...)
		return err
	}
	if m := b.Meta; m != nil {
		if err := exec(sqlMeta, b.Room, m.Epoch, m.Open, m.Created); err != nil {
			return fmt.Errorf("room %s: meta: %w", b.Room, err)
		}
	}
	for _, r := range b.Records {
		if err := exec(sqlCommit, b.Room, int64(r.Seq), r.ID, r.Client, r.Name, r.Kind, int64(r.Target), r.Ops, r.Effect, r.At); err != nil {
			return fmt.Errorf("room %s: commit %d: %w", b.Room, r.Seq, err)
		}
	}
	for _, t := range b.Tokens {
		if err := exec(sqlToken, b.Room, t.ID, t.Hash, t.Role, t.Revoked, t.Created); err != nil {
			return fmt.Errorf("room %s: token %s: %w", b.Room, t.ID, err)
		}
	}
	if sn := b.Snapshot; sn != nil {
		if err := exec(sqlSnapshot, b.Room, int64(sn.Seq), sn.Data); err != nil {
			return fmt.Errorf("room %s: snapshot: %w", b.Room, err)
		}
	}
	return nil
}

// Load implements Store.
func (s *SQLite) Load(ctx context.Context, room string, recentIDs int) (Room, error) {
	var out Room
	out.Meta.Room = room
	err := s.r.QueryRowContext(ctx, `SELECT epoch, open, created FROM rooms WHERE room = ?`, room).
		Scan(&out.Meta.Epoch, &out.Meta.Open, &out.Meta.Created)
	if errors.Is(err, sql.ErrNoRows) {
		return Room{}, fmt.Errorf("room %s: %w", room, ErrNotFound)
	}
	if err != nil {
		return Room{}, fmt.Errorf("load room %s: %w", room, err)
	}
	var snapSeq int64
	err = s.r.QueryRowContext(ctx, `SELECT seq, data FROM snapshots WHERE room = ?`, room).Scan(&snapSeq, &out.Snapshot.Data)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Room{}, fmt.Errorf("load room %s: snapshot: %w", room, err)
	}
	out.Snapshot.Seq = uint64(snapSeq)
	if out.Records, err = s.Records(ctx, room, out.Snapshot.Seq, -1); err != nil {
		return Room{}, err
	}
	out.LastSeq = out.Snapshot.Seq
	if n := len(out.Records); n > 0 {
		out.LastSeq = out.Records[n-1].Seq
	}
	if out.Tokens, err = s.tokens(ctx, room); err != nil {
		return Room{}, err
	}
	if out.RecentIDs, err = s.recentIDs(ctx, room, recentIDs); err != nil {
		return Room{}, err
	}
	return out, nil
}

func (s *SQLite) tokens(ctx context.Context, room string) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, hash, role, revoked, created FROM tokens WHERE room = ?`, room)
	if err != nil {
		return nil, fmt.Errorf("load room %s: tokens: %w", room, err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.Hash, &t.Role, &t.Revoked, &t.Created); err != nil {
			return nil, fmt.Errorf("load room %s: tokens: %w", room, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s *SQLite) recentIDs(ctx context.Context, room string, n int) ([]IDSeq, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, seq FROM commits WHERE room = ? ORDER BY seq DESC LIMIT ?`, room, n)
	if err != nil {
		return nil, fmt.Errorf("load room %s: ids: %w", room, err)
	}
	defer rows.Close()
	var out []IDSeq
	for rows.Next() {
		var v IDSeq
		var seq int64
		if err := rows.Scan(&v.ID, &seq); err != nil {
			return nil, fmt.Errorf("load room %s: ids: %w", room, err)
		}
		v.Seq = uint64(seq)
		out = append(out, v)
	}
	slices.Reverse(out)
	return out, rows.Err()
}

// Records implements Store. A negative limit means no limit.
func (s *SQLite) Records(ctx context.Context, room string, after uint64, limit int) ([]Record, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, id, client, name, kind, target, ops, at FROM commits
		WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`, room, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("room %s: records: %w", room, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var seq, target int64
		if err := rows.Scan(&seq, &r.ID, &r.Client, &r.Name, &r.Kind, &target, &r.Ops, &r.At); err != nil {
			return nil, fmt.Errorf("room %s: records: %w", room, err)
		}
		r.Seq, r.Target = uint64(seq), uint64(target)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room %s: records: %w", room, err)
	}
	return out, nil
}

// RecordSizes implements Store. SQLite reads a blob's length from its
// record header, without its overflow pages.
func (s *SQLite) RecordSizes(ctx context.Context, room string, after uint64, limit int) ([]RecordSize, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, length(ops) FROM commits
		WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`, room, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
	}
	defer rows.Close()
	var out []RecordSize
	for rows.Next() {
		var seq, n int64
		if err := rows.Scan(&seq, &n); err != nil {
			return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
		}
		out = append(out, RecordSize{Seq: uint64(seq), Ops: int(n)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("room %s: record sizes: %w", room, err)
	}
	return out, nil
}

// Record implements Store.
func (s *SQLite) Record(ctx context.Context, room string, seq uint64) (Record, error) {
	r := Record{Seq: seq}
	var target int64
	err := s.r.QueryRowContext(ctx, `SELECT id, client, name, kind, target, ops, effect, at FROM commits
		WHERE room = ? AND seq = ?`, room, int64(seq)).
		Scan(&r.ID, &r.Client, &r.Name, &r.Kind, &target, &r.Ops, &r.Effect, &r.At)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("room %s: commit %d: %w", room, seq, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("room %s: commit %d: %w", room, seq, err)
	}
	r.Target = uint64(target)
	return r, nil
}

// SeqOf implements Store.
func (s *SQLite) SeqOf(ctx context.Context, room, id string) (uint64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT seq FROM commits WHERE room = ? AND id = ?`, room, id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("room %s: commit id %s: %w", room, id, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("room %s: commit id %s: %w", room, id, err)
	}
	return uint64(seq), nil
}

// Rooms implements Store.
func (s *SQLite) Rooms(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM rooms`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rooms: %w", err)
	}
	return n, nil
}

// Close implements Store.
func (s *SQLite) Close() error {
	s.writes.Close()
	for _, st := range s.stmts {
		st.Close()
	}
	return errors.Join(s.w.Close(), s.r.Close())
}
