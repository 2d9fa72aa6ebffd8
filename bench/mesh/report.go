package main

import (
	"fmt"
	"io"
	"slices"
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
	m, rl, nv := r.mesh, r.relay, r.naive
	fmt.Fprintf(w, "## Presence: mesh vs relay vs naive relay (`go run ./bench/mesh%s`)\n\n", argString(r.cfg.args))
	where := "a child process, so the per-peer figures count the peers alone"
	if r.cfg.authority == authInproc {
		where = "this process, so the per-peer figures include the authority's share of each connection, and its CPU cannot be told apart"
	}
	moving := "each moving its cursor"
	if r.cfg.movers < n {
		moving = fmt.Sprintf("%d of them moving a cursor, the others watching,", r.cfg.movers)
	}
	fmt.Fprintf(w, "%d sessions in one room, %s at %d Hz for %s per lane; ICE restricted to 127.0.0.0/8; authority in %s. %s.\n\n",
		n, moving, r.cfg.hz, r.cfg.duration, where, r.host)

	fmt.Fprintln(w, "| | mesh (p2p) | relay (NoMesh; leading-edge batches) | naive relay (one frame per packet) | budget |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	row := func(what string, f func(l laneResult) string, budget string) {
		g := func(l laneResult) string {
			if l.lane == "" {
				return "not run"
			}
			return f(l)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", what, g(m), g(rl), g(nv), budget)
	}
	rate := func(f func(l laneResult) float64) func(l laneResult) string {
		return func(l laneResult) string { return perSec(f(l), l.window) }
	}
	row("sessions dialled (first Dial → last Dial returned)", func(l laneResult) string { return ms(l.dial) }, "")
	row("pair setup (first Dial → every route p2p / every roster full)", func(l laneResult) string { return ms(l.setup) }, "")
	row("cursor latency p50 (SetPresence → Presence event read)", func(l laneResult) string { return ms(pct(l.lat, 0.50)) }, "")
	row("cursor latency p99", func(l laneResult) string {
		p := pct(l.lat, 0.99)
		return ms(p) + mark(p < budgetP99)
	}, "< 35 ms")
	row("cursor latency max", func(l laneResult) string { return ms(pct(l.lat, 1)) }, "")
	row("packets sent per moving peer per second", rate(func(l laneResult) float64 { return float64(l.sent) / float64(r.cfg.movers) }), "≤ 60")
	row("cursors delivered (first arrivals / sent × (N−1))", func(l laneResult) string { return delivered(l, n) }, "")
	row("authority CPU, % of one core", serverCPU, "")
	row("authority: presence packets in /s", rate(func(l laneResult) float64 { return l.delta[metricIn] }), "")
	row("authority: relayed entries /s", rate(func(l laneResult) float64 { return l.delta[metricRelayed] }), "")
	row("authority: relay frames out /s (messages out)", rate(func(l laneResult) float64 { return l.delta[metricFrames] }),
		fmt.Sprintf("≤ %s (N × 60) batched", thousands(float64(n*wire.PresenceHz))))
	row("authority: presence messages handled /s (in + frames out)",
		rate(func(l laneResult) float64 { return l.delta[metricIn] + l.delta[metricFrames] }), "0 on the mesh")
	row("presence payload per cursor packet (as sent: µs timestamp in X)", func(l laneResult) string {
		if l.lane == laneMesh {
			return bytesPer(l)
		}
		return bytesPer(l) + " + 3 B relay entry"
	}, "≤ 24 B")
	typical := wire.Presence{HasCursor: true, Cursor: model.Point{X: 120, Y: 40}}
	tb := len(typical.AppendBinary(nil))
	row("presence payload, typical cursor move (x 120, y 40)", func(l laneResult) string {
		if l.lane == laneMesh {
			return fmt.Sprintf("%d B%s", tb, mark(tb <= budgetPacket))
		}
		return fmt.Sprintf("%d B + 3 B relay entry", tb)
	}, "≤ 24 B")
	row("goroutines per peer", func(l laneResult) string {
		if l.lane == laneMesh {
			return goroutines(l, n) + mark(float64(l.goroutines)/float64(n) <= budgetGoroutines)
		}
		return goroutines(l, n)
	}, "≤ 16 per mesh peer")
	row("live heap per peer", func(l laneResult) string { return kib(float64(l.heap) / float64(n)) }, "")
	row("goroutine stacks per peer", func(l laneResult) string { return stackKiB(l.stacks, n) }, "")
	perPeer := func(l laneResult) float64 { return float64(l.heap+l.stacks) / float64(n) }
	row("heap + stacks per peer", func(l laneResult) string {
		if l.lane == laneMesh {
			return kib(perPeer(l)) + mark(perPeer(l) <= budgetMemory)
		}
		return kib(perPeer(l))
	}, "≤ 150 KiB per mesh peer")
	row("mesh cost per pair end ((mesh − relay) / (N−1))", func(l laneResult) string {
		if l.lane != laneMesh {
			return "–"
		}
		return fmt.Sprintf("%s, %.1f goroutines", kib((perPeer(m)-perPeer(rl))/float64(n-1)), float64(m.goroutines-rl.goroutines)/float64(n*(n-1)))
	}, "")
	row("ICE round-trip time (pion stats, mean over pairs)", func(l laneResult) string {
		if l.lane != laneMesh {
			return "–"
		}
		return ms(l.rtt)
	}, "")
	row("UDP sockets of the peers, all on loopback", func(l laneResult) string { return udpString(l.udp) }, "")
	fmt.Fprintln(w)

	fmt.Fprintf(w, "The relay sends a recipient that had no frame in the last 1/60 s a packet at once, and what comes sooner than the recipient's pace allows "+
		"(1/60 s after its last frame, up to 1/120 s less) as one frame at that moment, holding each sender's latest packet: one frame per recipient per tick on average. "+
		"The naive relay is the same authority with a 1 ns tick, so nothing is ever batched: one frame per packet per recipient, "+
		"at a full 60 packets per moving peer %s a second. Delivery below 100 %% in the batched lane is that latest-wins coalescing, by design.\n\n",
		thousands(float64(r.cfg.movers*(n-1)*wire.PresenceHz)))

	if len(r.sweep) > 0 {
		sweepReport(w, r)
	}
	if m.lane == "" {
		return
	}
	fmt.Fprintf(w, "Goroutines per mesh peer by the function that started them (after every pair connected, minus before; %d peers, %d pairs each):\n\n", n, n-1)
	fmt.Fprintln(w, "| created by | per peer |")
	fmt.Fprintln(w, "|---|---:|")
	for _, c := range m.creators {
		fmt.Fprintf(w, "| `%s` | %s |\n", c.fn, strconv.FormatFloat(float64(c.n)/float64(n), 'f', -1, 64))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Goroutines per peer exclude the benchmark's own event reader (one per peer); the table above includes it (`main.dialGroup.func1`).\n")
}

// sweepReport is the relay at each -relay-ticks tick, beside the wait
// that no schedule of that many frames can beat.
//
// The bound: a recipient that is never idle (with every peer moving it
// receives (N−1)·60 packets a second from senders whose phases are
// independent of its frames) gets f frames a second. A packet waits at
// most w only if it arrived within w before one of them; those windows
// cover at most f·w of each second, and arrivals independent of the
// frames fall into them with at most that probability. So P(wait ≤ w) ≤
// f·w for any schedule that does not time its frames by the arrivals
// (one that waits for a packet it expects can gain a little, never the
// tick: the packets it did not wait for wait longer): the median wait is
// at least 1/(2f) and the 99th percentile at least 0.99/f, on top of what
// the naive lane shows the sessions, the wire and the sender's pace cost.
func sweepReport(w io.Writer, r results) {
	n := r.cfg.peers
	fmt.Fprintf(w, "### Relay tick sweep (%d peers, every lane its own authority)\n\n", n)
	fmt.Fprintln(w, "| relay tick | frames out /s | frames per recipient /s (f) | packets per frame | relay p50 | relay p99 | wait bound p50 = 1/(2f) | wait bound p99 = 0.99/f | authority CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	lanes := append(slices.Clone(r.sweep), r.naive)
	for _, l := range lanes {
		frames := l.delta[metricFrames]
		f := frames / l.window.Seconds() / float64(n)
		tick := l.tick.String()
		if l.lane == laneNaive {
			tick += " (naive lane)"
		}
		per := "–"
		if frames > 0 {
			per = strconv.FormatFloat(l.delta[metricRelayed]/frames, 'f', 1, 64)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", tick, perSec(frames, l.window), thousands(f), per,
			ms(pct(l.lat, 0.50)), ms(pct(l.lat, 0.99)), boundMS(0.5, f), boundMS(0.99, f), serverCPU(l))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "A recipient that is never idle and gets f frames a second has a packet wait at most w only if the packet came within w before a frame: "+
		"those windows cover at most f·w of each second, so with sender phases independent of the frames P(wait ≤ w) ≤ f·w under any schedule that does not time its frames by the arrivals. "+
		"The relay's own median wait is then at least 1/(2f) and its p99 at least 0.99/f; the latencies measured add the sessions', the wire's and "+
		"the sender's pace (the naive lane: %s p50, %s p99). At 60 frames per recipient a second that is 8.3 ms at the median and 16.5 ms at p99. "+
		"The bound needs a recipient that always has packets waiting (many packets per frame); where frames carry about one packet each, "+
		"frames follow the packets (the leading edge) and the relay adds almost no wait.\n\n",
		ms(pct(r.naive.lat, 0.50)), ms(pct(r.naive.lat, 0.99)))
}

// boundMS is the wait bound q/f in milliseconds, "–" without frames.
func boundMS(q, f float64) string {
	if f <= 0 {
		return "–"
	}
	return strconv.FormatFloat(1000*q/f, 'f', 1, 64) + " ms"
}

// serverCPU is the authority's CPU time over the window as a percentage
// of one core.
func serverCPU(l laneResult) string {
	if !l.cpuKnown || l.window <= 0 {
		return "–"
	}
	return strconv.FormatFloat(100*l.serverCPU.Seconds()/l.window.Seconds(), 'f', 1, 64) + " %"
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
