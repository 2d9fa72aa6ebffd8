// Package mesh owns the presence lane between peers: one pion WebRTC
// PeerConnection per pair, negotiated through the authority's signaling
// relay, each with one unordered, unreliable data channel (Ordered=false,
// MaxRetransmits=0) that carries only presence packets. A pair that cannot
// connect in time is reported as using the relay, and its presence goes
// through the authority instead. Identity comes from the channel: a packet
// that arrives on peer X's channel is X's, whatever it contains.
package mesh
