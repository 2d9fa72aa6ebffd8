package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// srvStats are the authority's own metrics after a load run.
type srvStats struct {
	commitLat histo // tcanvas_commit_latency_seconds
	flushSec  histo // tcanvas_store_flush_seconds
	flushRecs histo // tcanvas_store_flush_records
}

func readSrvStats(s *server) srvStats {
	var st srvStats
	st.commitLat, _ = histogram(s.reg, "tcanvas_commit_latency_seconds")
	st.flushSec, _ = histogram(s.reg, "tcanvas_store_flush_seconds")
	st.flushRecs, _ = histogram(s.reg, "tcanvas_store_flush_records")
	return st
}

// results holds what each phase that ran measured.
type results struct {
	one, many, lat          *loadResult
	oneSrv, manySrv, latSrv srvStats
	idle                    *idleResult
	hib                     *hibResult
	wake                    *wakeResult
	took                    time.Duration
	load0, load1            string // /proc/loadavg before and after
}

func roomNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// loadPhase runs one load against a fresh authority.
func loadPhase(ctx context.Context, cfg config, spec loadSpec) (loadResult, srvStats, error) {
	s, err := startServer(ctx, cfg.dir, benchOptions(cfg), nil)
	if err != nil {
		return loadResult{}, srvStats{}, err
	}
	spec.link = s.link
	// Half the send queue: see roomState.
	spec.maxLag = defaultSendQueue / 2
	if cfg.sendQueue > 0 {
		spec.maxLag = max(1, cfg.sendQueue/2)
	}
	res, err := runLoad(ctx, spec)
	st := readSrvStats(s)
	if cerr := s.close(); err == nil {
		err = cerr
	}
	return res, st, err
}

// bench runs the selected phases, each against its own authority and
// database, and returns what was measured so far even on error.
func bench(ctx context.Context, cfg config, stderr io.Writer) (*results, error) {
	start := time.Now()
	res := &results{load0: loadAvg()}
	defer func() { res.took, res.load1 = time.Since(start), loadAvg() }()
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%6.1fs  "+format+"\n", append([]any{time.Since(start).Seconds()}, a...)...)
	}
	if cfg.has("throughput") {
		logf("throughput: 1 room, %d writers × %d in flight", cfg.writers, cfg.window)
		r, st, err := loadPhase(ctx, cfg, loadSpec{
			rooms: roomNames("one", 1), perRoom: cfg.writers, window: cfg.window,
			warmup: cfg.warmup, duration: cfg.duration, cpuprofile: cfg.cpuprof,
		})
		if err != nil {
			return res, fmt.Errorf("throughput, one room: %w", err)
		}
		res.one, res.oneSrv = &r, st
		logf("throughput: %d rooms × %d writers × %d in flight", cfg.rooms, cfg.perRoom, cfg.window)
		m, mst, err := loadPhase(ctx, cfg, loadSpec{
			rooms: roomNames("many", cfg.rooms), perRoom: cfg.perRoom, window: cfg.window,
			warmup: cfg.warmup, duration: cfg.duration, cpuprofile: suffix(cfg.cpuprof, "-rooms"),
		})
		if err != nil {
			return res, fmt.Errorf("throughput, many rooms: %w", err)
		}
		res.many, res.manySrv = &m, mst
	}
	if cfg.has("latency") {
		logf("latency: 1 room, %d clients, %g commits/s", cfg.latClients, cfg.latRate)
		interval := time.Duration(float64(time.Second) * float64(cfg.latClients) / cfg.latRate)
		r, st, err := loadPhase(ctx, cfg, loadSpec{
			rooms: roomNames("lat", 1), perRoom: cfg.latClients, window: 256, interval: interval,
			warmup: min(cfg.warmup, cfg.latDuration/4), duration: cfg.latDuration, recordOther: true,
		})
		if err != nil {
			return res, fmt.Errorf("latency: %w", err)
		}
		if len(r.otherLat) == 0 {
			return res, fmt.Errorf("latency: %w", errNoSamples)
		}
		res.lat, res.latSrv = &r, st
	}
	if cfg.has("idle") {
		logf("idle: %d rooms × %d connections, authority in a child process", cfg.idleRooms, cfg.idlePerRoom)
		r, err := runIdle(ctx, cfg, stderr)
		if err != nil {
			return res, fmt.Errorf("idle connections: %w", err)
		}
		res.idle = &r
	}
	if cfg.has("hibernate") {
		logf("hibernate: %d rooms × %d commits", cfg.hibRooms, cfg.hibCommits)
		r, err := runHibernate(ctx, cfg)
		if err != nil {
			return res, fmt.Errorf("hibernation: %w", err)
		}
		res.hib = &r
	}
	if cfg.has("wake") {
		logf("wake: %d rooms × %d commits, %d wakes", cfg.wakeRooms, cfg.wakeHistory, cfg.wakeSamples)
		r, err := runWake(ctx, cfg)
		if err != nil {
			return res, fmt.Errorf("wake: %w", err)
		}
		res.wake = &r
	}
	logf("done")
	return res, nil
}

// print writes the markdown report.
func (r *results) print(w io.Writer, cfg config) {
	if r.one == nil && r.many == nil && r.lat == nil && r.idle == nil && r.hib == nil && r.wake == nil {
		return
	}
	fmt.Fprintf(w, "### tcanvas authority benchmark\n\n")
	fmt.Fprintf(w, "`go run ./bench/authority%s` — %s, %s/%s, %d CPU (%s), GOMAXPROCS %d, %s, took %s.\n\n",
		argsNote(cfg.args), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(),
		runtime.GOMAXPROCS(0), time.Now().Format("2006-01-02"), r.took.Round(time.Second))
	if r.load0 != "" {
		fmt.Fprintf(w, "Load average (1, 5, 15 min) before %s, after %s; anything else running competes with the bench for the CPUs.\n\n", r.load0, r.load1)
	}
	fmt.Fprintf(w, "Real authority over a real SQLite store (WAL, synchronous=FULL) in a temp dir, real WebSocket clients over loopback. "+
		"Rooms are open; the per-connection limits (CommitRate/FrameRate, default 100 and 400 per second) and the per-IP "+
		"ConnRate are raised to %g per second so one bench process can load the server.\n\n", float64(benchRate))
	fmt.Fprintln(w, "| figure | measured | budget (DESIGN §7) | notes |")
	fmt.Fprintln(w, "|---|---|---|---|")
	row := func(fig, val, budget, notes string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", fig, val, budget, notes)
	}
	if o := r.one; o != nil {
		row(fmt.Sprintf("durable commits/s, 1 room (%d writers × %d in flight)", o.clients, cfg.window),
			fmt.Sprintf("**%s**", num(o.rate())), "≥ 1,000 per room",
			fmt.Sprintf("%s sent, all acknowledged and received by all %d clients in order; ack p50 %s, p99 %s; %.1f commits per room flush, flush mean %s; senders waited for the slowest reader %s times",
				num(float64(o.sent)), o.clients, ms(pct(o.ackLat, .5)), ms(pct(o.ackLat, .99)),
				r.oneSrv.flushRecs.mean(), msf(r.oneSrv.flushSec.mean()), num(float64(o.stalls))))
	}
	if m := r.many; m != nil {
		row(fmt.Sprintf("durable commits/s, %d rooms (%d writers each, %d in flight each)", m.rooms, cfg.perRoom, cfg.window),
			fmt.Sprintf("**%s** total (%s per room)", num(m.rate()), num(m.rate()/float64(m.rooms))), "—",
			fmt.Sprintf("%s sent, all acknowledged and received by every client of the room in order; ack p50 %s, p99 %s; %.1f commits per room flush, flush mean %s",
				num(float64(m.sent)), ms(pct(m.ackLat, .5)), ms(pct(m.ackLat, .99)),
				r.manySrv.flushRecs.mean(), msf(r.manySrv.flushSec.mean())))
	}
	if l := r.lat; l != nil {
		row(fmt.Sprintf("commit → committed at another client, 1 room, %d clients, %g commits/s", l.clients, cfg.latRate),
			fmt.Sprintf("p50 %s, **p99 %s**, max %s", ms(pct(l.otherLat, .5)), ms(pct(l.otherLat, .99)), ms(pct(l.otherLat, 1))),
			"p99 < 5 ms",
			fmt.Sprintf("%s samples over %s commits (achieved %s/s)", num(float64(len(l.otherLat))), num(float64(l.sent)), num(l.rate())))
		row("commit → own committed (ack), same run",
			fmt.Sprintf("p50 %s, p99 %s, max %s", ms(pct(l.ackLat, .5)), ms(pct(l.ackLat, .99)), ms(pct(l.ackLat, 1))), "—", "")
		row("server `tcanvas_commit_latency_seconds`, same run",
			fmt.Sprintf("p50 %s, p99 %s", msf(r.latSrv.commitLat.quantile(.5)), msf(r.latSrv.commitLat.quantile(.99))), "—",
			fmt.Sprintf("arrival to broadcast enqueue, histogram estimate; fsync (flush) mean %s, p99 %s",
				msf(r.latSrv.flushSec.mean()), msf(r.latSrv.flushSec.quantile(.99))))
	}
	if i := r.idle; i != nil {
		perGiB := "n/a"
		rss := "n/a (no /proc)"
		if i.rssOK && i.rssPerConn() > 0 {
			rss = fmt.Sprintf("**%s**", kib(i.rssPerConn()))
			perGiB = num(float64(1<<30) / i.rssPerConn())
		}
		row(fmt.Sprintf("server memory per idle connection (%s conns: %d rooms × %d, all welcomed)", num(float64(i.conns)), i.rooms, i.perRoom),
			rss+" RSS", "≤ 35 KiB (≥ 30,000 per GiB)",
			fmt.Sprintf("= %s connections per GiB; Go heap %s/conn, stacks %s/conn, %.2f goroutines/conn; RSS %s → %s; dialled in %s",
				perGiB, kib(i.heapPerConn()),
				kib((float64(i.mem1.StackInuse)-float64(i.mem0.StackInuse))/float64(i.conns)),
				float64(i.mem1.Goroutines-i.mem0.Goroutines)/float64(i.conns),
				mib(i.rss0), mib(i.rss1), i.dial.Round(time.Millisecond)))
	}
	if h := r.hib; h != nil {
		row(fmt.Sprintf("live heap per hibernated room (%s rooms × %d commits)", num(float64(h.rooms)), h.commits),
			fmt.Sprintf("**%.0f B**; growth over a 2nd round of %s rooms: %.0f B/room", h.heapPerRoom(), num(float64(h.rooms)), h.growthPerRoom()),
			"0 (no memory held)",
			fmt.Sprintf("Go heap after GC %s → %s → %s; goroutines %d → %d; %d rooms stored, %.0f hibernations",
				mib(h.heap0), mib(h.heap1), mib(h.heap2), h.gor0, h.gor2, h.stored, h.hibernations))
	}
	if k := r.wake; k != nil {
		row(fmt.Sprintf("wake: dial → ready, hibernated room with %s commits + snapshot", num(float64(k.history))),
			fmt.Sprintf("p50 %s, **p99 %s**, max %s", ms(pct(k.wake, .5)), ms(pct(k.wake, .99)), ms(pct(k.wake, 1))),
			"p99 < 20 ms",
			fmt.Sprintf("%d wakes over %d rooms, %s cells each, measured at the client", len(k.wake), k.rooms, num(float64(k.cells))))
		row("server `tcanvas_room_wake_seconds`, same wakes",
			fmt.Sprintf("p50 %s, p99 %s", msf(k.server.quantile(.5)), msf(k.server.quantile(.99))), "—",
			"store load + snapshot decode, histogram estimate")
		row("join of the same room while live (reference)",
			fmt.Sprintf("p50 %s, p99 %s", ms(pct(k.live, .5)), ms(pct(k.live, .99))), "—", "what waking adds is the difference")
	}
	fmt.Fprintln(w)
}

// suffix appends s to a file name, if there is one.
func suffix(file, s string) string {
	if file == "" {
		return ""
	}
	return file + s
}

func argsNote(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return " " + strings.Join(args, " ")
}

// loadAvg returns the 1, 5 and 15 minute load averages (Linux), or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func ms(d time.Duration) string { return msf(d.Seconds()) }

func msf(sec float64) string {
	v := sec * 1000
	switch {
	case v < 1:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// num formats with thousands separators.
func num(v float64) string {
	neg := v < 0
	s := strconv.FormatInt(int64(v+0.5), 10)
	if neg {
		s = strconv.FormatInt(int64(-v+0.5), 10)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
