package session

import (
	"fmt"

	"github.com/tcanvas/tcanvas/net/outbox"
	"github.com/tcanvas/tcanvas/net/wire"
)

// restore takes over what the outbox still holds from an earlier run: the
// commit counter, so no ID is ever reused, and the unanswered commits, put
// back as pending (shown at once, sent once online).
func (s *Session) restore() {
	j := s.opts.Outbox
	if j == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter = max(s.counter, j.Counter())
	known := map[string]bool{}
	for _, e := range j.Pending() {
		p := &pending{id: e.ID, kind: e.Kind, ops: e.Ops, targetID: e.Target}
		if e.Kind != wire.KindDraw {
			switch {
			case e.TargetSeq != 0:
				s.ownSeq[e.Target] = e.TargetSeq
			case !known[e.Target]:
				// Its target was rejected, or never made it to the journal:
				// there is nothing it could revert.
				j.Settle(e.ID, 0)
				continue
			}
		} else {
			p.eff = s.view.Apply(p.ops)
			s.undos = append(s.undos, p.id)
		}
		known[p.id] = true
		s.pend = append(s.pend, p)
	}
}

// journalLocked writes p to the outbox, if there is one, before it becomes
// pending. targetSeq is the seq of an undo's target when known.
func (s *Session) journalLocked(p *pending, targetSeq uint64) error {
	j := s.opts.Outbox
	if j == nil {
		return nil
	}
	e := outbox.Entry{ID: p.id, Kind: p.kind, Ops: p.ops, Target: p.targetID, TargetSeq: targetSeq}
	if err := j.Add(e, s.counter); err != nil {
		return fmt.Errorf("not drawn: %w", err)
	}
	return nil
}

// settle tells the outbox the authority answered commit id (seq 0: it was
// rejected).
func (s *Session) settle(id string, seq uint64) {
	if j := s.opts.Outbox; j != nil {
		j.Settle(id, seq)
	}
}
