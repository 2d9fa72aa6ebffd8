package ui

import (
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
)

// palette is the colour picker: the 16 ANSI colours, the 6×6×6 cube and
// the grey ramp of the 256-colour palette, the terminal default, and any
// 24-bit colour typed as hex. Colours are stored as chosen; Bubble Tea's
// renderer converts them to what the terminal's profile can show, so a
// truecolor pick looks its nearest on a 256-colour terminal and stays exact
// for everyone else.
type palette struct {
	bg  bool   // choosing the background
	sel int    // swatch: -1 is the default, 0-255 a palette index
	hex []byte // hex digits being typed; nil when not typing
}

// paletteRow lays the swatches out: row 0 is the default and the ANSI 16,
// rows 1-6 the cube (one red level per row), row 7 the greys.
func paletteRow(r int) []int {
	switch {
	case r == 0:
		row := make([]int, 17)
		for i := range row {
			row[i] = i - 1
		}
		return row
	case r <= 6:
		row := make([]int, 36)
		for i := range row {
			row[i] = 16 + 36*(r-1) + i
		}
		return row
	case r == 7:
		row := make([]int, 24)
		for i := range row {
			row[i] = 232 + i
		}
		return row
	}
	return nil
}

const paletteRows = 8

func palettePos(sel int) (row, col int) {
	switch {
	case sel < 16:
		return 0, sel + 1
	case sel < 232:
		return 1 + (sel-16)/36, (sel - 16) % 36
	}
	return 7, sel - 232
}

func (m *Model) openPalette(bg bool) {
	m.pal = &palette{bg: bg}
	m.pal.sel = swatchOf(m.target())
}

func (m *Model) target() model.Color {
	if m.pal != nil && m.pal.bg {
		return m.bg
	}
	return m.fg
}

// swatchOf is the swatch of c, or the default's for an RGB colour (which
// the hex field shows instead).
func swatchOf(c model.Color) int {
	if i, ok := c.Index(); ok {
		return int(i)
	}
	return -1
}

func (m *Model) setTarget(c model.Color) {
	if m.pal.bg {
		m.bg = c
	} else {
		m.fg = c
	}
}

func (m *Model) paletteKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.pal
	s := k.String()
	if p.hex != nil {
		switch {
		case s == "esc":
			p.hex = nil
		case s == "backspace":
			if len(p.hex) > 0 {
				p.hex = p.hex[:len(p.hex)-1]
			}
		case s == "enter":
			c, err := model.ParseColor("#" + string(p.hex))
			if err != nil {
				m.say("a colour is six hex digits, like #ff8800", 3*time.Second)
				return nil
			}
			m.setTarget(c)
			m.pal = nil
		case len(k.Text) == 1 && strings.ContainsAny(strings.ToLower(k.Text), "0123456789abcdef") && len(p.hex) < 6:
			p.hex = append(p.hex, strings.ToLower(k.Text)[0])
		}
		return nil
	}
	row, col := palettePos(p.sel)
	move := func(dr, dc int) {
		from := len(paletteRow(row))
		row = min(max(row+dr, 0), paletteRows-1)
		r := paletteRow(row)
		// Rows differ in length (17, 36, 24): keep the column's share of
		// the row, so that up and down go straight through the ramps.
		col = col * len(r) / from
		col = min(max(col+dc, 0), len(r)-1)
		p.sel = r[col]
	}
	switch s {
	case "esc", "c", "q":
		m.pal = nil
	case "tab":
		p.bg = !p.bg
		p.sel = swatchOf(m.target())
	case "#":
		p.hex = []byte{}
	case "left", "h":
		move(0, -1)
	case "right", "l":
		move(0, 1)
	case "up", "k":
		move(-1, 0)
	case "down", "j":
		move(1, 0)
	case "enter", "space":
		m.setTarget(colorOfSwatch(p.sel))
		m.pal = nil
	}
	return nil
}

func (m *Model) paletteClick(sw int) {
	if m.pal == nil {
		return
	}
	m.pal.sel = sw
	m.setTarget(colorOfSwatch(sw))
	m.pal = nil
}

func colorOfSwatch(sw int) model.Color {
	if sw < 0 {
		return model.ColorDefault
	}
	return model.Indexed(uint8(sw))
}

// stepColor cycles c through the default and the 16 ANSI colours, the
// quick way to change colour without opening the palette.
func stepColor(c model.Color, d int) model.Color {
	i := swatchOf(c)
	if i >= 16 {
		i = -1
	}
	i = (i+1+d+17)%17 - 1
	return colorOfSwatch(i)
}

func colorName(c model.Color) string {
	if c.IsDefault() {
		return "default"
	}
	return c.String()
}

func profileName(p colorprofile.Profile) string {
	switch p {
	case colorprofile.TrueColor:
		return "truecolor"
	case colorprofile.ANSI256:
		return "256 colours: truecolor picks show as their nearest"
	case colorprofile.ANSI:
		return "16 colours: others show as their nearest"
	case colorprofile.ASCII, colorprofile.NoTTY:
		return "no colour: colours are kept but not shown"
	}
	return "colour support unknown"
}

func quoteRune(r rune) string { return strconv.QuoteRune(r) }
