package model

import "math"

// Point is a cell position. X grows to the right, Y grows downwards.
type Point struct{ X, Y int32 }

// Rect is the W×H block of cells whose top-left cell is (X, Y). A Rect with
// no area is empty; negative sizes are treated as empty rather than
// mirrored.
type Rect struct{ X, Y, W, H int32 }

// Empty reports whether r covers no cell.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Area returns the number of cells in r. It is int64 because W*H overflows
// int32 for large rectangles.
func (r Rect) Area() int64 {
	if r.Empty() {
		return 0
	}
	return int64(r.W) * int64(r.H)
}

// Contains reports whether cell (x, y) lies in r.
func (r Rect) Contains(x, y int32) bool {
	return !r.Empty() &&
		x >= r.X && int64(x) < int64(r.X)+int64(r.W) &&
		y >= r.Y && int64(y) < int64(r.Y)+int64(r.H)
}

// Intersect returns the cells common to r and o, or the zero Rect if there
// are none.
func (r Rect) Intersect(o Rect) Rect {
	if r.Empty() || o.Empty() {
		return Rect{}
	}
	x0, y0 := max(r.X, o.X), max(r.Y, o.Y)
	x1 := min(int64(r.X)+int64(r.W), int64(o.X)+int64(o.W))
	y1 := min(int64(r.Y)+int64(r.H), int64(o.Y)+int64(o.H))
	if x1 <= int64(x0) || y1 <= int64(y0) {
		return Rect{}
	}
	// Both sizes are at most the smaller input size, so they fit in int32.
	return Rect{x0, y0, int32(x1 - int64(x0)), int32(y1 - int64(y0))}
}

// Union returns the smallest rectangle covering r and o. An empty operand
// contributes nothing. A size that would exceed int32 is clamped, which can
// only happen for rectangles far outside any valid canvas coordinates.
func (r Rect) Union(o Rect) Rect {
	if r.Empty() {
		if o.Empty() {
			return Rect{}
		}
		return o
	}
	if o.Empty() {
		return r
	}
	x0, y0 := min(r.X, o.X), min(r.Y, o.Y)
	x1 := max(int64(r.X)+int64(r.W), int64(o.X)+int64(o.W))
	y1 := max(int64(r.Y)+int64(r.H), int64(o.Y)+int64(o.H))
	return Rect{x0, y0, clamp32(x1 - int64(x0)), clamp32(y1 - int64(y0))}
}

func clamp32(v int64) int32 {
	if v > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(v)
}
