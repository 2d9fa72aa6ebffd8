package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres/pgtest"
	"github.com/tcanvas/tcanvas/net/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/scale:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	pg       string
	nodes    []int
	rooms    int
	active   int
	writers  int
	window   int
	duration time.Duration
	samples  int
	joins    int
	ttl      time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var cfg config
	var nodes string
	quick := fs.Bool("quick", false, "a short smoke run")
	fs.StringVar(&cfg.pg, "pg", os.Getenv(pgtest.Env), "PostgreSQL URL (default $"+pgtest.Env+"; empty: start a throwaway cluster with fsync on)")
	fs.StringVar(&nodes, "nodes", "1,2,3", "node counts to measure")
	fs.IntVar(&cfg.rooms, "rooms", 1200, "rooms opened (one idle connection and one commit each), spread over the nodes")
	fs.IntVar(&cfg.active, "active", 48, "rooms with writers in the throughput run")
	fs.IntVar(&cfg.writers, "writers", 4, "writers per active room, each at most 90 commits/s (the authority allows 100 per connection)")
	fs.IntVar(&cfg.window, "window", 8, "commits in flight per writer")
	fs.DurationVar(&cfg.duration, "duration", 8*time.Second, "length of each throughput run")
	fs.IntVar(&cfg.samples, "samples", 1000, "sequential commits per client in the proxy-hop run")
	fs.IntVar(&cfg.joins, "joins", 200, "joins per route in the proxy-hop run")
	fs.DurationVar(&cfg.ttl, "lease-ttl", 10*time.Second, "the nodes' --lease-ttl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		cfg.rooms, cfg.active, cfg.writers, cfg.duration, cfg.samples, cfg.joins = 120, 8, 2, 2*time.Second, 200, 20
	}
	for _, s := range strings.Split(nodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-nodes: %q", s)
		}
		cfg.nodes = append(cfg.nodes, n)
	}

	tmp, err := os.MkdirTemp("", "tcanvas-scale")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	os.Chmod(tmp, 0o755) // scripts/postgres runs the server as user postgres when we are root
	bin := filepath.Join(tmp, "tcanvas")
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tcanvas").CombinedOutput(); err != nil {
		return fmt.Errorf("build tcanvas (run from the module root): %v\n%s", err, b)
	}
	if cfg.pg == "" {
		pgdir := filepath.Join(tmp, "pg")
		b, err := exec.CommandContext(ctx, "scripts/postgres", "start", pgdir, "on").Output()
		if err != nil {
			return fmt.Errorf("start postgres: %w", err)
		}
		defer exec.Command("scripts/postgres", "stop", pgdir).Run()
		cfg.pg = strings.TrimSpace(string(b))
	}

	fmt.Fprintf(out, "# bench/scale — %s, %d CPUs, %s/%s; lease TTL %s; Postgres %s\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, cfg.ttl, redact(cfg.pg))
	b := &bench{cfg: cfg, bin: bin, tmp: tmp, out: out}
	var base float64
	fmt.Fprintf(out, "## Rooms and durable commits per second, by node count\n\n")
	fmt.Fprintf(out, "%d rooms opened (one commit and one idle connection each, spread round-robin, each owned by the node its first client reached); then %d of them with %d writers each (at most %d commits/s and %d in flight per writer: %d commits/s offered) for %s, each writer on its room's owner.\n\n",
		cfg.rooms, cfg.active, cfg.writers, perConnRate, cfg.window, cfg.active*cfg.writers*perConnRate, cfg.duration)
	fmt.Fprintln(out, "| nodes | rooms opened/s | live rooms per node | RSS per node (MiB) | KiB per live room | commits/s | ratio to 1 node | commit p50 (ms) | commit p99 (ms) | CPU busy: all / nodes / load generator / Postgres and the rest |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range cfg.nodes {
		r, err := b.scaleRun(ctx, n)
		if err != nil {
			return fmt.Errorf("%d nodes: %w", n, err)
		}
		if base == 0 {
			base = r.commitsPerSec / float64(n) * 1 // per node at the first count
			if n != 1 {
				base = 0
			}
		}
		ratio := "—"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", r.commitsPerSec/base)
		}
		c := r.cpu
		fmt.Fprintf(out, "| %d | %.0f | %s | %s | %.0f | %.0f | %s | %.2f | %.2f | %.0f%% / %.0f%% / %.0f%% / %.0f%% |\n",
			n, r.openPerSec, joinInts(r.live), joinFloats(r.rssMiB), r.kibPerRoom, r.commitsPerSec, ratio, ms(r.p50), ms(r.p99),
			c.busy, c.nodes, c.self, c.busy-c.nodes-c.self)
	}
	fmt.Fprintf(out, "\nCPU is the share of the whole machine (%d cores = 100%%) during the throughput run; the machine may be running other work too.\n\n", runtime.NumCPU())
	return b.hopRun(ctx)
}

type bench struct {
	cfg config
	bin string
	tmp string
	out io.Writer
}

// node is a `tcanvas serve` process.
type node struct {
	cmd  *exec.Cmd
	base string
	id   string
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

func (b *bench) startNode(ctx context.Context, dsn, id string, extra ...string) (*node, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(b.tmp, id), "--store", dsn,
		"--node-id", id, "--lease-ttl", b.cfg.ttl.String(), "--open", "--log-level", "error"}, extra...)
	cmd := exec.Command(b.bin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout) // owned by the process: ends when it exits
			return &node{cmd: cmd, base: m[1], id: id}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("node %s exited before listening", id)
}

func (n *node) stop() {
	n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-done
	}
}

// rssMiB reads the process's resident memory.
func (n *node) rssMiB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// metric reads one unlabelled series from the node's /metrics.
func (n *node) metric(name string) float64 {
	resp, err := http.Get(n.base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return -1
}

// schema makes a fresh schema and returns its URL and a function that drops it.
func (b *bench) schema(ctx context.Context, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, b.cfg.pg)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	drop := func() {
		if c, err := pgx.Connect(context.Background(), b.cfg.pg); err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
			c.Close(context.Background())
		}
	}
	return pgtest.WithSchema(b.cfg.pg, name), drop, nil
}

type scaleResult struct {
	openPerSec    float64
	live          []int
	rssMiB        []float64
	kibPerRoom    float64
	commitsPerSec float64
	p50, p99      time.Duration
	cpu           cpuShare
}

func (b *bench) scaleRun(ctx context.Context, n int) (scaleResult, error) {
	var res scaleResult
	dsn, drop, err := b.schema(ctx, fmt.Sprintf("scale_%d", n))
	if err != nil {
		return res, err
	}
	defer drop()
	var nodes []*node
	defer func() {
		for _, nd := range nodes {
			nd.stop()
		}
	}()
	for i := range n {
		nd, err := b.startNode(ctx, dsn, fmt.Sprintf("n%d", i))
		if err != nil {
			return res, err
		}
		nodes = append(nodes, nd)
	}
	time.Sleep(300 * time.Millisecond)
	rss0 := make([]float64, n)
	for i, nd := range nodes {
		rss0[i] = nd.rssMiB()
	}

	// Open the rooms, 16 at a time; room i is first reached through node
	// i mod n, which therefore owns it.
	idle := make([]*rawclient.Client, b.cfg.rooms)
	defer func() {
		for _, c := range idle {
			if c != nil {
				c.WS.CloseNow()
			}
		}
	}()
	start := time.Now()
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.cfg.rooms {
					return
				}
				link := nodes[i%n].base + fmt.Sprintf("/r/room-%d", i)
				c, err := join(ctx, link, fmt.Sprintf("idle%d", i), i)
				if err == nil {
					_, err = c.Commit(ctx, fmt.Sprintf("idle%d-1", i), rawclient.Text(0, 0, "x"))
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				idle[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return res, fmt.Errorf("open rooms: %w", firstErr)
	}
	res.openPerSec = float64(b.cfg.rooms) / time.Since(start).Seconds()
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	var rssDelta, liveAll float64
	for i, nd := range nodes {
		live := nd.metric("tcanvas_rooms_live")
		res.live = append(res.live, int(live))
		rss := nd.rssMiB()
		res.rssMiB = append(res.rssMiB, rss)
		rssDelta += rss - rss0[i]
		liveAll += live
	}
	if liveAll > 0 {
		res.kibPerRoom = rssDelta * 1024 / liveAll
	}

	// Throughput: one pipelined writer per active room, on its owner.
	var acked atomic.Int64
	lats := make([][]time.Duration, b.cfg.active*b.cfg.writers)
	tctx, cancel := context.WithTimeout(ctx, b.cfg.duration+10*time.Second)
	defer cancel()
	deadline := time.Now().Add(b.cfg.duration)
	cpu0 := sampleCPU(nodes)
	errs := make(chan error, b.cfg.active*b.cfg.writers)
	for i := range b.cfg.active * b.cfg.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			room := i % b.cfg.active
			l, err := b.writer(tctx, nodes[room%n].base+fmt.Sprintf("/r/room-%d", room), fmt.Sprintf("w%d", i), i, deadline, &acked)
			lats[i] = l
			errs <- err
		}()
	}
	wg.Wait()
	res.cpu = sampleCPU(nodes).since(cpu0)
	close(errs)
	for err := range errs {
		if err != nil {
			return res, fmt.Errorf("writer: %w", err)
		}
	}
	res.commitsPerSec = float64(acked.Load()) / b.cfg.duration.Seconds()
	all := slices.Concat(lats...)
	res.p50, res.p99 = pct(all, 0.50), pct(all, 0.99)
	return res, nil
}

// writer keeps up to window commits in flight until deadline, within the
// authority's per-connection commit rate, and returns the latency of each
// (send to its committed frame).
func (b *bench) writer(ctx context.Context, link, id string, src int, deadline time.Time, acked *atomic.Int64) ([]time.Duration, error) {
	c, err := join(ctx, link, id, src)
	if err != nil {
		return nil, err
	}
	defer c.WS.CloseNow()
	lim := rate.NewLimiter(perConnRate, 4)
	sent := map[string]time.Time{}
	var lats []time.Duration
	n := 0
	send := func() error {
		n++
		cid := fmt.Sprintf("%s-%d", id, n)
		sent[cid] = time.Now()
		return c.Send(ctx, wire.Commit{T: wire.TCommit, ID: cid, Ops: []model.Op{rawclient.Text(int32(n%80), int32(n/80%40), "#")}})
	}
	for {
		open := time.Now().Before(deadline)
		for open && len(sent) < b.cfg.window && lim.Allow() {
			if err := send(); err != nil {
				return nil, err
			}
		}
		if len(sent) == 0 {
			if !open {
				return lats, nil
			}
			if err := lim.Wait(ctx); err != nil {
				return nil, err
			}
			if err := send(); err != nil {
				return nil, err
			}
		}
		f, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		var m struct {
			ID string `json:"id"`
		}
		if f.T == wire.TReject {
			return nil, fmt.Errorf("rejected: %s", f.Raw)
		}
		if f.T != wire.TCommitted || f.Decode(&m) != nil || m.ID == "" {
			continue
		}
		if at, ok := sent[m.ID]; ok {
			delete(sent, m.ID)
			if now := time.Now(); now.Before(deadline) {
				lats = append(lats, now.Sub(at))
				acked.Add(1)
			}
		}
	}
}

// perConnRate stays under the authority's default of 100 commits per
// second per connection.
const perConnRate = 90

// hopRun measures what reaching the owner through another node costs.
func (b *bench) hopRun(ctx context.Context) error {
	dsn, drop, err := b.schema(ctx, "scale_hop")
	if err != nil {
		return err
	}
	defer drop()
	owner, err := b.startNode(ctx, dsn, "owner")
	if err != nil {
		return err
	}
	defer owner.stop()
	proxy, err := b.startNode(ctx, dsn, "proxy")
	if err != nil {
		return err
	}
	defer proxy.stop()
	redirect, err := b.startNode(ctx, dsn, "redirect", "--route", "redirect")
	if err != nil {
		return err
	}
	defer redirect.stop()
	routes := []struct {
		name string
		base string
	}{{"direct (owner)", owner.base}, {"proxied (other node)", proxy.base}, {"redirected (other node, 307)", redirect.base}}
	// Each route's room is created through the owner, so the owner holds it.
	for i := range routes {
		c, err := rawclient.Join(ctx, owner.base+fmt.Sprintf("/r/hop-%d", i), wire.Hello{Client: "mk", Name: "mk"})
		if err != nil {
			return err
		}
		c.Close()
	}
	fmt.Fprintf(b.out, "## The proxy hop\n\n")
	fmt.Fprintf(b.out, "One room per route, owned by one node; one client commits one cell at a time (%d commits, paced under the per-connection limit; send to committed frame), pings %[1]d times, and joins %[2]d times (dial + hello + welcome + ready).\n\n", b.cfg.samples, b.cfg.joins)
	fmt.Fprintln(b.out, "| route | commit p50 (ms) | commit p90 (ms) | commit p99 (ms) | ping p50 (ms) | ping p99 (ms) | join p50 (ms) | join p99 (ms) |")
	fmt.Fprintln(b.out, "|---|---|---|---|---|---|---|---|")
	var p50s []time.Duration
	for i, r := range routes {
		link := r.base + fmt.Sprintf("/r/hop-%d", i)
		c, err := rawclient.Join(ctx, link, wire.Hello{Client: fmt.Sprintf("h%d", i), Name: "h"})
		if err != nil {
			return err
		}
		lats := make([]time.Duration, 0, b.cfg.samples)
		lim := rate.NewLimiter(perConnRate, 1)
		for k := range b.cfg.samples + 50 {
			if err := lim.Wait(ctx); err != nil {
				return err
			}
			at := time.Now()
			f, err := c.Commit(ctx, fmt.Sprintf("h%d-%d", i, k+1), rawclient.Text(int32(k%80), 0, "h"))
			if err != nil || f.T != wire.TCommitted {
				c.WS.CloseNow()
				return fmt.Errorf("%s: %v %s", r.name, err, f.Raw)
			}
			if k >= 50 { // warm-up
				lats = append(lats, time.Since(at))
			}
		}
		// WebSocket pings are answered by the owner's WebSocket layer, with
		// no store in the way: their round trip shows the hop alone.
		pctx := c.WS.CloseRead(ctx)
		var pings []time.Duration
		for range b.cfg.samples {
			at := time.Now()
			if err := c.WS.Ping(pctx); err != nil {
				return fmt.Errorf("%s ping: %w", r.name, err)
			}
			pings = append(pings, time.Since(at))
		}
		c.Close()
		var joins []time.Duration
		for k := range b.cfg.joins {
			at := time.Now()
			j, err := join(ctx, link, fmt.Sprintf("j%d-%d", i, k), k)
			if err != nil {
				return fmt.Errorf("%s join: %w", r.name, err)
			}
			joins = append(joins, time.Since(at))
			j.WS.CloseNow()
		}
		p50s = append(p50s, pct(pings, 0.5))
		fmt.Fprintf(b.out, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f |\n", r.name,
			ms(pct(lats, 0.5)), ms(pct(lats, 0.9)), ms(pct(lats, 0.99)), ms(pct(pings, 0.5)), ms(pct(pings, 0.99)),
			ms(pct(joins, 0.5)), ms(pct(joins, 0.99)))
	}
	fmt.Fprintf(b.out, "\nThe proxy hop adds %.3f ms to every round trip at the median (WebSocket ping); redirected clients talk to the owner directly once joined (%+.3f ms). A commit's round trip is dominated by the database's WAL flush, which hides the hop.\n",
		ms(p50s[1]-p50s[0]), ms(p50s[2]-p50s[0]))
	return nil
}

// join connects from loopback source address 127.0.0.(2 + src mod 200):
// the authority limits new connections per client address, and a load
// generator is many clients, not one.
func join(ctx context.Context, link, id string, src int) (*rawclient.Client, error) {
	hc := clients[src%len(clients)]
	c, err := rawclient.DialWith(ctx, link, wire.Hello{Client: id, Name: id}, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	if err := c.Sync(ctx); err != nil {
		c.WS.CloseNow()
		return nil, err
	}
	return c, nil
}

var clients = func() []*http.Client {
	out := make([]*http.Client, 200)
	for i := range out {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}, Timeout: 5 * time.Second}
		out[i] = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	return out
}()

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " / ")
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, " / ")
}

// redact hides a password in a URL.
func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			if k := strings.Index(u[j+3:i], ":"); k >= 0 {
				return u[:j+3+k] + ":***" + u[i:]
			}
		}
	}
	return u
}

// cpuSample is clock ticks of CPU time: the machine's busy and total, the
// nodes' and this process's.
type cpuSample struct{ busy, total, nodes, self int64 }

// cpuShare is CPU use over an interval, in percent of the machine.
type cpuShare struct{ busy, nodes, self float64 }

func sampleCPU(nodes []*node) cpuSample {
	var c cpuSample
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0]) // cpu user nice system idle iowait irq softirq steal
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i < 8 {
				c.total += n
				if i != 3 && i != 4 {
					c.busy += n
				}
			}
		}
	}
	for _, n := range nodes {
		c.nodes += procTicks(strconv.Itoa(n.cmd.Process.Pid))
	}
	c.self = procTicks("self")
	return c
}

// procTicks is a process's user + system time.
func procTicks(pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from 3 (state) on
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

func (c cpuSample) since(o cpuSample) cpuShare {
	t := float64(c.total - o.total)
	if t <= 0 {
		return cpuShare{}
	}
	return cpuShare{busy: 100 * float64(c.busy-o.busy) / t, nodes: 100 * float64(c.nodes-o.nodes) / t, self: 100 * float64(c.self-o.self) / t}
}
