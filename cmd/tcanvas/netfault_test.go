package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/testtools/scrape"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Network faults, end to end, with the real binary: the authority runs in
// one network namespace and clients in another, joined by a veth pair.
// This kernel has no netem qdisc, so nftables rules in the client's
// namespace lose a share of the packets crossing the veth, both ways (see
// applyLoss), and a userspace proxy (internal/testtools/delayproxy) adds
// latency to TCP.
// Nothing is put in the root namespace: every interface, address, rule and
// listening socket is in the two namespaces the test creates, and the test
// reaches the server's /metrics through a Unix socket.

const (
	nfServerIP = "198.18.0.1" // RFC 2544 benchmarking range
	nfClientIP = "198.18.0.2"
	nfICEAllow = "198.18.0.0/15" // the mesh may use the veth, nothing else
	nfRoom     = "netfault"
)

// netFault is the test's two namespaces and the server between them.
type netFault struct {
	t              *testing.T
	ip, nft        string // tool paths
	srvNS, cliNS   string
	cliIf          string // the client namespace's veth end
	sinkIf         string // a veth end in the client namespace whose peer is down: a black hole
	tools          string // directory of the helper binaries
	data           string // the server's data directory
	server         *nfProc
	base           string // http://198.18.0.1:PORT, reachable from both namespaces
	metricsClient  *http.Client
	loss           int
	dropped, total [2]uint64 // packets out and in through the veth, under loss
}

// nfLookTool finds a system tool even when sbin is not on PATH.
func nfLookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(dir, name); nfExecutable(p) {
			return p
		}
	}
	return ""
}

func nfExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// nfEnvProblem skips outside CI and fails in CI, where the test must run.
func nfEnvProblem(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI must run the network-fault test: scripts/test has to install iproute2 and nftables, as root)", msg)
	}
	t.Skip(msg)
}

func newNetFault(t *testing.T) *netFault {
	t.Helper()
	nf := &netFault{t: t, ip: nfLookTool("ip"), nft: nfLookTool("nft")}
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (network namespaces and nftables)")
	}
	if nf.ip == "" {
		missing = append(missing, "ip (Debian package iproute2)")
	}
	if nf.nft == "" {
		missing = append(missing, "nft (Debian package nftables)")
	}
	if len(missing) > 0 {
		nfEnvProblem(t, "network-fault test needs %s", strings.Join(missing, ", "))
	}
	nf.tools = t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(nf.tools, "delayproxy"),
		"github.com/tcanvas/tcanvas/internal/testtools/delayproxy").CombinedOutput(); err != nil {
		t.Fatalf("build delayproxy: %v\n%s", err, out)
	}
	nf.removeStale()

	suffix := make([]byte, 3)
	rand.Read(suffix)
	sfx := hex.EncodeToString(suffix)
	// The names carry their creation time, so that a later run can tell a
	// crashed run's namespaces from those of a run still setting up.
	born := strconv.FormatInt(time.Now().Unix(), 10)
	nf.srvNS, nf.cliNS = "tcsrv-"+born+"-"+sfx, "tccli-"+born+"-"+sfx
	srvIf, cliIf := "tcs-"+sfx, "tcc-"+sfx
	nf.cliIf = cliIf
	// Registered first, so it runs last: after every process in the
	// namespaces has been killed. Deleting a namespace deletes its veth
	// end, and with it the pair.
	t.Cleanup(func() {
		for _, ns := range []string{nf.srvNS, nf.cliNS} {
			if out, err := exec.Command(nf.ip, "netns", "del", ns).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
				t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		}
	})
	if out, err := exec.Command(nf.ip, "netns", "add", nf.srvNS).CombinedOutput(); err != nil {
		nfEnvProblem(t, "cannot create a network namespace: %v: %s", err, out)
	}
	nf.must(nf.ip, "netns", "add", nf.cliNS)
	// Both ends are created inside the namespaces: the pair never
	// touches the root namespace.
	nf.must(nf.ip, "-n", nf.srvNS, "link", "add", srvIf, "type", "veth", "peer", "name", cliIf, "netns", nf.cliNS)
	for _, s := range []struct{ ns, dev, addr string }{{nf.srvNS, srvIf, nfServerIP}, {nf.cliNS, cliIf, nfClientIP}} {
		nf.must(nf.ip, "-n", s.ns, "addr", "add", s.addr+"/24", "dev", s.dev)
		nf.must(nf.ip, "-n", s.ns, "link", "set", s.dev, "up")
		nf.must(nf.ip, "-n", s.ns, "link", "set", "lo", "up")
	}
	// The black hole for outgoing packets: up, but its peer is down.
	nf.sinkIf = "tcz-" + sfx
	nf.must(nf.ip, "-n", nf.cliNS, "link", "add", nf.sinkIf, "type", "veth", "peer", "name", "tcy-"+sfx)
	nf.must(nf.ip, "-n", nf.cliNS, "link", "set", nf.sinkIf, "up")
	// The kernel must have nftables with numgen and the netdev egress
	// hook (Linux 5.16); find out before anything runs.
	for _, pct := range []int{1, 0} {
		if err := nf.applyLoss(pct); err != nil {
			nfEnvProblem(t, "nftables does not work here: %v", err)
		}
	}

	nf.data = t.TempDir()
	nf.startServer()
	return nf
}

// removeStale deletes namespaces an earlier, crashed run left behind. One
// that holds processes, or was created in the last few minutes, may
// belong to a run in progress and is kept.
func (nf *netFault) removeStale() {
	out, err := exec.Command(nf.ip, "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !(strings.HasPrefix(f[0], "tcsrv-") || strings.HasPrefix(f[0], "tccli-")) {
			continue
		}
		if parts := strings.Split(f[0], "-"); len(parts) == 3 {
			if born, err := strconv.ParseInt(parts[1], 10, 64); err == nil && time.Since(time.Unix(born, 0)) < 5*time.Minute {
				continue
			}
		}
		if pids, _ := exec.Command(nf.ip, "netns", "pids", f[0]).Output(); len(bytes.TrimSpace(pids)) > 0 {
			nf.t.Logf("namespace %s holds processes (another run?): left alone", f[0])
			continue
		}
		if err := exec.Command(nf.ip, "netns", "del", f[0]).Run(); err == nil {
			nf.t.Logf("removed stale namespace %s", f[0])
		}
	}
}

func (nf *netFault) must(name string, args ...string) {
	nf.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		nf.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// applyLoss makes the client's namespace lose pct % of the packets that
// cross its veth end, in each direction; 0 removes the rules. Incoming
// packets are dropped at the device's ingress. Outgoing ones are not
// dropped but forwarded, at the device's egress, to a veth end whose peer
// is down, which discards them: a drop in the sender's own stack (the
// inet output hook, or a netdev egress drop) is reported back to the
// socket (EPERM, NET_XMIT_DROP), and TCP then retries at once instead of
// waiting for a retransmission timeout, unlike a loss on the wire. The
// counter rules measure what really happened.
func (nf *netFault) applyLoss(pct int) error {
	script := "table netdev tcfault\ndelete table netdev tcfault\n"
	if pct > 0 {
		sel := fmt.Sprintf("numgen random mod 100 < %d ", pct)
		if pct >= 100 {
			sel = ""
		}
		script += fmt.Sprintf(`table netdev tcfault {
	chain egress {
		type filter hook egress device %[1]q priority 0; policy accept;
		counter
		%[2]scounter fwd to %[3]q
	}
	chain ingress {
		type filter hook ingress device %[1]q priority 0; policy accept;
		counter
		%[2]scounter drop
	}
}
`, nf.cliIf, sel, nf.sinkIf)
	}
	cmd := exec.Command(nf.ip, "netns", "exec", nf.cliNS, nf.nft, "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, out)
	}
	return nil
}

var nfCounterRE = regexp.MustCompile(`counter packets (\d+)`)

// setLoss changes the loss, first noting what the current rules dropped.
func (nf *netFault) setLoss(t *testing.T, pct int) {
	t.Helper()
	if nf.loss > 0 {
		out, err := exec.Command(nf.ip, "netns", "exec", nf.cliNS, nf.nft, "list", "table", "netdev", "tcfault").CombinedOutput()
		if err != nil {
			t.Fatalf("nft list: %v: %s", err, out)
		}
		var c []uint64
		for _, m := range nfCounterRE.FindAllStringSubmatch(string(out), -1) {
			n, _ := strconv.ParseUint(m[1], 10, 64)
			c = append(c, n)
		}
		if len(c) != 4 {
			t.Fatalf("nft list: want 4 counters:\n%s", out)
		}
		nf.total, nf.dropped = [2]uint64{c[0], c[2]}, [2]uint64{c[1], c[3]}
	}
	if err := nf.applyLoss(pct); err != nil {
		t.Fatal(err)
	}
	nf.loss = pct
}

func (nf *netFault) lossReport() string {
	pct := func(d, n uint64) float64 { return 100 * float64(d) / float64(max(n, 1)) }
	return fmt.Sprintf("out %d/%d dropped (%.1f%%), in %d/%d dropped (%.1f%%)",
		nf.dropped[0], nf.total[0], pct(nf.dropped[0], nf.total[0]), nf.dropped[1], nf.total[1], pct(nf.dropped[1], nf.total[1]))
}

// nfProc is a process in a namespace whose stdout is read line by line.
type nfProc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *nfBuffer
	done   chan struct{} // stdout reached EOF

	mu    sync.Mutex
	evs   []nfEvent
	lines []string
	waitc chan struct{} // closed and replaced at every line
}

type nfBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *nfBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *nfBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// nfEvent is one line of a pipe bot's output, with its arrival time.
type nfEvent struct {
	At     time.Time `json:"-"`
	Event  string    `json:"event"`
	You    uint16    `json:"you"`
	Peer   uint16    `json:"peer"`
	State  string    `json:"state"`
	Req    string    `json:"req"`
	Own    bool      `json:"own"`
	ID     string    `json:"id"`
	Seq    uint64    `json:"seq"`
	Name   string    `json:"name"`
	Code   string    `json:"code"`
	Reason string    `json:"reason"`
	Cursor *struct {
		X, Y int32
	} `json:"cursor"`
	Peers []nfPeer `json:"peers"`
	Ops   []struct {
		Text string `json:"text"`
	} `json:"ops"`
}

type nfPeer struct {
	ID    uint16 `json:"id"`
	Name  string `json:"name"`
	You   bool   `json:"you"`
	Route string `json:"route"`
}

// start runs args in namespace ns. The child is killed if the test
// process dies (ip netns exec execs the command, so it is the child).
func (nf *netFault) start(t *testing.T, ns, name string, env []string, args ...string) *nfProc {
	t.Helper()
	p := &nfProc{t: t, name: name, stderr: &nfBuffer{}, done: make(chan struct{}), waitc: make(chan struct{})}
	p.cmd = exec.Command(nf.ip, append([]string{"netns", "exec", ns}, args...)...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stderr = p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.in.Close()
		p.cmd.Process.Kill()
		<-p.done
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, p.stderr.String())
		}
	})
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			ev := nfEvent{At: time.Now()}
			isJSON := json.Unmarshal(sc.Bytes(), &ev) == nil
			p.mu.Lock()
			if isJSON {
				p.evs = append(p.evs, ev)
			}
			p.lines = append(p.lines, sc.Text())
			close(p.waitc)
			p.waitc = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	return p
}

// waitLine waits for a stdout line matching re and returns its submatches.
func (p *nfProc) waitLine(t *testing.T, ctx context.Context, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	p.waitFor(t, ctx, "a line matching "+re.String(), func([]nfEvent) bool {
		for _, l := range p.lines {
			if m = re.FindStringSubmatch(l); m != nil {
				return true
			}
		}
		return false
	})
	return m
}

// waitFor blocks until cond holds for the events so far. cond runs with
// p.mu held.
func (p *nfProc) waitFor(t *testing.T, ctx context.Context, what string, cond func([]nfEvent) bool) {
	t.Helper()
	for {
		p.mu.Lock()
		ok, ch := cond(p.evs), p.waitc
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-p.done:
			p.mu.Lock()
			ok = cond(p.evs)
			p.mu.Unlock()
			if !ok {
				t.Fatalf("%s exited before %s; stderr:\n%s", p.name, what, p.stderr.String())
			}
			return
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s at %s", what, p.name)
		}
	}
}

func (p *nfProc) events() []nfEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.evs)
}

func (p *nfProc) send(t *testing.T, line string) {
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		t.Errorf("write to %s: %v", p.name, err)
	}
}

// finish closes stdin (a pipe bot then syncs and exits) and checks it
// exits 0.
func (p *nfProc) finish(t *testing.T, ctx context.Context) {
	t.Helper()
	p.in.Close()
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatalf("%s did not exit after the end of its input", p.name)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", p.name, err, p.stderr.String())
	}
}

var (
	nfListenRE = regexp.MustCompile(`listening on (http://\S+)`)
	nfProxyRE  = regexp.MustCompile(`delayproxy listening on (\S+)`)
)

func (nf *netFault) startServer() {
	t := nf.t
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nf.server = nf.start(t, nf.srvNS, "server", nil, binary, "serve", "--addr", nfServerIP+":0", "--data", nf.data, "--open")
	nf.base = nf.server.waitLine(t, ctx, nfListenRE)[1]
	// /metrics from the root namespace: a forwarder in the server's
	// namespace listens on a Unix socket, which is not per namespace.
	sock := filepath.Join(nf.tools, "metrics.sock")
	fwd := nf.start(t, nf.srvNS, "metrics forwarder", nil, filepath.Join(nf.tools, "delayproxy"),
		"-listen", "unix:"+sock, "-target", strings.TrimPrefix(nf.base, "http://"), "-delay", "0")
	fwd.waitLine(t, ctx, nfProxyRE)
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	nf.metricsClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
}

// stopServer ends the server with SIGTERM, as an operator would.
func (nf *netFault) stopServer() {
	nf.server.cmd.Process.Signal(syscall.SIGTERM)
	<-nf.server.done
	if err := nf.server.cmd.Wait(); err != nil {
		nf.t.Fatalf("server: %v\n%s", err, nf.server.stderr.String())
	}
}

// metric reads one series (name with labels, as exposed) from the
// server's /metrics; an absent series is 0.
func (nf *netFault) metric(t *testing.T, series string) float64 {
	t.Helper()
	v, err := nf.readMetric(series)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	return v
}

// readMetric is metric for goroutines other than the test's; an absent
// series is 0.
func (nf *netFault) readMetric(series string) (float64, error) {
	v, _, err := scrape.Read(nf.metricsClient, nf.base, series)
	return v, err
}

// bot starts `tcanvas bot pipe` in namespace ns. The mesh may use the
// namespaces' range only.
func (nf *netFault) bot(t *testing.T, ns, link, name string, extra ...string) *nfProc {
	t.Helper()
	args := append([]string{binary, "bot", "pipe", link, "--name", name}, extra...)
	return nf.start(t, ns, name, []string{"TCANVAS_ICE_ALLOW=" + nfICEAllow}, args...)
}

// proxy starts a delaying proxy in the client's namespace, in front of
// the server, and returns the base URL of the room links through it.
func (nf *netFault) proxy(t *testing.T, ctx context.Context, delay time.Duration) string {
	t.Helper()
	p := nf.start(t, nf.cliNS, "delayproxy", nil, filepath.Join(nf.tools, "delayproxy"),
		"-listen", "127.0.0.1:0", "-target", strings.TrimPrefix(nf.base, "http://"), "-delay", delay.String())
	return "http://" + p.waitLine(t, ctx, nfProxyRE)[1]
}

func hasNFEvent(kind string) func([]nfEvent) bool {
	return func(evs []nfEvent) bool {
		return slices.ContainsFunc(evs, func(e nfEvent) bool { return e.Event == kind })
	}
}

// you is the bot's latest peer ID.
func (p *nfProc) you() uint16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.evs) - 1; i >= 0; i-- {
		if p.evs[i].Event == "welcome" {
			return p.evs[i].You
		}
	}
	return 0
}

// nfRouteTo is the presence route to the peer called name in the bot's
// latest roster.
func nfRouteTo(evs []nfEvent, name string) string {
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Event == "roster" {
			for _, p := range evs[i].Peers {
				if p.Name == name && !p.You {
					return p.Route
				}
			}
			return ""
		}
	}
	return ""
}

// TestNetFault: (a) one client behind 20 % loss and 100 ms of added
// latency keeps exchanging cursors with the others and every one of its
// commits lands exactly once; (b) a client whose link silently drops
// everything (a half-open connection) is noticed by itself and by the
// authority within 15 s, and comes back once the link heals.
func TestNetFault(t *testing.T) {
	nf := newNetFault(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	direct := nf.base + "/r/" + nfRoom

	// The steady observer sits next to the server, on a clean path.
	steady := nf.bot(t, nf.srvNS, direct, "steady")
	steady.waitFor(t, ctx, "welcome", hasNFEvent("welcome"))

	t.Run("LossAndDelay", func(t *testing.T) { nf.lossAndDelay(t, ctx, steady) })
	if t.Failed() {
		return
	}
	t.Run("HalfOpen", func(t *testing.T) { nf.halfOpen(t, ctx, steady, direct) })

	if t.Failed() {
		return
	}
	// Everything committed is on disk once, in a contiguous log.
	steady.finish(t, ctx)
	nf.stopServer()
	nf.checkLog(ctx)
}

// The cursor and commit traffic of phase (a).
const (
	nfTicks   = 200 // per window: one cursor move per bot, one commit per lossy bot
	nfTick    = 50 * time.Millisecond
	nfLossPct = 20
	nfDelay   = 100 * time.Millisecond
)

// Cursor x of bot b's move i in window w is nfCursorX(w, b, i), so a
// receiver can tell every move apart whatever peer ID or route it came by.
func nfCursorX(w, b, i int) int { return 10000*(b+1) + 1000*w + i }

// nfWindow is one stretch of cursor moves and commits.
type nfWindow struct {
	name   string
	w      int
	bots   []*nfProc
	names  []string
	commit []bool // which bots commit each tick
	// meshOnly: no peer is on the relay, so a p2p pair's packets travel
	// only over the lossy UDP path.
	meshOnly bool
	sentAt   []time.Time
	sendEnd  time.Time
}

// exchange makes every bot of the window move its cursor, and some commit,
// once a tick; then waits for every commit to be acknowledged.
func (w *nfWindow) exchange(t *testing.T, ctx context.Context) {
	w.sentAt = make([]time.Time, nfTicks)
	tick := time.NewTicker(nfTick)
	for i := range nfTicks {
		<-tick.C
		w.sentAt[i] = time.Now()
		for b, p := range w.bots {
			p.send(t, fmt.Sprintf(`{"cmd":"cursor","x":%d,"y":%d}`, nfCursorX(w.w, b, i), b))
			if w.commit[b] {
				p.send(t, fmt.Sprintf(`{"cmd":"text","x":%d,"y":%d,"text":"%s-%d-%d"}`, 20*(3*w.w+b), i, w.names[b], w.w, i))
			}
		}
	}
	tick.Stop()
	w.sendEnd = time.Now()
	req := fmt.Sprintf("end-%d", w.w)
	for b, p := range w.bots {
		if w.commit[b] {
			p.send(t, fmt.Sprintf(`{"cmd":"sync","req":%q}`, req))
		}
	}
	for b, p := range w.bots {
		if w.commit[b] {
			p.waitFor(t, ctx, "the window's sync", func(evs []nfEvent) bool {
				return slices.ContainsFunc(evs, func(e nfEvent) bool { return e.Event == "synced" && e.Req == req })
			})
		}
	}
	t.Logf("%s: commits acknowledged %v after the last was made", w.name, time.Since(w.sendEnd).Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond) // stragglers of the presence lane
}

// report logs and checks what each bot received of each other's cursors.
func (w *nfWindow) report(t *testing.T) {
	evs := make([][]nfEvent, len(w.bots))
	for b, p := range w.bots {
		evs[b] = p.events()
	}
	for r := range w.bots {
		for s := range w.bots {
			if r == s {
				continue
			}
			route := nfRouteTo(evs[r], w.names[s])
			st := nfCursorStats(evs[r], nfCursorX(w.w, s, 0), w.sentAt, w.sendEnd)
			t.Logf("%s: cursors %-7s -> %-7s (%-5s): %5.1f%% of %d moves received, latency p50 %v p95 %v, longest gap %v",
				w.name, w.names[s], w.names[r], route, st.pct, nfTicks, st.p50, st.p95, st.gap)
			// Latest value wins: some loss (UDP) and coalescing are fine;
			// silence is not. The relay keeps one packet per peer per tick,
			// so a TCP stall on the way to the authority turns a second of
			// moves into one: its share says little, its gaps say more.
			if minPct := nfMinReceived(route); st.pct < minPct {
				t.Errorf("%s: %s saw only %.1f%% of %s's cursor moves (route %s; want %g%%)", w.name, w.names[r], st.pct, w.names[s], route, minPct)
			}
			if limit := nfGapLimit(route); st.gap > limit {
				t.Errorf("%s: %s saw no cursor of %s for %v (route %s; limit %v)", w.name, w.names[r], w.names[s], st.gap, route, limit)
			}
			if route != "p2p" {
				continue
			}
			// The mesh lane is unordered with no retransmissions: a lost
			// packet stays lost and never holds up the next one.
			if st.p95 > 500*time.Millisecond {
				t.Errorf("%s: %s's cursors reached %s over p2p with p95 latency %v: lost packets are being retransmitted",
					w.name, w.names[s], w.names[r], st.p95)
			}
			if w.meshOnly && st.pct == 100 {
				t.Errorf("%s: all %d of %s's cursor packets reached %s through %d%% loss: the presence channel retransmits "+
					"(pion/datachannel before v1.6.4 never applies Ordered/MaxRetransmits to a negotiated channel)",
					w.name, nfTicks, w.names[s], w.names[r], nfLossPct)
			}
		}
	}
}

func (nf *netFault) lossAndDelay(t *testing.T, ctx context.Context, steady *nfProc) {
	viaProxy := nf.proxy(t, ctx, nfDelay) + "/r/" + nfRoom
	// "lossy" joins through the delaying proxy, with the mesh: its
	// cursors cross the veth over UDP (the proxy delays TCP only). Its
	// pair with steady opens before the loss starts: the mesh gives a
	// pair ConnectTimeout (5 s) to open and never retries, so a pair
	// formed under loss may stay on the relay, which is not what this
	// window measures.
	joinStart := time.Now()
	lossy := nf.bot(t, nf.cliNS, viaProxy, "lossy")
	lossy.waitFor(t, ctx, "welcome", hasNFEvent("welcome"))
	joined := time.Since(joinStart)
	pctx, pcancel := context.WithTimeout(ctx, 30*time.Second)
	defer pcancel()
	steady.waitFor(t, pctx, "a p2p link to lossy", func(evs []nfEvent) bool { return nfRouteTo(evs, "lossy") == "p2p" })
	lossy.waitFor(t, pctx, "a p2p link to steady", func(evs []nfEvent) bool { return nfRouteTo(evs, "steady") == "p2p" })
	t.Logf("through %v each way: lossy joined in %v, its mesh pair with steady opened after %v",
		nfDelay, joined.Round(time.Millisecond), time.Since(joinStart).Round(time.Millisecond))
	nf.setLoss(t, nfLossPct)

	// Window 0: the mesh alone. With nobody on the relay, the authority
	// carries no presence: what arrives came over the lossy UDP path.
	presenceIn := nf.metric(t, "tcanvas_presence_received_packets_total")
	w0 := &nfWindow{name: "mesh only", w: 0, bots: []*nfProc{lossy, steady}, names: []string{"lossy", "steady"}, commit: []bool{true, false}, meshOnly: true}
	w0.exchange(t, ctx)
	w0.report(t)
	if n := nf.metric(t, "tcanvas_presence_received_packets_total") - presenceIn; n != 0 {
		t.Errorf("the authority received %g presence packets while the only pair was p2p", n)
	}

	// Window 1: "relayed" joins through the loss and the delay without
	// the mesh, so its cursors and everyone's to it go through the
	// authority over lossy, delayed TCP. (A relayed packet goes to every
	// peer, so steady and lossy now also get each other's both ways.)
	joinStart = time.Now()
	relayed := nf.bot(t, nf.cliNS, viaProxy, "relayed", "--no-mesh")
	relayed.waitFor(t, ctx, "welcome", hasNFEvent("welcome"))
	t.Logf("through %d%% loss and %v each way: relayed joined in %v", nfLossPct, nfDelay, time.Since(joinStart).Round(time.Millisecond))
	relayedBefore := nf.metric(t, "tcanvas_presence_relayed_packets_total")
	w1 := &nfWindow{name: "with relay", w: 1, bots: []*nfProc{lossy, relayed, steady}, names: []string{"lossy", "relayed", "steady"}, commit: []bool{true, true, false}}
	w1.exchange(t, ctx)
	w1.report(t)
	t.Logf("with relay: the authority relayed %g presence packets", nf.metric(t, "tcanvas_presence_relayed_packets_total")-relayedBefore)

	// Commits: each acknowledged once to its author and seen once by the
	// steady observer; nothing rejected.
	want := map[string]int{"lossy": 2 * nfTicks, "relayed": nfTicks}
	for _, b := range []*nfProc{lossy, relayed} {
		own := map[string]int{}
		offline := 0
		for _, e := range b.events() {
			switch {
			case e.Event == "committed" && e.Own:
				own[e.ID]++
			case e.Event == "rejected", e.Event == "error" && e.Code != "unknown_peer":
				t.Errorf("%s: unexpected %s %s: %s", b.name, e.Event, e.Code, e.Reason)
			case e.Event == "link" && e.State == "offline":
				offline++
			}
		}
		if len(own) != want[b.name] {
			t.Errorf("%s: %d of its %d commits acknowledged", b.name, len(own), want[b.name])
		}
		for id, n := range own {
			if n != 1 {
				t.Errorf("%s: commit %s acknowledged %d times", b.name, id, n)
			}
		}
		t.Logf("%s: %d commits acknowledged once each, %d reconnections", b.name, len(own), offline)
	}
	seen := map[string]int{}
	for _, e := range steady.events() {
		if e.Event == "committed" && len(e.Ops) == 1 {
			seen[e.Ops[0].Text]++
		}
	}
	for _, text := range nfCommitTexts() {
		if n := seen[text]; n != 1 {
			t.Errorf("steady saw %s committed %d times", text, n)
		}
	}
	nf.setLoss(t, 0)
	t.Logf("nftables at %d%%: %s", nfLossPct, nf.lossReport())
	lossy.finish(t, ctx)
	relayed.finish(t, ctx)
}

// nfCommitTexts is the text of every commit phase (a) makes.
func nfCommitTexts() []string {
	var out []string
	for i := range nfTicks {
		out = append(out, fmt.Sprintf("lossy-0-%d", i), fmt.Sprintf("lossy-1-%d", i), fmt.Sprintf("relayed-1-%d", i))
	}
	return out
}

// nfGapLimit is the longest silence allowed on a presence route under loss.
// A mesh pair sends 20 packets a second, each lost independently: a 2 s
// gap would take 40 losses in a row. The relay rides on TCP, which stalls
// while it retransmits (the timeout doubles at each loss of the same
// segment: 0.5, 1, 2, 4 s at this RTT), so it is held only to the
// session's own promise: a link that stalls longer than a ping interval
// and timeout (10 s) is dropped and dialled again.
func nfGapLimit(route string) time.Duration {
	if route == "p2p" {
		return 2 * time.Second
	}
	return nfHalfOpenBudget
}

// nfMinReceived is the share of cursor moves a route must deliver at 20 %
// loss.
func nfMinReceived(route string) float64 {
	if route == "p2p" {
		return 50
	}
	return 5
}

type nfCursorStat struct {
	pct      float64
	p50, p95 time.Duration
	gap      time.Duration
}

func nfCursorStats(evs []nfEvent, base int, sentAt []time.Time, sendEnd time.Time) nfCursorStat {
	first := map[int]time.Time{}
	for _, e := range evs {
		if e.Event != "presence" || e.Cursor == nil {
			continue
		}
		i := int(e.Cursor.X) - base
		if i < 0 || i >= len(sentAt) {
			continue
		}
		if _, ok := first[i]; !ok {
			first[i] = e.At
		}
	}
	var st nfCursorStat
	st.pct = 100 * float64(len(first)) / float64(len(sentAt))
	var lat []time.Duration
	arrivals := []time.Time{sentAt[0]}
	for i, at := range first {
		lat = append(lat, at.Sub(sentAt[i]))
		arrivals = append(arrivals, at)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		st.p50 = lat[len(lat)/2].Round(time.Millisecond)
		st.p95 = lat[len(lat)*95/100].Round(time.Millisecond)
	}
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	if last := arrivals[len(arrivals)-1]; last.Before(sendEnd) {
		arrivals = append(arrivals, sendEnd)
	}
	for i := 1; i < len(arrivals); i++ {
		st.gap = max(st.gap, arrivals[i].Sub(arrivals[i-1]))
	}
	st.gap = st.gap.Round(time.Millisecond)
	return st
}

// The detection budget of a half-open connection.
const nfHalfOpenBudget = 15 * time.Second

func (nf *netFault) halfOpen(t *testing.T, ctx context.Context, steady *nfProc, direct string) {
	// Straight to the server, no proxy: the TCP connection itself goes
	// half-open.
	ho := nf.bot(t, nf.cliNS, direct, "halfopen")
	ho.waitFor(t, ctx, "welcome", hasNFEvent("welcome"))
	id := ho.you()
	steady.waitFor(t, ctx, "halfopen in the roster", func(evs []nfEvent) bool { return nfRouteTo(evs, "halfopen") != "" })
	ho.send(t, `{"cmd":"text","x":40,"y":0,"text":"before"}`)
	ho.send(t, `{"cmd":"sync","req":"before"}`)
	ho.waitFor(t, ctx, "a commit", func(evs []nfEvent) bool {
		return slices.ContainsFunc(evs, func(e nfEvent) bool { return e.Event == "synced" && e.Req == "before" })
	})
	// Let the link settle into its idle rhythm of pings.
	time.Sleep(3 * time.Second)
	conns := nf.metric(t, "tcanvas_connections")
	pingDrops := nf.metric(t, `tcanvas_disconnects_total{code="ping"}`)
	hoFrom, steadyFrom := len(ho.events()), len(steady.events())

	start := time.Now()
	nf.setLoss(t, 100)
	var serverSeen time.Duration // when /metrics first showed one connection fewer
	pollDone, stopPoll := make(chan struct{}), make(chan struct{})
	defer func() { close(stopPoll); <-pollDone }()
	go func() {
		defer close(pollDone)
		for time.Since(start) < 2*nfHalfOpenBudget {
			if n, err := nf.readMetric("tcanvas_connections"); err == nil && n < conns {
				serverSeen = time.Since(start)
				return
			}
			select {
			case <-stopPoll:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	afterStart := func(from int, match func(nfEvent) bool) func([]nfEvent) bool {
		return func(evs []nfEvent) bool {
			return from < len(evs) && slices.ContainsFunc(evs[from:], match)
		}
	}
	offline := func(e nfEvent) bool { return e.Event == "link" && e.State == "offline" }
	left := func(e nfEvent) bool {
		return e.Event == "roster" && !slices.ContainsFunc(e.Peers, func(p nfPeer) bool { return p.ID == id })
	}
	wctx, wcancel := context.WithTimeout(ctx, 2*nfHalfOpenBudget)
	defer wcancel()
	ho.waitFor(t, wctx, "the client to notice the dead link", afterStart(hoFrom, offline))
	steady.waitFor(t, wctx, "the authority to drop the dead peer", afterStart(steadyFrom, left))
	<-pollDone
	at := func(p *nfProc, from int, match func(nfEvent) bool) (time.Duration, string) {
		evs := p.events()
		i := slices.IndexFunc(evs[from:], match)
		return evs[from+i].At.Sub(start), evs[from+i].Reason
	}
	clientDetect, reason := at(ho, hoFrom, offline)
	serverDetect, _ := at(steady, steadyFrom, left)
	pingDropped := nf.metric(t, `tcanvas_disconnects_total{code="ping"}`) - pingDrops
	t.Logf("half-open at 100%% loss: the client noticed after %v (%q); the authority dropped it after %v (roster at steady), %v (/metrics); %g ping timeouts counted",
		clientDetect.Round(time.Millisecond), reason, serverDetect.Round(time.Millisecond), serverSeen.Round(time.Millisecond), pingDropped)
	if clientDetect > nfHalfOpenBudget {
		t.Errorf("the client took %v to notice a dead link (budget %v)", clientDetect, nfHalfOpenBudget)
	}
	if serverDetect > nfHalfOpenBudget {
		t.Errorf("the authority took %v to drop a dead link (budget %v)", serverDetect, nfHalfOpenBudget)
	}
	if serverSeen == 0 || serverSeen > nfHalfOpenBudget+time.Second {
		t.Errorf("/metrics showed the dead connection for %v", serverSeen)
	}
	if pingDropped < 1 {
		t.Errorf("the authority's liveness ping did not count the drop (tcanvas_disconnects_total{code=\"ping\"} +%g)", pingDropped)
	}

	// The link heals: the client comes back by itself and can commit.
	hoFrom = len(ho.events())
	healed := time.Now()
	nf.setLoss(t, 0)
	online := func(e nfEvent) bool { return e.Event == "link" && e.State == "online" }
	hctx, hcancel := context.WithTimeout(ctx, 90*time.Second)
	defer hcancel()
	ho.waitFor(t, hctx, "the client back online after the link healed", afterStart(hoFrom, online))
	back, _ := at(ho, hoFrom, online)
	back += start.Sub(healed)
	ho.send(t, `{"cmd":"text","x":40,"y":1,"text":"after"}`)
	ho.send(t, `{"cmd":"sync","req":"after"}`)
	ho.waitFor(t, ctx, "a commit after healing", func(evs []nfEvent) bool {
		return slices.ContainsFunc(evs, func(e nfEvent) bool { return e.Event == "synced" && e.Req == "after" })
	})
	t.Logf("after the link healed the client was online again in %v (a dial during the outage waits for TCP's SYN retries); nftables at 100%%: %s",
		back.Round(time.Millisecond), nf.lossReport())
	ho.finish(t, ctx)
}

// checkLog reads the stopped server's store: every commit of the run is
// there exactly once, in a contiguous log.
func (nf *netFault) checkLog(ctx context.Context) {
	t := nf.t
	st, err := store.OpenSQLite(ctx, filepath.Join(nf.data, "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Records(ctx, nfRoom, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]int{}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("log not contiguous: position %d holds seq %d", i, r.Seq)
		}
		var ops []model.Op
		if err := json.Unmarshal(r.Ops, &ops); err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			texts[op.Text]++
		}
	}
	want := append([]string{"before", "after"}, nfCommitTexts()...)
	for _, w := range want {
		if texts[w] != 1 {
			t.Errorf("%q is in the log %d times, want once", w, texts[w])
		}
	}
	if len(recs) != len(want) {
		t.Errorf("%d commits in the log, want %d", len(recs), len(want))
	}
	t.Logf("store: %d commits, seq 1..%d contiguous, each exactly once", len(recs), len(recs))
}
