package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The mesh lane is measured with every PeerConnection of the room in this
// one process, on however many cores the machine has: N×(N−1) pairs' DTLS,
// SCTP and goroutine hand-offs share one Go scheduler, where a real user's
// process holds only its own N−1. -procs runs the mesh lane both ways in
// one run, once in-process and once with each peer in its own process (as
// users are), so the two latencies compare under the same load.

// procFlags are the flags of the per-process mode.
type procFlags struct {
	procs    bool
	peerOnly bool   // internal: be one peer of a -procs run
	link     string // internal, with -peer-only: the room to join
	idx      int    // internal, with -peer-only: this peer's index
}

func addProcFlags(fs *flag.FlagSet, pf *procFlags) {
	fs.BoolVar(&pf.procs, "procs", false, "measure only the mesh lane, twice: all peers in this process, then each peer in its own process")
	fs.BoolVar(&pf.peerOnly, "peer-only", false, "internal: run one peer for a -procs run")
	fs.StringVar(&pf.link, "link", "", "internal, with -peer-only: the room's link")
	fs.IntVar(&pf.idx, "idx", 0, "internal, with -peer-only: the peer's index")
}

// peerReport is what one peer process tells the parent after its window.
type peerReport struct {
	Lat   []int64 `json:"lat"`   // first-arrival latencies, ns
	CPU   int64   `json:"cpu"`   // user + system over the window, ns
	Heard int     `json:"heard"` // how many other peers' cursors arrived
}

// procResult is one way of running the mesh lane.
type procResult struct {
	lat []time.Duration
	cpu time.Duration // all peers' CPU over the window (in-process: the bench's)
	win time.Duration
}

// runProcs measures the mesh lane in-process and then across processes.
func runProcs(ctx context.Context, cfg config, stdout, progress io.Writer) error {
	fmt.Fprintf(progress, "mesh lane, one process: %d peers at %d Hz for %s...\n", cfg.peers, cfg.hz, cfg.duration)
	l, err := runLane(ctx, cfg, laneMesh, "mesh", 0)
	if err != nil {
		return fmt.Errorf("mesh lane: %w", err)
	}
	in := procResult{lat: l.lat, cpu: l.benchCPU, win: l.window}
	fmt.Fprintf(progress, "mesh lane, a process per peer: %d peers at %d Hz for %s...\n", cfg.peers, cfg.hz, cfg.duration)
	out, err := runPeerProcs(ctx, cfg)
	if err != nil {
		return fmt.Errorf("mesh lane, a process per peer: %w", err)
	}
	fmt.Fprintf(stdout, "## Mesh cursor latency: one process vs a process per peer (`go run ./bench/mesh %s`)\n\n", argString(cfg.args))
	fmt.Fprintf(stdout, "%d peers, every cursor moving at %d Hz for %s. %s.\n\n", cfg.peers, cfg.hz, cfg.duration, hostLine())
	fmt.Fprintln(stdout, "| | all peers in one process | a process per peer |")
	fmt.Fprintln(stdout, "|---|---:|---:|")
	row := func(name string, f func(procResult) string) {
		fmt.Fprintf(stdout, "| %s | %s | %s |\n", name, f(in), f(out))
	}
	row("cursors received", func(r procResult) string { return thousands(float64(len(r.lat))) })
	row("cursor latency p50", func(r procResult) string { return ms(pct(r.lat, 0.50)) })
	row("cursor latency p90", func(r procResult) string { return ms(pct(r.lat, 0.90)) })
	row("cursor latency p99", func(r procResult) string { return ms(pct(r.lat, 0.99)) })
	row("cursor latency max", func(r procResult) string { return ms(pct(r.lat, 1)) })
	row("peers' CPU, % of one core", func(r procResult) string {
		return fmt.Sprintf("%.0f %%", 100*float64(r.cpu)/float64(r.win))
	})
	fmt.Fprintln(stdout, "\nCPU is over the movement window: this process's in the first column, the sum of the peer processes' in the second.")
	if len(out.lat) == 0 || len(in.lat) == 0 {
		return errors.New("a cursor never arrived")
	}
	return nil
}

// runPeerProcs runs the mesh lane with each peer in a child process: all
// join, every pair connects, then all move from a shared wall-clock epoch
// (the clock every process on the host shares) and report what arrived.
func runPeerProcs(ctx context.Context, cfg config) (res procResult, err error) {
	a, err := startAuthority(ctx, cfg, 0)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := a.close(); err == nil {
			err = cerr
		}
	}()
	exe, err := os.Executable()
	if err != nil {
		return res, err
	}
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Scanner
	}
	kids := make([]*child, 0, cfg.peers)
	defer func() {
		for _, k := range kids {
			k.stdin.Close()
		}
		for _, k := range kids {
			if werr := k.cmd.Wait(); werr != nil && err == nil {
				err = fmt.Errorf("peer process: %w", werr)
			}
		}
	}()
	link := a.link("procs")
	for i := range cfg.peers {
		cmd := exec.Command(exe, "-peer-only", "-link", link, "-idx", strconv.Itoa(i),
			"-peers", strconv.Itoa(cfg.peers), "-hz", strconv.Itoa(cfg.hz), "-duration", cfg.duration.String(),
			"-setup-timeout", cfg.setupTimeout.String())
		cmd.Env = append(os.Environ(), childEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return res, err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return res, err
		}
		if err := cmd.Start(); err != nil {
			return res, err
		}
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 64<<20)
		kids = append(kids, &child{cmd: cmd, stdin: stdin, out: sc})
	}
	line := func(k *child) (string, error) {
		if !k.out.Scan() {
			return "", fmt.Errorf("peer process ended early: %v", k.out.Err())
		}
		return k.out.Text(), nil
	}
	for _, k := range kids {
		if l, err := line(k); err != nil || l != "ready" {
			return res, fmt.Errorf("peer process not ready: %q %v", l, err)
		}
	}
	epoch := time.Now().Add(200 * time.Millisecond)
	for _, k := range kids {
		if _, err := fmt.Fprintf(k.stdin, "%d\n", epoch.UnixNano()); err != nil {
			return res, err
		}
	}
	var reports []peerReport
	for _, k := range kids {
		l, err := line(k)
		if err != nil {
			return res, err
		}
		var r peerReport
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return res, fmt.Errorf("peer report: %w", err)
		}
		reports = append(reports, r)
	}
	for i, r := range reports {
		if r.Heard != cfg.peers-1 {
			return res, fmt.Errorf("peer %d heard %d of the %d others", i, r.Heard, cfg.peers-1)
		}
		for _, d := range r.Lat {
			res.lat = append(res.lat, time.Duration(d))
		}
		res.cpu += time.Duration(r.CPU)
	}
	slices.Sort(res.lat)
	res.win = cfg.duration
	return res, nil
}

// peerOnly is one peer of a -procs run: it joins, waits until every pair
// is p2p, says "ready", moves its cursor from the epoch the parent sends,
// reports, and leaves when its stdin closes (so no peer leaves while the
// others still measure).
func peerOnly(ctx context.Context, cfg config, stdin io.Reader, stdout io.Writer) error {
	g := &group{peers: make([]*peer, 1), size: cfg.peers}
	if err := g.dialPeer(ctx, cfg.proc.link, 0, cfg.proc.idx, false); err != nil {
		return err
	}
	defer g.close()
	p := g.peers[0]
	if err := g.waitRoutes(ctx, "p2p", cfg.setupTimeout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ready")
	in := bufio.NewScanner(stdin)
	if !in.Scan() {
		return errors.New("no epoch")
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(in.Text()), 10, 64)
	if err != nil {
		return err
	}
	// Wall clock only (no monotonic reading): the epoch is shared by
	// every peer process, and Since then reads the wall clock too.
	g.epoch = time.Unix(0, ns)
	time.Sleep(time.Until(g.epoch))
	cpu0, err := procCPU(os.Getpid())
	if err != nil {
		return err
	}
	g.rec.Store(true)
	if _, _, err := move(ctx, g.peers, g.epoch, cfg.hz, cfg.duration); err != nil {
		return err
	}
	cpu1, err := procCPU(os.Getpid())
	if err != nil {
		return err
	}
	cpu := cpu1 - cpu0
	time.Sleep(200 * time.Millisecond) // let the others' last packets land
	g.rec.Store(false)
	var r peerReport
	p.mu.Lock()
	for _, d := range p.lat {
		r.Lat = append(r.Lat, int64(d))
	}
	r.Heard = len(p.from)
	p.mu.Unlock()
	r.CPU = int64(cpu)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(b))
	_, _ = io.Copy(io.Discard, stdin) // until the parent is done
	return nil
}
