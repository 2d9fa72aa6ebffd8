package ui

import (
	"fmt"
	"image/color"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcanvas/tcanvas/model"
)

// drawPeerList is the peer list: name, role, bot badge, route and RTT of
// everyone in the room, then the link others can join with.
func (m *Model) drawPeerList() {
	type row struct {
		id    uint16
		col   model.Color
		cells []string
	}
	rows := []row{{id: 0, cells: []string{m.me.Name + " (you)", string(m.role), "", "", "", m.selfFlags()}}}
	for _, id := range m.peerIDs() {
		p := m.roster[id]
		bot := ""
		if p.Bot {
			bot = "bot"
		}
		rtt := "–"
		switch {
		case p.RTT >= time.Millisecond:
			rtt = fmt.Sprintf("%dms", p.RTT.Round(time.Millisecond).Milliseconds())
		case p.RTT > 0:
			rtt = "<1ms"
		}
		rows = append(rows, row{id: id, col: m.peerColor(id), cells: []string{m.peerLabel(id), string(p.Role), bot, p.Route, rtt, m.peerFlags(id)}})
	}
	widths := make([]int, 6)
	for _, r := range rows {
		for i, c := range r.cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		var sb strings.Builder
		for j, c := range r.cells {
			if j > 0 {
				sb.WriteString("  ")
			}
			sb.WriteString(c)
			sb.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c)))
		}
		lines[i] = strings.TrimRight(sb.String(), " ")
	}
	share := "invite: " + m.share()
	inner := utf8.RuneCountInString(share)
	for _, l := range lines {
		inner = max(inner, utf8.RuneCountInString(l)+2)
	}
	pw := min(inner+4, m.w)
	ph := min(len(rows)+4, m.canvasH())
	x0 := m.w - pw
	m.frame(x0, 0, pw, ph, fmt.Sprintf("peers · %d", len(rows)), stPanel)
	for i, r := range rows {
		y := 1 + i
		if y >= ph-1 {
			break
		}
		sw := stPanel
		sw.FG = r.col
		if r.id == 0 {
			sw.FG = m.me.Color
		}
		m.put(x0+2, y, "■", sw, x0+pw-1)
		m.put(x0+4, y, lines[i], stPanel, x0+pw-1)
		if r.id != 0 {
			m.hits = append(m.hits, hit{x0: x0 + 1, x1: x0 + pw - 1, y: y, kind: hitPeer, arg: int(r.id)})
		}
	}
	if y := ph - 2; y > len(rows) {
		m.put(x0+2, y, share, stKey, x0+pw-1)
	}
}

// share is how others join: the command with the room's link.
func (m *Model) share() string {
	if m.opts.Share != "" {
		return m.opts.Share
	}
	return "tcanvas join " + m.sess.RoomLink()
}

func (m *Model) selfFlags() string {
	var f []string
	if m.invisible {
		f = append(f, "invisible")
	}
	if m.noFollow {
		f = append(f, "no-follow")
	}
	return strings.Join(f, " ")
}

func (m *Model) peerFlags(id uint16) string {
	var f []string
	if m.follow == id {
		f = append(f, "following")
	}
	ps := m.peers[id]
	switch _, age, ok := m.live(id); {
	case ps != nil && ps.p.Hidden:
		f = append(f, "invisible")
	case !ok:
		f = append(f, "idle")
	case age > fadeAfter:
		f = append(f, "quiet")
	}
	if ps != nil && ps.p.NoFollow {
		f = append(f, "no-follow")
	}
	return strings.Join(f, " ")
}

// palette geometry: swatches are two columns wide when the screen allows.
func (m *Model) paletteLayout() (x0, y0, pw, ph, sw int) {
	sw = 2
	if m.w < 36*2+4 {
		sw = 1
	}
	pw = min(max(36*sw, 60)+4, m.w) // wide enough for the help lines below the swatches
	ph = min(paletteRows+5, m.canvasH())
	return max((m.w-pw)/2, 0), max(m.canvasH()-ph, 0), pw, ph, sw
}

func (m *Model) drawPalette() {
	p := m.pal
	x0, y0, pw, ph, sw := m.paletteLayout()
	title := "foreground"
	if p.bg {
		title = "background"
	}
	m.frame(x0, y0, pw, ph, "colour: "+title+" · tab switches", stPanel)
	for r := range paletteRows {
		y := y0 + 1 + r
		if y >= y0+ph-1 {
			break
		}
		for c, idx := range paletteRow(r) {
			x := x0 + 2 + c*sw
			st := model.Cell{BG: colorOfSwatch(idx), FG: contrast(colorOfSwatch(idx))}
			glyph := strings.Repeat(" ", sw)
			if idx < 0 {
				st = stPanel
				glyph = strings.Repeat("–", sw)
			}
			if m.noColor() && idx >= 0 {
				// Without colour a swatch is blank: name it by its index
				// (hex, as in the "now" line below), the chosen one reversed.
				st, glyph = stPanel, fmt.Sprintf("%02x", idx)[2-sw:]
				if idx == p.sel && p.hex == nil {
					st.Attr ^= model.Reverse
				}
			} else if idx == p.sel && p.hex == nil {
				// Mark the first column; the glyph may be multi-byte (–).
				glyph = "◆" + string([]rune(glyph)[1:])
			}
			m.put(x, y, glyph, st, x0+pw-1)
			m.hits = append(m.hits, hit{x0: x, x1: x + sw, y: y, kind: hitPalette, arg: idx})
		}
	}
	cur := m.target()
	info := "now " + colorName(cur) + " · # types a hex colour"
	if i, ok := cur.Index(); ok && m.noColor() {
		info = fmt.Sprintf("now %s (%02x) · # types a hex colour", colorName(cur), i)
	}
	if p.hex != nil {
		info = "#" + string(p.hex) + "_ · enter sets, esc cancels"
	}
	m.put(x0+2, y0+ph-3, info, stKey, x0+pw-1)
	m.put(x0+2, y0+ph-2, "terminal: "+profileName(m.profile), stPanel, x0+pw-1)
}

// drawHelp shows the whole key map with bubbles/help, in as many rows of
// columns as the screen's width needs.
func (m *Model) drawHelp() {
	h := &m.help
	h.Styles.FullKey = lipgloss.NewStyle().Foreground(lipgloss.Color("75")).Bold(true)
	h.Styles.FullDesc = lipgloss.NewStyle().Foreground(lipgloss.Color("252"))
	h.Styles.FullSeparator = lipgloss.NewStyle()
	h.SetWidth(0) // we wrap the columns ourselves
	var blocks []string
	var row [][]key.Binding
	rowW := 0
	flush := func() {
		if len(row) > 0 {
			blocks = append(blocks, h.FullHelpView(row))
			row, rowW = nil, 0
		}
	}
	for _, g := range m.keys.Groups() {
		col := append([]key.Binding{key.NewBinding(key.WithKeys("\x00"), key.WithHelp(strings.ToUpper(g.Title), ""))}, g.Bindings...)
		w := lipgloss.Width(h.FullHelpView([][]key.Binding{col})) + 4
		if rowW+w > m.w-4 && len(row) > 0 {
			flush()
		}
		row = append(row, col)
		rowW += w
	}
	flush()
	lines := strings.Split(strings.Join(blocks, "\n\n"), "\n")
	bw := lipgloss.Width(strings.Join(lines, "\n"))
	// The panel may cover the whole screen; what does not fit scrolls.
	pw, ph := min(bw+4, m.w), min(len(lines)+3, m.h)
	win := max(ph-3, 0)
	m.helpTop = min(max(m.helpTop, 0), max(len(lines)-win, 0))
	x0, y0 := max((m.w-pw)/2, 0), max((m.h-ph)/2, 0)
	m.frame(x0, y0, pw, ph, "tcanvas keys", stPanel)
	m.blit(x0+2, y0+1, pw-4, win, strings.Join(lines[m.helpTop:min(m.helpTop+win, len(lines))], "\n"), stPanel)
	foot := "any key or click closes · docs/KEYS.md"
	if len(lines) > win {
		foot = "j/k scroll · " + foot
	}
	m.put(x0+2, y0+ph-2, foot, model.Cell{FG: model.Indexed(245), BG: stPanel.BG}, x0+pw-1)
}

// blit draws a styled string (such as bubbles/help's output) into the
// grid, clipped to w×h at (x, y), converting its styles to cell styles.
func (m *Model) blit(x, y, w, h int, s string, base model.Cell) {
	if w <= 0 || h <= 0 {
		return
	}
	buf := uv.NewScreenBuffer(w, h)
	uv.NewStyledString(s).Draw(buf, buf.Bounds())
	for j := range h {
		for i := range w {
			uc := buf.CellAt(i, j)
			c := m.cell(x+i, y+j)
			if c == nil || uc == nil {
				continue
			}
			cell := base
			cell.Ch = ' '
			if uc.Content != "" {
				cell.Ch, _ = utf8.DecodeRuneInString(uc.Content)
			}
			if uc.Style.Fg != nil {
				cell.FG = modelColor(uc.Style.Fg)
			}
			if uc.Style.Bg != nil {
				cell.BG = modelColor(uc.Style.Bg)
			}
			if uc.Style.Attrs&uv.AttrBold != 0 {
				cell.Attr |= model.Bold
			}
			if uc.Style.Attrs&uv.AttrFaint != 0 {
				cell.Attr |= model.Faint
			}
			*c = cell
		}
	}
}

func modelColor(c color.Color) model.Color {
	switch v := c.(type) {
	case ansi.BasicColor:
		return model.Indexed(uint8(v))
	case ansi.IndexedColor:
		return model.Indexed(uint8(v))
	}
	r, g, b, _ := c.RGBA()
	return model.RGB(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}
