// Package session is one participant in one room, and the only client code
// that talks to the network: the TUI, the SSH front door and bots all use
// it. A Session dials the room's authority, authenticates, syncs (snapshot
// or catch-up), shows the room's confirmed canvas with our own pending
// commits applied on top, resends what was never acknowledged after a
// reconnection (with the original commit IDs, so nothing applies twice),
// carries presence, and reports everything on its Events channel.
package session
