package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Per-connection limits for the benchmark. The defaults (100 commits and
// 400 frames per second per connection, 20 new connections per second per
// IP) exist to stop abuse; the bench drives the server from one address
// far harder than one person could, so they are raised out of the way
// (to a finite rate, which the welcome frame reports as a plain number).
const (
	benchRate  rate.Limit = 1e6
	benchBurst int        = 1_000_000
)

// benchOptions are the authority's options in every phase: open rooms (any
// joiner may draw) and limits out of the way.
func benchOptions(cfg config) authority.Options {
	return authority.Options{
		Open:       true,
		CommitRate: benchRate, CommitBurst: benchBurst,
		FrameRate: benchRate, FrameBurst: benchBurst,
		ConnRate: benchRate, ConnBurst: benchBurst,
		SendQueue: cfg.sendQueue,
		// One process drives every room from one address.
		Budget: authority.Budget{StoreBytes: 1 << 30, RoomStoreBytes: 1 << 30, AddrStoreBytes: 1 << 30},
	}
}

// server is an authority running in this process on a loopback port.
type server struct {
	srv  *authority.Server
	st   *store.SQLite
	hs   *http.Server
	reg  *prometheus.Registry
	dir  string
	base string // http://127.0.0.1:PORT
	errc chan error
}

// startServer opens a fresh SQLite store in a temporary directory under
// parent and serves a new authority on 127.0.0.1:0. extra, when set, is
// served beside the authority (the child's memory endpoint).
func startServer(ctx context.Context, parent string, opts authority.Options, extra http.Handler) (*server, error) {
	dir, err := os.MkdirTemp(parent, "tcanvas-bench-")
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "tcanvas.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	reg := prometheus.NewRegistry()
	opts.Store, opts.Registerer, opts.Gatherer = st, reg, reg
	srv, err := authority.New(opts)
	if err != nil {
		st.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(ctx)
		st.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	var h http.Handler = srv
	if extra != nil {
		mux := http.NewServeMux()
		mux.Handle("/bench/", extra)
		mux.Handle("/", srv)
		h = mux
	}
	s := &server{
		srv: srv, st: st, reg: reg, dir: dir,
		hs:   &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		base: "http://" + ln.Addr().String(),
		errc: make(chan error, 1),
	}
	go func() { s.errc <- s.hs.Serve(ln) }()
	return s, nil
}

func (s *server) link(room string) string { return s.base + "/r/" + room }

// close shuts the authority down (rooms flush and close their clients),
// then the HTTP server and the store, and removes the database.
func (s *server) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if herr := s.hs.Shutdown(ctx); herr != nil {
		err = errors.Join(err, herr)
	}
	if serr := <-s.errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	err = errors.Join(err, s.st.Close(), os.RemoveAll(s.dir))
	if err != nil {
		return fmt.Errorf("stop server: %w", err)
	}
	return nil
}

// waitHibernated waits until no room is in memory: none live, and the
// last one out has finished flushing (the rooms-live gauge drops only
// when a room's goroutine ends).
func (s *server) waitHibernated(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		g, _ := gauge(s.reg, "tcanvas_rooms_live")
		if s.srv.LiveRooms() == 0 && g == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rooms did not hibernate: %d live: %w", s.srv.LiveRooms(), ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// family returns the metric family called name, or nil.
func family(g prometheus.Gatherer, name string) *dto.MetricFamily {
	mfs, err := g.Gather()
	if err != nil {
		return nil
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// gauge returns a gauge's value.
func gauge(g prometheus.Gatherer, name string) (float64, bool) {
	mf := family(g, name)
	if mf == nil || len(mf.GetMetric()) == 0 {
		return 0, false
	}
	return mf.GetMetric()[0].GetGauge().GetValue(), true
}

// counter returns the counter name's value for the label value (or the
// unlabelled series when label is "").
func counter(g prometheus.Gatherer, name, label string) float64 {
	mf := family(g, name)
	if mf == nil {
		return 0
	}
	for _, m := range mf.GetMetric() {
		if label == "" || (len(m.GetLabel()) > 0 && m.GetLabel()[0].GetValue() == label) {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// histo is a histogram read from a registry.
type histo struct {
	count  uint64
	sum    float64
	bounds []float64 // upper bounds
	cum    []uint64  // cumulative counts
}

func histogram(g prometheus.Gatherer, name string) (histo, bool) {
	mf := family(g, name)
	if mf == nil || len(mf.GetMetric()) == 0 {
		return histo{}, false
	}
	h := mf.GetMetric()[0].GetHistogram()
	out := histo{count: h.GetSampleCount(), sum: h.GetSampleSum()}
	for _, b := range h.GetBucket() {
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.cum = append(out.cum, b.GetCumulativeCount())
	}
	return out, out.count > 0
}

// quantile estimates the q-quantile the way Prometheus's
// histogram_quantile does: linear interpolation inside the bucket. Above
// the last bound it returns the last bound.
func (h histo) quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	rank := q * float64(h.count)
	lower, below := 0.0, uint64(0)
	for i, ub := range h.bounds {
		if float64(h.cum[i]) >= rank {
			in := h.cum[i] - below
			if in == 0 {
				return ub
			}
			return lower + (ub-lower)*(rank-float64(below))/float64(in)
		}
		lower, below = ub, h.cum[i]
	}
	return lower
}

func (h histo) mean() float64 {
	if h.count == 0 {
		return 0
	}
	return h.sum / float64(h.count)
}

// memStats is what the child's /bench/mem reports.
type memStats struct {
	HeapAlloc   uint64  `json:"heap_alloc"` // live heap right after a GC
	HeapSys     uint64  `json:"heap_sys"`
	StackInuse  uint64  `json:"stack_inuse"`
	Sys         uint64  `json:"sys"`
	Goroutines  int     `json:"goroutines"`
	Connections float64 `json:"connections"` // tcanvas_connections
	RoomsLive   int     `json:"rooms_live"`
}

// readMem collects garbage, returns freed memory to the OS (so that RSS
// read next reflects what is live) and reads the runtime's figures.
func readMem() memStats {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memStats{HeapAlloc: m.HeapAlloc, HeapSys: m.HeapSys, StackInuse: m.StackInuse, Sys: m.Sys, Goroutines: runtime.NumGoroutine()}
}

// serveOnly is the child process: an authority for the idle-connection
// phase, alone in its process so its memory can be read. It prints its
// address and serves until stdin reaches EOF (the parent closed it or
// died).
func serveOnly(ctx context.Context, cfg config, stdin io.Reader, stdout io.Writer) error {
	if err := raiseFileLimit(); err != nil {
		return err
	}
	opts := benchOptions(cfg)
	opts.MaxPeers = cfg.maxPeers
	var self atomic.Pointer[server] // set once serving; the parent asks only after
	mem := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := self.Load()
		if r.URL.Path == "/bench/heap" && s != nil {
			runtime.GC()
			pprof.Lookup("heap").WriteTo(w, 0)
			return
		}
		if r.URL.Path != "/bench/mem" || s == nil {
			http.NotFound(w, r)
			return
		}
		m := readMem()
		m.Connections, _ = gauge(s.reg, "tcanvas_connections")
		m.RoomsLive = s.srv.LiveRooms()
		json.NewEncoder(w).Encode(m)
	})
	s, err := startServer(ctx, cfg.dir, opts, mem)
	if err != nil {
		return err
	}
	self.Store(s)
	fmt.Fprintf(stdout, "ADDR %s\n", s.base)
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return s.close()
}

// child is an authority running in a child process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	base  string
	http  *http.Client
	done  chan error
}

// childEnv marks a re-executed child, for the test binary whose own flags
// would not understand -serve-only.
const childEnv = "TCANVAS_BENCH_CHILD"

// startChild re-executes this binary with -serve-only and waits for its
// address.
func startChild(ctx context.Context, cfg config, stderr io.Writer) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	args := []string{"-serve-only", "-max-peers", strconv.Itoa(cfg.maxPeers), "-send-queue", strconv.Itoa(cfg.sendQueue)}
	if cfg.dir != "" {
		args = append(args, "-dir", cfg.dir)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, done: make(chan error, 1),
		http: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr <- a
			}
		}
		// Reading to EOF before Wait, as os/exec asks of StdoutPipe.
		c.done <- cmd.Wait()
	}()
	select {
	case c.base = <-addr:
		return c, nil
	case err := <-c.done:
		return nil, fmt.Errorf("child exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		c.stop()
		return nil, errors.New("child did not print its address within 30s")
	case <-ctx.Done():
		c.stop()
		return nil, ctx.Err()
	}
}

func (c *child) link(room string) string { return c.base + "/r/" + room }

func (c *child) mem(ctx context.Context) (memStats, error) {
	var m memStats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/bench/mem", nil)
	if err != nil {
		return m, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return m, fmt.Errorf("child memory: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, fmt.Errorf("child memory: %w", err)
	}
	return m, nil
}

// heapProfile saves the child's heap profile to file.
func (c *child) heapProfile(ctx context.Context, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/bench/heap", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("child heap profile: %w", err)
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("child heap profile: %w", err)
	}
	return f.Close()
}

// writeHeapProfile saves this process's heap profile to file.
func writeHeapProfile(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rss reads the child's resident set size from /proc (Linux only).
func (c *child) rss() (uint64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				n, err := strconv.ParseUint(f[0], 10, 64)
				return n << 10, err == nil
			}
		}
	}
	return 0, false
}

// stop closes the child's stdin so that it shuts down, and waits for it,
// killing it after a grace period.
func (c *child) stop() error {
	c.stdin.Close()
	select {
	case err := <-c.done:
		if err != nil {
			return fmt.Errorf("child: %w", err)
		}
		return nil
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
		return errors.New("child did not stop within 60s; killed")
	}
}
