package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Budgets of DESIGN.md §7.
const (
	budgetP99        = 35 * time.Millisecond
	budgetPacket     = 24
	budgetGoroutines = 16
	budgetMemory     = 150 << 10
)

func report(w io.Writer, r results) {
	n := r.cfg.peers
	m, rl := r.mesh, r.relay
	fmt.Fprintf(w, "## Presence: mesh vs relay (`go run ./bench/mesh%s`)\n\n", argString(r.cfg.args))
	where := "a child process, so the per-peer figures count the peers alone"
	if r.cfg.authority == authInproc {
		where = "this process, so the per-peer figures include the authority's share of each connection"
	}
	fmt.Fprintf(w, "%d sessions in one room, each moving its cursor at %d Hz for %s per lane; ICE restricted to 127.0.0.0/8; authority in %s. %s.\n\n",
		n, r.cfg.hz, r.cfg.duration, where, r.host)

	fmt.Fprintln(w, "| | mesh (p2p) | relay (NoMesh) | budget |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	row := func(what, a, b, budget string) { fmt.Fprintf(w, "| %s | %s | %s | %s |\n", what, a, b, budget) }
	row("sessions dialled (first Dial → last Dial returned)", ms(m.dial), ms(rl.dial), "")
	row("pair setup (first Dial → every route p2p / every roster full)", ms(m.setup), ms(rl.setup), "")
	row("cursor latency p50 (SetPresence → Presence event read)", ms(pct(m.lat, 0.50)), ms(pct(rl.lat, 0.50)), "")
	row("cursor latency p99", ms(pct(m.lat, 0.99))+mark(pct(m.lat, 0.99) < budgetP99),
		ms(pct(rl.lat, 0.99))+mark(pct(rl.lat, 0.99) < budgetP99), "< 35 ms")
	row("cursor latency max", ms(pct(m.lat, 1)), ms(pct(rl.lat, 1)), "")
	row("packets sent per peer per second", perSec(float64(m.sent)/float64(n), m.window), perSec(float64(rl.sent)/float64(n), rl.window), "≤ 60")
	row("cursors delivered (first arrivals / sent × (N−1))", delivered(m, n), delivered(rl, n), "")
	row("authority: presence packets in /s", perSec(m.delta[metricIn], m.window), perSec(rl.delta[metricIn], rl.window), "")
	row("authority: relayed entries /s (= naive per-packet relay)", perSec(m.delta[metricRelayed], m.window), perSec(rl.delta[metricRelayed], rl.window), "")
	row("authority: relay frames out /s (batched relay)", perSec(m.delta[metricFrames], m.window),
		perSec(rl.delta[metricFrames], rl.window), fmt.Sprintf("≤ %s (N × 60)", thousands(float64(n*wire.PresenceHz))))
	row("authority: presence messages handled /s (in + frames out)", perSec(m.delta[metricIn]+m.delta[metricFrames], m.window),
		perSec(rl.delta[metricIn]+rl.delta[metricFrames], rl.window), "0 on the mesh")
	row("presence payload per cursor packet (as sent: µs timestamp in X)", bytesPer(m), bytesPer(rl)+" + 3 B relay entry", "≤ 24 B")
	typical := wire.Presence{HasCursor: true, Cursor: model.Point{X: 120, Y: 40}}
	tb := len(typical.AppendBinary(nil))
	row("presence payload, typical cursor move (x 120, y 40)", fmt.Sprintf("%d B%s", tb, mark(tb <= budgetPacket)),
		fmt.Sprintf("%d B + 3 B relay entry", tb), "≤ 24 B")
	row("goroutines per peer", goroutines(m, n)+mark(float64(m.goroutines)/float64(n) <= budgetGoroutines), goroutines(rl, n), "≤ 16 per mesh peer")
	row("live heap per peer", kib(float64(m.heap)/float64(n)), kib(float64(rl.heap)/float64(n)), "")
	row("goroutine stacks per peer", stackKiB(m.stacks, n), stackKiB(rl.stacks, n), "")
	mm, rm := float64(m.heap+m.stacks)/float64(n), float64(rl.heap+rl.stacks)/float64(n)
	row("heap + stacks per peer", kib(mm)+mark(mm <= budgetMemory), kib(rm), "≤ 150 KiB per mesh peer")
	row("mesh cost per pair end ((mesh − relay) / (N−1))",
		fmt.Sprintf("%s, %.1f goroutines", kib((mm-rm)/float64(n-1)), float64(m.goroutines-rl.goroutines)/float64(n*(n-1))), "–", "")
	row("ICE round-trip time (pion stats, mean over pairs)", ms(m.rtt), "–", "")
	row("UDP sockets of the peers, all on loopback", udpString(m.udp), udpString(rl.udp), "")
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Presence messages the authority handles per second, %d peers moving at %d Hz:\n\n", n, r.cfg.hz)
	fmt.Fprintln(w, "| mesh | naive per-packet relay (relayed entries) | naive, packets in × (N−1) | batched relay (frames) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %s | %s | %s | %s |\n\n", perSec(m.delta[metricIn]+m.delta[metricFrames], m.window),
		perSec(rl.delta[metricRelayed], rl.window), perSec(rl.delta[metricIn]*float64(n-1), rl.window),
		perSec(rl.delta[metricFrames], rl.window))
	fmt.Fprintf(w, "A relay without batching sends one message per entry; the batched relay sends one frame per recipient per %s tick "+
		"and keeps only each peer's latest packet in it, so entries fall below packets in × (N−1) when a peer's two packets meet in one tick. "+
		"Both naive figures scale with the packets the sessions actually send (row \"packets sent per peer per second\"); "+
		"at a full 60 per peer they would be %s.\n\n", "1/60 s", thousands(float64(n*(n-1)*wire.PresenceHz)))

	fmt.Fprintf(w, "Goroutines per mesh peer by the function that started them (after every pair connected, minus before; %d peers, %d pairs each):\n\n", n, n-1)
	fmt.Fprintln(w, "| created by | per peer |")
	fmt.Fprintln(w, "|---|---:|")
	for _, c := range m.creators {
		fmt.Fprintf(w, "| `%s` | %s |\n", c.fn, strconv.FormatFloat(float64(c.n)/float64(n), 'f', -1, 64))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Goroutines per peer exclude the benchmark's own event reader (one per peer); the table above includes it (`main.dialGroup.func1`).\n")
}

func argString(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return " " + strings.Join(args, " ")
}

func mark(ok bool) string {
	if ok {
		return " ✓"
	}
	return " ✗"
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func perSec(v float64, d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return thousands(v / d.Seconds())
}

// thousands formats v rounded to an integer with thousands separators, or
// with one decimal below 10.
func thousands(v float64) string {
	if v < 10 && v != 0 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func delivered(l laneResult, n int) string {
	want := l.sent * (n - 1)
	if want == 0 {
		return "0"
	}
	return fmt.Sprintf("%s / %s (%.1f %%)", thousands(float64(l.received)), thousands(float64(want)), 100*float64(l.received)/float64(want))
}

func bytesPer(l laneResult) string {
	if l.moves == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(l.payload)/float64(l.moves), 'f', 1, 64) + " B"
}

func goroutines(l laneResult, n int) string {
	return strconv.FormatFloat(float64(l.goroutines)/float64(n), 'f', 1, 64)
}

func kib(b float64) string {
	return strconv.FormatFloat(b/1024, 'f', 1, 64) + " KiB"
}

// stackKiB shows a stack delta; stack spans are pooled, so when the
// goroutines added are few the delta can come out below zero.
func stackKiB(b int64, n int) string {
	if b < 0 {
		return kib(float64(b)/float64(n)) + " (pool noise)"
	}
	return kib(float64(b) / float64(n))
}

func udpString(u udpCheck) string {
	if !u.checked {
		return "not checked"
	}
	if len(u.outside) > 0 {
		return fmt.Sprintf("%d, %d outside loopback ✗", u.sockets, len(u.outside))
	}
	return strconv.Itoa(u.sockets) + ", all loopback"
}
