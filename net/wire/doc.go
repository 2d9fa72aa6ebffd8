// Package wire owns the tcanvas protocol: the JSON control frames carried over
// the WebSocket to a room's authority, the compact binary presence packet
// carried over WebRTC data channels (and over the WebSocket when the relay
// fallback is in use), the limits both ends enforce, and room links.
//
// docs/PROTOCOL.md is the human contract for everything here; a change to a
// frame or a limit changes that document in the same commit.
//
// Every decoder in this package is fuzzed: decoding never panics and never
// allocates more than a small multiple of its input.
package wire
