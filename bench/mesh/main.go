// Command mesh benchmarks the presence lane: N real sessions in one room,
// each moving its cursor at 60 Hz, through the authority's relay fallback
// (leading-edge batches), through the same relay with nothing batched (the
// naive baseline), and over the WebRTC mesh. It prints a markdown table of
// the figures that DESIGN.md §7 budgets, the three lanes side by side,
// with the authority's CPU.
//
//	go run ./bench/mesh              # 10 peers, 10 s per lane
//	go run ./bench/mesh -quick       # 10 peers, 3 s per lane
//	go run ./bench/mesh -peers 4 -duration 5s
//	go run ./bench/mesh -movers 1    # one moving cursor, the others watch
//
// ICE is always restricted to 127.0.0.0/8: no benchmark traffic leaves
// loopback. By default the authority runs in a child process (this binary
// re-executed with -serve-only), so the memory and goroutines per peer
// count the peers alone; -authority inproc runs it in this process.
//
// It exits non-zero when the pairs never connect, a cursor never arrives,
// a session loses its link, or a UDP socket is bound outside loopback.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench/mesh:", err)
		stop()
		os.Exit(1)
	}
}

// Where the authority runs.
const (
	authChild  = "child"
	authInproc = "inproc"
)

// config holds every knob.
type config struct {
	peers        int
	duration     time.Duration
	hz           int
	movers       int // peers whose cursor moves; the others only watch
	authority    string
	setupTimeout time.Duration
	serveOnly    bool
	presenceTick time.Duration   // -serve-only: the relay tick (0: the default)
	relayTicks   []time.Duration // extra relay lanes, one per tick (-relay-ticks)
	noMeshLane   bool            // skip the mesh lane (-mesh=false)
	memprofile   string
	proc         procFlags // -procs, and a peer process's own flags
	args         []string  // as given, for the report
}

func defaultConfig() config {
	return config{peers: 10, duration: 10 * time.Second, hz: 60, authority: authChild, setupTimeout: 30 * time.Second}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("mesh", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "short run: 3s per lane unless -duration is given")
	fs.IntVar(&cfg.peers, "peers", cfg.peers, "sessions in the room")
	fs.DurationVar(&cfg.duration, "duration", cfg.duration, "how long the cursors move, per lane")
	fs.IntVar(&cfg.hz, "hz", cfg.hz, "cursor moves per second per peer (the session sends at most 60 packets per second)")
	fs.IntVar(&cfg.movers, "movers", 0, "how many peers move their cursor (0: all); the others watch")
	fs.StringVar(&cfg.authority, "authority", cfg.authority, "where the authority runs: child (a child process, so per-peer figures count the peers alone) or inproc")
	fs.DurationVar(&cfg.setupTimeout, "setup-timeout", cfg.setupTimeout, "how long the pairs may take to connect")
	fs.StringVar(&cfg.memprofile, "memprofile", "", "write a heap profile of the mesh lane, taken once every pair has connected, to `FILE`")
	fs.BoolVar(&cfg.serveOnly, "serve-only", false, "internal: run only the authority, for the parent benchmark")
	fs.DurationVar(&cfg.presenceTick, "presence-tick", 0, "internal, with -serve-only: the authority's relay tick (0: its default)")
	addProcFlags(fs, &cfg.proc)
	ticks := fs.String("relay-ticks", "", "extra relay lanes, one per `TICKS` (comma-separated durations, e.g. 16.667ms,8.333ms,4ms), each with its own authority; adds a sweep table")
	mesh := fs.Bool("mesh", true, "run the mesh lane (false: the relay lanes only, e.g. for a sweep at many peers)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if *quick && !durationSet {
		cfg.duration = 3 * time.Second
	}
	switch {
	case cfg.peers < 2:
		return cfg, errors.New("-peers must be at least 2")
	case cfg.peers > 1000:
		return cfg, errors.New("-peers must be at most 1000")
	case cfg.movers < 0 || cfg.movers > cfg.peers:
		return cfg, errors.New("-movers must be between 0 (all) and -peers")
	case cfg.hz < 1 || cfg.hz > 1000:
		return cfg, errors.New("-hz must be between 1 and 1000")
	case cfg.duration <= 0:
		return cfg, errors.New("-duration must be positive")
	case cfg.duration > maxDuration:
		// The send time travels in the cursor's X as microseconds, which
		// must stay within model.MaxCoord (2^30 µs, about 17 minutes).
		return cfg, fmt.Errorf("-duration must be at most %s", maxDuration)
	case cfg.authority != authChild && cfg.authority != authInproc:
		return cfg, fmt.Errorf("-authority must be %s or %s", authChild, authInproc)
	}
	if *ticks != "" {
		for f := range strings.SplitSeq(*ticks, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("-relay-ticks: %q is not a positive duration", f)
			}
			cfg.relayTicks = append(cfg.relayTicks, d)
		}
	}
	cfg.noMeshLane = !*mesh
	if cfg.movers == 0 {
		cfg.movers = cfg.peers
	}
	cfg.args = args
	return cfg, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.memprofile != "" {
		runtime.MemProfileRate = 512 // fine-grained: the pairs' allocations are small and many
	}
	if cfg.serveOnly {
		return serveOnly(ctx, cfg, stdin, stdout)
	}
	if cfg.proc.peerOnly {
		return peerOnly(ctx, cfg, stdin, stdout)
	}
	if cfg.proc.procs {
		return runProcs(ctx, cfg, stdout, stderr)
	}
	res, err := bench(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	report(stdout, res)
	return res.check()
}
