package model

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// sampleCanvas has several styles, runs split by gaps and by style,
// negative coordinates, a full dense tile and scattered sparse tiles.
func sampleCanvas() *Canvas {
	c := NewCanvas()
	c.Apply([]Op{
		{Kind: OpText, X: -3, Y: -2, Text: "hello world", FG: Indexed(2)},
		{Kind: OpText, X: 9, Y: -2, Text: "!!", Attr: Bold},
		{Kind: OpRect, X: 64, Y: 16, W: 32, H: 16, Ch: '#', BG: RGB(10, 20, 30)},
		{Kind: OpSet, Cells: []CellAt{
			{-MaxCoord, -MaxCoord, cellOf('a')},
			{MaxCoord, MaxCoord, Cell{'é', Indexed(255), Indexed(0), Strike}},
			{1000, -2, cellOf('─')},
		}},
	})
	return c
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, c := range []*Canvas{NewCanvas(), sampleCanvas()} {
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Canvas
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !d.Equal(c) {
			t.Fatal("round trip changed the canvas")
		}
		b2, _ := d.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatal("re-encoding differs")
		}
	}
	if b, _ := NewCanvas().MarshalBinary(); !bytes.Equal(b, []byte("TCV\x01\x00")) {
		t.Errorf("empty snapshot = %q", b)
	}
}

func TestSnapshotCompact(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{{Kind: OpRect, W: 100, H: 100, Ch: 'x'}})
	b, _ := c.MarshalBinary()
	if len(b) > 10000+100*6+16 {
		t.Errorf("10,000 plain cells took %d bytes", len(b))
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	good, _ := sampleCanvas().MarshalBinary()
	cases := map[string][]byte{
		"empty":       nil,
		"bad magic":   []byte("XYZ\x01\x00"),
		"version":     []byte("TCV\x02\x00"),
		"no count":    []byte("TCV\x01"),
		"trailing":    append(append([]byte{}, good...), 0),
		"huge count":  []byte("TCV\x01\xff\xff\xff\xff\x0f"),
		"huge run":    []byte("TCV\x01\x01\x01\x00\xff\xff\xff\xff\x0f\x41"),
		"empty run":   []byte("TCV\x01\x01\x01\x00\x00\x41"),
		"dy zero":     []byte("TCV\x01\x01\x00\x00\x01\x41"),
		"y too far":   []byte("TCV\x01\x01\x80\x80\x80\x80\x09\x00\x01\x41"),
		"x too far":   []byte("TCV\x01\x01\x01\x80\x80\x80\x80\x09\x01\x41"),
		"unsure rune": []byte("TCV\x01\x01\x01\x00\x01\xe6\xe3\x07"),
		"wide edge":   []byte("TCV\x01\x01\x01\x80\x80\x80\x80\x08\x01\xad\x9c\x01"),
		"tab":         []byte("TCV\x01\x01\x01\x00\x01\x09"),
		"bad colour":  []byte("TCV\x01\x01\x01\x00\x01\x00\x40\x05\x41"),
		"style no ch": []byte("TCV\x01\x01\x01\x00\x01\x00\x01\x00"),
		"truncated":   good[:len(good)-1],
	}
	// Runs cannot overlap: dy and the gap are unsigned, so the closest a
	// forger can get is two adjacent runs, which is valid.
	if err := new(Canvas).UnmarshalBinary([]byte("TCV\x01\x02\x01\x00\x02\x41\x41\x00\x00\x01\x41")); err != nil {
		t.Errorf("adjacent runs rejected: %v", err)
	}
	for name, b := range cases {
		c := sampleCanvas()
		err := c.UnmarshalBinary(b)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
		if !c.Equal(sampleCanvas()) {
			t.Errorf("%s: failed decode modified the canvas", name)
		}
	}
	for i := range good {
		if err := new(Canvas).UnmarshalBinary(good[:i]); err == nil {
			t.Errorf("prefix of %d bytes decoded", i)
		}
	}
}

func TestEffectRoundTrip(t *testing.T) {
	c := sampleCanvas()
	e := c.Apply([]Op{
		{Kind: OpRect, X: -5, Y: -5, W: 20, H: 10},
		{Kind: OpText, X: MaxCoord - 1, Y: -MaxCoord, Text: "zz", FG: RGB(1, 2, 3), Attr: Italic},
	})
	if len(e) == 0 {
		t.Fatal("empty effect")
	}
	for _, e := range []Effect{nil, e} {
		b := AppendEffect([]byte("prefix"), e)
		got, err := DecodeEffect(b[len("prefix"):])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(e) || len(e) > 0 && !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip: %v != %v", got, e)
		}
	}
}

func TestEffectCorrupt(t *testing.T) {
	ch := func(x, y int32, b, a Cell) Change { return Change{x, y, b, a} }
	good := AppendEffect(nil, Effect{ch(1, 1, Cell{}, cellOf('a')), ch(2, 1, cellOf('b'), Cell{})})
	cases := map[string][]byte{
		"empty":      nil,
		"version":    {2, 0},
		"trailing":   append(append([]byte{}, good...), 0),
		"huge count": {1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"duplicate":  AppendEffect(nil, Effect{ch(1, 1, Cell{}, cellOf('a')), ch(1, 1, cellOf('a'), cellOf('b'))}),
		"no change":  AppendEffect(nil, Effect{ch(1, 1, cellOf('a'), cellOf('a'))}),
		"bounds":     AppendEffect(nil, Effect{ch(MaxCoord+1, 0, Cell{}, cellOf('a'))}),
		"unsure":     AppendEffect(nil, Effect{ch(0, 0, Cell{}, cellOf('\U0001F1E6'))}),
		"bad attr":   {1, 1, 0, 0, 0, 'a', 0x3f | 0x40, 0x07},
		"step":       {1, 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 'a', 0},
	}
	for name, b := range cases {
		if e, err := DecodeEffect(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, %v", name, e, err)
		}
	}
	for i := range good {
		if _, err := DecodeEffect(good[:i]); err == nil {
			t.Errorf("prefix of %d bytes decoded", i)
		}
	}
}

func TestRuns(t *testing.T) {
	c := sampleCanvas()
	c.Set(2, -2, Cell{}) // split "hello world" at the space
	runs := c.Runs()
	if err := ValidateOps(runs, Limits{MaxCells: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	d := NewCanvas()
	d.Apply(runs)
	if !d.Equal(c) {
		t.Fatal("Runs did not reproduce the canvas")
	}
	if runs[0].Y != -MaxCoord || runs[0].Text != "a" {
		t.Errorf("first run = %+v", runs[0])
	}
	if r := runs[1]; !reflect.DeepEqual(r, Op{Kind: OpText, X: -3, Y: -2, Text: "hello", FG: Indexed(2)}) {
		t.Errorf("run 1 = %+v", r)
	}
	if r := runs[2]; !reflect.DeepEqual(r, Op{Kind: OpText, X: 3, Y: -2, Text: "world", FG: Indexed(2)}) {
		t.Errorf("run 2 = %+v", r)
	}
	if r := runs[3]; !reflect.DeepEqual(r, Op{Kind: OpText, X: 9, Y: -2, Text: "!!", Attr: Bold}) {
		t.Errorf("run 3 = %+v", r)
	}
	if r := runs[4]; r.Text != "─" || r.X != 1000 {
		t.Errorf("run 4 = %+v", r)
	}
	if r := runs[5]; len(r.Text) != 32 || r.X != 64 || r.Y != 16 {
		t.Errorf("run 5 = %+v", r)
	}
	if len(runs) != 1+4+16+1 {
		t.Errorf("%d runs", len(runs))
	}
	if NewCanvas().Runs() != nil {
		t.Error("empty canvas has runs")
	}
}
