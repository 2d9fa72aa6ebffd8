package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/model"
)

// Limits of the protocol. The authority enforces each of them and answers a
// breach with a reject, an error frame or a close code that names it.
const (
	// MaxFrameBytes is the largest control frame a client may send. The
	// authority's WebSocket read limit; a larger frame closes the connection
	// with CloseTooBig (1009).
	MaxFrameBytes = 1 << 20
	// MaxServerFrameBytes is the largest frame the authority sends; clients
	// set their read limit to it. Snapshots are split to stay below it.
	MaxServerFrameBytes = 16 << 20
	// SnapRunsPerFrame bounds the runs in one snap frame.
	SnapRunsPerFrame = 4096
	// MaxNameRunes bounds a display name.
	MaxNameRunes = 32
	// MaxIDLen bounds client instance IDs, commit IDs, token IDs and request IDs.
	MaxIDLen = 64
	// MaxTokenLen bounds a token secret.
	MaxTokenLen = 128
	// MaxRoomLen bounds a room name.
	MaxRoomLen = 64
	// MaxSignalBytes bounds the data of one signal frame (an SDP with
	// candidates fits in a few kilobytes).
	MaxSignalBytes = 16 << 10
	// MaxCatchup is the largest gap, in commits, that a reconnecting client
	// is sent commit by commit; beyond it the client gets a snapshot.
	MaxCatchup = 1000
)

// Errors returned by the decoders. Each wraps into a message that names the
// frame and the field.
var (
	// ErrMalformed means the frame is not a JSON object of a known shape.
	ErrMalformed = errors.New("malformed frame")
	// ErrUnknownType means the frame's "t" names no client frame.
	ErrUnknownType = errors.New("unknown frame type")
	// ErrField means a member of the frame is missing or out of range.
	ErrField = errors.New("bad field")
	// ErrVersion means the hello names a protocol version this build does
	// not speak.
	ErrVersion = errors.New("unsupported protocol version")
)

// DecodeClient decodes and checks one control frame sent by a client. It
// returns a pointer to one of Hello, Commit, Undo (for both undo and redo),
// Signal, Mint, Revoke, ListTokens or Quiet. Ops are checked for shape here; the authority
// checks them against its canvas limits with model.ValidateOps.
func DecodeClient(b []byte) (any, error) {
	if err := CheckJSONText(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var h Header
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var v interface{ check() error }
	switch h.T {
	case THello:
		v = &Hello{}
	case TCommit:
		v = &Commit{}
	case TUndo, TRedo:
		v = &Undo{}
	case TSignal:
		v = &Signal{}
	case TMint:
		v = &Mint{}
	case TRevoke:
		v = &Revoke{}
	case TTokens:
		v = &ListTokens{}
	case TQuiet:
		v = &Quiet{}
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownType, h.T)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, h.T, err)
	}
	if err := v.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", h.T, err)
	}
	return v, nil
}

func (h *Hello) check() error {
	if h.V != Version {
		return fmt.Errorf("%w %d (this authority speaks %d)", ErrVersion, h.V, Version)
	}
	if err := CheckID("client", h.Client); err != nil {
		return err
	}
	if err := CheckName(h.Name); err != nil {
		return err
	}
	if err := h.Color.Validate(); err != nil {
		return fmt.Errorf("%w: color: %v", ErrField, err)
	}
	if len(h.Token) > MaxTokenLen {
		return fmt.Errorf("%w: token longer than %d bytes", ErrField, MaxTokenLen)
	}
	if len(h.Epoch) > MaxIDLen {
		return fmt.Errorf("%w: epoch longer than %d bytes", ErrField, MaxIDLen)
	}
	return nil
}

func (c *Commit) check() error {
	if err := CheckID("id", c.ID); err != nil {
		return err
	}
	if len(c.Ops) == 0 {
		return fmt.Errorf("%w: ops: empty", ErrField)
	}
	return nil
}

func (u *Undo) check() error {
	if err := CheckID("id", u.ID); err != nil {
		return err
	}
	if u.Target == 0 {
		return fmt.Errorf("%w: target: missing", ErrField)
	}
	return nil
}

func (s *Signal) check() error {
	if s.To == 0 {
		return fmt.Errorf("%w: to: missing", ErrField)
	}
	if len(s.Data) == 0 || string(s.Data) == "null" {
		return fmt.Errorf("%w: data: missing", ErrField)
	}
	if len(s.Data) > MaxSignalBytes {
		return fmt.Errorf("%w: data: %d bytes, limit %d", ErrField, len(s.Data), MaxSignalBytes)
	}
	return nil
}

func (m *Mint) check() error {
	if len(m.Req) > MaxIDLen {
		return fmt.Errorf("%w: req longer than %d bytes", ErrField, MaxIDLen)
	}
	if !m.Role.Valid() {
		return fmt.Errorf("%w: role %q", ErrField, m.Role)
	}
	return nil
}

func (r *Revoke) check() error {
	if len(r.Req) > MaxIDLen {
		return fmt.Errorf("%w: req longer than %d bytes", ErrField, MaxIDLen)
	}
	return CheckID("id", r.ID)
}

func (q *Quiet) check() error {
	if q.On == nil {
		return fmt.Errorf("%w: on: missing", ErrField)
	}
	return nil
}

func (l *ListTokens) check() error {
	if len(l.Req) > MaxIDLen {
		return fmt.Errorf("%w: req longer than %d bytes", ErrField, MaxIDLen)
	}
	return nil
}

// AuthorOf is the public name of a client ID: stable, so that a UI can
// tell whose commits are whose, but not reversible, so it cannot be used
// to act as that client.
// Client IDs must carry enough entropy (the Go session uses 64 random
// bits) that the author name cannot be reversed by guessing.
func AuthorOf(client string) string {
	h := sha256.Sum256([]byte("tcanvas author\x00" + client))
	return hex.EncodeToString(h[:8])
}

// CheckCommitID checks that a commit ID is well formed and belongs to
// client: IDs are "CLIENT-N", so no one can collide with, or claim,
// another client's commits.
func CheckCommitID(client, id string) error {
	if err := CheckID("id", id); err != nil {
		return err
	}
	if len(id) <= len(client)+1 || id[:len(client)] != client || id[len(client)] != '-' ||
		strings.Contains(id[len(client)+1:], "-") {
		// The suffix may not hold a '-', or client "a" could use "a-b-1",
		// an ID of client "a-b".
		return fmt.Errorf("%w: id %q must be your client ID, '-', and a suffix without '-'", ErrField, id)
	}
	return nil
}

// CheckID checks an identifier: 1 to MaxIDLen bytes of printable ASCII
// without spaces, so it is safe in logs, URLs and SQL text.
func CheckID(field, s string) error {
	if s == "" {
		return fmt.Errorf("%w: %s: missing", ErrField, field)
	}
	if len(s) > MaxIDLen {
		return fmt.Errorf("%w: %s: longer than %d bytes", ErrField, field, MaxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%w: %s: byte %d is not printable ASCII", ErrField, field, i)
		}
	}
	return nil
}

// CheckName checks a display name: 1 to MaxNameRunes runes, each a
// printable rune of terminal width 1 (so rosters and cursor labels line up).
func CheckName(s string) error {
	if s == "" {
		return fmt.Errorf("%w: name: missing", ErrField)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: name: not UTF-8", ErrField)
	}
	if n := utf8.RuneCountInString(s); n > MaxNameRunes {
		return fmt.Errorf("%w: name: %d runes, limit %d", ErrField, n, MaxNameRunes)
	}
	for _, r := range s {
		if err := model.ValidateRune(r); err != nil {
			return fmt.Errorf("%w: name: %v", ErrField, err)
		}
	}
	if blankName(s) {
		return fmt.Errorf("%w: name: nothing visible in it (only spaces or blank characters)", ErrField)
	}
	return nil
}

// CheckRoom checks a room name: 1 to MaxRoomLen of [A-Za-z0-9._-], so that
// it can appear in a URL path and a file name unescaped.
func CheckRoom(s string) error {
	if s == "" || len(s) > MaxRoomLen {
		return fmt.Errorf("%w: room name must be 1 to %d characters", ErrField, MaxRoomLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("%w: room name %q: only letters, digits, '.', '-' and '_'", ErrField, s)
		}
	}
	if s == "." || s == ".." {
		return fmt.Errorf("%w: room name %q", ErrField, s)
	}
	return nil
}

// Encode marshals a frame. Frames are plain structs, so this fails only on a
// programming error; the error is still returned rather than hidden.
func Encode(v any) ([]byte, error) {
	return json.Marshal(v)
}
