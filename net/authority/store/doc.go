// Package store owns the durable state of rooms: their metadata, commit log,
// latest snapshot and invite tokens, behind the Store interface. SQLite
// (modernc.org/sqlite, pure Go, WAL, synchronous=FULL) is the embedded
// default; other backends implement the same interface and pass the same
// suite of tests.
package store
