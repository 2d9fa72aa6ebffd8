package authority_test

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestPropUndoOverTheWire: three people draw crossing boxes and lines in
// one room of a real authority, and undo and redo (their own, or anyone's
// for the owner) at random. After every commit every participant's canvas
// is what drawing only the draws still in effect, in order, gives.
func TestPropUndoOverTheWire(t *testing.T) {
	e := start(t, authority.Options{Open: true, CommitRate: 1e6, CommitBurst: 1 << 20, FrameRate: 1e6, FrameBurst: 1 << 20, ConnRate: 1e6, ConnBurst: 1 << 20})
	ctx := ctxT(t)
	styles := []model.BoxStyle{model.BoxSingle, model.BoxDouble, model.BoxHeavy, model.BoxRounded}
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		link := e.link(fmt.Sprintf("prop%d", run))
		var cs []*rawclient.Client
		for i, name := range []string{"alice", "bob", "cy"} { // alice is the owner
			c, err := rawclient.Join(ctx, link, wire.Hello{Client: fmt.Sprintf("%s%d", name, run), Name: name, Color: model.Indexed(uint8(i + 1))})
			if err != nil {
				rt.Fatal(err)
			}
			defer c.WS.CloseNow()
			cs = append(cs, c)
		}
		type commit struct {
			by     int
			target uint64 // 0: a draw
			redo   bool
			ops    []model.Op
		}
		var log []commit
		inEffect := func(seq uint64) bool {
			var eff func(uint64) bool
			eff = func(s uint64) bool {
				for i := s; i < uint64(len(log)); i++ {
					if log[i].target == s && eff(i+1) {
						return false
					}
				}
				return true
			}
			return eff(seq)
		}
		steps := rapid.IntRange(1, 25).Draw(rt, "steps")
		for step := range steps {
			var undoable, redoable []uint64
			for i, c := range log {
				if c.target == 0 || c.redo {
					undoable = append(undoable, uint64(i+1))
				} else {
					redoable = append(redoable, uint64(i+1))
				}
			}
			by := rapid.IntRange(0, 2).Draw(rt, "by")
			c := cs[by]
			id := c.NextID(fmt.Sprintf("%s%d", []string{"alice", "bob", "cy"}[by], run))
			var f rawclient.Frame
			var err error
			next := commit{by: by}
			switch k := rapid.IntRange(0, 4).Draw(rt, "action"); {
			case k <= 1 || len(undoable) == 0 || k == 4 && len(redoable) == 0:
				x0, y0 := rapid.Int32Range(0, 9).Draw(rt, "x"), rapid.Int32Range(0, 6).Draw(rt, "y")
				x1, y1 := x0+rapid.Int32Range(0, 7).Draw(rt, "w"), y0+rapid.Int32Range(0, 5).Draw(rt, "h")
				if x1 == x0 && y1 == y0 {
					x1++
				}
				next.ops = []model.Op{styledBox(rapid.SampledFrom(styles).Draw(rt, "style"), model.Indexed(uint8(by+1)), x0, y0, x1, y1)}
				f, err = c.Commit(ctx, id, next.ops...)
			default:
				pool, t := undoable, wire.TUndo
				if k == 4 {
					pool, t, next.redo = redoable, wire.TRedo, true
				}
				next.target = rapid.SampledFrom(pool).Draw(rt, "target")
				if author := log[next.target-1].by; author != by {
					by, c = 0, cs[0] // only its author or the owner may
					id = c.NextID(fmt.Sprintf("alice%d", run))
					next.by = 0
				}
				f, err = c.Request(ctx, id, wire.Undo{T: t, ID: id, Target: next.target})
			}
			if err != nil || f.T != wire.TCommitted {
				rt.Fatalf("step %d: %s %v", step, f.Raw, err)
			}
			log = append(log, next)
			want := model.NewCanvas()
			for i, cm := range log {
				if cm.target == 0 && inEffect(uint64(i+1)) {
					want.Apply(cm.ops)
				}
			}
			for i, o := range cs {
				for o.Seq < uint64(len(log)) {
					if _, err := o.Read(ctx); err != nil {
						rt.Fatal(err)
					}
				}
				if !o.Canvas.Equal(want) {
					rt.Fatalf("after %d commits, participant %d sees:\n%s\nwant:\n%s", len(log), i,
						model.RenderText(o.Canvas, model.Rect{W: 20, H: 14}), model.RenderText(want, model.Rect{W: 20, H: 14}))
				}
			}
		}
	})
}

// TestUndoFarBackFallsBack: an undo whose replay would read more of the
// log from the store than an undo may (here, after a wake, when nothing is
// decoded in memory) still lands, reverting cell by cell as PROTOCOL.md
// says. Told apart by a line drawn twice: the replay keeps the second copy
// when the first is undone, the cell-by-cell revert does not.
func TestUndoFarBackFallsBack(t *testing.T) {
	e := start(t, authority.Options{Open: true, IdleTimeout: 50 * time.Millisecond, CommitRate: 1e6, CommitBurst: 1 << 20, FrameRate: 1e6, FrameBurst: 1 << 20})
	ctx := ctxT(t)
	a := join(t, ctx, e.link("far"), "alice")
	var firsts [2]uint64
	for i := range firsts {
		firsts[i] = committed(t)(a.Commit(ctx, a.NextID("alice"), box(0, int32(i), 3, int32(i)))).Seq
		committed(t)(a.Commit(ctx, a.NextID("alice"), box(0, int32(i), 3, int32(i))))
	}
	for i := range 80 {
		committed(t)(a.Commit(ctx, a.NextID("alice"), rawclient.Text(10+int32(i%20), 5+int32(i/20), "x")))
	}
	view := func() string { return model.RenderText(a.Canvas, model.Rect{W: 4, H: 2}) }
	// In memory: replayed, the second copy of line 0 stays.
	committed(t)(a.Request(ctx, "alice-u0", wire.Undo{T: wire.TUndo, ID: "alice-u0", Target: firsts[0]}))
	if view() != "────\n────" {
		t.Fatalf("undo of the first copy, replayed:\n%s", view())
	}
	a.Close()
	waitHibernated(t, e)
	a = join(t, ctx, e.link("far"), "alice")
	// After the wake, 83 commits would come from the store: reverted cell
	// by cell, the second copy of line 1 goes with the first.
	undo := committed(t)(a.Request(ctx, "alice-u1", wire.Undo{T: wire.TUndo, ID: "alice-u1", Target: firsts[1]}))
	if undo.Kind != wire.KindUndo || view() != "────\n" {
		t.Fatalf("undo of the first copy, far back after a wake:\n%s", view())
	}
}
