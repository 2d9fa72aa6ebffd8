package ui

import (
	"fmt"
	"slices"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Peers fade: after fadeAfter without presence a cursor is drawn faint,
// after goneAfter not at all. Senders repeat an unchanged presence every
// few seconds, so only a peer that stopped (crashed, lost its link) fades.
const (
	fadeAfter = 6 * time.Second
	goneAfter = 10 * time.Second
)

// peerState is the latest presence of one peer and when we received it.
// The time is our clock's, not the event's, so fading follows Options.Now.
type peerState struct {
	p     wire.Presence
	seen  time.Time
	moved time.Time   // when the cursor last moved or appeared
	label labelAnchor // where the name label was last drawn
}

func (m *Model) setRoster(peers []session.Peer) {
	clear(m.roster)
	for _, p := range peers {
		if p.You {
			m.me, m.you, m.role = p, p.ID, p.Role
			continue
		}
		m.roster[p.ID] = p
	}
	for id := range m.peers {
		if _, ok := m.roster[id]; !ok {
			delete(m.peers, id)
		}
	}
	if _, ok := m.roster[m.follow]; m.follow != 0 && !ok {
		m.say("stopped following: they left", 3*time.Second)
		m.follow = 0
	}
	m.relabel()
}

// relabel names every peer as peerLabel says, when the roster changes
// rather than per peer per frame: comparing every name with every other
// each frame was an eighth of a canvas program's CPU, and grows with the
// roster (an audience of hundreds).
func (m *Model) relabel() {
	skel := make(map[uint16]string, len(m.roster))
	seen := map[string]int{wire.NameSkeleton(m.me.Name): 1}
	seen[wire.NameSkeleton(m.me.Name+" (you)")]++
	for id, p := range m.roster {
		sk := wire.NameSkeleton(p.Name)
		skel[id] = sk
		seen[sk]++
	}
	clear(m.labels)
	for id, p := range m.roster {
		if seen[skel[id]] > 1 {
			m.labels[id] = fmt.Sprintf("%s#%d", p.Name, id)
		} else {
			m.labels[id] = p.Name
		}
	}
}

// handleEvent applies one session event.
func (m *Model) handleEvent(ev session.Event) {
	switch ev := ev.(type) {
	case session.Synced:
		m.role = ev.Role
	case session.Roster:
		m.setRoster(ev.Peers)
	case session.LinkChanged:
		m.link = ev.Link
		if ev.Link.State == session.Online {
			m.role = m.sess.Info().Role
		}
	case session.Presence:
		m.presence(ev.Peer, ev.Presence)
	case session.Rejected:
		m.say("not applied: "+ev.Reason, 5*time.Second)
	case session.Error:
		if ev.Fatal {
			m.closed = ev.Reason
		} else {
			m.say(ev.Reason, 5*time.Second)
		}
	}
}

func (m *Model) presence(id uint16, p wire.Presence) {
	if _, ok := m.roster[id]; !ok {
		return // not (or no longer) in the room
	}
	ps := m.peers[id]
	if ps == nil {
		ps = &peerState{}
		m.peers[id] = ps
	}
	if p.HasCursor != ps.p.HasCursor || p.Cursor != ps.p.Cursor {
		ps.moved = m.now()
	}
	ps.p, ps.seen = p, m.now()
	if m.follow == id {
		switch {
		case p.NoFollow:
			m.follow = 0
			m.say(m.peerName(id)+" does not want to be followed", 3*time.Second)
		case p.Hidden:
			m.follow = 0
			m.say(m.peerName(id)+" went invisible", 3*time.Second)
		case p.HasViewport:
			m.alignTo(p.Viewport)
		}
	}
}

// alignTo centres our viewport on another's.
func (m *Model) alignTo(v model.Rect) {
	m.vx = v.X + v.W/2 - int32(m.w/2)
	m.vy = v.Y + v.H/2 - int32(m.canvasH()/2)
	m.clampView()
	// Our cursor stays on screen, so what we point at stays meaningful.
	m.cx = min(max(m.cx, m.vx), m.vx+int32(max(m.w, 1))-1)
	m.cy = min(max(m.cy, m.vy), m.vy+int32(max(m.canvasH(), 1))-1)
	m.extendStroke()
}

func (m *Model) peerName(id uint16) string {
	if _, ok := m.roster[id]; ok {
		return m.peerLabel(id)
	}
	return fmt.Sprintf("peer %d", id)
}

// peerLabel is how a peer is named on screen: its name, and when another
// participant's name looks the same (wire.NameSkeleton: homoglyphs, case,
// blanks), its peer ID too. The authority assigns peer IDs and no two
// participants share one, so "bob#3" and "bоb#7" cannot pass for each
// other, whatever names they chose.
func (m *Model) peerLabel(id uint16) string { return m.labels[id] }

// live returns the presence of a peer we should draw, and how long ago we
// heard from it.
func (m *Model) live(id uint16) (*peerState, time.Duration, bool) {
	ps := m.peers[id]
	if ps == nil || ps.p.Hidden {
		return nil, 0, false
	}
	age := m.now().Sub(ps.seen)
	if age > goneAfter {
		return nil, 0, false
	}
	return ps, age, true
}

// targets are the peers one can jump to or follow, in roster order.
func (m *Model) targets() []uint16 {
	var ids []uint16
	for id := range m.roster {
		if ps, _, ok := m.live(id); ok && (ps.p.HasCursor || ps.p.HasViewport) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// jump centres the view on the next (dir 1) or previous (-1) peer.
func (m *Model) jump(dir int) {
	ids := m.targets()
	if len(ids) == 0 {
		m.say("no one else is visible in this room", 3*time.Second)
		return
	}
	i := slices.Index(ids, m.jumped)
	switch {
	case i < 0 && dir < 0:
		i = len(ids) - 1
	case i < 0:
		i = 0
	default:
		i = (i + dir + len(ids)) % len(ids)
	}
	m.jumpTo(ids[i])
}

func (m *Model) jumpTo(id uint16) {
	ps, _, ok := m.live(id)
	if !ok {
		return
	}
	m.jumped = id
	m.follow = 0
	p := ps.p
	if p.HasCursor {
		m.center(p.Cursor)
		m.cx, m.cy = p.Cursor.X, p.Cursor.Y
	} else {
		m.alignTo(p.Viewport)
	}
	m.extendStroke()
	m.say("at "+m.peerName(id)+": F follows", 3*time.Second)
}

// toggleFollow follows the peer last jumped to (or the first one), or
// stops following.
func (m *Model) toggleFollow() {
	if m.follow != 0 {
		m.say("stopped following "+m.peerName(m.follow), 3*time.Second)
		m.follow = 0
		return
	}
	id := m.jumped
	if _, _, ok := m.live(id); !ok {
		ids := m.targets()
		if len(ids) == 0 {
			m.say("no one to follow", 3*time.Second)
			return
		}
		id = ids[0]
	}
	ps, _, _ := m.live(id)
	if ps.p.NoFollow {
		m.say(m.peerName(id)+" does not want to be followed", 3*time.Second)
		return
	}
	m.follow, m.jumped = id, id
	if ps.p.HasViewport {
		m.alignTo(ps.p.Viewport)
	}
	m.say("following "+m.peerName(id)+": F or any pan stops", 3*time.Second)
}

// center puts canvas point p in the middle of the screen.
func (m *Model) center(p model.Point) {
	m.vx = p.X - int32(m.w/2)
	m.vy = p.Y - int32(m.canvasH()/2)
	m.clampView()
}

// syncPresence tells the session what we are pointing at, when it
// changed. The session sends at most 60 packets a second and nothing while
// it is unchanged.
func (m *Model) syncPresence() {
	var p wire.Presence
	if m.invisible {
		p.Hidden = true
	} else {
		p.HasCursor, p.Cursor = true, m.cursor()
		p.HasViewport = true
		p.Viewport = model.Rect{X: m.vx, Y: m.vy, W: int32(min(m.w, wire.MaxViewportSide)), H: int32(min(m.canvasH(), wire.MaxViewportSide))}
		p.HasTool, p.Tool, p.Brush = true, uint8(m.tool), m.brush
		switch {
		case m.st.active:
			p.Ghost = m.st.s.ghost()
		case m.text != nil:
			p.Ghost = m.text.ghost()
		}
	}
	p.NoFollow = m.noFollow
	if m.presSent && samePresence(p, m.lastPres) {
		return
	}
	m.lastPres, m.presSent = p, true
	m.sess.SetPresence(p)
}

func samePresence(a, b wire.Presence) bool {
	ga, gb := a.Ghost, b.Ghost
	a.Ghost, b.Ghost = nil, nil
	if a != b || (ga == nil) != (gb == nil) {
		return false
	}
	if ga == nil {
		return true
	}
	return ga.Kind == gb.Kind && ga.Style == gb.Style && ga.Arrows == gb.Arrows && ga.Ch == gb.Ch &&
		ga.Text == gb.Text && slices.Equal(ga.Points, gb.Points)
}
