package session

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/pace"
	"github.com/tcanvas/tcanvas/net/wire"
)

// unwindLocked takes our pending commits off the view, newest first,
// leaving the confirmed state.
func (s *Session) unwindLocked() {
	for i := len(s.pend) - 1; i >= 0; i-- {
		s.view.Apply(s.pend[i].eff.Inverse())
		s.pend[i].eff = nil
	}
}

// rewindLocked puts our pending commits back on top, oldest first.
func (s *Session) rewindLocked() {
	for _, p := range s.pend {
		p.eff = s.view.Apply(p.ops)
	}
}

// applyCommitted adds the next commit of the room's history: the view is
// rebased so that it stays confirmed state plus our pending commits.
func (s *Session) applyCommitted(m wire.Committed) error {
	var ops []model.Op
	if err := json.Unmarshal(m.Ops, &ops); err != nil {
		return fmt.Errorf("committed %d: %w", m.Seq, err)
	}
	s.mu.Lock()
	if m.Seq <= s.seq {
		s.mu.Unlock()
		return nil // already have it
	}
	if m.Seq != s.seq+1 {
		s.mu.Unlock()
		return fmt.Errorf("committed %d after %d: a gap in the room's history", m.Seq, s.seq)
	}
	own := -1
	for i, p := range s.pend {
		if p.id == m.ID {
			own = i
			break
		}
	}
	if len(s.pend) == 0 {
		s.view.Apply(ops)
	} else {
		s.unwindLocked()
		s.view.Apply(ops)
		if own >= 0 {
			s.pend = append(s.pend[:own], s.pend[own+1:]...)
		}
		s.rewindLocked()
	}
	s.seq = m.Seq
	if own >= 0 {
		s.settle(m.ID, m.Seq)
		s.ownSeq[m.ID] = m.Seq
		s.signalChangedLocked()
	}
	s.mu.Unlock()
	if own >= 0 {
		s.poke() // an undo may have been waiting for this seq
	}
	s.emit(Committed{Seq: m.Seq, ID: m.ID, Peer: m.Peer, Author: m.Author, Name: m.Name,
		Kind: m.Kind, Target: m.Target, Own: own >= 0, Ops: ops})
	return nil
}

// acked handles the answer to a resend the authority already had: the
// commit is in our state already (we saw it, or it came in a snapshot).
func (s *Session) acked(m wire.Ack) {
	s.mu.Lock()
	found := s.dropPendingLocked(m.ID)
	s.settle(m.ID, m.Seq)
	s.ownSeq[m.ID] = m.Seq
	s.mu.Unlock()
	s.poke()
	if found {
		// Its effect is already in our state; tell listeners it landed.
		s.emit(Committed{Seq: m.Seq, ID: m.ID, Own: true, Acked: true})
	}
}

func (s *Session) rejected(m wire.Reject) {
	s.mu.Lock()
	found := s.dropPendingLocked(m.ID)
	if found {
		s.settle(m.ID, 0)
		s.failed[m.ID] = true
	}
	s.mu.Unlock()
	if found {
		s.emit(Rejected{ID: m.ID, Code: m.Code, Reason: m.Reason})
		return
	}
	// Rejects of mint and revoke carry the request ID.
	s.emit(Error{Code: m.Code, Reason: m.Reason})
}

func (s *Session) dropPendingLocked(id string) bool {
	for i, p := range s.pend {
		if p.id == id {
			s.unwindLocked()
			s.pend = append(s.pend[:i], s.pend[i+1:]...)
			s.rewindLocked()
			s.signalChangedLocked()
			// Undos of a commit that will never exist can never be sent.
			for j := 0; j < len(s.pend); j++ {
				if s.pend[j].targetID == id {
					s.settle(s.pend[j].id, 0)
					s.pend = append(s.pend[:j], s.pend[j+1:]...)
					j--
				}
			}
			return true
		}
	}
	return false
}

func (s *Session) rosterChange(p wire.Peer, left bool) {
	s.mu.Lock()
	if left {
		s.removePeerLocked(p.ID)
		delete(s.pres.seen, p.ID)
	} else {
		old := s.roster[p.ID]
		np := &Peer{Peer: p, Route: "relay", You: p.ID == s.you}
		if old != nil {
			np.Route, np.RTT = old.Route, old.RTT
		}
		s.setPeerLocked(np)
		if np.You {
			s.role = p.Role
		}
	}
	roster := s.rosterLocked()
	s.mu.Unlock()
	s.emit(Roster{Peers: roster})
	s.meshRoster(p, left, len(roster))
}

// presenceState is the sender's latest presence and the receiver's
// newest-seen sequence per peer.
type presenceState struct {
	cur   wire.Presence
	set   bool
	dirty bool
	seq   uint16
	pace  pace.Pacer // leading edge, PresenceHz sends a second (newPresencePace)
	seen  map[uint16]uint16
}

// keepAlive is how often an unchanged presence is sent again, so peers can
// fade out those that stop sending.
const keepAlive = 3 * time.Second

// newPresencePace is the sender's rate rule: PresenceHz packets a second,
// a change at once unless that holds it, and then the moment it allows.
// Half an interval of tolerance lets a move that comes a little early (a
// person's input is no steady clock) go at once; without it, with input
// at 60 Hz on average, half the moves waited out the rest of 1/60 s, 4 ms
// at the median. Any second holds at most one packet more than PresenceHz.
func newPresencePace() pace.Pacer {
	const interval = time.Second / wire.PresenceHz
	return pace.Pacer{Interval: interval, Tolerance: interval / 2}
}

// SetPresence sets our pointer state. A change goes at once unless the
// rate rule (newPresencePace) holds it, and then as soon as it allows:
// never more than PresenceHz packets a second, never a fixed wait. An
// unchanged presence is repeated only as a keep-alive.
func (s *Session) SetPresence(p wire.Presence) {
	s.mu.Lock()
	p.Seq = 0
	cur := s.pres.cur
	cur.Seq = 0
	changed := !s.pres.set || !presenceEqual(cur, p)
	if changed {
		s.pres.cur, s.pres.set, s.pres.dirty = p, true, true
	}
	s.mu.Unlock()
	if changed {
		s.poke() // the writer sends it, now or when the interval ends
	}
}

func presenceEqual(a, b wire.Presence) bool {
	if (a.Ghost == nil) != (b.Ghost == nil) {
		return false
	}
	if a.Ghost != nil {
		ga, gb := *a.Ghost, *b.Ghost
		if ga.Kind != gb.Kind || ga.Style != gb.Style || ga.Ch != gb.Ch || len(ga.Points) != len(gb.Points) {
			return false
		}
		for i := range ga.Points {
			if ga.Points[i] != gb.Points[i] {
				return false
			}
		}
	}
	a.Ghost, b.Ghost = nil, nil
	return a == b
}

// presenceDue returns the packet to send now, if any, and when to ask
// again (zero: not before SetPresence changes something).
func (s *Session) presenceDue(now time.Time) (pkt []byte, next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := &s.pres
	if !ps.set || s.state.State != Online {
		return nil, time.Time{}
	}
	if ps.pace.Interval == 0 {
		ps.pace = newPresencePace()
	}
	if last, ok := ps.pace.Last(); !ps.dirty && ok && now.Sub(last) < keepAlive {
		return nil, last.Add(keepAlive)
	}
	if !ps.pace.Ready(now) {
		return nil, ps.pace.Next()
	}
	ps.seq++
	ps.cur.Seq = ps.seq
	ps.dirty = false
	ps.pace.Sent(now)
	return ps.cur.AppendBinary(nil), now.Add(keepAlive)
}

// relayed handles a relay batch from the authority.
func (s *Session) relayed(b []byte) {
	entries, err := wire.DecodeRelay(b)
	if err != nil {
		return // presence is disposable; a bad batch costs one frame of cursors
	}
	now := time.Now()
	var evs []Event
	for _, e := range entries {
		p, err := wire.DecodePresence(e.Packet)
		if err != nil {
			continue
		}
		if ev, ok := s.acceptPresence(e.Peer, p, now); ok {
			evs = append(evs, ev)
		}
	}
	s.emit(evs...)
}

// acceptPresence keeps a packet unless it is ours, from a peer not in the
// roster, or older than one already seen from that peer (the same packet
// may come over the mesh and the relay).
func (s *Session) acceptPresence(from uint16, p wire.Presence, now time.Time) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from == s.you || s.roster[from] == nil {
		return nil, false
	}
	if s.pres.seen == nil {
		s.pres.seen = map[uint16]uint16{}
	}
	if last, ok := s.pres.seen[from]; ok && !wire.SeqNewer(p.Seq, last) {
		return nil, false
	}
	s.pres.seen[from] = p.Seq
	return Presence{Peer: from, Presence: p, At: now}, true
}
