package ui

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
)

// Chrome styles, as grid cells with no rune. 256-colour indices: Bubble
// Tea's renderer maps them to the nearest of 16 on a 16-colour terminal and
// drops them on a colourless one, where the text still reads.
var (
	stStatus = model.Cell{FG: model.Indexed(252), BG: model.Indexed(236)}
	stDim    = model.Cell{FG: model.Indexed(245), BG: model.Indexed(236)}
	stTool   = model.Cell{FG: model.Indexed(16), BG: model.Indexed(75), Attr: model.Bold}
	stOK     = model.Cell{FG: model.Indexed(114), BG: model.Indexed(236)}
	stWarn   = model.Cell{FG: model.Indexed(221), BG: model.Indexed(236)}
	stBad    = model.Cell{FG: model.Indexed(231), BG: model.Indexed(160), Attr: model.Bold}
	stNotice = model.Cell{FG: model.Indexed(16), BG: model.Indexed(223)}
	stPanel  = model.Cell{FG: model.Indexed(252), BG: model.Indexed(235)}
	stKey    = model.Cell{FG: model.Indexed(75), BG: model.Indexed(235), Attr: model.Bold}
)

// seg is one piece of the status bar. When the bar is too narrow, the
// pieces of lowest priority go first.
type seg struct {
	text  string
	st    model.Cell
	prio  int
	right bool
	group int // segments of one group (the toolbar) go together
	hk    hitKind
	arg   int
	// swatch, when set, colours the segment's last rune: a colour sample.
	swatch *model.Color
}

func (m *Model) statusSegs() []seg {
	var segs []seg
	add := func(s seg) { segs = append(segs, s) }
	if m.readOnly() {
		add(seg{text: " READ-ONLY ", st: stBad, prio: 100})
	} else {
		add(seg{text: " " + m.toolLabel() + " ", st: stTool, prio: 100})
	}
	brush := quoteRune(m.brush)
	add(seg{text: brush, st: stStatus, prio: 60})
	add(seg{text: "fg" + swatchGlyph(m.fg), st: stDim, prio: 50, swatch: &m.fg})
	add(seg{text: "bg" + swatchGlyph(m.bg), st: stDim, prio: 49, swatch: &m.bg})
	for t := ToolPen; t < toolCount; t++ {
		st := stDim
		if t == m.tool {
			st = stStatus
			st.Attr |= model.Bold | model.Underline
		}
		add(seg{text: strconv.Itoa(int(t)) + t.String(), st: st, prio: 10, group: 1, hk: hitTool, arg: int(t)})
	}

	if m.follow != 0 {
		add(seg{text: "following " + m.peerName(m.follow), st: stWarn, prio: 70, right: true})
	}
	if m.invisible {
		add(seg{text: "invisible", st: stWarn, prio: 65, right: true})
	}
	if m.noFollow {
		add(seg{text: "no-follow", st: stDim, prio: 40, right: true})
	}
	if m.ascii {
		add(seg{text: "ascii", st: stDim, prio: 38, right: true})
	}
	add(seg{text: fmt.Sprintf("%d,%d", m.cx, m.cy), st: stStatus, prio: 55, right: true})
	add(seg{text: m.sess.Room(), st: stStatus, prio: 45, right: true})
	if !m.readOnly() {
		add(seg{text: string(m.role), st: stDim, prio: 58, right: true})
	}
	info := m.sess.Info()
	linkSt := stOK
	switch m.link.State {
	case session.Connecting:
		linkSt = stWarn
	case session.Offline, session.Closed:
		linkSt = stBad
	}
	add(seg{text: "● " + linkText(m.link, m.now()), st: linkSt, prio: 90, right: true})
	if info.Pending > 0 {
		add(seg{text: strconv.Itoa(info.Pending) + " pending", st: stWarn, prio: 75, right: true})
	}
	add(seg{text: "seq " + strconv.FormatUint(info.Seq, 10), st: stDim, prio: 35, right: true})
	n := len(m.roster) + 1
	peers := strconv.Itoa(n) + " here"
	add(seg{text: peers, st: stDim, prio: 30, right: true, hk: hitPeers})
	add(seg{text: "? help", st: stDim, prio: 20, right: true, hk: hitHelp})
	return segs
}

// swatchGlyph shows a colour as a block in the bar, or a dash for the
// terminal default (which a block could not show).
func swatchGlyph(c model.Color) string {
	if c.IsDefault() {
		return "–"
	}
	return "■"
}

func (m *Model) drawStatus() {
	y := m.h - 1
	m.fill(0, y, m.w, 1, stStatus)
	segs := m.statusSegs()
	width := func() int {
		n := 0
		for _, s := range segs {
			n += utf8.RuneCountInString(s.text) + 1
		}
		return n
	}
	for len(segs) > 1 && width() > m.w {
		low := 0
		for i, s := range segs {
			if s.prio < segs[low].prio {
				low = i
			}
		}
		if g := segs[low].group; g != 0 {
			kept := segs[:0]
			for _, s := range segs {
				if s.group != g {
					kept = append(kept, s)
				}
			}
			segs = kept
			continue
		}
		segs = append(segs[:low], segs[low+1:]...)
	}
	x := 0
	var right []seg
	for _, s := range segs {
		if s.right {
			right = append(right, s)
			continue
		}
		x0 := x
		x = m.put(x, y, s.text, s.st, m.w)
		if s.swatch != nil && !s.swatch.IsDefault() {
			if c := m.cell(x-1, y); c != nil {
				c.FG = *s.swatch
			}
		}
		if s.hk != 0 {
			m.hits = append(m.hits, hit{x0: x0, x1: x, y: y, kind: s.hk, arg: s.arg})
		}
		x++
	}
	x = m.w
	for i := len(right) - 1; i >= 0; i-- {
		s := right[i]
		n := utf8.RuneCountInString(s.text)
		x -= n
		m.put(x, y, s.text, s.st, m.w)
		if s.hk != 0 {
			m.hits = append(m.hits, hit{x0: x, x1: x + n, y: y, kind: s.hk, arg: s.arg})
		}
		x--
	}
}

// drawNotice shows the current notice, or why the session ended, on the
// last canvas row.
func (m *Model) drawNotice() {
	y := m.canvasH() - 1
	if y < 0 {
		return
	}
	switch {
	case m.closed != "":
		m.put(0, y, " ✖ disconnected: "+m.closed+" · q quits ", stBad, m.w)
	case m.notice != "" && m.now().Before(m.noticeUntil):
		m.put(0, y, " "+m.notice+" ", stNotice, m.w)
	}
}
