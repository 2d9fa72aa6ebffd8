package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

type wakeResult struct {
	rooms, history int
	cells          int             // drawn cells of a woken room
	wake           []time.Duration // dial to ready, hibernated room; sorted
	live           []time.Duration // dial to ready, same room already live; sorted
	server         histo           // tcanvas_room_wake_seconds
}

// runWake builds rooms with history commits each, lets them hibernate,
// then times dial-to-ready of one client waking each, round after round.
// For comparison it also times joins of a room that is already live.
func runWake(ctx context.Context, cfg config) (res wakeResult, err error) {
	res.rooms, res.history = cfg.wakeRooms, cfg.wakeHistory
	opts := benchOptions(cfg)
	opts.IdleTimeout = 50 * time.Millisecond
	s, err := startServer(ctx, cfg.dir, opts, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := s.close(); err == nil {
			err = cerr
		}
	}()
	names := make([]string, cfg.wakeRooms)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i := range names {
		names[i] = "wake" + strconv.Itoa(i)
		g.Go(func() error { return buildHistory(gctx, s.link(names[i]), names[i], cfg.wakeHistory) })
	}
	if err := g.Wait(); err != nil {
		return res, err
	}
	if err := s.waitHibernated(ctx, time.Minute); err != nil {
		return res, err
	}
	joinOnce := func(name string) (time.Duration, error) {
		start := time.Now()
		c, err := rawclient.Join(ctx, s.link(name), wire.Hello{Client: "waker", Name: "waker"})
		took := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("wake %s: %w", name, err)
		}
		defer c.WS.CloseNow()
		if c.Welcome.Seq != uint64(cfg.wakeHistory) || c.Seq != c.Welcome.Seq || c.Welcome.Sync != wire.SyncSnapshot {
			return 0, fmt.Errorf("wake %s: welcome at seq %d (%s sync), canvas at %d; want %d by snapshot",
				name, c.Welcome.Seq, c.Welcome.Sync, c.Seq, cfg.wakeHistory)
		}
		if c.Canvas.Len() == 0 {
			return 0, fmt.Errorf("wake %s: empty canvas", name)
		}
		res.cells = c.Canvas.Len()
		return took, c.Close()
	}
	for len(res.wake) < cfg.wakeSamples {
		for _, name := range names {
			if len(res.wake) == cfg.wakeSamples {
				break
			}
			d, err := joinOnce(name)
			if err != nil {
				return res, err
			}
			res.wake = append(res.wake, d)
		}
		if err := s.waitHibernated(ctx, time.Minute); err != nil {
			return res, err
		}
	}
	res.server, _ = histogram(s.reg, "tcanvas_room_wake_seconds")

	// The same join with the room already in memory: what waking adds.
	holder, err := rawclient.Join(ctx, s.link(names[0]), wire.Hello{Client: "holder", Name: "holder"})
	if err != nil {
		return res, fmt.Errorf("wake: hold %s: %w", names[0], err)
	}
	defer holder.WS.CloseNow()
	for range min(cfg.wakeSamples, 100) {
		d, err := joinOnce(names[0])
		if err != nil {
			return res, err
		}
		res.live = append(res.live, d)
	}
	if err := holder.Close(); err != nil {
		return res, err
	}
	slices.Sort(res.wake)
	slices.Sort(res.live)
	return res, nil
}

// buildHistory gives a new room n commits, pipelined, from one client.
func buildHistory(ctx context.Context, link, name string, n int) error {
	c, err := rawclient.Join(ctx, link, wire.Hello{Client: name, Name: name})
	if err != nil {
		return fmt.Errorf("join %s: %w", name, err)
	}
	defer c.WS.CloseNow()
	g, gctx := errgroup.WithContext(ctx)
	window := make(chan struct{}, 128)
	g.Go(func() error {
		for k := range n {
			select {
			case window <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			x, y := int32(k*37%(areaW-10)), int32(k*11%areaH)
			ops := []model.Op{rawclient.Text(x, y, fmt.Sprintf("commit %d", k))}
			if err := c.Send(gctx, wire.Commit{T: wire.TCommit, ID: c.NextID(name), Ops: ops}); err != nil {
				return err
			}
		}
		return nil
	})
	g.Go(func() error {
		for c.Seq < uint64(n) {
			f, err := c.Read(gctx)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			switch f.T {
			case wire.TCommitted:
				select {
				case <-window:
				default:
					return fmt.Errorf("%s: committed frame with nothing in flight: %s", name, f.Raw)
				}
			case wire.TJoin, wire.TLeave:
			default:
				return fmt.Errorf("%s: protocol error: unexpected frame %s", name, f.Raw)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	return c.Close()
}
