package model

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// Seeds shared by the f.Add calls; the committed corpus under
// testdata/fuzz holds more, including inputs the fuzzers found.

func snapshotSeeds() [][]byte {
	small := NewCanvas()
	small.Apply([]Op{{Kind: OpText, X: -1, Y: -1, Text: "hi\n─┼", FG: Indexed(3), Attr: Bold}})
	var seeds [][]byte
	for _, c := range []*Canvas{NewCanvas(), small, sampleCanvas()} {
		b, _ := c.MarshalBinary()
		seeds = append(seeds, b)
	}
	good := seeds[1]
	return append(seeds,
		good[:len(good)-1],                 // truncated
		append([]byte("TCX"), good[3:]...), // bad magic
		append([]byte("TCV\x02"), good[4:]...),
		append(append([]byte{}, good...), 0),                          // trailing byte
		[]byte("TCV\x01\x01\x01\x00\x01\xad\x9c\x01"),                 // wide rune
		[]byte("TCV\x01\x01\x01\x80\x80\x80\x80\x08\x01\xad\x9c\x01"), // wide rune at the edge
		[]byte("TCV\x01\x01\x01\x00\x01\xe6\xe3\x07"),                 // regional indicator
		wideSnapshot(),
	)
}

func wideSnapshot() []byte {
	c := NewCanvas()
	c.Apply([]Op{{Kind: OpText, Text: "a漢字😀b\nあ", FG: Indexed(2)}, {Kind: OpRect, X: 3, Y: 1, W: 4, H: 1, Ch: '字'}})
	b, _ := c.MarshalBinary()
	return b
}

func effectSeeds() [][]byte {
	c := sampleCanvas()
	e1 := c.Apply([]Op{{Kind: OpRect, X: -4, Y: -3, W: 6, H: 2, Ch: '#', BG: RGB(9, 8, 7)}})
	e2 := c.Apply([]Op{{Kind: OpSet, Cells: []CellAt{{MaxCoord, -MaxCoord, cellOf('x')}, {0, 0, Cell{'y', Indexed(200), 0, Strike}}}}})
	good := AppendEffect(nil, e1)
	e3 := c.Apply([]Op{{Kind: OpText, X: -4, Y: -3, Text: "漢😀", FG: Indexed(9)}})
	e4 := c.Apply([]Op{{Kind: OpText, X: -3, Y: -3, Text: "字"}})
	return [][]byte{
		AppendEffect(nil, e3),
		AppendEffect(nil, e4),
		AppendEffect(nil, Effect{{0, 0, Cell{}, Cell{Ch: Continuation}}}), // a lone right half
		AppendEffect(nil, nil),
		good,
		AppendEffect(nil, e2),
		good[:len(good)-1],
		{2, 0},
		AppendEffect(nil, Effect{{1, 1, Cell{}, cellOf('a')}, {1, 1, cellOf('a'), cellOf('b')}}), // duplicate
		AppendEffect(nil, Effect{{1, 1, cellOf('a'), cellOf('a')}}),                              // no change
	}
}

var opJSONSeeds = []string{
	`[{"op":"set","cells":[{"x":1,"y":2,"ch":"#","fg":"#ff0000","bg":"","attr":1}]}]`,
	`[{"op":"set","merge":true,"cells":[{"x":0,"y":0,"ch":"─"},{"x":0,"y":0,"ch":"│"},{"x":1,"y":0,"ch":"╔"}]}]`,
	`[{"op":"rect","x":-3,"y":-2,"w":5,"h":4,"ch":"█","fg":"12","bg":"#00ff00","attr":63}]`,
	`[{"op":"rect","x":-3,"y":-2,"w":50,"h":40}]`,
	`[{"op":"text","x":30,"y":14,"text":"hello\nworld","fg":"200"},{"op":"set","cells":[{"x":31,"y":14,"ch":""}]}]`,
	`[{"op":"text","text":"中"}]`,
	`[{"op":"text","text":"a漢字😀b\nあ"},{"op":"set","cells":[{"x":2,"y":0,"ch":"x"},{"x":4,"y":1,"ch":"😀"}]}]`,
	`[{"op":"rect","x":1,"y":0,"w":4,"h":2,"ch":"字","fg":"3"},{"op":"text","x":2,"text":"漢"}]`,
	`[{"op":"rect","w":3,"h":1,"ch":"字"}]`,
	`[{"op":"set","cells":[{"x":1073741824,"y":0,"ch":"字"}]}]`,
	`[{"op":"text","text":"e\u0301🇦"}]`,
	`[{"op":"rect","x":1073741823,"y":0,"w":2,"h":1,"ch":"x"}]`,
	`[{"op":"rect","w":2147483647,"h":2147483647,"ch":"x"}]`,
	`[{"op":"circle"}]`,
	`[{"op":"set","cells":[{"x":1,"ch":"ab"}]}]`,
	`[]`,
}

func FuzzCanvasUnmarshalBinary(f *testing.F) {
	for _, s := range snapshotSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Canvas
		if err := c.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		n := 0
		checkWhole(t, &c)
		c.Each(func(x, y int32, cell Cell) bool {
			n++
			if cell.IsContinuation() {
				return true // checkWhole vouched for it
			}
			if err := cell.Validate(); err != nil || cell.IsEmpty() {
				t.Fatalf("decoded invalid cell (%d,%d) %v: %v", x, y, cell, err)
			}
			if x < -MaxCoord || x > MaxCoord || y < -MaxCoord || y > MaxCoord {
				t.Fatalf("decoded cell out of bounds (%d,%d)", x, y)
			}
			return true
		})
		if n != c.Len() {
			t.Fatalf("Each saw %d cells, Len %d", n, c.Len())
		}
		b2, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Canvas
		if err := d.UnmarshalBinary(b2); err != nil || !d.Equal(&c) {
			t.Fatalf("re-encoding did not round-trip: %v", err)
		}
	})
}

func FuzzDecodeEffect(f *testing.F) {
	for _, s := range effectSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEffect(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		got, err := DecodeEffect(AppendEffect(nil, e))
		if err != nil || len(got) != len(e) || len(e) > 0 && !reflect.DeepEqual(got, e) {
			t.Fatalf("re-encoding did not round-trip: %v", err)
		}
		// Undoing a decoded effect, however inconsistent its wide cells,
		// sends valid ops and leaves no half character.
		c := NewCanvas()
		wide := false
		for _, ch := range e {
			rawSet(c, ch.X, ch.Y, ch.After)
			wide = wide || ch.Before.Width() != 1 || ch.After.Width() != 1
		}
		for _, ch := range e {
			if ch.After.IsWide() || ch.After.IsContinuation() {
				c.Set(ch.X, ch.Y, Cell{}) // make the canvas whole before reverting
			}
		}
		rev := c.Revert(e)
		if err := ValidateOps(rev, Limits{MaxCells: 2*len(e) + 1}); err != nil {
			t.Fatalf("revert of a decoded effect does not validate: %v", err)
		}
		c.Apply(rev)
		checkWhole(t, c)
		if wide {
			return // the replay below needs every cell to be expressible in an op
		}
		// A decoded effect without wide cells is one a real commit could
		// have had: writing the Afters over the Befores reproduces it.
		c = NewCanvas()
		after := make([]CellAt, len(e))
		for i, ch := range e {
			c.Set(ch.X, ch.Y, ch.Before)
			after[i] = CellAt{ch.X, ch.Y, ch.After}
		}
		ops := []Op{{Kind: OpSet, Cells: after}}
		if err := ValidateOps(ops, Limits{MaxCells: len(e) + 1}); err != nil {
			t.Fatalf("decoded cells do not validate: %v", err)
		}
		if len(e) > 0 {
			if replay := c.Apply(ops); !reflect.DeepEqual(replay, e) {
				t.Fatalf("replayed effect differs")
			}
		}
	})
}

func FuzzOpJSON(f *testing.F) {
	for _, s := range opJSONSeeds {
		f.Add([]byte(s))
	}
	base := NewCanvas()
	base.Apply([]Op{
		{Kind: OpText, X: -5, Y: -5, Text: "┌──┐\n│ab│\n└──┘", FG: Indexed(4)},
		{Kind: OpRect, X: 20, Y: 10, W: 40, H: 10, Ch: '.'},
	})
	lim := Limits{MaxCells: 4096}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ops []Op
		if json.Unmarshal(data, &ops) != nil {
			return
		}
		if err := ValidateOps(ops, lim); err != nil {
			return
		}
		c := base.Clone()
		e := c.Apply(ops)
		after := c.Clone()
		if rev := c.Revert(e); !reflect.DeepEqual(rev, e.Inverse()) {
			t.Fatal("Revert right after Apply differs from Inverse")
		}
		c.Apply(e.Inverse())
		if !c.Equal(base) {
			t.Fatal("inverse did not restore the canvas")
		}
		// Valid ops survive a JSON round trip with the same meaning.
		b, err := json.Marshal(ops)
		if err != nil {
			t.Fatalf("marshal valid ops: %v", err)
		}
		var again []Op
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		d := base.Clone()
		d.Apply(again)
		if !d.Equal(after) {
			t.Fatal("JSON round trip changed the ops' meaning")
		}
	})
}
