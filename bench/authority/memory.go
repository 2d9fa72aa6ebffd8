package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/net/wire"
)

type idleResult struct {
	rooms, perRoom, conns int
	rssOK                 bool
	rss0, rss1            uint64
	mem0, mem1            memStats
	dial                  time.Duration
}

func (r idleResult) rssPerConn() float64 {
	return (float64(r.rss1) - float64(r.rss0)) / float64(r.conns)
}

func (r idleResult) heapPerConn() float64 {
	return (float64(r.mem1.HeapAlloc) - float64(r.mem0.HeapAlloc)) / float64(r.conns)
}

// runIdle opens rooms × perRoom idle connections, all welcomed, to an
// authority in a child process and reads the child's memory before and
// after.
func runIdle(ctx context.Context, cfg config, stderr io.Writer) (res idleResult, err error) {
	res = idleResult{rooms: cfg.idleRooms, perRoom: cfg.idlePerRoom, conns: cfg.idleRooms * cfg.idlePerRoom}
	if err := raiseFileLimit(); err != nil {
		return res, err
	}
	if l := fileLimit(); l != 0 && l < uint64(res.conns)+256 {
		return res, fmt.Errorf("idle: the open-file limit is %d, too few for %d connections: raise the hard limit (ulimit -Hn)", l, res.conns)
	}
	cfg.maxPeers = cfg.idlePerRoom
	ch, err := startChild(ctx, cfg, stderr)
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := ch.stop(); err == nil {
			err = serr
		}
	}()
	if res.mem0, err = ch.mem(ctx); err != nil {
		return res, err
	}
	res.rss0, res.rssOK = ch.rss()

	clients := make([]*rawclient.Client, res.conns)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.WS.CloseNow()
			}
		}
	}()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := range clients {
		g.Go(func() error {
			room, n := i%res.rooms, i/res.rooms
			name := "idle" + strconv.Itoa(room) + "p" + strconv.Itoa(n)
			c, err := rawclient.Join(gctx, ch.link("idle"+strconv.Itoa(room)), wire.Hello{Client: name, Name: name})
			if err != nil {
				return fmt.Errorf("idle: join %s: %w", name, err)
			}
			clients[i] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	res.dial = time.Since(start)
	// Every client holds its ready; the server's writers may still be
	// sending the roster joins of the last arrivals. Let them settle.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res.mem1, err = ch.mem(ctx); err != nil {
			return res, err
		}
		if int(res.mem1.Connections) == res.conns && res.mem1.RoomsLive == res.rooms {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("idle: the authority counts %v connections in %d rooms, want %d in %d",
				res.mem1.Connections, res.mem1.RoomsLive, res.conns, res.rooms)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return res, err
		}
	}
	if err := sleep(ctx, 500*time.Millisecond); err != nil {
		return res, err
	}
	if res.mem1, err = ch.mem(ctx); err != nil {
		return res, err
	}
	rss1, ok := ch.rss()
	res.rss1, res.rssOK = rss1, res.rssOK && ok
	if cfg.memprof != "" {
		if err := ch.heapProfile(ctx, cfg.memprof+"-idle"); err != nil {
			return res, err
		}
	}
	return res, nil
}

type hibResult struct {
	rooms, commits      int
	heap0, heap1, heap2 uint64 // live heap before, after one round of rooms, after two
	gor0, gor2          int
	stored              int
	hibernations        float64
}

// heapPerRoom is the live heap after the first round, over its rooms.
func (r hibResult) heapPerRoom() float64 {
	return (float64(r.heap1) - float64(r.heap0)) / float64(r.rooms)
}

// growthPerRoom is what the second round added, over its rooms: a leak
// shows here, while one-off residue (pools, caches) does not.
func (r hibResult) growthPerRoom() float64 {
	return (float64(r.heap2) - float64(r.heap1)) / float64(r.rooms)
}

// runHibernate creates rooms with some drawing, lets them hibernate and
// compares the live heap with what it was before; then again with as many
// new rooms.
func runHibernate(ctx context.Context, cfg config) (res hibResult, err error) {
	res.rooms, res.commits = cfg.hibRooms, cfg.hibCommits
	if cfg.memprof != "" {
		// Every allocation of this phase, so that the small residue shows;
		// only this phase, whose figures are not timings, pays for it.
		defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
		runtime.MemProfileRate = 1
	}
	opts := benchOptions(cfg)
	opts.IdleTimeout = 100 * time.Millisecond
	s, err := startServer(ctx, cfg.dir, opts, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := s.close(); err == nil {
			err = cerr
		}
	}()
	// A first few rooms make every lazily built thing (statements, pools,
	// buffers) part of the baseline.
	const warm = 16
	if err := populate(ctx, s, "warm", warm, cfg.hibCommits); err != nil {
		return res, err
	}
	if err := settle(ctx, s); err != nil {
		return res, err
	}
	m := readMem()
	res.heap0, res.gor0 = m.HeapAlloc, m.Goroutines
	for round, heap := range []*uint64{&res.heap1, &res.heap2} {
		if err := populate(ctx, s, "hib"+strconv.Itoa(round)+"-", cfg.hibRooms, cfg.hibCommits); err != nil {
			return res, err
		}
		if err := settle(ctx, s); err != nil {
			return res, err
		}
		m = readMem()
		*heap, res.gor2 = m.HeapAlloc, m.Goroutines
	}
	if cfg.memprof != "" {
		if err := writeHeapProfile(cfg.memprof + "-hibernate"); err != nil {
			return res, err
		}
	}
	if res.stored, err = s.st.Rooms(ctx); err != nil {
		return res, err
	}
	res.hibernations = counter(s.reg, "tcanvas_room_hibernations_total", "")
	if want := float64(2*cfg.hibRooms + warm); res.hibernations != want || res.stored != int(want) {
		return res, fmt.Errorf("hibernate: %v hibernations and %d rooms stored, want %v", res.hibernations, res.stored, want)
	}
	return res, nil
}

// settle waits until every room hibernated and every connection handler
// ended.
func settle(ctx context.Context, s *server) error {
	if err := s.waitHibernated(ctx, time.Minute); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if n, _ := gauge(s.reg, "tcanvas_connections"); n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connections still open a minute after their clients closed")
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return err
		}
	}
	// Goroutines that end just after the handlers (timers, the http
	// server's per-connection goroutines) get a moment to go.
	g := runtime.NumGoroutine()
	for range 50 {
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if n := runtime.NumGoroutine(); n == g {
			break
		} else {
			g = n
		}
	}
	return nil
}

// populate creates n rooms named prefix0..prefixN-1, each with commits
// commits from one client that then leaves.
func populate(ctx context.Context, s *server, prefix string, n, commits int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			name := prefix + strconv.Itoa(i)
			c, err := rawclient.Join(gctx, s.link(name), wire.Hello{Client: name, Name: name})
			if err != nil {
				return fmt.Errorf("join %s: %w", name, err)
			}
			defer c.WS.CloseNow()
			for k := range commits {
				f, err := c.Commit(gctx, c.NextID(name), rawclient.Text(int32(k%areaW), int32(k%areaH), "hibernate"))
				if err != nil {
					return fmt.Errorf("%s: commit: %w", name, err)
				}
				if f.T != wire.TCommitted {
					return fmt.Errorf("%s: commit answered with %s", name, f.Raw)
				}
			}
			if err := c.Close(); err != nil {
				return fmt.Errorf("%s: close: %w", name, err)
			}
			return nil
		})
	}
	return g.Wait()
}
