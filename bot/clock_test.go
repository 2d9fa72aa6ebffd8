package bot_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
)

func TestBigTime(t *testing.T) {
	at := time.Date(2025, 1, 2, 9, 58, 7, 0, time.UTC)
	rows := bot.BigTime(at, false)
	got := strings.Join(rows[:], "\n")
	want := "" +
		"┌─┐ ┌─┐   ┌─╴ ┌─┐\n" +
		"│ │ └─┤ : └─┐ ├─┤\n" +
		"└─┘ ╶─┘   ╶─┘ └─┘"
	if got != want {
		t.Fatalf("09:58:\n%s\nwant\n%s", got, want)
	}
	// Every digit is three columns, every row as wide as the others, and
	// every glyph fits a cell.
	for d := range 10 {
		at := time.Date(2025, 1, 1, 10*d%24, 11*d, 11*d, 0, time.UTC)
		rows := bot.BigTime(at, true)
		for _, row := range rows {
			if n := utf8.RuneCountInString(row); n != utf8.RuneCountInString(rows[0]) || n != 6*3+2+7 { // six digits, two colons, seven gaps
				t.Fatalf("%v: row %q is %d wide", at, row, n)
			}
			for _, r := range row {
				if err := model.ValidateRune(r); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestClockCommitsOnlyChanges drives the clock with a fake time source:
// each update commits exactly the cells that differ, and an update that
// changes nothing commits nothing.
func TestClockCommitsOnlyChanges(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := observe(t, ctx, a.link("clock"))
	ticks := make(chan time.Time)
	errc := make(chan error, 1)
	at := model.Point{X: 2, Y: 1}
	go func() {
		errc <- bot.Clock(ctx, config(a.link("clock"), "clock"), bot.ClockOptions{At: at, Seconds: true, Location: time.UTC, Ticks: ticks}, bot.IO{})
	}()
	t0 := time.Date(2025, 1, 2, 12, 34, 56, 0, time.UTC)
	for _, tm := range []time.Time{t0, t0.Add(time.Second), t0.Add(time.Second)} {
		select {
		case ticks <- tm:
		case err := <-errc:
			t.Fatal(err)
		}
	}
	close(ticks)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "two commits", func() bool { return len(obs.commits()) >= 2 })
	cs := obs.commits()
	if len(cs) != 2 {
		t.Fatalf("%d commits, want 2 (the third tick showed the same time)", len(cs))
	}
	// 12:34:56 -> 12:34:57 changes only the last digit.
	var changed []model.CellAt
	for _, op := range cs[1].Ops {
		changed = append(changed, op.Cells...)
	}
	six, seven := bot.BigTime(t0, true), bot.BigTime(t0.Add(time.Second), true)
	want := 0
	for y := range 3 {
		r6, r7 := []rune(six[y]), []rune(seven[y])
		for x := range r6 {
			if r6[x] != r7[x] {
				want++
			}
		}
	}
	if len(changed) != want || want == 0 {
		t.Fatalf("second commit wrote %d cells, want %d", len(changed), want)
	}
	got := model.RenderText(obs.s.Canvas(), model.Rect{X: at.X, Y: at.Y, W: 30, H: 3})
	if want := strings.Join(seven[:], "\n"); got != want {
		t.Fatalf("canvas:\n%s\nwant\n%s", got, want)
	}
}
