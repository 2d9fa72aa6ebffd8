package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// Re-executed as the child authority (-authority child): be it.
	if os.Getenv(childEnv) == "1" {
		if err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString("bench/mesh child: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// TestQuick runs the three lanes briefly and checks behaviour, never
// speed: every pair goes p2p and carries cursors while the authority
// relays nothing; with NoMesh the same cursors arrive through the relay,
// batched or (naive lane) one frame per packet.
func TestQuick(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := parseFlags([]string{"-peers", "3", "-duration", "1s", "-authority", "inproc", "-relay-ticks", "4ms"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := bench(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.check(); err != nil {
		t.Fatal(err)
	}
	const pairs = 3 * 2
	m, r, nv := res.mesh, res.relay, res.naive
	if m.p2p != pairs {
		t.Errorf("mesh: %d of %d ordered pairs p2p", m.p2p, pairs)
	}
	if r.p2p != 0 || nv.p2p != 0 {
		t.Errorf("relay lanes: %d and %d ordered pairs p2p with NoMesh", r.p2p, nv.p2p)
	}
	for _, l := range res.lanes() {
		for i, row := range l.pairs {
			for j, n := range row {
				if i != j && n == 0 {
					t.Errorf("%s: peer %d saw no cursor from peer %d", l.lane, i, j)
				}
			}
		}
		if l.received == 0 || len(l.lat) != l.received || l.sent == 0 {
			t.Errorf("%s: received %d, latencies %d, sent %d", l.lane, l.received, len(l.lat), l.sent)
		}
		if l.received > l.sent*2 {
			t.Errorf("%s: %d first arrivals from %d packets to 2 receivers each", l.lane, l.received, l.sent)
		}
		if !l.udp.checked && runtime.GOOS == "linux" {
			t.Errorf("%s: UDP sockets not checked", l.lane)
		}
	}
	for _, name := range []string{metricIn, metricRelayed, metricFrames} {
		if m.total[name] != 0 {
			t.Errorf("mesh: %s = %g, want 0", name, m.total[name])
		}
	}
	if m.udp.checked && m.udp.sockets == 0 {
		t.Error("mesh: no UDP socket found for the pairs")
	}
	if len(res.sweep) != 1 || res.sweep[0].tick != 4*time.Millisecond || res.sweep[0].p2p != 0 {
		t.Fatalf("sweep lanes: %+v", res.sweep)
	}
	for _, l := range []laneResult{r, nv, res.sweep[0]} {
		if l.delta[metricIn] == 0 || l.delta[metricRelayed] == 0 || l.delta[metricFrames] == 0 {
			t.Errorf("%s: counters did not move: %v", l.lane, l.delta)
		}
	}
	// The naive relay batches nothing: a frame per entry, bar two packets
	// handled within the same nanosecond.
	if nv.delta[metricFrames] < 0.95*nv.delta[metricRelayed] {
		t.Errorf("naive relay: %g frames for %g entries", nv.delta[metricFrames], nv.delta[metricRelayed])
	}
	// Batching: never more frames than relayed entries.
	if r.delta[metricFrames] > r.delta[metricRelayed] {
		t.Errorf("relay: %g frames for %g entries", r.delta[metricFrames], r.delta[metricRelayed])
	}
	if m.goroutines <= r.goroutines {
		t.Errorf("mesh peers hold %d goroutines, relay peers %d: the pairs cost none?", m.goroutines, r.goroutines)
	}
	var out bytes.Buffer
	report(&out, res)
	for _, want := range []string{"| mesh (p2p) | relay (NoMesh; leading-edge batches) | naive relay (one frame per packet) |", "cursor latency p99", "authority CPU", "created by",
		"Relay tick sweep", "| 4ms |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())
}

// TestChildAuthority starts the authority the way the full run does, in a
// child process (this test binary re-executed), and stops it.
func TestChildAuthority(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := startChild(ctx, config{peers: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.http.Get(a.base + "/healthz")
	if err != nil {
		a.close()
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %s", resp.Status)
	}
	c, err := a.counters(ctx)
	if err != nil {
		t.Error(err)
	}
	if c[metricIn] != 0 || c[metricRelayed] != 0 || c[metricFrames] != 0 {
		t.Errorf("fresh authority's counters: %v", c)
	}
	if cpu, err := a.cpu(); err != nil || cpu <= 0 {
		t.Errorf("child authority's CPU time: %v, %v", cpu, err)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, utime 250, stime 50.
	stat := "4242 (mesh (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 9 0 123 0 0"
	got, err := parseProcStatCPU(stat)
	if err != nil || got != 3*time.Second {
		t.Errorf("parseProcStatCPU = %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseProcStatCPU(bad); err == nil {
			t.Errorf("parseProcStatCPU(%q) accepted", bad)
		}
	}
}

func TestFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-quick"}, io.Discard)
	if err != nil || cfg.duration != 3*time.Second || cfg.peers != 10 {
		t.Errorf("-quick: %+v, %v", cfg, err)
	}
	if cfg.movers != cfg.peers {
		t.Errorf("default movers %d, want every peer (%d)", cfg.movers, cfg.peers)
	}
	cfg, err = parseFlags([]string{"-quick", "-duration", "5s"}, io.Discard)
	if err != nil || cfg.duration != 5*time.Second {
		t.Errorf("-quick -duration 5s: %+v, %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"-relay-ticks", "16.667ms, 4ms,1ms", "-mesh=false"}, io.Discard)
	if err != nil || !slices.Equal(cfg.relayTicks, []time.Duration{16667 * time.Microsecond, 4 * time.Millisecond, time.Millisecond}) || !cfg.noMeshLane {
		t.Errorf("-relay-ticks 16.667ms, 4ms,1ms -mesh=false: %+v, %v", cfg, err)
	}
	if cfg, err = parseFlags(nil, io.Discard); err != nil || cfg.relayTicks != nil || cfg.noMeshLane {
		t.Errorf("default: a sweep or no mesh lane: %+v, %v", cfg, err)
	}
	for _, bad := range [][]string{{"-relay-ticks", "4ms,fast"}, {"-relay-ticks", "0s"}, {"-peers", "1"}, {"-peers", "4", "-movers", "5"}, {"-movers", "-1"}, {"-duration", "20m"}, {"-authority", "remote"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestParseProcAddr(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the samples are from a little-endian machine")
	}
	for in, want := range map[string]string{
		"0100007F:1F90":                         "127.0.0.1:8080",
		"00000000000000000000000001000000:0035": "[::1]:53",
	} {
		got, err := parseProcAddr(in)
		if err != nil || got.String() != want {
			t.Errorf("parseProcAddr(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}
