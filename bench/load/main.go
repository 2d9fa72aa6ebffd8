// Command load measures the authority under `tcanvas bot load`: it builds
// tcanvas, starts `tcanvas serve` as a child process on a loopback port
// with fresh data, runs `tcanvas bot load` as a second process with N
// participants in one room, and reports the commit latency the
// participants observed (from the load's JSON report) and the CPU the
// serve process used while the load ran (utime+stime from /proc/PID/stat,
// sampled when the load prints "load: running" and "load: stopping").
//
//	go run ./bench/load                                  # 50 sessions, 30 s
//	go run ./bench/load -sessions 50 -duration 30s -commit-rate 2 -move-rate 10
//
// CPU is given in percent of one core. The load generator runs on the
// same machine and its CPU is reported too: on a small machine the two
// compete, and latency includes the generator's own scheduling delays.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/load:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	bin        string
	sessions   int
	duration   time.Duration
	commitRate float64
	moveRate   float64
	noMesh     bool
	asJSON     bool
}

// result is one run's figures.
type result struct {
	Command      string     `json:"command"`
	Sessions     int        `json:"sessions"`
	DurationS    float64    `json:"duration_s"`
	CommitRate   float64    `json:"commit_rate_per_session"`
	MoveRate     float64    `json:"move_rate_per_session"`
	Load         loadReport `json:"load"`
	ServerCPUPct float64    `json:"server_cpu_pct"`
	LoadCPUPct   float64    `json:"load_cpu_pct"`
	ServerRSSMiB float64    `json:"server_rss_mib"`
	CPUs         int        `json:"cpus"`
}

// loadReport is the part of `tcanvas bot load --json` read here.
type loadReport struct {
	Sessions       int     `json:"sessions"`
	DurationS      float64 `json:"duration_s"`
	CursorMoves    int     `json:"cursor_moves"`
	Commits        int     `json:"commits"`
	Acknowledged   int     `json:"acknowledged"`
	Unacknowledged int     `json:"unacknowledged"`
	Rejected       int     `json:"rejected"`
	CommitsPerS    float64 `json:"acknowledged_per_s"`
	Latency        struct {
		N    int     `json:"n"`
		P50  float64 `json:"p50"`
		P90  float64 `json:"p90"`
		P99  float64 `json:"p99"`
		Max  float64 `json:"max"`
		Mean float64 `json:"mean"`
	} `json:"commit_latency_ms"`
	Presence     int     `json:"presence_received"`
	PresencePerS float64 `json:"presence_received_per_s"`
	Reconnects   int     `json:"reconnects"`
	Errors       int     `json:"errors"`
	ErrorSamples []string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench/load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.bin, "bin", "", "tcanvas binary to use (default: go build ./cmd/tcanvas into a temporary directory)")
	fs.IntVar(&cfg.sessions, "sessions", 50, "participants in the room")
	fs.DurationVar(&cfg.duration, "duration", 30*time.Second, "how long the load runs")
	fs.Float64Var(&cfg.commitRate, "commit-rate", 2, "commits per second per participant")
	fs.Float64Var(&cfg.moveRate, "move-rate", 10, "cursor moves per second per participant")
	fs.BoolVar(&cfg.noMesh, "no-mesh", false, "participants use the relay only (rooms above the mesh size do anyway)")
	fs.BoolVar(&cfg.asJSON, "json", false, "print the result as JSON instead of a markdown table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "tcanvas-bench-load")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(tmp, "tcanvas")
		fmt.Fprintln(stderr, "building tcanvas…")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", cfg.bin, "./cmd/tcanvas").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}

	srv, base, err := startServer(ctx, cfg.bin, filepath.Join(tmp, "data"), stderr)
	if err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()

	loadArgs := []string{"bot", "load", base + "/r/bench", "--json",
		"--sessions", strconv.Itoa(cfg.sessions), "--duration", cfg.duration.String(),
		"--commit-rate", fmt.Sprint(cfg.commitRate), "--move-rate", fmt.Sprint(cfg.moveRate)}
	if cfg.noMesh {
		loadArgs = append(loadArgs, "--no-mesh")
	}
	res := result{Command: "tcanvas " + strings.Join(loadArgs, " "), Sessions: cfg.sessions,
		CommitRate: cfg.commitRate, MoveRate: cfg.moveRate, CPUs: runtime.NumCPU()}
	fmt.Fprintf(stderr, "running %s\n", res.Command)

	load := exec.CommandContext(ctx, cfg.bin, loadArgs...)
	var loadOut bytes.Buffer
	load.Stdout = &loadOut
	loadErr, err := load.StderrPipe()
	if err != nil {
		return err
	}
	if err := load.Start(); err != nil {
		return err
	}
	type sample struct {
		at          time.Time
		server, gen time.Duration
	}
	take := func() (sample, error) {
		s := sample{at: time.Now()}
		var err1, err2 error
		s.server, err1 = cpuTime(srv.Process.Pid)
		s.gen, err2 = cpuTime(load.Process.Pid)
		return s, errors.Join(err1, err2)
	}
	var start, end sample
	var sampleErr error
	sc := bufio.NewScanner(loadErr)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(stderr, "  "+line)
		switch {
		case strings.HasPrefix(line, "load: running"):
			start, sampleErr = take()
		case strings.HasPrefix(line, "load: stopping"):
			end, err = take()
			sampleErr = errors.Join(sampleErr, err)
			if rss, err := rssMiB(srv.Process.Pid); err == nil {
				res.ServerRSSMiB = rss
			}
		}
	}
	if err := load.Wait(); err != nil {
		return fmt.Errorf("tcanvas bot load: %w", err)
	}
	if sampleErr != nil {
		return fmt.Errorf("reading CPU time from /proc: %w", sampleErr)
	}
	if start.at.IsZero() || end.at.IsZero() {
		return errors.New("the load never reported its running window")
	}
	if err := json.Unmarshal(loadOut.Bytes(), &res.Load); err != nil {
		return fmt.Errorf("load report %q: %w", loadOut.String(), err)
	}
	wall := end.at.Sub(start.at)
	res.DurationS = wall.Seconds()
	res.ServerCPUPct = 100 * float64(end.server-start.server) / float64(wall)
	res.LoadCPUPct = 100 * float64(end.gen-start.gen) / float64(wall)

	if cfg.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	l := res.Load
	fmt.Fprintf(stdout, "`%s` against `tcanvas serve` (%d CPUs):\n\n", res.Command, res.CPUs)
	fmt.Fprintln(stdout, "| sessions | commits/s (acked) | commit p50 | p90 | p99 | max | presence received/s | server CPU | server RSS | load generator CPU | errors |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(stdout, "| %d | %.1f | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.0f | %.1f %% | %.0f MiB | %.1f %% | %d |\n",
		res.Sessions, l.CommitsPerS, l.Latency.P50, l.Latency.P90, l.Latency.P99, l.Latency.Max,
		l.PresencePerS, res.ServerCPUPct, res.ServerRSSMiB, res.LoadCPUPct, l.Errors+l.Rejected+l.Unacknowledged)
	return nil
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServer starts `tcanvas serve` and returns once it listens.
func startServer(ctx context.Context, bin, data string, stderr io.Writer) (*exec.Cmd, string, error) {
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--open", "--log-level", "warn")
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, out)
			return cmd, m[1], nil
		}
	}
	cmd.Wait()
	return nil, "", errors.New("tcanvas serve exited before listening")
}

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// It is 100 on every Linux architecture Go supports.
const clockTick = 100

// cpuTime returns the user+system CPU time of process pid.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; the
	// fields after its closing parenthesis are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// After ")": state is field 3, so utime (14) and stime (15) are f[11], f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// rssMiB returns the resident set size of process pid.
func rssMiB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}
