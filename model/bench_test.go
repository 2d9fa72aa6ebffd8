package model

import (
	"runtime"
	"testing"
)

// bigCanvas returns a 1000×1000 canvas with every cell drawn, styles
// changing every 50 columns, the way a busy shared drawing looks.
func bigCanvas() *Canvas {
	c := NewCanvas()
	for y := range int32(1000) {
		for x := range int32(1000) {
			c.Set(x, y, Cell{Ch: 'a' + (x+y)%26, FG: Indexed(uint8((x/50 + y/50) % 16))})
		}
	}
	return c
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func setCommit(ch rune) []Op {
	cells := make([]CellAt, 0, 10000)
	for y := range int32(100) {
		for x := range int32(100) {
			cells = append(cells, CellAt{x - 50, y - 50, Cell{Ch: ch, FG: Indexed(2)}})
		}
	}
	return []Op{{Kind: OpSet, Cells: cells}}
}

// BenchmarkApply10k applies one commit of 10,000 set cells, alternating
// between two commits so every iteration really changes every cell.
func BenchmarkApply10k(b *testing.B) {
	commits := [2][]Op{setCommit('a'), setCommit('b')}
	c := NewCanvas()
	c.Apply(commits[1])
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if e := c.Apply(commits[i&1]); len(e) != 10000 {
			b.Fatalf("effect of %d changes", len(e))
		}
		i++
	}
}

func BenchmarkValidateOps10k(b *testing.B) {
	ops := setCommit('a')
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateOps(ops, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegion200x50 reads a viewport that straddles tile boundaries out
// of a 1,000,000-cell canvas into a reused buffer.
func BenchmarkRegion200x50(b *testing.B) {
	h0 := heapInUse()
	c := bigCanvas()
	mb := float64(heapInUse()-h0) / (1 << 20)
	r := Rect{417, 333, 200, 50}
	dst := make([]Cell, 0, 200*50)
	b.SetBytes(int64(r.Area()) * int64(16)) // bytes of cells delivered
	b.ReportAllocs()
	for b.Loop() {
		dst = c.Region(r, dst)
	}
	b.ReportMetric(mb, "canvas-MB")
}

func BenchmarkRenderANSI200x50(b *testing.B) {
	c := bigCanvas()
	r := Rect{417, 333, 200, 50}
	b.ReportAllocs()
	for b.Loop() {
		_ = RenderANSI(c, r)
	}
}

func BenchmarkMarshalBinary(b *testing.B) {
	c := bigCanvas()
	snap, _ := c.MarshalBinary()
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(snap)), "snapshot-bytes")
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	snap, _ := bigCanvas().MarshalBinary()
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	for b.Loop() {
		var c Canvas
		if err := c.UnmarshalBinary(snap); err != nil {
			b.Fatal(err)
		}
	}
}
