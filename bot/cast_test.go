package bot_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
)

// term is the least of a terminal: cursor moves (CUP), clearing the screen
// and a line, text; SGR and modes are ignored. Enough to read a replay.
type term struct {
	w, h     int
	cells    [][]rune
	row, col int
}

func newTerm(w, h int) *term {
	t := &term{w: w, h: h}
	t.clear()
	return t
}

func (t *term) clear() {
	t.cells = make([][]rune, t.h)
	for i := range t.cells {
		t.cells[i] = []rune(strings.Repeat(" ", t.w))
	}
}

func (t *term) write(s string) {
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] != 0x1b {
			if t.row < t.h && t.col < t.w {
				t.cells[t.row][t.col] = rs[i]
			}
			t.col++
			continue
		}
		// ESC [ params final
		j := i + 2
		for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
			j++
		}
		params, final := string(rs[i+2:j]), rs[j]
		switch final {
		case 'H':
			p := strings.Split(params, ";")
			t.row, t.col = 0, 0
			if len(p) == 2 {
				r, _ := strconv.Atoi(p[0])
				c, _ := strconv.Atoi(p[1])
				t.row, t.col = r-1, c-1
			}
		case 'J':
			t.clear()
		case 'K':
			if t.row < t.h {
				t.cells[t.row] = []rune(strings.Repeat(" ", t.w))
			}
		}
		i = j
	}
}

// rows are the first n rows, trailing spaces trimmed.
func (t *term) rows(n int) string {
	var out []string
	for _, r := range t.cells[:n] {
		out = append(out, strings.TrimRight(string(r), " "))
	}
	return strings.Join(out, "\n")
}

// cast is a parsed asciicast v2 file.
type cast struct {
	header bot.CastHeader
	times  []float64
	data   []string
}

func parseCast(t *testing.T, b []byte) cast {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	var c cast
	if !sc.Scan() {
		t.Fatal("empty cast")
	}
	if err := json.Unmarshal(sc.Bytes(), &c.header); err != nil || c.header.Version != 2 || c.header.Width <= 0 || c.header.Height <= 0 {
		t.Fatalf("header %q: %v", sc.Text(), err)
	}
	for sc.Scan() {
		var ev []json.RawMessage
		var at float64
		var kind, data string
		if json.Unmarshal(sc.Bytes(), &ev) != nil || len(ev) != 3 || json.Unmarshal(ev[0], &at) != nil ||
			json.Unmarshal(ev[1], &kind) != nil || kind != "o" || json.Unmarshal(ev[2], &data) != nil {
			t.Fatalf("not an asciicast v2 output event: %q", sc.Text())
		}
		if n := len(c.times); n > 0 && at < c.times[n-1] {
			t.Fatalf("event at %v after one at %v", at, c.times[n-1])
		}
		c.times, c.data = append(c.times, at), append(c.data, data)
	}
	return c
}

func records() []bot.Record {
	at := int64(1_700_000_000_000)
	ops := [][]model.Op{
		{{Kind: model.OpText, X: 2, Y: 1, Text: "hello", FG: model.Indexed(9)}},
		{{Kind: model.OpRect, X: 0, Y: 3, W: 4, H: 2, Ch: '#'}},
		{{Kind: model.OpText, X: 3, Y: 1, Text: "EL"}},
		{{Kind: model.OpSet, Cells: []model.CellAt{{X: 0, Y: 3}, {X: 1, Y: 3}}}}, // an erasure
		{{Kind: model.OpText, X: -1, Y: 0, Text: "edge"}},
	}
	gaps := []int64{0, 700, 5700, 100, 0} // milliseconds before each
	var recs []bot.Record
	for i, o := range ops {
		at += gaps[i]
		recs = append(recs, bot.Record{Seq: uint64(i + 1), At: at, Name: "alice", Kind: "draw", Ops: o})
	}
	return recs
}

// TestPlayCast: every frame, applied in order to a terminal, shows the
// canvas after the records so far; the last frame alone shows the final
// canvas; pauses follow the commits' times, sped up and capped.
func TestPlayCast(t *testing.T) {
	recs := records()
	region, ok := bot.ReplayRegion(recs)
	if !ok || region != (model.Rect{X: -1, Y: 0, W: 8, H: 5}) {
		t.Fatalf("region %+v", region)
	}
	var buf bytes.Buffer
	w, h := bot.Screen(region)
	cw, err := bot.NewCastWriter(&buf, bot.CastHeader{Width: w, Height: h, Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := bot.Play(recs, bot.PlayOptions{Speed: 2, MaxGap: 2 * time.Second}, cw.Frame); err != nil {
		t.Fatal(err)
	}
	if err := cw.Flush(); err != nil {
		t.Fatal(err)
	}
	c := parseCast(t, buf.Bytes())
	if c.header.Width != 24 || c.header.Height != 6 || len(c.data) != len(recs)+2 {
		t.Fatalf("header %+v, %d events", c.header, len(c.data))
	}
	// 700 ms at speed 2 is 0.35 s; 5.7 s (2.85 s) is capped at 2 s.
	if want := []float64{0, 0, 0.35, 2.35, 2.4, 2.4, 3.4}; !slices.Equal(c.times, want) {
		t.Fatalf("times %v", c.times)
	}
	tm := newTerm(w, h)
	canvas := model.NewCanvas()
	for i, d := range c.data[:len(c.data)-1] {
		tm.write(d)
		if i > 0 {
			canvas.Apply(recs[i-1].Ops)
		}
		if got, want := tm.rows(int(region.H)), model.RenderText(canvas, region); got != want {
			t.Fatalf("after event %d the screen shows\n%s\nwant\n%s", i, got, want)
		}
	}
	final := model.RenderText(canvas, region)
	last := newTerm(w, h)
	last.write(c.data[len(c.data)-1])
	if got := last.rows(int(region.H)); got != final || !strings.Contains(got, "hELlo") {
		t.Fatalf("the last frame alone shows\n%s\nwant\n%s", got, final)
	}
	if !strings.Contains(last.rows(h), "#5, the end") {
		t.Fatalf("status line: %q", last.rows(h))
	}
}

// TestPlayFrom: --from starts with the canvas as it was before that seq.
func TestPlayFrom(t *testing.T) {
	recs := records()
	var frames []bot.Frame
	if err := bot.Play(recs, bot.PlayOptions{From: 4}, func(f bot.Frame) error { frames = append(frames, f); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 4 { // the state before 4, records 4 and 5, the end
		t.Fatalf("%d frames", len(frames))
	}
	region, _ := bot.ReplayRegion(recs)
	tm := newTerm(bot.Screen(region))
	tm.write(frames[0].Data)
	c := model.NewCanvas()
	for _, r := range recs[:3] {
		c.Apply(r.Ops)
	}
	if got := tm.rows(int(region.H)); got != model.RenderText(c, region) {
		t.Fatalf("first frame from 4:\n%s", got)
	}
}

// TestHistoryToCast: the history of a real room, read over HTTP, plays
// back to its canvas.
func TestHistoryToCast(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := observe(t, ctx, a.link("hist"))
	for i := range 5 {
		obs.s.Commit([]model.Op{{Kind: model.OpText, X: int32(i), Y: int32(i), Text: "x" + strconv.Itoa(i)}})
	}
	if _, err := obs.s.Undo(); err != nil {
		t.Fatal(err)
	}
	if err := obs.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var recs []bot.Record
	info, err := bot.History(ctx, http.DefaultClient, a.link("hist"), "", 0, func(r bot.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Seq != 6 || len(recs) != 6 || recs[5].Kind != "undo" || recs[0].Name != "observer" {
		t.Fatalf("history %+v: %d records", info, len(recs))
	}
	var frames []bot.Frame
	if err := bot.Play(recs, bot.PlayOptions{}, func(f bot.Frame) error { frames = append(frames, f); return nil }); err != nil {
		t.Fatal(err)
	}
	region, _ := bot.ReplayRegion(recs)
	tm := newTerm(bot.Screen(region))
	tm.write(frames[len(frames)-1].Data)
	if got, want := tm.rows(int(region.H)), model.RenderText(obs.s.Confirmed(), region); got != want {
		t.Fatalf("replayed\n%s\nthe room holds\n%s", got, want)
	}
	// A closed room's history is refused without a token.
	b := newAuthority(t, authority.Options{})
	closed := observe(t, ctx, b.link("c"))
	_ = closed
	if _, err := bot.History(ctx, nil, b.link("c"), "", 0, func(bot.Record) error { return nil }); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("closed room without a token: %v", err)
	}
	tok := closed.s.Info().Token
	if _, err := bot.History(ctx, nil, b.link("c")+"?token="+tok, "", 0, func(bot.Record) error { return nil }); err != nil {
		t.Fatalf("closed room with its owner token: %v", err)
	}
}
