package mesh

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mrand "math/rand/v2"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// loopback restricts ICE to 127.0.0.0/8: no test traffic leaves loopback.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// hub wires meshes together the way the authority does: signals are
// queued and delivered in order by one goroutine, stamped with the sender.
// tamper, when set, may rewrite a signal in flight.
type hub struct {
	mu     sync.Mutex
	meshes map[uint16]*Mesh
	q      chan func()
	done   chan struct{}
	tamper func(from, to uint16, data []byte) []byte

	pktMu   sync.Mutex
	packets map[[2]uint16][][]byte // [from,to] -> packets
}

func newHub(t *testing.T) *hub {
	h := &hub{meshes: map[uint16]*Mesh{}, q: make(chan func(), 1024), done: make(chan struct{}), packets: map[[2]uint16][][]byte{}}
	go func() {
		defer close(h.done)
		for fn := range h.q {
			fn()
		}
	}()
	t.Cleanup(func() {
		h.mu.Lock()
		ms := h.meshes
		h.mu.Unlock()
		for _, m := range ms {
			m.Close()
		}
		close(h.q)
		<-h.done
	})
	return h
}

func (h *hub) add(t *testing.T, id uint16, opts Options) *Mesh {
	if opts.Allow == nil {
		opts.Allow = loopback
	}
	m, err := New(id, opts, Callbacks{
		Signal: func(to uint16, data json.RawMessage) error {
			d := append([]byte(nil), data...)
			h.q <- func() {
				if h.tamper != nil {
					d = h.tamper(id, to, d)
				}
				h.mu.Lock()
				dst := h.meshes[to]
				h.mu.Unlock()
				if dst != nil {
					dst.HandleSignal(id, d)
				}
			}
			return nil
		},
		Packet: func(from uint16, pkt []byte) {
			h.pktMu.Lock()
			h.packets[[2]uint16{from, id}] = append(h.packets[[2]uint16{from, id}], append([]byte(nil), pkt...))
			h.pktMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.meshes[id] = m
	h.mu.Unlock()
	return m
}

func (h *hub) got(from, to uint16) [][]byte {
	h.pktMu.Lock()
	defer h.pktMu.Unlock()
	return h.packets[[2]uint16{from, to}]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func cursorPacket(seq uint16, x int32) []byte {
	p := wire.Presence{Seq: seq, HasCursor: true, Cursor: model.Point{X: x, Y: 1}}
	return p.AppendBinary(nil)
}

func TestPairConnectsOnLoopbackAndCarriesPresence(t *testing.T) {
	h := newHub(t)
	a := h.add(t, 1, Options{})
	b := h.add(t, 2, Options{})
	// Both learn of each other at once, as when two peers join together:
	// only the lower ID offers, so there is no glare.
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "p2p both ways", func() bool {
		return a.Routes()[2].Route == RouteP2P && b.Routes()[1].Route == RouteP2P
	})
	pkt := cursorPacket(1, 42)
	waitFor(t, "a packet from a to b", func() bool {
		a.Send(pkt, []uint16{2})
		return len(h.got(1, 2)) > 0
	})
	if !bytes.Equal(h.got(1, 2)[0], pkt) {
		t.Fatalf("got %x, sent %x", h.got(1, 2)[0], pkt)
	}
	if n := b.Send(cursorPacket(1, 7), []uint16{1, 3}); n != 1 {
		t.Fatalf("Send to a connected and an unknown peer: %d unreached, want 1", n)
	}
}

func TestOversizedMessageRefused(t *testing.T) {
	h := newHub(t)
	a := h.add(t, 1, Options{})
	b := h.add(t, 2, Options{})
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "p2p", func() bool { return a.Routes()[2].Route == RouteP2P })
	a.mu.Lock()
	raw := a.peers[2].raw
	a.mu.Unlock()
	if _, err := raw.Write(make([]byte, 1<<20)); err == nil {
		t.Fatal("a 1 MiB data-channel message was accepted for sending")
	}
	// The channel still works after the refusal.
	waitFor(t, "a packet after the refused one", func() bool {
		a.Send(cursorPacket(2, 1), []uint16{2})
		return len(h.got(1, 2)) > 0
	})
}

func TestAlteredFingerprintFailsToRelay(t *testing.T) {
	h := newHub(t)
	h.tamper = func(from, to uint16, data []byte) []byte {
		d, err := DecodeSignal(data)
		if err != nil || d.SDP == "" {
			return data
		}
		// Flip one hex digit of the DTLS fingerprint, as a man in the
		// middle substituting its own certificate would have to.
		i := strings.Index(d.SDP, "a=fingerprint:sha-256 ")
		if i < 0 {
			t.Error("no sha-256 fingerprint in the SDP")
			return data
		}
		j := i + len("a=fingerprint:sha-256 ")
		c := byte('A')
		if d.SDP[j] == 'A' {
			c = 'B'
		}
		d.SDP = d.SDP[:j] + string(c) + d.SDP[j+1:]
		b, _ := json.Marshal(d)
		return b
	}
	a := h.add(t, 1, Options{ConnectTimeout: 3 * time.Second})
	b := h.add(t, 2, Options{ConnectTimeout: 3 * time.Second})
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "the tampered pair to give up", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.peers[2] != nil && a.peers[2].failed
	})
	if a.Routes()[2].Route != RouteRelay || len(h.got(1, 2)) != 0 {
		t.Fatal("a pair with a forged fingerprint carried presence")
	}
}

func TestMalformedSignalIgnored(t *testing.T) {
	h := newHub(t)
	a := h.add(t, 1, Options{})
	for _, bad := range []string{`{}`, `{"kind":"offer"}`, `{"kind":"candidate"}`, `[1]`, `{"kind":"offer","sdp":"garbage"}`} {
		a.HandleSignal(5, json.RawMessage(bad))
	}
	if r, ok := a.Routes()[5]; ok && r.Route == RouteP2P {
		t.Fatal("garbage signaling produced a channel")
	}
}

// TestFingerprintVerificationNeverDisabled guards the one setting that
// would let a relayed SDP be swapped for an attacker's certificate.
func TestFingerprintVerificationNeverDisabled(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"DisableCertificateFingerprintVerification", "InsecureSkipVerify"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s mentions %s", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodeSignal(f *testing.F) {
	f.Add([]byte(`{"kind":"offer","sdp":"v=0\r\n"}`))
	f.Add([]byte(`{"kind":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeSignal(b)
		if err != nil {
			return
		}
		if d.Kind != "offer" && d.Kind != "answer" && d.Kind != "candidate" {
			t.Fatalf("accepted kind %q", d.Kind)
		}
	})
}

// TestCursorsKeepMovingUnderLoss runs a pair over pion's virtual network
// with 10% packet loss and 40 ms delay each way: the pair still connects
// and most cursor packets still arrive (presence is lossy by design; what
// matters is that it keeps flowing).
func TestCursorsKeepMovingUnderLoss(t *testing.T) {
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "192.0.2.0/24", MinDelay: 40 * time.Millisecond, LoggerFactory: quietLogs()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	rng := mrand.New(mrand.NewPCG(1, 2))
	dropped := 0
	wan.AddChunkFilter(func(vnet.Chunk) bool {
		mu.Lock()
		defer mu.Unlock()
		if rng.IntN(100) < 10 {
			dropped++
			return false
		}
		return true
	})
	nets := map[uint16]*vnet.Net{}
	for id, ip := range map[uint16]string{1: "192.0.2.1", 2: "192.0.2.2"} {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wan.AddNet(n); err != nil {
			t.Fatal(err)
		}
		nets[id] = n
	}
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wan.Stop() }) // registered first, so it runs after the hub closed the meshes
	h := newHub(t)
	virtual := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	a := h.add(t, 1, Options{Net: nets[1], Allow: virtual, ConnectTimeout: 15 * time.Second})
	b := h.add(t, 2, Options{Net: nets[2], Allow: virtual, ConnectTimeout: 15 * time.Second})
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "p2p over the lossy network", func() bool { return a.Routes()[2].Route == RouteP2P && b.Routes()[1].Route == RouteP2P })
	const sent = 120
	for i := range sent {
		a.Send(cursorPacket(uint16(i), int32(i)), []uint16{2})
		time.Sleep(time.Second / 60)
	}
	waitFor(t, "the tail of the stream", func() bool { return len(h.got(1, 2)) > sent/2 })
	time.Sleep(500 * time.Millisecond) // anything still retransmitting would arrive by now
	mu.Lock()
	defer mu.Unlock()
	if dropped == 0 {
		t.Fatal("the loss filter dropped nothing: the test proved nothing")
	}
	// The channel must be lossy: with 10% loss, all 120 arriving means
	// SCTP retransmitted them (P < 1e-5 otherwise), i.e. the channel is
	// not MaxRetransmits=0 (pion/datachannel < 1.6.4 ignored it for
	// negotiated channels).
	if n := len(h.got(1, 2)); n >= sent {
		t.Fatalf("all %d packets arrived through 10%% loss: the presence channel retransmits", n)
	}
	t.Logf("%d of %d cursor packets arrived; the network dropped %d packets", len(h.got(1, 2)), sent, dropped)
}

func quietLogs() logging.LoggerFactory {
	lf := logging.NewDefaultLoggerFactory()
	lf.Writer = discard{}
	return lf
}

// TestGarbageDoesNotHarmChannel: whatever a peer sends arrives attributed
// to that peer's channel (there is no identity in a packet to forge), and
// the session's decoder drops what does not decode; the channel carries on.
func TestGarbageDoesNotHarmChannel(t *testing.T) {
	h := newHub(t)
	a := h.add(t, 1, Options{})
	b := h.add(t, 2, Options{})
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "p2p", func() bool { return a.Routes()[2].Route == RouteP2P })
	garbage := []byte{0xff, 0x00, 0x13, 0x37}
	good := cursorPacket(5, 9)
	waitFor(t, "garbage then a good packet", func() bool {
		a.Send(garbage, []uint16{2})
		a.Send(good, []uint16{2})
		for _, p := range h.got(1, 2) {
			if bytes.Equal(p, good) {
				return true
			}
		}
		return false
	})
	if _, err := wire.DecodePresence(garbage); err == nil {
		t.Fatal("the garbage decodes: the test proves nothing")
	}
	if b.Routes()[1].Route != RouteP2P {
		t.Fatal("the channel went down after garbage")
	}
}

// Browsers are told that our candidates trickle, in both the offer and the
// answer.
func TestSDPAnnouncesTrickle(t *testing.T) {
	h := newHub(t)
	var mu sync.Mutex
	sdps := map[string]string{}
	h.tamper = func(from, to uint16, data []byte) []byte {
		if d, err := DecodeSignal(data); err == nil && d.SDP != "" {
			mu.Lock()
			sdps[d.Kind] = d.SDP
			mu.Unlock()
		}
		return data
	}
	a := h.add(t, 1, Options{})
	b := h.add(t, 2, Options{})
	a.AddPeer(2)
	b.AddPeer(1)
	waitFor(t, "p2p", func() bool { return a.Routes()[2].Route == RouteP2P })
	mu.Lock()
	defer mu.Unlock()
	for _, kind := range []string{"offer", "answer"} {
		if !strings.Contains(sdps[kind], "a=ice-options:trickle") {
			t.Errorf("%s SDP lacks a=ice-options:trickle:\n%s", kind, sdps[kind])
		}
	}
}
