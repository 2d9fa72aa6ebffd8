package session

import (
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Event is what a session reports on its Events channel: one of the types
// below. The canvas itself is read with View; events say what changed.
type Event interface{ event() }

// Committed: a commit became part of the room's history (Own: it is one of
// ours, now acknowledged).
type Committed struct {
	Seq    uint64
	ID     string
	Peer   uint16
	Author string // wire.AuthorOf the author's client ID
	Name   string
	Kind   string
	Target uint64
	Own    bool
	// Acked marks the answer to a resend of a commit that had already
	// landed (its first acknowledgement was lost): only Seq, ID and Own
	// are set, and its ops are already in the view.
	Acked bool
	Ops   []model.Op
}

// Rejected: the authority refused one of our commits; it is gone from the
// view.
type Rejected struct {
	ID     string
	Code   string
	Reason string
}

// Synced: the session holds the room's state at Seq, after a welcome.
// Snapshot tells whether the canvas was replaced rather than caught up.
type Synced struct {
	Room     string
	You      uint16 // our peer ID on this connection
	Seq      uint64
	Epoch    string
	Role     wire.Role
	Snapshot bool
	Token    string // a token minted for us (the owner token of a new room)
}

// Roster: the room's participants changed; Peers is the whole roster.
type Roster struct {
	Peers []Peer
}

// Presence: a peer's latest pointer state.
type Presence struct {
	Peer     uint16
	Presence wire.Presence
	At       time.Time
}

// LinkChanged: the connection's state changed.
type LinkChanged struct {
	Link Link
}

// Token: the answer to Mint.
type Token struct {
	Req, ID, Token string
	Role           wire.Role
}

// TokenRevoked: the answer to Revoke, once the revocation is durable.
type TokenRevoked struct {
	Req, ID string
}

// Tokens: the answer to ListTokens, the room's live tokens oldest first.
type Tokens struct {
	Req    string
	Tokens []wire.TokenInfo
}

// Error: a non-fatal problem the authority reported, or a fatal one that
// ended the session (then Fatal is set and the session is closed).
type Error struct {
	Code   string
	Reason string
	Fatal  bool
}

func (Committed) event()    {}
func (Rejected) event()     {}
func (Synced) event()       {}
func (Roster) event()       {}
func (Presence) event()     {}
func (LinkChanged) event()  {}
func (Token) event()        {}
func (TokenRevoked) event() {}
func (Tokens) event()       {}
func (Error) event()        {}

// Peer is a roster entry as the session sees it.
type Peer struct {
	wire.Peer
	Route string        // "relay" until the mesh carries this peer's presence
	RTT   time.Duration // 0 when unknown
	You   bool
}

// State of the link to the authority.
type State int

// Link states.
const (
	Connecting State = iota // dialing or syncing
	Online                  // synced; commits flow
	Offline                 // lost; reconnecting after RetryAt
	Closed                  // ended for good
)

func (s State) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Online:
		return "online"
	case Offline:
		return "offline"
	}
	return "closed"
}

// Link describes the connection to the authority.
type Link struct {
	State   State
	Attempt int       // reconnection attempts since the link was last online
	RetryAt time.Time // when Offline: the next attempt
	Err     string    // why the link was lost, if it was
}
