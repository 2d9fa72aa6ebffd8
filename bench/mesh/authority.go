package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
)

// The presence counters the benchmark reads from /metrics.
const (
	metricIn      = "tcanvas_presence_received_packets_total"
	metricRelayed = "tcanvas_presence_relayed_packets_total"
	metricFrames  = "tcanvas_presence_relay_frames_total"
)

// childEnv marks the child process, so that a test binary re-executed as
// the authority runs the benchmark's main rather than its tests.
const childEnv = "TCANVAS_BENCH_MESH_SERVE_ONLY"

// authorityOptions are the authority's production defaults but for three:
// rooms are open, the mesh is allowed up to the benchmark's room size (the
// default MeshMax of 8 would send a 10-peer room to the relay), and the
// per-IP connection rate is out of the way because one process dials
// every peer. The per-connection frame rate (400/s) stays: 60 Hz presence
// is well within it.
//
// presenceTick 0 keeps the production relay tick (1/60 s); the naive lane
// passes 1 ns, which leaves the leading-edge rule nothing to batch: every
// packet goes to every recipient as its own frame at once.
func authorityOptions(peers int, presenceTick time.Duration) authority.Options {
	return authority.Options{
		Open:         true,
		MeshMax:      max(8, peers),
		MaxPeers:     max(64, peers),
		ConnRate:     rate.Limit(1e6),
		ConnBurst:    1_000_000,
		PresenceTick: presenceTick,
	}
}

// naiveTick is the relay tick of the naive lane: too short for two
// packets ever to share a frame.
const naiveTick = time.Nanosecond

// authorityHandle is a running authority, in this process or a child,
// reached over HTTP on loopback.
type authorityHandle struct {
	base  string // http://127.0.0.1:PORT
	http  *http.Client
	close func() error
	// cpu reads the authority's CPU time so far (user + system); nil when
	// the authority shares this process and its share cannot be told apart.
	cpu func() (time.Duration, error)
}

func (a *authorityHandle) link(room string) string { return a.base + "/r/" + room }

// counters reads the presence counters from /metrics.
func (a *authorityHandle) counters(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case metricIn, metricRelayed, metricFrames:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, fmt.Errorf("metrics: %s: %w", name, err)
			}
			out[name] = f
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	for _, name := range []string{metricIn, metricRelayed, metricFrames} {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("metrics: no %s", name)
		}
	}
	return out, nil
}

// newHTTPClient never keeps idle connections, so that no transport
// goroutine outlives a scrape (or is counted as a peer's).
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
}

func startAuthority(ctx context.Context, cfg config, presenceTick time.Duration) (*authorityHandle, error) {
	if cfg.authority == authChild {
		return startChild(ctx, cfg, presenceTick)
	}
	return startInproc(ctx, cfg.peers, presenceTick)
}

// startInproc serves a fresh authority over a fresh SQLite store in a
// temporary directory on 127.0.0.1:0, in this process.
func startInproc(ctx context.Context, peers int, presenceTick time.Duration) (*authorityHandle, error) {
	dir, err := os.MkdirTemp("", "tcanvas-bench-mesh-")
	if err != nil {
		return nil, fmt.Errorf("start authority: %w", err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "tcanvas.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start authority: %w", err)
	}
	opts := authorityOptions(peers, presenceTick)
	opts.Store = st
	srv, err := authority.New(opts)
	if err != nil {
		st.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start authority: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Shutdown(ctx)
		st.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start authority: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	a := &authorityHandle{base: "http://" + ln.Addr().String(), http: newHTTPClient()}
	a.close = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if herr := hs.Shutdown(sctx); herr != nil {
			err = errors.Join(err, herr)
		}
		if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		err = errors.Join(err, st.Close(), os.RemoveAll(dir))
		if err != nil {
			return fmt.Errorf("stop authority: %w", err)
		}
		return nil
	}
	return a, nil
}

// startChild runs this binary again with -serve-only: an authority in its
// own process, which prints its base URL and stops when its stdin closes.
func startChild(ctx context.Context, cfg config, presenceTick time.Duration) (*authorityHandle, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	cmd := exec.Command(exe, "-serve-only", "-peers", strconv.Itoa(cfg.peers), "-presence-tick", presenceTick.String())
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	stop := func() error {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("child authority: %w", err)
			}
			return nil
		case <-time.After(30 * time.Second):
			cmd.Process.Kill() // our own child, by its handle
			<-done
			return errors.New("child authority did not stop within 30s; killed")
		}
	}
	line := make(chan string, 1)
	go func() {
		// Read only the first line; the child writes nothing else.
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	var first string
	select {
	case first = <-line:
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	case <-time.After(30 * time.Second):
		stop()
		return nil, errors.New("child authority did not start within 30s")
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(first), "listening ")
	if !ok {
		stop()
		return nil, fmt.Errorf("child authority said %q", first)
	}
	pid := cmd.Process.Pid
	return &authorityHandle{base: base, http: newHTTPClient(), close: stop,
		cpu: func() (time.Duration, error) { return procCPU(pid) }}, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// procCPU reads a process's user + system CPU time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("server cpu: %w", err)
	}
	return parseProcStatCPU(string(b))
}

// parseProcStatCPU takes utime and stime (fields 14 and 15) from a
// /proc/PID/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its closing parenthesis.
func parseProcStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("server cpu: malformed /proc stat")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("server cpu: short /proc stat")
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("server cpu: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// serveOnly is the child's side: serve, say where, and stop when the
// parent closes stdin (or dies).
func serveOnly(ctx context.Context, cfg config, stdin io.Reader, stdout io.Writer) error {
	a, err := startInproc(ctx, cfg.peers, cfg.presenceTick)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "listening", a.base)
	eof := make(chan struct{})
	go func() {
		io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-eof:
	case <-ctx.Done():
	}
	return a.close()
}
