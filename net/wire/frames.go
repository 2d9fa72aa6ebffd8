package wire

import (
	"encoding/json"

	"github.com/tcanvas/tcanvas/model"
)

// Version is the protocol version a client names in its hello. The authority
// refuses any other with CloseUnsupported, so an old client fails loudly
// instead of misreading frames.
const Version = 1

// Frame types. Every control frame is a JSON object whose "t" member names
// its type; the rest of its members depend on the type.
const (
	// Client to server.
	THello  = "hello"
	TCommit = "commit"
	TUndo   = "undo"
	TRedo   = "redo"
	TSignal = "signal" // also server to client
	TMint   = "mint"
	TRevoke = "revoke"
	TTokens = "tokens" // also server to client: the answer
	TQuiet  = "quiet"

	// Server to client.
	TWelcome   = "welcome"
	TSnap      = "snap"
	TReady     = "ready"
	TCommitted = "committed"
	TAck       = "ack"
	TReject    = "reject"
	TJoin      = "join"
	TLeave     = "leave"
	TUpdate    = "update"
	TToken     = "token"
	TRevoked   = "revoked"
	TError     = "error"
)

// Role is what a participant may do in a room.
type Role string

// Roles, from most to least privileged.
const (
	RoleOwner  Role = "owner"  // edits, mints and revokes tokens, may undo anyone's commit
	RoleEditor Role = "editor" // edits and undoes its own commits
	RoleViewer Role = "viewer" // reads only
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleEditor || r == RoleViewer }

// CanWrite reports whether r may commit.
func (r Role) CanWrite() bool { return r == RoleOwner || r == RoleEditor }

// Commit kinds as recorded in the room's log.
const (
	KindDraw = "draw"
	KindUndo = "undo"
	KindRedo = "redo"
)

// Sync modes announced in a welcome.
const (
	SyncSnapshot = "snapshot" // snap frames follow, then ready
	SyncCatchup  = "catchup"  // committed frames follow, then ready
)

// Header is decoded first to learn a frame's type.
type Header struct {
	T string `json:"t"`
}

// Hello is the first frame a client sends; nothing else is accepted before
// it. Epoch and Seq, when set, ask for a catch-up from that point.
type Hello struct {
	T string `json:"t"`
	V int    `json:"v"`
	// Client is the client instance ID, chosen at random once per process
	// and kept across reconnections. It is a secret: it proves authorship
	// (for undo and for resends) and the authority never shows it to
	// anyone else. Commit IDs must start with Client + "-".
	Client string      `json:"client"`
	Name   string      `json:"name"`
	Color  model.Color `json:"color"`
	Bot    bool        `json:"bot,omitempty"`
	Token  string      `json:"token,omitempty"`
	Epoch  string      `json:"epoch,omitempty"`
	Seq    uint64      `json:"seq,omitempty"`
	// Existing joins only a room that exists: a missing one is not
	// created but closed with CloseNoRoom. For readers such as export.
	Existing bool `json:"existing,omitempty"`
	// Quiet starts the connection with the presence relay off, as a Quiet
	// frame would: nothing reads this client's presence batches yet.
	Quiet bool `json:"quiet,omitempty"`
}

// Quiet turns the presence relay to its sender off (On) or back on. A
// client that shows nobody's cursors for now (an SSH viewer watching a
// shared screen, a bot that only commits) would otherwise be sent a batch
// per tick that it throws away; at an audience's scale those batches are
// most of the authority's work. Turned back on, the relay first sends the
// latest packet of every peer, as after a welcome.
type Quiet struct {
	T  string `json:"t"`
	On *bool  `json:"on"` // required: a frame that says neither is refused
}

// Peer is one roster entry. Every field is set by the authority; nothing a
// client says about another client is trusted.
type Peer struct {
	ID     uint16      `json:"id"`
	Author string      `json:"author"` // AuthorOf the peer's client ID
	Name   string      `json:"name"`
	Color  model.Color `json:"color"`
	Role   Role        `json:"role"`
	Bot    bool        `json:"bot,omitempty"`
}

// Limits tells a client the limits the authority enforces, so well-behaved
// clients never hit them.
type Limits struct {
	MaxFrameBytes   int     `json:"max_frame_bytes"`
	MaxCommitCells  int     `json:"max_commit_cells"`
	MaxCommitOps    int     `json:"max_commit_ops,omitempty"`
	MaxCoord        int32   `json:"max_coord"`
	CommitsPerSec   float64 `json:"commits_per_sec"`
	FramesPerSec    float64 `json:"frames_per_sec"`
	PresencePerSec  int     `json:"presence_per_sec"`
	MaxPresenceSize int     `json:"max_presence_bytes"`
}

// Welcome answers a valid hello. Token is set only when the authority has
// just minted a token for this client (the owner token of a new room).
type Welcome struct {
	T      string `json:"t"`
	V      int    `json:"v"`
	Room   string `json:"room"`
	You    uint16 `json:"you"`
	Role   Role   `json:"role"`
	Open   bool   `json:"open"`
	Token  string `json:"token,omitempty"`
	Epoch  string `json:"epoch"`
	Seq    uint64 `json:"seq"`
	Sync   string `json:"sync"`
	Roster []Peer `json:"roster"`
	Limits Limits `json:"limits"`
	// ICE lists STUN/TURN server URLs for the presence mesh; empty means
	// host candidates only.
	ICE []string `json:"ice,omitempty"`
	// MeshMax is the room size above which presence goes through the
	// authority's relay for everyone instead of the peer-to-peer mesh.
	MeshMax int `json:"mesh_max"`
}

// Snap carries part of a snapshot as text runs; applying every run of every
// snap frame to an empty canvas gives the canvas at Welcome.Seq.
type Snap struct {
	T    string     `json:"t"`
	Runs []model.Op `json:"runs"`
	Done bool       `json:"done"`
}

// Ready ends the sync: the client now holds the room's state at Seq, and
// every later change arrives as a committed frame.
type Ready struct {
	T   string `json:"t"`
	Seq uint64 `json:"seq"`
}

// Commit asks the authority to apply ops. ID is chosen by the client and
// must be unique in the room; a resend with the same ID is never applied
// twice.
type Commit struct {
	T   string     `json:"t"`
	ID  string     `json:"id"`
	Ops []model.Op `json:"ops"`
}

// Undo asks the authority to revert commit Target (an undo frame) or to
// revert the undo commit Target (a redo frame). Only cells that still hold
// what the target wrote are restored.
type Undo struct {
	T      string `json:"t"`
	ID     string `json:"id"`
	Target uint64 `json:"target"`
}

// Committed is broadcast to every participant, the sender included, once a
// commit is durable; for the sender it is the acknowledgement. Ops are the
// operations as applied: undo and redo arrive resolved into set ops. ID is
// sent only to the commit's author (it contains the author's secret client
// ID). Peer is the author's peer ID when the commit was made in frames
// broadcast live, and 0 in catch-up frames.
type Committed struct {
	T      string          `json:"t"`
	Seq    uint64          `json:"seq"`
	ID     string          `json:"id,omitempty"`
	Peer   uint16          `json:"peer"`
	Author string          `json:"author"`
	Name   string          `json:"name"`
	Kind   string          `json:"kind"`
	Target uint64          `json:"target,omitempty"`
	Ops    json.RawMessage `json:"ops"`
}

// Ack answers a commit whose ID the room already holds (a resend after a lost
// acknowledgement) with its original sequence number.
type Ack struct {
	T   string `json:"t"`
	ID  string `json:"id"`
	Seq uint64 `json:"seq"`
}

// Reject answers a commit, undo, redo, mint or revoke that was not applied.
// Nothing it asked for changed.
type Reject struct {
	T      string `json:"t"`
	ID     string `json:"id"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Reject and error codes.
const (
	CodeForbidden   = "forbidden"    // the role does not allow it
	CodeInvalid     = "invalid"      // malformed or failed validation
	CodeTooLarge    = "too_large"    // over a size limit
	CodeRateLimited = "rate_limited" // over a rate limit; retry later
	CodeNotFound    = "not_found"    // undo/redo target or token does not exist
	CodeRoomFull    = "room_full"    // the room's cell or peer cap
	CodeUnknownPeer = "unknown_peer" // signal to a peer not in the room
	CodeHello       = "hello"        // bad or missing hello
	CodeToken       = "token"        // unknown or revoked token
	CodeNoRoom      = "no_room"      // hello.existing, and the room does not exist
	CodeVersion     = "version"      // unsupported protocol version
	CodeSlow        = "slow"         // the client did not keep up
	CodeInternal    = "internal"     // the authority failed; reconnect
	CodeShutdown    = "shutdown"     // the authority is going away; reconnect
)

// RosterJoin and RosterUpdate carry one peer; RosterLeave names one.
type RosterJoin struct {
	T    string `json:"t"`
	Peer Peer   `json:"peer"`
}

// RosterLeave says a peer left the room.
type RosterLeave struct {
	T  string `json:"t"`
	ID uint16 `json:"id"`
}

// Signal carries WebRTC signaling between two peers of a room. From is set
// by the authority on delivery; a client's own From is ignored.
type Signal struct {
	T    string          `json:"t"`
	To   uint16          `json:"to,omitempty"`
	From uint16          `json:"from,omitempty"`
	Data json.RawMessage `json:"data"`
}

// Mint asks for a new invite token (owner only). Req is echoed in the answer.
type Mint struct {
	T    string `json:"t"`
	Req  string `json:"req"`
	Role Role   `json:"role"`
}

// Token answers a mint. The secret is shown once; the authority keeps only
// its hash.
type Token struct {
	T     string `json:"t"`
	Req   string `json:"req"`
	ID    string `json:"id"`
	Role  Role   `json:"role"`
	Token string `json:"token"`
}

// Revoke withdraws a token (owner only); live connections that joined with
// it lose its role at once.
type Revoke struct {
	T   string `json:"t"`
	Req string `json:"req"`
	ID  string `json:"id"`
}

// ListTokens asks for the room's live tokens (owner only). The answer is a
// TokenList with the same Req.
type ListTokens struct {
	T   string `json:"t"`
	Req string `json:"req"`
}

// TokenList answers ListTokens: every token not revoked, oldest first,
// without secrets (the authority keeps only their hashes).
type TokenList struct {
	T      string      `json:"t"`
	Req    string      `json:"req"`
	Tokens []TokenInfo `json:"tokens"`
}

// TokenInfo is one live token in a TokenList.
type TokenInfo struct {
	ID      string `json:"id"`
	Role    Role   `json:"role"`
	Created int64  `json:"created"` // Unix milliseconds
}

// Revoked confirms a revoke once it is durable.
type Revoked struct {
	T   string `json:"t"`
	Req string `json:"req"`
	ID  string `json:"id"`
}

// Error reports a problem with the connection rather than with one request.
// When Fatal is set the authority closes the connection right after it.
type Error struct {
	T      string `json:"t"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	Fatal  bool   `json:"fatal,omitempty"`
}

// WebSocket close codes the authority uses, beyond the standard 1001 (going
// away: shutdown, reconnect), 1009 (frame over MaxFrameBytes) and 1011
// (internal failure, reconnect). Each close carries a reason text.
const (
	CloseHello       = 4000 // missing, malformed or repeated hello
	CloseVersion     = 4001 // unsupported protocol version
	CloseSlow        = 4002 // the client did not read fast enough
	CloseRateLimited = 4003 // frames above the connection's rate
	CloseRoomFull    = 4004 // the room has MaxPeers connections
	CloseToken       = 4005 // unknown or revoked token
	CloseNoRoom      = 4006 // hello.existing, and the room does not exist
)
