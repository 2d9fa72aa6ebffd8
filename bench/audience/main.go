// Command audience measures the SSH front door at talk scale: N SSH
// viewers (golang.org/x/crypto/ssh clients with a 120×40 pty, from several
// loopback source addresses) watch one room of a real `tcanvas serve --ssh`
// process while 3 drawing participants move their cursors at 60 Hz and each
// commit a small text every 200 ms. Per N it prints: viewers joined of
// those started, join time, the server's CPU (% of one core) and RSS over
// the window, bytes per second per viewer, commit → screen latency and
// drops.
//
// Latency: every commit's text carries a unique token; each viewer strips
// the escape sequences from its byte stream and looks for the token, and
// the time from the call to Commit to the token's arrival is one sample.
// The samples are the tokens committed in the window (up to a second
// before its end) as each viewer still connected saw them; a drop is one
// such token a viewer never received. -spread N tells whether a tail comes
// from a few late commits or a few late viewers.
//
//	go run ./bench/audience                        # N = 25, 100, 250; 20 s each
//	go run ./bench/audience -n 100 -window 10s
//	go run ./bench/audience -bin ./tcanvas -addrs 16
//
// The server is built from ./cmd/tcanvas unless -bin names a binary. The
// viewers, the bots and the server share this machine's cores: the load
// average before and after each run is printed beside its figures.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tcanvas/tcanvas/internal/sshview"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

type config struct {
	ns          []int
	window      time.Duration
	joinTimeout time.Duration
	addrs       int
	bots        int
	width       int
	height      int
	bin         string
	serverArgs  []string
	compare     bool
	spread      int
}

func main() {
	var cfg config
	var ns, extra string
	flag.StringVar(&ns, "n", "25,100,250", "comma-separated numbers of SSH viewers, one run each")
	flag.DurationVar(&cfg.window, "window", 20*time.Second, "measured window per run, after every viewer joined")
	flag.DurationVar(&cfg.joinTimeout, "join-timeout", 60*time.Second, "how long viewers may take to join before the window starts anyway")
	flag.IntVar(&cfg.addrs, "addrs", 16, "loopback source addresses the viewers dial from (127.0.0.2 …)")
	flag.IntVar(&cfg.bots, "bots", 3, "drawing participants")
	flag.IntVar(&cfg.width, "width", 120, "viewer terminal columns")
	flag.IntVar(&cfg.height, "height", 40, "viewer terminal rows")
	flag.StringVar(&cfg.bin, "bin", "", "tcanvas binary to run (default: go build ./cmd/tcanvas)")
	flag.StringVar(&extra, "server-args", "", "extra arguments for tcanvas serve, space-separated")
	flag.IntVar(&cfg.spread, "spread", 0, "also print this many of the commits with the highest median latency, each with its first, median and last viewer's, and the viewers with the most samples over 250 ms (on stderr)")
	flag.BoolVar(&cfg.compare, "compare", true, "also run each N with --ssh-no-share (a canvas program per viewer, as before shared rendering)")
	flag.Parse()
	for _, f := range strings.Split(ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "audience: -n: bad number %q\n", f)
			os.Exit(2)
		}
		cfg.ns = append(cfg.ns, n)
	}
	cfg.serverArgs = strings.Fields(extra)
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "audience:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	dir, err := os.MkdirTemp("", "tcanvas-audience-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(dir, "tcanvas")
		build := exec.Command("go", "build", "-o", cfg.bin, "./cmd/tcanvas")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/tcanvas (run from the repository's root, or give -bin): %w", err)
		}
	}
	fmt.Printf("`go run ./bench/audience %s` — %s, %s/%s, %d CPU, %s\n\n", strings.Join(os.Args[1:], " "),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Printf("%d drawing bots (cursor at 60 Hz, a commit every 200 ms each), viewers %d×%d from %d source addresses, %s window\n\n",
		cfg.bots, cfg.width, cfg.height, cfg.addrs, cfg.window)
	fmt.Println("| viewers | rendering | joined | join p50 / max | server CPU | RSS | bytes/s per viewer mean / max | commit → screen p50 / p99 | drops | load before → after |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, n := range cfg.ns {
		modes := []bool{true}
		if cfg.compare {
			modes = append(modes, false)
		}
		for _, shared := range modes {
			r, err := runOne(cfg, dir, n, shared)
			if err != nil {
				return fmt.Errorf("%d viewers: %w", n, err)
			}
			fmt.Println(r.row)
		}
	}
	return nil
}

// server is a running `tcanvas serve --ssh`.
type server struct {
	cmd  *exec.Cmd
	base string // http://…
	ssh  string // host:port
}

var (
	httpRE = regexp.MustCompile(`listening on (http://\S+)`)
	sshRE  = regexp.MustCompile(`ssh front door listening on (\S+)`)
)

func startServer(cfg config, data string, n int, shared bool) (*server, error) {
	args := []string{"serve", "--ssh-no-share=" + strconv.FormatBool(!shared)}
	args = append(args, []string{"--addr", "127.0.0.1:0", "--data", data, "--open", "--ssh", "127.0.0.1:0", "--log-level", "warn",
		"--max-peers", strconv.Itoa(n + cfg.bots + 8), "--ssh-max-sessions", strconv.Itoa(n + 8)}...)
	cmd := exec.Command(cfg.bin, append(args, cfg.serverArgs...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	sc := bufio.NewScanner(out)
	for (s.base == "" || s.ssh == "") && sc.Scan() {
		if m := httpRE.FindStringSubmatch(sc.Text()); m != nil && s.base == "" {
			s.base = m[1]
		}
		if m := sshRE.FindStringSubmatch(sc.Text()); m != nil {
			s.ssh = m[1]
		}
	}
	go io.Copy(io.Discard, out)
	if s.base == "" || s.ssh == "" {
		s.stop()
		return nil, errors.New("the server did not say where it listens")
	}
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// cpuTicks is the process's user+system time in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, nil
}

const clkTck = 100 // USER_HZ on Linux

// status reads a field of /proc/PID/status, in KiB.
func status(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return v
		}
	}
	return 0
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return f[0]
}

// tokens records when each token was committed, for the viewers to look up.
type tokens struct {
	mu   sync.Mutex
	at   map[string]time.Time
	list []token
}

type token struct {
	id string
	at time.Time
}

func (t *tokens) add(id string, at time.Time) {
	t.mu.Lock()
	t.at[id] = at
	t.list = append(t.list, token{id, at})
	t.mu.Unlock()
}

func (t *tokens) when(id string) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.at[id]
	return at, ok
}

// A token is "Q", the bot's digit, six digits of its count, "Z": nothing
// else on the canvas looks like it.
const tokenLen = 9

// tokenRows is how many rows each bot's tokens cycle through.
const tokenRows = 12

func tokenOf(bot, k int) string { return fmt.Sprintf("Q%d%06dZ", bot, k%1_000_000) }

// viewer is one SSH viewer's state.
type viewer struct {
	v       *sshview.Viewer
	started time.Time
	joined  time.Time // when its status bar first arrived; zero until
	mu      sync.Mutex
	carry   []byte // the tail of the text, for a token split across reads
	// seen is the latency of each token's first sighting: the time from
	// the call to Commit to its text in this viewer's stream.
	seen     map[string]time.Duration
	statusOK bool
	head     []byte // the text before it joined, to say why it did not
}

func (v *viewer) text(b []byte, toks *tokens) {
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	buf := append(v.carry, b...)
	if !v.statusOK && strings.Contains(string(buf), "seq ") {
		v.statusOK, v.joined = true, now
	}
	for i := 0; i+tokenLen <= len(buf); i++ {
		if buf[i] != 'Q' || buf[i+tokenLen-1] != 'Z' {
			continue
		}
		id := string(buf[i : i+tokenLen])
		if _, ok := v.seen[id]; ok {
			continue
		}
		at, ok := toks.when(id)
		if !ok {
			continue
		}
		v.seen[id] = now.Sub(at)
	}
	// Keep enough for "seq " or a token cut in two.
	keep := min(len(buf), tokenLen-1)
	v.carry = append(v.carry[:0], buf[len(buf)-keep:]...)
	if !v.statusOK && len(v.head) < 2000 {
		v.head = append(v.head, b...)
	}
}

// bot is a drawing participant: its cursor walks at 60 Hz over the lower
// part of the viewers' screen and every 200 ms it commits a token at the
// next of its 12 rows (its own column), clearing the one it wrote 6
// commits before.
func bot(ctx context.Context, link string, b int, toks *tokens, wg *sync.WaitGroup) error {
	s, err := session.Dial(ctx, link, session.Options{Name: "bot" + strconv.Itoa(b), Bot: true, NoMesh: true,
		Color: model.Indexed(uint8(196 + b*6))})
	if err != nil {
		return err
	}
	wg.Add(2)
	go func() { // drain events
		defer wg.Done()
		for {
			select {
			case <-s.Events():
			case <-s.Done():
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer s.Close()
		move := time.NewTicker(time.Second / 60)
		defer move.Stop()
		commit := time.NewTicker(200 * time.Millisecond)
		defer commit.Stop()
		k := 0
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-move.C:
				// Back and forth over 40 columns, on rows 28-33.
				x := int32(10 + b*35 + 20 - abs(i%40-20))
				y := int32(28 + (i/40+b)%6)
				s.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: x, Y: y}})
			case <-commit.C:
				// The renderer writes only the cells that change, so a
				// token is found whole in the stream only where the cells
				// were blank on screen before: each row is cleared 1.2 s
				// after its token was written and written again 1.2 s later.
				row := int32(2 + k%tokenRows)
				old := int32(2 + (k+tokenRows/2)%tokenRows)
				x := int32(10 + b*35)
				id := tokenOf(b, k)
				ops := []model.Op{
					{Kind: model.OpRect, X: x, Y: old, W: tokenLen, H: 1},
					{Kind: model.OpText, X: x, Y: row, Text: id, FG: model.Indexed(uint8(40 + b))},
				}
				toks.add(id, time.Now())
				if _, err := s.Commit(ops); err != nil && ctx.Err() == nil {
					fmt.Fprintf(os.Stderr, "bot %d: commit: %v\n", b, err)
				}
				k++
			}
		}
	}()
	return nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64)
}

// result is one run's figures: the table row, and what tests check.
type result struct {
	row     string
	joined  int
	stayed  int
	samples int
}

func runOne(cfg config, dir string, n int, shared bool) (result, error) {
	data := filepath.Join(dir, fmt.Sprintf("data-%d-%v", n, shared))
	loadBefore := loadavg()
	srv, err := startServer(cfg, data, n, shared)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	toks := &tokens{at: map[string]time.Time{}}
	var bots sync.WaitGroup
	defer bots.Wait()
	defer cancel()
	link := srv.base + "/r/talk"
	for b := range cfg.bots {
		if err := bot(ctx, link, b, toks, &bots); err != nil {
			return result{}, fmt.Errorf("bot %d: %w", b, err)
		}
	}

	// Every viewer dials at once, as an audience told "ssh in now" does.
	vs := make([]*viewer, n)
	var dialing sync.WaitGroup
	start := time.Now()
	var errMu sync.Mutex
	var dialErrs []string
	for i := range n {
		vs[i] = &viewer{started: time.Now(), seen: map[string]time.Duration{}}
		dialing.Add(1)
		go func() {
			defer dialing.Done()
			v := vs[i]
			sv, err := sshview.Dial(ctx, sshview.Options{Addr: srv.ssh, Local: fmt.Sprintf("127.0.0.%d", 2+i%cfg.addrs),
				User: "v" + strconv.Itoa(i), Command: "talk --view", Width: cfg.width, Height: cfg.height,
				Text: func(b []byte) { v.text(b, toks) }})
			if err != nil {
				errMu.Lock()
				dialErrs = append(dialErrs, err.Error())
				errMu.Unlock()
				return
			}
			v.mu.Lock()
			v.v = sv
			v.mu.Unlock()
		}()
	}
	dialing.Wait()
	defer func() {
		for _, v := range vs {
			if v.v != nil {
				v.v.Close()
			}
		}
	}()
	joinedAll := func() (int, time.Duration, []time.Duration) {
		var js []time.Duration
		for _, v := range vs {
			v.mu.Lock()
			if v.statusOK {
				js = append(js, v.joined.Sub(start))
			}
			v.mu.Unlock()
		}
		slices.Sort(js)
		var last time.Duration
		if len(js) > 0 {
			last = js[len(js)-1]
		}
		return len(js), last, js
	}
	for deadline := time.Now().Add(cfg.joinTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if j, _, _ := joinedAll(); j == n {
			break
		}
	}
	joined, joinMax, joins := joinedAll()
	for i, v := range vs {
		v.mu.Lock()
		if !v.statusOK {
			fmt.Fprintf(os.Stderr, "viewer %d did not join; it saw %q\n", i, v.head)
		}
		v.mu.Unlock()
	}

	// The window.
	bytes0 := make([]int64, n)
	for i, v := range vs {
		if v.v != nil {
			bytes0[i] = v.v.Bytes()
		}
	}
	t0, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	w0 := time.Now()
	time.Sleep(cfg.window)
	t1, _ := cpuTicks(pid)
	elapsed := time.Since(w0)
	rss := status(pid, "VmRSS")

	var rates []float64
	var lat []time.Duration
	drops, stayed := 0, 0
	toks.mu.Lock()
	var windowToks []token
	for _, t := range toks.list {
		if t.at.After(w0) && t.at.Before(w0.Add(elapsed-time.Second)) {
			windowToks = append(windowToks, t)
		}
	}
	toks.mu.Unlock()
	for i, v := range vs {
		if v.v == nil {
			continue
		}
		select {
		case <-v.v.Done():
			continue // left during the window
		default:
		}
		stayed++
		rates = append(rates, float64(v.v.Bytes()-bytes0[i])/elapsed.Seconds())
		// A sample is a commit of the window seen by a viewer, whenever:
		// the commits of the join rush are not the window's.
		v.mu.Lock()
		for _, t := range windowToks {
			if l, ok := v.seen[t.id]; ok {
				lat = append(lat, l)
			} else {
				drops++
			}
		}
		v.mu.Unlock()
	}
	slices.Sort(lat)
	if cfg.spread > 0 {
		printSpread(cfg.spread, windowToks, vs)
	}
	var mean, maxRate float64
	for _, r := range rates {
		mean += r
		maxRate = max(maxRate, r)
	}
	if len(rates) > 0 {
		mean /= float64(len(rates))
	}
	cpu := float64(t1-t0) / clkTck / elapsed.Seconds() * 100
	joinNote := fmt.Sprintf("%d / %d", joined, n)
	if stayed != joined {
		joinNote += fmt.Sprintf(" (%d stayed)", stayed)
	}
	if len(dialErrs) > 0 {
		joinNote += fmt.Sprintf(" (%d dial errors, e.g. %s)", len(dialErrs), dialErrs[0])
	}
	expected := len(windowToks) * stayed
	mode := "shared"
	if !shared {
		mode = "per viewer"
	}
	row := fmt.Sprintf("| %d | %s | %s | %s / %s s | %.0f %% | %.0f MiB | %.1f / %.1f KB | %s / %s ms | %d of %d | %s → %s |",
		n, mode, joinNote, secs(pct(joins, 0.5)), secs(joinMax), cpu, float64(rss)/1024,
		mean/1000, maxRate/1000, ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), drops, expected, loadBefore, loadavg())
	return result{row: row, joined: joined, stayed: stayed, samples: len(lat)}, nil
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) }

// printSpread tells a tail made by a few late commits, which every viewer
// sees late (the first viewer's latency is high), from one made by a few
// late viewers: the commits latest to their median viewer, each with its
// first, median and last viewer, and the viewers with the most samples
// over 250 ms.
func printSpread(worst int, toks []token, vs []*viewer) {
	type commit struct {
		id               string
		at               time.Time
		first, mid, last time.Duration
	}
	type late struct {
		i, over   int
		mid, last time.Duration
	}
	var cs []commit
	var ls []late
	per := make([][]time.Duration, len(vs))
	for _, t := range toks {
		var all []time.Duration
		for i, v := range vs {
			v.mu.Lock()
			if l, ok := v.seen[t.id]; ok {
				all = append(all, l)
				per[i] = append(per[i], l)
			}
			v.mu.Unlock()
		}
		if len(all) > 0 {
			slices.Sort(all)
			cs = append(cs, commit{t.id, t.at, all[0], pct(all, 0.5), all[len(all)-1]})
		}
	}
	for i, d := range per {
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		over := len(d) - sort.Search(len(d), func(k int) bool { return d[k] > 250*time.Millisecond })
		ls = append(ls, late{i, over, pct(d, 0.5), d[len(d)-1]})
	}
	slices.SortFunc(cs, func(a, b commit) int { return cmp.Compare(b.mid, a.mid) })
	slices.SortFunc(ls, func(a, b late) int { return cmp.Compare(b.over, a.over) })
	fmt.Fprintf(os.Stderr, "the %d commits latest to their median viewer (first / median / last viewer):\n", min(worst, len(cs)))
	for _, c := range cs[:min(worst, len(cs))] {
		fmt.Fprintf(os.Stderr, "  %s at %s: %s / %s / %s ms\n", c.id, c.at.Format("15:04:05.000"), ms(c.first), ms(c.mid), ms(c.last))
	}
	fmt.Fprintf(os.Stderr, "the %d viewers with the most samples over 250 ms (median / max):\n", min(worst, len(ls)))
	for _, l := range ls[:min(worst, len(ls))] {
		fmt.Fprintf(os.Stderr, "  viewer %d: %d over, %s / %s ms\n", l.i, l.over, ms(l.mid), ms(l.last))
	}
}
