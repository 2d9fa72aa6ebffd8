package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/graphemes"
	"golang.org/x/text/unicode/norm"

	"github.com/tcanvas/tcanvas/model"
)

// A cell holds one rune, one or two columns wide. What a user types or
// pastes comes in grapheme clusters (what they see as one character): a
// letter and its combining accents, an emoji with a variation selector or
// joiners, a flag. A cluster that composes to one rune (NFC: "e"+U+0301 is
// "é") becomes that rune; one that does not is refused as a whole, with a
// message naming it, never stored in part.

var errNoBrush = errors.New("that key types nothing")

// cellRune returns the rune that cluster fills a cell with, or an error
// saying why it cannot.
func cellRune(cluster string) (rune, error) {
	c := norm.NFC.String(cluster)
	r, n := utf8.DecodeRuneInString(c)
	if n != len(c) {
		// An emoji with U+FE0F asks for the emoji presentation of a rune
		// that is already drawn as emoji when it is wide on its own.
		if base, vs := splitVS16(c); vs && model.IsWide(base) {
			return base, nil
		}
		return 0, fmt.Errorf("%s: one character of %d code points, a cell holds one", codePoints(c), utf8.RuneCountInString(c))
	}
	if _, err := model.RuneWidth(r); err != nil {
		return 0, fmt.Errorf("%s: %w", quoteCluster(c), err)
	}
	return r, nil
}

func splitVS16(s string) (rune, bool) {
	r, n := utf8.DecodeRuneInString(s)
	return r, s[n:] == "\ufe0f"
}

// eachCluster calls fn for every grapheme cluster of s.
func eachCluster(s string, fn func(cluster string)) {
	it := graphemes.FromString(s)
	for it.Next() {
		fn(it.Value())
	}
}

// refusals collects clusters that could not be stored, for one message.
type refusals struct {
	n     int
	first error
}

func (rf *refusals) add(err error) {
	rf.n++
	if rf.first == nil {
		rf.first = err
	}
}

// message says what was refused, or "" if nothing was.
func (rf *refusals) message() string {
	switch rf.n {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("not typed: %v", rf.first)
	}
	return fmt.Sprintf("not typed: %v (and %d more)", rf.first, rf.n-1)
}

// quoteCluster quotes a one-rune cluster as it looks, or names its code
// points when it would not show (a lone mark, a control character).
func quoteCluster(s string) string {
	if r, n := utf8.DecodeRuneInString(s); n == len(s) {
		if _, err := model.RuneWidth(r); err == nil {
			return "“" + s + "”"
		}
	}
	return codePoints(s)
}

func codePoints(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%U", r)
	}
	return b.String()
}

// fitWide makes ops drawn with a wide brush fit the canvas's two-column
// cells, so that every tool can use one: in a set, a cell landing on the
// right half of a wide cell written just before it in the same op is
// dropped (a freehand stroke across a row draws 漢漢, not a row of cells
// each erasing the last); a wide rect fill of odd width loses its last
// column (or, one column wide, gains a second). Ops without wide runes are
// returned as they are.
func fitWide(ops []model.Op) []model.Op {
	for i := range ops {
		o := &ops[i]
		switch o.Kind {
		case model.OpRect:
			if model.IsWide(o.Ch) && o.W%2 != 0 {
				o.W = max(o.W-1, 2)
			}
		case model.OpSet:
			if !slices.ContainsFunc(o.Cells, func(c model.CellAt) bool { return c.Cell.IsWide() }) {
				continue
			}
			covered := map[model.Point]bool{}
			kept := make([]model.CellAt, 0, len(o.Cells))
			for _, c := range o.Cells {
				if covered[model.Point{X: c.X, Y: c.Y}] {
					continue
				}
				if c.Cell.IsWide() {
					covered[model.Point{X: c.X + 1, Y: c.Y}] = true
				}
				kept = append(kept, c)
			}
			o.Cells = kept
		}
	}
	return ops
}
