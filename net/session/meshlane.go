package session

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/net/mesh"
	"github.com/tcanvas/tcanvas/net/wire"
)

// ParseICEAllow parses a comma-separated list of CIDRs (as in the
// TCANVAS_ICE_ALLOW environment variable and --ice-allow flags).
func ParseICEAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("ice allow %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// iceAllowFromEnv reads TCANVAS_ICE_ALLOW; a bad value is an error rather
// than a silent "allow everything".
func iceAllowFromEnv() ([]netip.Prefix, error) {
	v := os.Getenv("TCANVAS_ICE_ALLOW")
	if v == "" {
		return nil, nil
	}
	return ParseICEAllow(v)
}

// meshLane is the presence mesh of the current connection. Lock order:
// the mesh calls back into the session (taking s.mu), so the session never
// calls the mesh while holding s.mu; lane.mu guards only the pointer.
func (s *Session) currentMesh() *mesh.Mesh {
	s.meshMu.Lock()
	defer s.meshMu.Unlock()
	return s.mesh
}

// startMesh builds the mesh for a new connection, if the room is small
// enough for one.
func (s *Session) startMesh(w wire.Welcome) {
	s.stopMesh()
	if s.opts.NoMesh || w.MeshMax <= 0 || len(w.Roster) > w.MeshMax {
		return
	}
	s.meshMu.Lock()
	s.meshMax = w.MeshMax
	s.meshMu.Unlock()
	m, err := mesh.New(w.You, mesh.Options{ICEServers: w.ICE, Allow: s.opts.ICEAllow, Logger: s.opts.Logger}, mesh.Callbacks{
		Signal: func(to uint16, data json.RawMessage) error {
			return s.sendControl(wire.Signal{T: wire.TSignal, To: to, Data: data})
		},
		Packet: s.meshPacket,
		Route:  s.meshRoute,
	})
	if err != nil {
		s.opts.Logger.Debug("mesh disabled", "err", err)
		return
	}
	s.meshMu.Lock()
	s.mesh = m
	s.meshMu.Unlock()
	for _, p := range w.Roster {
		m.AddPeer(p.ID)
	}
}

func (s *Session) stopMesh() {
	s.meshMu.Lock()
	m := s.mesh
	s.mesh = nil
	s.meshMu.Unlock()
	if m != nil {
		m.Close()
	}
}

// meshRoster follows roster changes: new peers get a pair, leavers lose
// theirs, and a room that grows past MeshMax falls back to the relay.
func (s *Session) meshRoster(p wire.Peer, left bool, size int) {
	m := s.currentMesh()
	if m == nil {
		return
	}
	s.meshMu.Lock()
	max := s.meshMax
	s.meshMu.Unlock()
	switch {
	case size > max:
		s.stopMesh()
		s.resetRoutes()
	case left:
		m.RemovePeer(p.ID)
	default:
		m.AddPeer(p.ID)
	}
}

func (s *Session) resetRoutes() {
	s.mu.Lock()
	for _, p := range s.roster {
		p.Route, p.RTT = mesh.RouteRelay, 0
	}
	roster := s.rosterLocked()
	s.mu.Unlock()
	s.emit(Roster{Peers: roster})
}

// meshPacket handles a presence packet from peer from's data channel: the
// channel, not the packet, says who sent it.
func (s *Session) meshPacket(from uint16, pkt []byte) {
	p, err := wire.DecodePresence(pkt)
	if err != nil {
		return // a malformed packet is dropped; the channel stays up
	}
	if ev, ok := s.acceptPresence(from, p, time.Now()); ok {
		s.emit(ev)
	}
}

func (s *Session) meshRoute(peer uint16, route string) {
	s.mu.Lock()
	p := s.roster[peer]
	if p == nil || p.Route == route {
		s.mu.Unlock()
		return
	}
	p.Route = route
	roster := s.rosterLocked()
	s.mu.Unlock()
	s.emit(Roster{Peers: roster})
}

// sendPresence sends a packet over the mesh to every peer it reaches, and
// through the authority's relay when some peer is not reachable that way.
func (s *Session) presenceTargets() []uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]uint16, 0, len(s.roster))
	for id := range s.roster {
		if id != s.you {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Session) needsRelay(pkt []byte) bool {
	targets := s.presenceTargets()
	if len(targets) == 0 {
		return false
	}
	m := s.currentMesh()
	if m == nil {
		return true
	}
	return m.Send(pkt, targets) > 0
}
