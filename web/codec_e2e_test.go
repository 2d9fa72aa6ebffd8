package web_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// jsPresence is presence.js's decoded packet.
type jsPresence struct {
	Seq      uint16
	Hidden   bool
	NoFollow bool
	Cursor   *struct{ X, Y int32 }
	Viewport *struct{ X, Y, W, H int32 }
	Tool     *uint8
	Brush    string
	Ghost    *struct {
		Kind, Style, Arrows uint8
		Ch                  string
		Points              []model.Point
		Text                string
	}
}

func runeOf(s string) rune {
	if s == "" {
		return 0
	}
	return []rune(s)[0]
}

func (j jsPresence) wire() wire.Presence {
	p := wire.Presence{Seq: j.Seq, Hidden: j.Hidden, NoFollow: j.NoFollow}
	if j.Cursor != nil {
		p.HasCursor, p.Cursor = true, model.Point{X: j.Cursor.X, Y: j.Cursor.Y}
	}
	if j.Viewport != nil {
		p.HasViewport, p.Viewport = true, model.Rect{X: j.Viewport.X, Y: j.Viewport.Y, W: j.Viewport.W, H: j.Viewport.H}
	}
	if j.Tool != nil {
		p.HasTool, p.Tool, p.Brush = true, *j.Tool, runeOf(j.Brush)
	}
	if g := j.Ghost; g != nil {
		p.Ghost = &wire.Ghost{Kind: g.Kind, Style: model.BoxStyle(g.Style), Ch: runeOf(g.Ch), Points: g.Points, Arrows: g.Arrows, Text: g.Text}
		if p.Ghost.Points == nil {
			p.Ghost.Points = []model.Point{}
		}
	}
	return p
}

func randomPresence(r *rand.Rand) wire.Presence {
	coord := func() int32 {
		if r.IntN(4) == 0 {
			return int32(r.IntN(2<<30+1) - 1<<30)
		}
		return int32(r.IntN(400) - 200)
	}
	runes := []rune{0, 'a', '#', '─', '╬', 'é', '█', '~'}
	p := wire.Presence{Seq: uint16(r.Uint32()), Hidden: r.IntN(5) == 0, NoFollow: r.IntN(5) == 0}
	if r.IntN(3) > 0 {
		p.HasCursor, p.Cursor = true, model.Point{X: coord(), Y: coord()}
	}
	if r.IntN(2) == 0 {
		p.HasViewport, p.Viewport = true, model.Rect{X: coord(), Y: coord(), W: int32(r.IntN(4097)), H: int32(r.IntN(4097))}
	}
	if r.IntN(2) == 0 {
		p.HasTool, p.Tool, p.Brush = true, uint8(r.IntN(256)), runes[r.IntN(len(runes))]
	}
	if r.IntN(3) == 0 {
		g := &wire.Ghost{Kind: uint8(1 + r.IntN(int(wire.GhostText))), Style: model.BoxStyle(r.IntN(4)), Ch: runes[r.IntN(len(runes))], Points: []model.Point{}}
		for range r.IntN(wire.MaxGhostPoints + 1) {
			g.Points = append(g.Points, model.Point{X: coord(), Y: coord()})
		}
		switch g.Kind {
		case wire.GhostPath:
			g.Arrows = uint8(r.IntN(4))
		case wire.GhostText:
			texts := []string{"", "hi", "two\nlines", "é ─ ★"}
			g.Text = texts[r.IntN(len(texts))]
		}
		p.Ghost = g
	}
	return p
}

// seedCorpus reads the committed fuzz seeds of wire's presence decoder.
func seedCorpus(t *testing.T) [][]byte {
	dir := "../net/wire/testdata/fuzz/FuzzDecodePresence"
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if lit, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(lit, ")")); err == nil {
					out = append(out, []byte(s))
				}
			}
		}
	}
	return out
}

// TestPresenceCodecMatchesGo: the page's presence decoder accepts exactly
// what net/wire accepts and reads the same fields, over random packets,
// their mutations and wire's fuzz seed corpus; its encoder writes the
// bytes net/wire writes.
func TestPresenceCodecMatchesGo(t *testing.T) {
	needBrowser(t)
	hs, _, _ := authorityWithLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, hs.URL+"/r/codec"); err != nil {
		t.Fatal(err)
	}
	createRoom(t, ctx, page)
	waitUntil(t, ctx, "the page", func() bool { return state(t, ctx, page).Ready })

	r := rand.New(rand.NewPCG(14, 14))
	var valid []wire.Presence
	var inputs [][]byte
	for range 400 {
		p := randomPresence(r)
		valid = append(valid, p)
		inputs = append(inputs, p.AppendBinary(nil))
	}
	for i := range 1200 { // mutations: flipped bytes, truncations, extensions
		b := append([]byte(nil), inputs[i%len(valid)]...)
		switch r.IntN(3) {
		case 0:
			b[r.IntN(len(b))] ^= byte(1 << r.IntN(8))
		case 1:
			b = b[:r.IntN(len(b)+1)]
		case 2:
			b = append(b, byte(r.IntN(256)))
		}
		inputs = append(inputs, b)
	}
	inputs = append(inputs, seedCorpus(t)...)
	hexes := make([]string, len(inputs))
	for i, b := range inputs {
		hexes[i] = hex.EncodeToString(b)
	}
	arg, _ := json.Marshal(hexes)
	var got []struct {
		OK  bool
		Err string
		P   jsPresence
		Re  string
	}
	expr := fmt.Sprintf(`import('/_web/presence.js').then((m) => %s.map((h) => {
		const b = Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
		try {
			const p = m.decode(b);
			const re = Array.from(m.encode(p), (x) => x.toString(16).padStart(2, '0')).join('');
			return { ok: true, p, re };
		} catch (e) { return { ok: false, err: String(e) }; }
	}))`, arg)
	if err := page.Eval(ctx, expr, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(inputs) {
		t.Fatalf("%d answers for %d packets", len(got), len(inputs))
	}
	for i, in := range inputs {
		want, err := wire.DecodePresence(in)
		if (err == nil) != got[i].OK {
			t.Errorf("packet %x: Go says %v, the page says ok=%v %s", in, err, got[i].OK, got[i].Err)
			continue
		}
		if err != nil {
			continue
		}
		if p := got[i].P.wire(); !reflect.DeepEqual(p, want) {
			t.Errorf("packet %x: the page read %+v, Go %+v", in, p, want)
		}
		if got[i].Re != hex.EncodeToString(in) {
			t.Errorf("packet %x: the page re-encodes it as %s", in, got[i].Re)
		}
	}
}

func randomOps(r *rand.Rand) []model.Op {
	glyphs := []rune("─│┌┐└┘├┤┬┴┼━┃┏┓┗┛╋═║╔╗╚╝╬╭╮╯╰╴╵╶╷ab#漢😀")
	colors := []model.Color{model.ColorDefault, model.Indexed(3), model.Indexed(200), model.RGB(0x12, 0xab, 0xef)}
	at := func() int32 { return int32(r.IntN(12) - 3) }
	var ops []model.Op
	for range 1 + r.IntN(4) {
		switch r.IntN(4) {
		case 0, 1:
			op := model.Op{Kind: model.OpSet, Merge: r.IntN(3) > 0}
			for range 1 + r.IntN(10) {
				c := model.CellAt{X: at(), Y: at()}
				if r.IntN(8) > 0 {
					c.Cell = model.Cell{Ch: glyphs[r.IntN(len(glyphs))], FG: colors[r.IntN(len(colors))], Attr: model.Attr(r.IntN(64))}
				}
				op.Cells = append(op.Cells, c)
			}
			ops = append(ops, op)
		case 2:
			op := model.Op{Kind: model.OpRect, X: at(), Y: at(), W: int32(1 + r.IntN(4)), H: int32(1 + r.IntN(3))}
			if r.IntN(2) == 0 {
				op.Ch, op.BG = glyphs[r.IntN(len(glyphs))], colors[r.IntN(len(colors))]
				if model.IsWide(op.Ch) {
					op.W = 2 * (1 + op.W/2) // a wide fill is an even number of columns
				}
			}
			ops = append(ops, op)
		case 3:
			ops = append(ops, model.Op{Kind: model.OpText, X: at(), Y: at(), Text: []string{"a┼\n b", "漢字 😀\nx", "a漢"}[r.IntN(3)], FG: colors[r.IntN(len(colors))]})
		}
	}
	return ops
}

// TestCanvasModelMatchesGo: the page's canvas applies committed ops
// exactly as model does, box-glyph merging included, over random commits.
func TestCanvasModelMatchesGo(t *testing.T) {
	needBrowser(t)
	hs, _, _ := authorityWithLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, page := browser(t, ctx)
	if err := page.Navigate(ctx, hs.URL+"/r/model"); err != nil {
		t.Fatal(err)
	}
	createRoom(t, ctx, page)
	waitUntil(t, ctx, "the page", func() bool { return state(t, ctx, page).Ready })
	r := rand.New(rand.NewPCG(14, 13))
	for round := range 30 {
		var commits [][]model.Op
		canvas := model.NewCanvas()
		for range 40 {
			ops := randomOps(r)
			if err := model.ValidateOps(ops, model.DefaultLimits); err != nil {
				continue
			}
			canvas.Apply(ops)
			commits = append(commits, ops)
		}
		arg, err := json.Marshal(commits)
		if err != nil {
			t.Fatal(err)
		}
		var cells map[string]struct {
			Ch, FG, BG string
			Attr       int
		}
		expr := fmt.Sprintf(`import('/_web/model.js').then((m) => {
			const c = new m.Canvas();
			for (const ops of %s) for (const op of ops) c.apply(op);
			return Object.fromEntries(c.cells);
		})`, arg)
		if err := page.Eval(ctx, expr, &cells); err != nil {
			t.Fatal(err)
		}
		n := 0
		canvas.Each(func(x, y int32, c model.Cell) bool {
			if c.IsContinuation() {
				return true // the page stores a wide character's left cell only
			}
			n++
			k := fmt.Sprintf("%d,%d", x, y)
			got, ok := cells[k]
			want := struct {
				Ch, FG, BG string
				Attr       int
			}{string(c.Ch), colorJSON(c.FG), colorJSON(c.BG), int(c.Attr)}
			if !ok || got != want {
				t.Errorf("round %d, cell %s: the page has %+v, model %+v", round, k, got, want)
			}
			return true
		})
		if n != len(cells) {
			t.Errorf("round %d: the page holds %d cells, model %d", round, len(cells), n)
		}
		if t.Failed() {
			t.Fatalf("commits: %s", arg)
		}
	}
}

func colorJSON(c model.Color) string {
	b, _ := json.Marshal(c)
	var s string
	json.Unmarshal(b, &s)
	return s
}
