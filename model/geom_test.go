package model

import (
	"math"
	"testing"
)

func TestRect(t *testing.T) {
	r := Rect{-2, -3, 4, 5}
	if r.Empty() || r.Area() != 20 {
		t.Errorf("Empty/Area = %v/%d", r.Empty(), r.Area())
	}
	for _, c := range []struct {
		x, y int32
		in   bool
	}{{-2, -3, true}, {1, 1, true}, {2, 1, false}, {1, 2, false}, {-3, 0, false}} {
		if got := r.Contains(c.x, c.y); got != c.in {
			t.Errorf("Contains(%d,%d) = %v", c.x, c.y, got)
		}
	}
	for _, e := range []Rect{{}, {0, 0, 0, 5}, {0, 0, 5, 0}, {0, 0, -1, 5}} {
		if !e.Empty() || e.Area() != 0 || e.Contains(0, 0) {
			t.Errorf("%v should be empty", e)
		}
	}
	big := Rect{math.MaxInt32 - 1, 0, math.MaxInt32, math.MaxInt32}
	if !big.Contains(math.MaxInt32, 5) || big.Area() != int64(math.MaxInt32)*math.MaxInt32 {
		t.Error("big rect arithmetic overflowed")
	}
}

func TestRectIntersectUnion(t *testing.T) {
	tests := []struct {
		a, b, inter, union Rect
	}{
		{Rect{0, 0, 4, 4}, Rect{2, 2, 4, 4}, Rect{2, 2, 2, 2}, Rect{0, 0, 6, 6}},
		{Rect{0, 0, 2, 2}, Rect{5, 5, 1, 1}, Rect{}, Rect{0, 0, 6, 6}},
		{Rect{-5, -5, 3, 3}, Rect{}, Rect{}, Rect{-5, -5, 3, 3}},
		{Rect{}, Rect{1, 1, 1, 1}, Rect{}, Rect{1, 1, 1, 1}},
		{Rect{0, 0, 2, 2}, Rect{2, 0, 2, 2}, Rect{}, Rect{0, 0, 4, 2}},
		{Rect{math.MinInt32, 0, math.MaxInt32, 1}, Rect{math.MaxInt32 - 1, 0, 1, 1}, Rect{}, Rect{math.MinInt32, 0, math.MaxInt32, 1}},
	}
	for _, tt := range tests {
		if got := tt.a.Intersect(tt.b); got != tt.inter {
			t.Errorf("%v ∩ %v = %v, want %v", tt.a, tt.b, got, tt.inter)
		}
		if got := tt.b.Intersect(tt.a); got != tt.inter {
			t.Errorf("%v ∩ %v = %v, want %v", tt.b, tt.a, got, tt.inter)
		}
		if got := tt.a.Union(tt.b); got != tt.union {
			t.Errorf("%v ∪ %v = %v, want %v", tt.a, tt.b, got, tt.union)
		}
	}
}
