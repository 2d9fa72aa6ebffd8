// Package outbox keeps a client's unacknowledged commits on disk, so that
// nothing a person draws is lost when the link, the server or the client
// itself dies before the authority has answered.
//
// A journal is one append-only file per (server, room, client identity) in
// the user's state directory. Every record is framed as
//
//	length  uint32, big-endian: bytes of payload
//	crc     uint32, big-endian: CRC-32C (Castagnoli) of payload
//	payload JSON: a header, a commit, or the settlement of a commit
//
// A commit record is written and fsynced before the commit is shown as
// pending; a settlement (acknowledged, or rejected) is appended without
// fsync, because losing one only means the commit is resent and the
// authority answers the resend with an ack (commit IDs are idempotent).
// A torn or corrupt tail — a crash in the middle of an append — is cut off
// at the last whole record, with a log line. The file is rewritten (to a
// temporary file, fsynced, renamed over, directory fsynced) when it is
// opened and when it holds only settled records.
//
// The journal also keeps the client ID and the commit counter: a session
// restarted on the journal resends its leftovers with their original IDs
// (the authority applies each once), and never reuses an ID for new
// content. Each journal is locked while a process uses it, so two canvases
// on the same room each get their own.
package outbox
