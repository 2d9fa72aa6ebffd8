package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/model"
)

// Presence packet limits.
const (
	// MaxPresenceBytes bounds one encoded presence packet; the SCTP maximum
	// message size of the presence data channel is set from it.
	MaxPresenceBytes = 512
	// MaxGhostPoints bounds the points of a ghost stroke.
	MaxGhostPoints = 32
	// MaxViewportSide bounds a viewport's width and height.
	MaxViewportSide = 4096
	// PresenceHz is the most presence packets a sender sends per second.
	PresenceHz = 60
	// presenceVersion is carried in the top two bits of the first byte.
	presenceVersion = 1
	// relayVersion is the first byte of a relay batch.
	relayVersion = 1
)

// Presence flags, in the low six bits of the first byte.
const (
	hasCursor   = 1 << 0
	hasViewport = 1 << 1
	hasTool     = 1 << 2
	hasGhost    = 1 << 3
	flagHidden  = 1 << 4
	flagNoFollo = 1 << 5
)

// ErrPresence means a presence packet or relay batch is malformed.
var ErrPresence = errors.New("bad presence packet")

// Ghost kinds: the in-progress shape a peer is dragging.
const (
	GhostLine uint8 = 1 + iota
	GhostRect
	GhostBox
	GhostFree
	GhostPath // a box-drawing line through its points (corners), with arrowheads
	GhostText // text being typed: Points[0] is where it starts, Text is what
	ghostMax  = GhostText
)

// MaxGhostText bounds the UTF-8 bytes of a text ghost, so that a packet
// carrying one stays well inside MaxPresenceBytes.
const MaxGhostText = 256

// Ghost is an in-progress stroke: for line, rect and box the first two
// points are its ends; for a freehand stroke the points are its last cells;
// for a path its corners; for text its origin.
type Ghost struct {
	Kind   uint8
	Style  model.BoxStyle
	Arrows uint8 // path: model.Arrows, bit 0 the first point, bit 1 the last
	Ch     rune
	Points []model.Point
	Text   string // text: lines joined by "\n"
}

// Presence is the latest state of one peer's pointer. It never names the
// sender: on a data channel the peer is known from the channel, and on the
// relay the authority stamps the peer ID it authenticated.
type Presence struct {
	Seq         uint16 // wraps; see SeqNewer
	HasCursor   bool
	Cursor      model.Point
	HasViewport bool
	Viewport    model.Rect
	HasTool     bool
	Tool        uint8
	Brush       rune
	Ghost       *Ghost
	Hidden      bool // the peer went invisible: draw nothing for it
	NoFollow    bool // the peer refuses to be followed
}

// SeqNewer reports whether presence sequence a is newer than b, allowing
// for wrap-around: a packet that arrives after a newer one is dropped.
func SeqNewer(a, b uint16) bool { return int16(a-b) > 0 }

// AppendBinary appends the encoded packet to dst. A cursor move encodes in
// at most 13 bytes.
func (p *Presence) AppendBinary(dst []byte) []byte {
	flags := byte(presenceVersion << 6)
	if p.HasCursor {
		flags |= hasCursor
	}
	if p.HasViewport {
		flags |= hasViewport
	}
	if p.HasTool {
		flags |= hasTool
	}
	if p.Ghost != nil {
		flags |= hasGhost
	}
	if p.Hidden {
		flags |= flagHidden
	}
	if p.NoFollow {
		flags |= flagNoFollo
	}
	dst = append(dst, flags, byte(p.Seq>>8), byte(p.Seq))
	if p.HasCursor {
		dst = binary.AppendVarint(dst, int64(p.Cursor.X))
		dst = binary.AppendVarint(dst, int64(p.Cursor.Y))
	}
	if p.HasViewport {
		dst = binary.AppendVarint(dst, int64(p.Viewport.X))
		dst = binary.AppendVarint(dst, int64(p.Viewport.Y))
		dst = binary.AppendUvarint(dst, uint64(p.Viewport.W))
		dst = binary.AppendUvarint(dst, uint64(p.Viewport.H))
	}
	if p.HasTool {
		dst = append(dst, p.Tool)
		dst = binary.AppendUvarint(dst, uint64(p.Brush))
	}
	if g := p.Ghost; g != nil {
		dst = append(dst, g.Kind, byte(g.Style)|g.Arrows<<4)
		dst = binary.AppendUvarint(dst, uint64(g.Ch))
		dst = binary.AppendUvarint(dst, uint64(len(g.Points)))
		var prev model.Point
		for _, pt := range g.Points {
			dst = binary.AppendVarint(dst, int64(pt.X)-int64(prev.X))
			dst = binary.AppendVarint(dst, int64(pt.Y)-int64(prev.Y))
			prev = pt
		}
		if g.Kind == GhostText {
			dst = binary.AppendUvarint(dst, uint64(len(g.Text)))
			dst = append(dst, g.Text...)
		}
	}
	return dst
}

// DecodePresence decodes one packet. Coordinates are checked against
// model.DefaultLimits.MaxCoord, runes against model.RuneWidth (cell runes, wide ones included); trailing
// bytes are an error so that one packet has one meaning.
func DecodePresence(b []byte) (Presence, error) {
	var p Presence
	if len(b) > MaxPresenceBytes {
		return p, fmt.Errorf("%w: %d bytes, limit %d", ErrPresence, len(b), MaxPresenceBytes)
	}
	if len(b) < 3 {
		return p, fmt.Errorf("%w: %d bytes is too short", ErrPresence, len(b))
	}
	if v := b[0] >> 6; v != presenceVersion {
		return p, fmt.Errorf("%w: version %d", ErrPresence, v)
	}
	flags := b[0]
	p.Seq = uint16(b[1])<<8 | uint16(b[2])
	p.Hidden = flags&flagHidden != 0
	p.NoFollow = flags&flagNoFollo != 0
	r := reader{b: b[3:]}
	if flags&hasCursor != 0 {
		p.HasCursor = true
		p.Cursor = model.Point{X: r.coord(), Y: r.coord()}
	}
	if flags&hasViewport != 0 {
		p.HasViewport = true
		p.Viewport = model.Rect{X: r.coord(), Y: r.coord(), W: r.side(), H: r.side()}
	}
	if flags&hasTool != 0 {
		p.HasTool = true
		p.Tool = r.byte()
		p.Brush = r.rune(true)
	}
	if flags&hasGhost != 0 {
		g := &Ghost{Kind: r.byte(), Style: model.BoxStyle(r.byte())}
		if r.err == nil && (g.Kind == 0 || g.Kind > ghostMax) {
			r.fail("ghost kind %d", g.Kind)
		}
		if g.Kind == GhostPath {
			g.Arrows, g.Style = uint8(g.Style>>4), g.Style&0xf
			if r.err == nil && g.Arrows > uint8(model.ArrowBoth) {
				r.fail("ghost arrows %d", g.Arrows)
			}
		}
		if r.err == nil && g.Style > model.BoxRounded {
			r.fail("ghost style %d", g.Style)
		}
		g.Ch = r.rune(true)
		n := r.uvarint()
		if r.err == nil && n > MaxGhostPoints {
			r.fail("ghost has %d points, limit %d", n, MaxGhostPoints)
		}
		if r.err == nil {
			g.Points = make([]model.Point, 0, n)
			var x, y int64
			for i := uint64(0); i < n && r.err == nil; i++ {
				x += r.varint()
				y += r.varint()
				lim := int64(model.DefaultLimits.MaxCoord)
				if x < -lim || x > lim || y < -lim || y > lim {
					r.fail("ghost point %d out of bounds", i)
				}
				g.Points = append(g.Points, model.Point{X: int32(x), Y: int32(y)})
			}
		}
		if g.Kind == GhostText {
			g.Text = r.text()
		}
		p.Ghost = g
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return Presence{}, r.err
	}
	return p, nil
}

// reader decodes varints, remembering the first error so that decoding code
// reads straight through.
// Non-minimal varints are refused so that one packet has one encoding.
type reader struct {
	b       []byte
	err     error
	scratch [binary.MaxVarintLen64]byte
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrPresence}, args...)...)
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 || n != len(binary.AppendVarint(r.scratch[:0], v)) {
		r.fail("truncated or non-minimal varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || n != len(binary.AppendUvarint(r.scratch[:0], v)) {
		r.fail("truncated or non-minimal varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) coord() int32 {
	v := r.varint()
	if lim := int64(model.DefaultLimits.MaxCoord); v < -lim || v > lim {
		r.fail("coordinate %d out of bounds", v)
		return 0
	}
	return int32(v)
}

func (r *reader) side() int32 {
	v := r.uvarint()
	if v > MaxViewportSide {
		r.fail("viewport side %d, limit %d", v, MaxViewportSide)
		return 0
	}
	return int32(v)
}

func (r *reader) rune(allowZero bool) rune {
	v := r.uvarint()
	if r.err != nil {
		return 0
	}
	if v == 0 && allowZero {
		return 0
	}
	if v > 0x10FFFF {
		r.fail("rune %d out of range", v)
		return 0
	}
	// A brush or ghost character is a cell's: it may be wide.
	if _, err := model.RuneWidth(rune(v)); err != nil {
		r.fail("%v", err)
		return 0
	}
	return rune(v)
}

// text reads a text ghost's string: at most MaxGhostText bytes of UTF-8,
// each rune one a cell may hold or a line break.
func (r *reader) text() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > MaxGhostText || n > uint64(len(r.b)) {
		r.fail("ghost text of %d bytes, limit %d", n, MaxGhostText)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	if !utf8.ValidString(s) {
		r.fail("ghost text is not UTF-8")
		return ""
	}
	for _, c := range s {
		if c == '\n' {
			continue
		}
		if err := model.ValidateRune(c); err != nil {
			r.fail("ghost text: %v", err)
			return ""
		}
	}
	return s
}

// RelayEntry is one peer's packet in a relay batch.
type RelayEntry struct {
	Peer   uint16
	Packet []byte // aliases the batch; decode it with DecodePresence
}

// AppendRelayHeader starts a relay batch: the one binary frame per recipient
// per tick in which the authority forwards other peers' presence.
func AppendRelayHeader(dst []byte) []byte { return append(dst, relayVersion) }

// AppendRelayEntry appends one peer's packet to a relay batch.
func AppendRelayEntry(dst []byte, peer uint16, pkt []byte) []byte {
	dst = append(dst, byte(peer>>8), byte(peer))
	dst = binary.AppendUvarint(dst, uint64(len(pkt)))
	return append(dst, pkt...)
}

// DecodeRelay splits a relay batch into entries. Packets are not decoded.
func DecodeRelay(b []byte) ([]RelayEntry, error) {
	if len(b) == 0 || b[0] != relayVersion {
		return nil, fmt.Errorf("%w: not a relay batch", ErrPresence)
	}
	r := reader{b: b[1:]}
	var out []RelayEntry
	for len(r.b) > 0 && r.err == nil {
		hi, lo := r.byte(), r.byte()
		n := r.uvarint()
		if r.err != nil {
			break
		}
		if n > MaxPresenceBytes || n > uint64(len(r.b)) {
			r.fail("relay entry of %d bytes", n)
			break
		}
		out = append(out, RelayEntry{Peer: uint16(hi)<<8 | uint16(lo), Packet: r.b[:n:n]})
		r.b = r.b[n:]
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}
