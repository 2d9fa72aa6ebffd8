// Package authority is the bundled server that owns rooms: it accepts
// WebSocket connections at /r/ROOM, runs one goroutine per live room that
// alone orders, validates, access-checks, persists and broadcasts that
// room's commits, relays WebRTC signaling and (as a fallback) presence,
// hibernates idle rooms and wakes them from the store, and serves /healthz
// and /metrics.
//
// The output gate: nothing that depends on a commit (its broadcast, its
// acknowledgement, a snapshot containing it) leaves the server before the
// commit is durable in the store.
package authority
