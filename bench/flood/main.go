// Command flood measures what the stored-bytes budgets (issue 15) buy a
// quiet room: the latency of a 1-cell commit there, alone, and while
// three other rooms are flooded from three other addresses (two
// connections each) with 256×256 overwriting rectangles, each address held
// to its stored-bytes budget by the server (every commit over it is
// refused). It prints a markdown
// table with the ratio of the two.
//
//	go run ./bench/flood             # about 25 s
//	go run ./bench/flood -quick      # a smoke run
//
// A real authority.Server with its default limits runs over a real SQLite
// (synchronous=FULL) in a temp directory, served on 127.0.0.1; clients
// speak real WebSockets from 127.0.0.2–127.0.0.5. Clients and server
// share the machine's cores.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/flood:", err)
		os.Exit(1)
	}
}

type config struct {
	samples  int
	interval time.Duration
	floods   int
	side     int32
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	var cfg config
	quick := fs.Bool("quick", false, "a smoke run")
	fs.IntVar(&cfg.samples, "samples", 200, "1-cell commits measured per phase")
	fs.DurationVar(&cfg.interval, "interval", 50*time.Millisecond, "pause between two measured commits")
	fs.IntVar(&cfg.floods, "floods", 3, "flooded rooms, each from its own address")
	side := fs.Int("side", 256, "side of the flood's overwriting rectangles")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.side = int32(*side)
	if *quick {
		cfg.samples, cfg.interval, cfg.floods, cfg.side = 20, 10*time.Millisecond, 1, 128
	}
	dir, err := os.MkdirTemp("", "tcanvas-flood")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	quiet, err := phase(ctx, cfg, filepath.Join(dir, "quiet"), false)
	if err != nil {
		return fmt.Errorf("quiet phase: %w", err)
	}
	flooded, err := phase(ctx, cfg, filepath.Join(dir, "flooded"), true)
	if err != nil {
		return fmt.Errorf("flooded phase: %w", err)
	}
	fmt.Fprintf(out, "`go run ./bench/flood %s` — %s, %s/%s, %d CPU, took %s.\n\n", joinArgs(args), runtime.Version(),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Since(start).Round(time.Second))
	fmt.Fprintf(out, "| 1-cell commit in a quiet room | p50 | p99 | max | flood |\n|---|---|---|---|---|\n")
	fmt.Fprintf(out, "| no flood | %s | %s | %s | — |\n", ms(quiet.p(50)), ms(quiet.p(99)), ms(quiet.p(100)))
	fmt.Fprintf(out, "| %d rooms flooded at the per-address budget | %s | %s | %s | while measured: %d commits of %d×%d stored (%.1f MB/s); %d refused in all; %d flood connections closed by the server |\n",
		cfg.floods, ms(flooded.p(50)), ms(flooded.p(99)), ms(flooded.p(100)), flooded.stored, cfg.side, cfg.side,
		float64(flooded.bytes)/flooded.took.Seconds()/1e6, flooded.refused, flooded.dropped)
	fmt.Fprintf(out, "\nRatio flooded / quiet: p50 %.1f×, p99 %.1f×.\n", ratio(flooded.p(50), quiet.p(50)), ratio(flooded.p(99), quiet.p(99)))
	return nil
}

type result struct {
	lat             []time.Duration
	stored, refused int
	dropped         int // flood connections the server closed
	bytes           int64
	took            time.Duration
}

func (r result) p(q int) time.Duration {
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*q/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}

// from makes WebSocket dial options whose connections come from src.
func from(src string) *websocket.DialOptions {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}}
}

// phase runs one server and measures the quiet room, with or without
// the flood.
func phase(ctx context.Context, cfg config, dir string, flood bool) (result, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return result{}, err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "tcanvas.db"))
	if err != nil {
		return result{}, err
	}
	defer st.Close()
	srv, err := authority.New(authority.Options{Store: st, Open: true})
	if err != nil {
		return result{}, err
	}
	hs := httptest.NewServer(srv)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		hs.Close()
	}()
	link := func(room string) string { return hs.URL + "/r/" + room }

	fctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var refused atomic.Int64
	warm := 2 * time.Second
	var dropped atomic.Int64
	if flood {
		// Two connections per flooded room and address: one connection's
		// budget is half its address's, and the flood is at the address's.
		for n := range 2 * cfg.floods {
			i, id := n/2, fmt.Sprintf("f%d", n)
			a, err := rawclient.DialWith(fctx, link(fmt.Sprintf("flood%d", i)), wire.Hello{Client: id, Name: "flood"}, from(fmt.Sprintf("127.0.0.%d", 2+i)))
			if err != nil {
				return result{}, err
			}
			defer a.WS.CloseNow()
			if err := a.Sync(fctx); err != nil {
				return result{}, err
			}
			wg.Add(2)
			go func() { // reader: counts answers
				defer wg.Done()
				for {
					// Raw reads: an attacker need not apply what it is
					// sent, and this process's CPU is the server's too.
					_, b, err := a.WS.Read(fctx)
					if err != nil {
						if fctx.Err() == nil {
							dropped.Add(1) // the server closed a flooder: its right
						}
						return
					}
					if bytes.HasPrefix(b, []byte(`{"t":"reject"`)) {
						refused.Add(1)
					}
				}
			}()
			go func() { // writer: as fast as the commit rate lets it
				defer wg.Done()
				tick := time.NewTicker(time.Second / 90) // under the 100/s commit rate
				defer tick.Stop()
				for k := 0; ; k++ {
					op := model.Op{Kind: model.OpRect, W: cfg.side, H: cfg.side, Ch: rune('a' + k%2)}
					if err := a.Send(fctx, wire.Commit{T: wire.TCommit, ID: fmt.Sprintf("%s-%d", id, k), Ops: []model.Op{op}}); err != nil {
						return // closed by the server: its reader counts it
					}
					select {
					case <-tick.C:
					case <-fctx.Done():
						return
					}
				}
			}()
		}
		time.Sleep(warm) // past the budget's burst: the flood at its steady rate
	}
	q, err := rawclient.DialWith(ctx, link("quiet"), wire.Hello{Client: "q", Name: "quiet"}, from("127.0.0.9"))
	if err != nil {
		return result{}, err
	}
	defer q.WS.CloseNow()
	if err := q.Sync(ctx); err != nil {
		return result{}, err
	}
	res := result{}
	t0 := time.Now()
	for i := range cfg.samples {
		at := time.Now()
		f, err := q.Commit(ctx, fmt.Sprintf("q-%d", i), rawclient.Text(int32(i%80), int32(i/80), "x"))
		if err != nil {
			return result{}, err
		}
		if f.T != wire.TCommitted {
			return result{}, fmt.Errorf("quiet commit answered %s", f.Raw)
		}
		res.lat = append(res.lat, time.Since(at))
		time.Sleep(cfg.interval)
	}
	res.took = time.Since(t0)
	stop()
	wg.Wait()
	res.refused, res.dropped = int(refused.Load()), int(dropped.Load())
	if flood {
		// What the flood stored while the quiet room was measured.
		for i := range cfg.floods {
			room := fmt.Sprintf("flood%d", i)
			recs, err := st.Records(ctx, room, 0, -1)
			if err != nil {
				return result{}, err
			}
			for _, r := range recs {
				if r.At < t0.UnixMilli() || r.At > t0.Add(res.took).UnixMilli() {
					continue // the burst before the measured window
				}
				full, err := st.Record(ctx, room, r.Seq)
				if err != nil {
					return result{}, err
				}
				res.stored++
				res.bytes += int64(len(full.Ops) + len(full.Effect))
			}
		}
	}
	return res, nil
}
