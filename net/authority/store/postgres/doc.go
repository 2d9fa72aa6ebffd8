// Package postgres is the store that several authority nodes share: the
// same store.Store as the embedded SQLite backend (and the same test
// suite), plus store.Leaser, the room leases that keep exactly one node
// the authority of a room at a time.
//
// Leases fence writes: every batch written under a lease names its epoch
// (store.Batch.Fence), and the batch's own transaction checks, with the
// lease row locked against a concurrent takeover, that the epoch is still
// the room's current, unexpired one. A node that was paused or cut off
// while another took its room therefore cannot write, however late it
// wakes: the lease is a hint, the fence is the storage.
//
// Writes are grouped: batches that queue up while a transaction is in
// flight go to Postgres together, in one implicit transaction (one round
// trip, one WAL flush).
package postgres
