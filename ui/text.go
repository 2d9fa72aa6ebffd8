package ui

import (
	"errors"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// textEdit is text being typed at a caret. It is a preview until confirmed
// (esc, a click elsewhere, or another tool), then one text commit.
type textEdit struct {
	at       model.Point
	lines    [][]rune
	row, col int
}

func (m *Model) beginText(p model.Point) {
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	m.text = &textEdit{at: p, lines: [][]rune{nil}}
	m.say("typing: enter for a new line, esc to finish", 3*time.Second)
}

// caret is the canvas cell the next character goes to: wide runes before
// it on the line take two columns.
func (t *textEdit) caret() model.Point {
	return model.Point{X: t.at.X + lineWidth(t.lines[t.row][:t.col]), Y: t.at.Y + int32(t.row)}
}

// lineWidth is the number of columns rs takes on the canvas.
func lineWidth(rs []rune) int32 {
	w := int32(0)
	for _, r := range rs {
		w += int32(cellWidth(r))
	}
	return w
}

func cellWidth(r rune) int {
	if r >= 0x1100 && model.IsWide(r) {
		return 2
	}
	return 1
}

// insert types s at the caret, one grapheme cluster at a time. It returns
// a message about the clusters a cell cannot hold, or "".
func (t *textEdit) insert(s string) string {
	var rf refusals
	eachCluster(s, func(cl string) {
		var r rune
		switch cl {
		case "\n", "\r\n", "\r":
			t.newline()
			return
		case "\t":
			r = ' '
		default:
			var err error
			if r, err = cellRune(cl); err != nil {
				// A combining mark typed on its own key belongs to the
				// character before the caret, if they compose.
				if line := t.lines[t.row]; errors.Is(err, model.ErrZeroWidth) && t.col > 0 {
					if c, err2 := cellRune(string(line[t.col-1]) + cl); err2 == nil {
						line[t.col-1] = c
						return
					}
				}
				rf.add(err)
				return
			}
		}
		line := t.lines[t.row]
		line = append(line[:t.col], append([]rune{r}, line[t.col:]...)...)
		t.lines[t.row] = line
		t.col++
	})
	return rf.message()
}

func (t *textEdit) newline() {
	line := t.lines[t.row]
	rest := append([]rune(nil), line[t.col:]...)
	t.lines[t.row] = line[:t.col]
	t.lines = append(t.lines[:t.row+1], append([][]rune{rest}, t.lines[t.row+1:]...)...)
	t.row++
	t.col = 0
}

func (t *textEdit) backspace() {
	switch {
	case t.col > 0:
		line := t.lines[t.row]
		t.lines[t.row] = append(line[:t.col-1], line[t.col:]...)
		t.col--
	case t.row > 0:
		prev := t.lines[t.row-1]
		t.col = len(prev)
		t.lines[t.row-1] = append(prev, t.lines[t.row]...)
		t.lines = append(t.lines[:t.row], t.lines[t.row+1:]...)
		t.row--
	}
}

func (t *textEdit) del() {
	line := t.lines[t.row]
	switch {
	case t.col < len(line):
		t.lines[t.row] = append(line[:t.col], line[t.col+1:]...)
	case t.row < len(t.lines)-1:
		t.lines[t.row] = append(line, t.lines[t.row+1]...)
		t.lines = append(t.lines[:t.row+1], t.lines[t.row+2:]...)
	}
}

func (t *textEdit) move(dx, dy int) {
	t.row = min(max(t.row+dy, 0), len(t.lines)-1)
	t.col = min(max(t.col+dx, 0), len(t.lines[t.row]))
}

// String is the text as an OpText carries it: lines joined by "\n",
// trailing empty lines dropped.
func (t *textEdit) String() string {
	n := len(t.lines)
	for n > 0 && len(t.lines[n-1]) == 0 {
		n--
	}
	parts := make([]string, n)
	for i, l := range t.lines[:n] {
		parts[i] = string(l)
	}
	return strings.Join(parts, "\n")
}

// finishText commits the text being typed, if any.
func (m *Model) finishText() {
	t := m.text
	m.text = nil
	if t == nil {
		return
	}
	if s := t.String(); s != "" {
		m.commit([]model.Op{{Kind: model.OpText, X: t.at.X, Y: t.at.Y, Text: s, FG: m.fg, BG: m.bg}})
	}
}

// textKey handles a key while typing. It reports whether the key was used.
func (m *Model) textKey(k tea.KeyPressMsg) (bool, tea.Cmd) {
	t := m.text
	switch k.String() {
	case "esc":
		m.finishText()
	case "ctrl+c":
		m.finishText()
		return true, tea.Quit
	case "enter":
		t.newline()
	case "backspace":
		t.backspace()
	case "delete":
		t.del()
	case "left":
		t.move(-1, 0)
	case "right":
		t.move(1, 0)
	case "up":
		t.move(0, -1)
	case "down":
		t.move(0, 1)
	case "home":
		t.col = 0
	case "end":
		t.col = len(t.lines[t.row])
	case "space":
		t.insert(" ")
	default:
		if k.Text == "" {
			return true, nil // swallow other keys: no tool shortcuts mid-text
		}
		if msg := t.insert(k.Text); msg != "" {
			m.say(msg, 4*time.Second)
		}
	}
	if m.text != nil {
		c := m.text.caret()
		m.cx, m.cy = c.X, c.Y
		m.keepCursorVisible()
	}
	return true, nil
}
