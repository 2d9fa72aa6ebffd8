package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/net/wire"
)

func TestMain(m *testing.M) {
	// The idle phase re-executes the test binary as its -serve-only child.
	if os.Getenv(childEnv) != "" {
		if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString("bench child: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestQuick runs every phase at tiny sizes and checks that the figures
// are sane: every commit acknowledged and seen in order by every client,
// every connection counted, every room hibernated. Never a timing.
func TestQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg, err := parseFlags([]string{"-quick", "-dir", t.TempDir(),
		"-writers", "3", "-rooms", "4", "-lat-clients", "3", "-idle-rooms", "3", "-idle-per", "10",
		"-hib-rooms", "12", "-wake-rooms", "2", "-wake-history", "40", "-wake-samples", "4"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := bench(ctx, cfg, &log)
	t.Log(log.String())
	if err != nil {
		t.Fatal(err)
	}

	for name, l := range map[string]*loadResult{"one room": res.one, "many rooms": res.many, "latency": res.lat} {
		if l == nil {
			t.Fatalf("%s: no result", name)
		}
		if l.sent == 0 || l.sent != l.acked || l.inWindow <= 0 || len(l.ackLat) == 0 {
			t.Errorf("%s: %d sent, %d acknowledged, %d in the window, %d ack samples", name, l.sent, l.acked, l.inWindow, len(l.ackLat))
		}
		if l.ackLat[0] <= 0 {
			t.Errorf("%s: non-positive latency %v", name, l.ackLat[0])
		}
	}
	if res.one.clients != cfg.writers || res.one.rooms != 1 || res.many.rooms != cfg.rooms || res.many.clients != cfg.rooms*cfg.perRoom {
		t.Errorf("load shapes: %d clients in %d room, %d clients in %d rooms", res.one.clients, res.one.rooms, res.many.clients, res.many.rooms)
	}
	// Every measured commit reaches every other client of the room.
	if want := len(res.lat.ackLat) * (cfg.latClients - 1); len(res.lat.otherLat) != want {
		t.Errorf("latency: %d samples at other clients, want %d", len(res.lat.otherLat), want)
	}

	i := res.idle
	if i == nil || int(i.mem1.Connections) != i.conns || i.conns != cfg.idleRooms*cfg.idlePerRoom {
		t.Fatalf("idle: %+v", i)
	}
	if i.mem1.Goroutines-i.mem0.Goroutines < i.conns {
		t.Errorf("idle: %d more goroutines for %d connections; each has at least its handler", i.mem1.Goroutines-i.mem0.Goroutines, i.conns)
	}
	if runtime.GOOS == "linux" && (!i.rssOK || i.rss1 == 0) {
		t.Errorf("idle: no RSS read from /proc")
	}

	h := res.hib
	if h == nil || h.stored != 2*cfg.hibRooms+16 || h.gor2 > h.gor0 {
		t.Errorf("hibernate: %+v", h)
	}

	k := res.wake
	if k == nil || len(k.wake) != cfg.wakeSamples || len(k.live) == 0 || k.cells == 0 || k.server.count < uint64(cfg.wakeSamples) {
		t.Errorf("wake: %+v", k)
	}

	var out bytes.Buffer
	res.print(&out, cfg)
	for _, want := range []string{"durable commits/s, 1 room", "commit → committed at another client", "per idle connection", "hibernated room", "wake: dial → ready"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestParseCommitted guards the fast path against a change of
// wire.Committed's shape: whatever the encoding, the parse must agree.
func TestParseCommitted(t *testing.T) {
	ops := json.RawMessage(`[{"op":"text","x":1,"y":2,"text":"hi"}]`)
	forAuthor, err := wire.Encode(wire.Committed{T: wire.TCommitted, Seq: 42, ID: "r1p2-7.123456", Peer: 513, Kind: wire.KindDraw, Ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	forOthers, err := wire.Encode(wire.Committed{T: wire.TCommitted, Seq: 42, Peer: 513, Kind: wire.KindDraw, Ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		frame []byte
		id    string
	}{
		{forAuthor, "r1p2-7.123456"},
		{forOthers, ""},
		{[]byte(`{"peer":513,"ops":[],"id":"r1p2-7.123456","t":"committed","seq":42}`), "r1p2-7.123456"},
		{[]byte(`{"peer":513,"ops":[],"t":"committed","seq":42}`), ""},
	} {
		m, ok := parseCommitted(c.frame)
		if !ok || m.seq != 42 || string(m.id) != c.id || (c.id == "") != (m.id == nil) || m.peer != 513 {
			t.Errorf("parse %s: %+v, %v", c.frame, m, ok)
		}
		if at, ok := sentAt(m.id); c.id != "" && (!ok || at != 123456) {
			t.Errorf("sentAt(%s) = %v, %v", m.id, at, ok)
		}
	}
	for _, b := range []string{`{"t":"join","peer":{"id":2}}`, `{"t":"leave","id":8}`, `{"t":"error","code":"slow","reason":"x"}`} {
		if _, ok := parseCommitted([]byte(b)); ok {
			t.Errorf("parse %s: taken for a committed frame", b)
		}
	}
}

func TestHistogramQuantile(t *testing.T) {
	h := histo{count: 100, bounds: []float64{1, 2, 4}, cum: []uint64{50, 90, 100}}
	for q, want := range map[float64]float64{0.25: 0.5, 0.5: 1, 0.7: 1.5, 0.95: 3} {
		if got := h.quantile(q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
}
