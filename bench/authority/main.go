package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/authority:", err)
		stop()
		os.Exit(1)
	}
}

// config holds every knob. Flags not set explicitly take the -quick value
// when -quick is given.
type config struct {
	quick     bool
	serveOnly bool
	phases    string
	dir       string
	cpuprof   string
	memprof   string
	args      []string // as given, for the report

	warmup   time.Duration
	duration time.Duration // per throughput run
	writers  int           // one-room throughput: writer clients
	window   int           // commits in flight per writer
	rooms    int           // many-room throughput: rooms
	perRoom  int           // many-room throughput: writers per room

	latRate     float64 // commits per second, all latency writers together
	latClients  int
	latDuration time.Duration

	idleRooms   int
	idlePerRoom int

	hibRooms   int
	hibCommits int

	wakeRooms   int
	wakeHistory int
	wakeSamples int

	sendQueue int // Options.SendQueue; 0 is the authority's default

	// child (-serve-only) settings
	maxPeers int
}

// quickValues are the -quick defaults, by flag name.
var quickValues = map[string]string{
	"warmup":       "100ms",
	"duration":     "400ms",
	"writers":      "4",
	"window":       "8",
	"rooms":        "10",
	"room-writers": "2",
	"lat-rate":     "200",
	"lat-clients":  "4",
	"lat-duration": "500ms",
	"idle-rooms":   "4",
	"idle-per":     "25",
	"hib-rooms":    "40",
	"hib-commits":  "3",
	"wake-rooms":   "4",
	"wake-history": "120",
	"wake-samples": "12",
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{args: args}
	fs := flag.NewFlagSet("bench/authority", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&c.quick, "quick", false, "small sizes and short runs, for CI smoke tests")
	fs.BoolVar(&c.serveOnly, "serve-only", false, "internal: run only the authority, print its address, stop at stdin EOF")
	fs.StringVar(&c.phases, "phases", "throughput,latency,idle,hibernate,wake", "comma-separated phases to run")
	fs.StringVar(&c.dir, "dir", "", "parent directory of the temporary databases (default: the system temp dir)")
	fs.StringVar(&c.cpuprof, "cpuprofile", "", "write CPU profiles of the throughput runs to FILE (one room) and FILE-rooms (many rooms)")
	fs.StringVar(&c.memprof, "memprofile", "", "write heap profiles (live objects) of the idle and hibernate phases to FILE-idle and FILE-hibernate")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "throughput: warm-up before measuring")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "throughput: measured time per run")
	fs.IntVar(&c.writers, "writers", 20, "throughput, one room: writer clients")
	fs.IntVar(&c.window, "window", 16, "throughput: commits in flight per writer")
	fs.IntVar(&c.rooms, "rooms", 100, "throughput, many rooms: rooms")
	fs.IntVar(&c.perRoom, "room-writers", 2, "throughput, many rooms: writer clients per room")
	fs.Float64Var(&c.latRate, "lat-rate", 500, "latency: commits per second, all writers together")
	fs.IntVar(&c.latClients, "lat-clients", 10, "latency: clients in the room, each writing its share")
	fs.DurationVar(&c.latDuration, "lat-duration", 10*time.Second, "latency: measured time")
	fs.IntVar(&c.idleRooms, "idle-rooms", 100, "idle memory: rooms")
	fs.IntVar(&c.idlePerRoom, "idle-per", 100, "idle memory: connections per room")
	fs.IntVar(&c.hibRooms, "hib-rooms", 1000, "hibernation: rooms created then hibernated")
	fs.IntVar(&c.hibCommits, "hib-commits", 5, "hibernation: commits per room")
	fs.IntVar(&c.wakeRooms, "wake-rooms", 20, "wake: rooms cycled through")
	fs.IntVar(&c.wakeHistory, "wake-history", 1000, "wake: commits of history per room")
	fs.IntVar(&c.wakeSamples, "wake-samples", 200, "wake: wakes measured")
	fs.IntVar(&c.sendQueue, "send-queue", 0, "the authority's Options.SendQueue in every phase (0: its default, 1024)")
	fs.IntVar(&c.maxPeers, "max-peers", 0, "internal (-serve-only): Options.MaxPeers")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickValues {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return c, err
				}
			}
		}
	}
	for _, p := range strings.Split(c.phases, ",") {
		if !knownPhases[strings.TrimSpace(p)] {
			return c, fmt.Errorf("-phases: unknown phase %q", p)
		}
	}
	for name, v := range map[string]int{
		"writers": c.writers, "window": c.window, "rooms": c.rooms, "room-writers": c.perRoom,
		"lat-clients": c.latClients, "idle-rooms": c.idleRooms, "idle-per": c.idlePerRoom,
		"hib-rooms": c.hibRooms, "hib-commits": c.hibCommits, "wake-rooms": c.wakeRooms,
		"wake-history": c.wakeHistory, "wake-samples": c.wakeSamples,
	} {
		if v <= 0 {
			return c, fmt.Errorf("-%s must be positive", name)
		}
	}
	if c.latClients < 2 {
		return c, fmt.Errorf("-lat-clients must be at least 2: latency is measured at another client")
	}
	if c.latRate <= 0 || c.duration <= 0 || c.latDuration <= 0 || c.warmup < 0 {
		return c, fmt.Errorf("rates and durations must be positive")
	}
	return c, nil
}

var knownPhases = map[string]bool{"throughput": true, "latency": true, "idle": true, "hibernate": true, "wake": true}

func (c config) has(phase string) bool {
	for _, p := range strings.Split(c.phases, ",") {
		if strings.TrimSpace(p) == phase {
			return true
		}
	}
	return false
}

// run is the whole program: the benchmark, or with -serve-only the child
// authority.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.serveOnly {
		return serveOnly(ctx, cfg, stdin, stdout)
	}
	res, err := bench(ctx, cfg, stderr)
	if res != nil {
		res.print(stdout, cfg)
	}
	return err
}
