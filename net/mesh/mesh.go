package mesh

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"

	"github.com/tcanvas/tcanvas/net/wire"
)

// MaxMessageBytes is the SCTP maximum message size we accept and announce:
// a presence packet is at most wire.MaxPresenceBytes, so kilobytes are
// plenty, and pion's 1 GiB default would let a peer make us buffer that
// much.
const MaxMessageBytes = 4 << 10

// Routes of a pair's presence.
const (
	RouteP2P   = "p2p"
	RouteRelay = "relay"
)

// Options configures a mesh. Zero values mean the documented defaults.
type Options struct {
	// ICEServers are STUN/TURN URLs; none means host candidates only.
	ICEServers []string
	// Allow lists the local address ranges ICE may use. Empty allows all.
	// Tests always restrict it to loopback or to their own namespaces.
	Allow []netip.Prefix
	// ConnectTimeout is how long a pair may take to open its channel before
	// it is given up and its presence stays on the authority's relay. The
	// relay carries the pair's presence meanwhile, so waiting costs little;
	// under 20% loss a pair needs about 4s. Default 20s.
	ConnectTimeout time.Duration
	// StatsInterval is how often pair RTTs are refreshed. Default 2s.
	StatsInterval time.Duration
	// Logger receives debug logs. Default: discard.
	Logger *slog.Logger
	// Net replaces the operating system's network, e.g. with pion's vnet
	// to test loss and delay in-process. Nil means the real network.
	Net transport.Net
}

// Callbacks connect a mesh to its session. They are called from pion's
// goroutines and must not block.
type Callbacks struct {
	// Signal sends signaling data to a peer through the authority.
	Signal func(to uint16, data json.RawMessage) error
	// Packet delivers a presence packet that arrived on peer from's
	// channel. The slice is only valid during the call.
	Packet func(from uint16, pkt []byte)
	// Route reports that a pair's route changed.
	Route func(peer uint16, route string)
}

// Route is one pair's state.
type Route struct {
	Route string
	RTT   time.Duration
}

// Mesh is the presence lane of one session connection: one PeerConnection
// per other peer of the room, each with one unordered, unreliable data
// channel. It is owned by a session, which closes it when its connection
// to the authority ends (peer IDs are per connection).
type Mesh struct {
	self uint16
	opts Options
	cb   Callbacks
	api  *webrtc.API
	cfg  webrtc.Configuration

	mu     sync.Mutex
	peers  map[uint16]*peer
	closed bool

	stop chan struct{}
	wg   sync.WaitGroup
}

type peer struct {
	id      uint16
	pc      *webrtc.PeerConnection
	dc      *webrtc.DataChannel
	raw     datachannel.ReadWriteCloser // the detached channel, once open
	offerer bool
	open    bool
	failed  bool
	remote  bool // remote description set
	queued  []webrtc.ICECandidateInit
	rtt     time.Duration
	timer   *time.Timer
}

// defaultConnectTimeout is Options.ConnectTimeout's default (PROTOCOL.md
// section 10 tells other clients).
const defaultConnectTimeout = 20 * time.Second

// New starts a mesh for the connection whose peer ID is self.
func New(self uint16, opts Options, cb Callbacks) (*Mesh, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = defaultConnectTimeout
	}
	if opts.StatsInterval <= 0 {
		opts.StatsInterval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// Detached channels are read with our own small buffer instead of
	// pion's fixed 64 KiB one per channel.
	se.DetachDataChannels()
	se.SetSCTPMaxMessageSize(MaxMessageBytes)
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// A browser that hides its addresses reaches us only as a
	// peer-reflexive candidate, and a browser's checks often arrive before
	// its candidates do: accept such a pair at once instead of after pion's
	// default 1 s wait for a better one (bench/web: ~130 ms vs ~1.1 s).
	se.SetPrflxAcceptanceMinWait(0)
	if len(opts.Allow) > 0 {
		allow := opts.Allow
		se.SetIPFilter(func(ip net.IP) bool {
			a, ok := netip.AddrFromSlice(ip)
			if !ok {
				return false
			}
			a = a.Unmap()
			for _, p := range allow {
				if p.Contains(a) {
					return true
				}
			}
			return false
		})
	}
	// One network and one certificate for all of the mesh's pairs, rather
	// than an interface scan and a key generation per PeerConnection.
	if opts.Net == nil {
		n, err := stdnet.NewNet()
		if err != nil {
			return nil, fmt.Errorf("mesh: %w", err)
		}
		opts.Net = n
	}
	se.SetNet(opts.Net)
	se.LoggerFactory = quiet
	// Data only: an empty media engine and interceptor registry, so pion
	// registers no codecs and runs no RTP/RTCP interceptors.
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(&webrtc.MediaEngine{}),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return nil, fmt.Errorf("mesh: %w", err)
	}
	cfg := webrtc.Configuration{Certificates: []webrtc.Certificate{*cert}}
	for _, u := range opts.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: []string{u}})
	}
	m := &Mesh{self: self, opts: opts, cb: cb, api: api, cfg: cfg, peers: map[uint16]*peer{}, stop: make(chan struct{})}
	m.wg.Add(1)
	go m.statsLoop()
	return m, nil
}

// quiet drops pion's own logs: one shared factory instead of loggers
// built per PeerConnection.
var quiet = func() logging.LoggerFactory {
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	lf.Writer = discard{}
	return lf
}()

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// AddPeer connects to a peer of the room. Of each pair, the lower peer ID
// offers, so two peers joining at once never both offer (no glare).
func (m *Mesh) AddPeer(id uint16) {
	if id == m.self {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.peers[id] != nil {
		return
	}
	p, err := m.newPeerLocked(id)
	if err != nil {
		m.opts.Logger.Debug("mesh: new peer", "peer", id, "err", err)
		return
	}
	if !p.offerer {
		return // wait for its offer
	}
	offer, err := p.pc.CreateOffer(&webrtc.OfferOptions{OfferAnswerOptions: trickle})
	if err == nil {
		err = p.pc.SetLocalDescription(offer)
	}
	if err != nil {
		m.failLocked(p, err)
		return
	}
	m.signal(id, signalData{Kind: "offer", SDP: offer.SDP})
}

func (m *Mesh) newPeerLocked(id uint16) (*peer, error) {
	pc, err := m.api.NewPeerConnection(m.cfg)
	if err != nil {
		return nil, err
	}
	// Both ends create the channel with the same negotiated ID: no
	// in-band open handshake, and no OnDataChannel path to defend.
	ordered, retrans, negotiated, chID := false, uint16(0), true, uint16(0)
	dc, err := pc.CreateDataChannel("presence", &webrtc.DataChannelInit{
		Ordered: &ordered, MaxRetransmits: &retrans, Negotiated: &negotiated, ID: &chID})
	if err != nil {
		pc.Close()
		return nil, err
	}
	p := &peer{id: id, pc: pc, dc: dc, offerer: m.self < id}
	m.peers[id] = p
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		m.signal(id, signalData{Kind: "candidate", Candidate: &init})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			m.mu.Lock()
			if m.peers[id] == p {
				m.failLocked(p, fmt.Errorf("connection %s", s))
			}
			m.mu.Unlock()
		}
	})
	dc.OnOpen(func() {
		raw, err := dc.Detach()
		m.mu.Lock()
		ok := err == nil && m.peers[id] == p && !p.failed && !m.closed
		if ok {
			p.open, p.raw = true, raw
			p.timer.Stop()
			m.wg.Add(1)
			go m.readLoop(p, raw)
		}
		m.mu.Unlock()
		if ok && m.cb.Route != nil {
			m.cb.Route(id, RouteP2P)
		}
	})
	p.timer = time.AfterFunc(m.opts.ConnectTimeout, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.peers[id] == p && !p.open {
			m.failLocked(p, errors.New("not connected in time"))
		}
	})
	return p, nil
}

// readLoop reads one pair's channel until it closes. The buffer is bigger
// than any presence packet; a larger message is refused by SCTP's size cap
// or, if it fits the cap, dropped here as not a presence packet.
func (m *Mesh) readLoop(p *peer, raw datachannel.ReadWriteCloser) {
	defer m.wg.Done()
	buf := make([]byte, 2*wire.MaxPresenceBytes)
	for {
		n, isString, err := raw.ReadDataChannel(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			continue
		}
		if err != nil {
			m.mu.Lock()
			was := p.open
			p.open = false
			m.mu.Unlock()
			if was && m.cb.Route != nil {
				m.cb.Route(p.id, RouteRelay)
			}
			return
		}
		if isString || n > wire.MaxPresenceBytes {
			continue // not a presence packet; the channel carries nothing else
		}
		if m.cb.Packet != nil {
			m.cb.Packet(p.id, buf[:n])
		}
	}
}

// closeAsync closes a PeerConnection without holding up the caller, but
// still owned: Close waits for it.
func (m *Mesh) closeAsync(pc *webrtc.PeerConnection) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		pc.Close()
	}()
}

// failLocked gives up on a pair: its presence goes through the relay.
// The peer entry stays, so the pair is not retried on every roster change.
func (m *Mesh) failLocked(p *peer, err error) {
	if p.failed {
		return
	}
	m.opts.Logger.Debug("mesh: pair falls back to the relay", "peer", p.id, "err", err)
	p.failed, p.open = true, false
	p.timer.Stop()
	// Closing waits for pion's goroutines, some of which may be waiting for
	// our lock: close in the background.
	m.closeAsync(p.pc)
	if m.cb.Route != nil {
		id := p.id
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.cb.Route(id, RouteRelay)
		}()
	}
}

// RemovePeer closes the pair with a peer that left.
func (m *Mesh) RemovePeer(id uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.peers[id]
	delete(m.peers, id)
	if p != nil && !m.closed {
		p.timer.Stop()
		m.closeAsync(p.pc) // not on the caller's goroutine: it is the session's reader
	}
}

// trickle announces a=ice-options:trickle: our candidates do trickle, and
// browsers then need not wait for end-of-candidates.
var trickle = webrtc.OfferAnswerOptions{ICETricklingSupported: true}

// signalData is the JSON carried in wire.Signal frames between two meshes.
type signalData struct {
	Kind      string                   `json:"kind"` // offer, answer, candidate
	SDP       string                   `json:"sdp,omitempty"`
	Candidate *webrtc.ICECandidateInit `json:"candidate,omitempty"`
}

// DecodeSignal checks signaling data from a peer.
func DecodeSignal(b []byte) (signalData, error) {
	var d signalData
	if len(b) > wire.MaxSignalBytes {
		return d, fmt.Errorf("signal of %d bytes, limit %d", len(b), wire.MaxSignalBytes)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("signal: %w", err)
	}
	switch d.Kind {
	case "offer", "answer":
		if d.SDP == "" {
			return d, fmt.Errorf("signal %s without sdp", d.Kind)
		}
	case "candidate":
		if d.Candidate == nil {
			return d, errors.New("signal candidate without candidate")
		}
	default:
		return d, fmt.Errorf("signal kind %q", d.Kind)
	}
	return d, nil
}

func (m *Mesh) signal(to uint16, d signalData) {
	b, err := json.Marshal(d)
	if err != nil || m.cb.Signal == nil {
		return
	}
	// Never under a pion callback's lock for long: Signal only queues.
	if err := m.cb.Signal(to, b); err != nil {
		m.opts.Logger.Debug("mesh: signal", "peer", to, "err", err)
	}
}

// HandleSignal applies signaling data that the authority stamped as coming
// from peer from.
func (m *Mesh) HandleSignal(from uint16, data json.RawMessage) {
	d, err := DecodeSignal(data)
	if err != nil {
		m.opts.Logger.Debug("mesh: bad signal", "peer", from, "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	p := m.peers[from]
	if p == nil && d.Kind == "offer" {
		if p, err = m.newPeerLocked(from); err != nil {
			return
		}
	}
	if p == nil || p.failed {
		return
	}
	switch d.Kind {
	case "offer":
		if p.offerer {
			return // the rule says we offer to this peer; ignore a stray offer
		}
		err = p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: d.SDP})
		if err == nil {
			p.remote = true
			m.flushCandidatesLocked(p)
			var answer webrtc.SessionDescription
			if answer, err = p.pc.CreateAnswer(&webrtc.AnswerOptions{OfferAnswerOptions: trickle}); err == nil {
				if err = p.pc.SetLocalDescription(answer); err == nil {
					m.signal(from, signalData{Kind: "answer", SDP: answer.SDP})
				}
			}
		}
	case "answer":
		if !p.offerer || p.remote {
			return
		}
		err = p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: d.SDP})
		if err == nil {
			p.remote = true
			m.flushCandidatesLocked(p)
		}
	case "candidate":
		if !p.remote {
			p.queued = append(p.queued, *d.Candidate)
			if len(p.queued) > 64 {
				err = errors.New("too many early candidates")
			}
			break
		}
		err = p.pc.AddICECandidate(*d.Candidate)
	}
	if err != nil {
		m.failLocked(p, err)
	}
}

func (m *Mesh) flushCandidatesLocked(p *peer) {
	for _, c := range p.queued {
		p.pc.AddICECandidate(c)
	}
	p.queued = nil
}

// Send sends a presence packet to every peer with an open channel and
// returns how many known peers it could not reach that way; the caller
// sends the packet through the relay too when that is not zero.
func (m *Mesh) Send(pkt []byte, peers []uint16) (unreached int) {
	// On the stack for a mesh-sized room: this runs for every presence
	// packet, and need not grow a slice on the heap each time.
	var buf [16]datachannel.ReadWriteCloser
	open := buf[:0]
	m.mu.Lock()
	for _, id := range peers {
		if id == m.self {
			continue
		}
		if p := m.peers[id]; p != nil && p.open {
			open = append(open, p.raw)
		} else {
			unreached++
		}
	}
	m.mu.Unlock()
	for _, raw := range open {
		if _, err := raw.Write(pkt); err != nil {
			unreached++
		}
	}
	return unreached
}

// Routes returns every pair's route and RTT.
func (m *Mesh) Routes() map[uint16]Route {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[uint16]Route, len(m.peers))
	for id, p := range m.peers {
		r := Route{Route: RouteRelay}
		if p.open {
			r = Route{Route: RouteP2P, RTT: p.rtt}
		}
		out[id] = r
	}
	return out
}

func (m *Mesh) statsLoop() {
	defer m.wg.Done()
	t := time.NewTicker(m.opts.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		var pcs []*peer
		for _, p := range m.peers {
			if p.open {
				pcs = append(pcs, p)
			}
		}
		m.mu.Unlock()
		for _, p := range pcs {
			rtt := pairRTT(p.pc)
			m.mu.Lock()
			p.rtt = rtt
			m.mu.Unlock()
		}
	}
}

// pairRTT reads the nominated candidate pair's round-trip time.
func pairRTT(pc *webrtc.PeerConnection) time.Duration {
	for _, s := range pc.GetStats() {
		if ps, ok := s.(webrtc.ICECandidatePairStats); ok && ps.Nominated && ps.CurrentRoundTripTime > 0 {
			return time.Duration(ps.CurrentRoundTripTime * float64(time.Second))
		}
	}
	return 0
}

// Close closes every pair and waits for the mesh's goroutines.
func (m *Mesh) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	peers := m.peers
	m.peers = map[uint16]*peer{}
	m.mu.Unlock()
	close(m.stop)
	for _, p := range peers {
		p.timer.Stop()
		m.closeAsync(p.pc)
	}
	m.wg.Wait()
}
