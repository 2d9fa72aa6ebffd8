// Package keymap is the TUI's key map: every binding the canvas answers to,
// grouped for the help overlay (bubbles/help) and for docs/KEYS.md. It is a
// package of its own so that the documentation is generated from the same
// values the program matches keys against, and cannot drift from them.
package keymap

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap holds the bindings matched in Update. Keys are Bubble Tea v2 key
// strings ("ctrl+z", "shift+up", "space", or the typed text such as "U").
type KeyMap struct {
	// Cursor and view.
	Up, Down, Left, Right                 key.Binding
	FastUp, FastDown, FastLeft, FastRight key.Binding
	PanUp, PanDown, PanLeft, PanRight     key.Binding
	PageUp, PageDown                      key.Binding
	Origin                                key.Binding
	Act, Cancel                           key.Binding

	// Tools.
	Pen, Line, Rect, Box, Text, Erase, Fill, Select, Pick key.Binding
	Brush, Palette                                        key.Binding
	FGPrev, FGNext, BGPrev, BGNext                        key.Binding
	ASCII                                                 key.Binding
	Elbow, Arrows                                         key.Binding

	// Selection and clipboard.
	Copy, Cut, Delete, Move, Paste, Import key.Binding

	// History.
	Undo, Redo key.Binding

	// Peers.
	Peers, NextPeer, PrevPeer, Follow, Invisible, NoFollow, Invite key.Binding

	// Application.
	Save, Help, Quit key.Binding
}

func b(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// Default returns the key map. hjkl move the cursor (as vi users expect),
// so tools that would naturally take those letters get other mnemonics:
// "/" draws a line, and digits 1-9 select every tool in toolbar order.
func Default() KeyMap {
	return KeyMap{
		Up:        b("k ↑", "move up", "up", "k"),
		Down:      b("j ↓", "move down", "down", "j"),
		Left:      b("h ←", "move left", "left", "h"),
		Right:     b("l →", "move right", "right", "l"),
		FastUp:    b("ctrl+↑", "move up 8", "ctrl+up"),
		FastDown:  b("ctrl+↓", "move down 8", "ctrl+down"),
		FastLeft:  b("ctrl+←", "move left 8", "ctrl+left"),
		FastRight: b("ctrl+→", "move right 8", "ctrl+right"),
		PanUp:     b("K shift+↑", "pan up", "shift+up", "K"),
		PanDown:   b("J shift+↓", "pan down", "shift+down", "J"),
		PanLeft:   b("H shift+←", "pan left", "shift+left", "H"),
		PanRight:  b("L shift+→", "pan right", "shift+right", "L"),
		PageUp:    b("pgup", "pan a screen up", "pgup"),
		PageDown:  b("pgdown", "pan a screen down", "pgdown"),
		Origin:    b("o home", "jump to origin", "o", "home"),
		Act:       b("space enter", "start/finish; drop", "space", "enter"),
		Cancel:    b("esc", "cancel; finish text", "esc"),

		Pen:     b("p 1", "pen", "p", "1"),
		Line:    b("/ 2", "line (again: style)", "/", "2"),
		Rect:    b("r 3", "rect (again: fill)", "r", "3"),
		Box:     b("b 4", "box (again: style)", "b", "4"),
		Text:    b("t 5", "text", "t", "5"),
		Erase:   b("e 6", "eraser", "e", "6"),
		Fill:    b("f 7", "flood fill", "f", "7"),
		Select:  b("s 8", "select", "s", "8"),
		Pick:    b("i 9", "pick (eyedropper)", "i", "9"),
		Brush:   b("B", "brush: type a char", "B"),
		Palette: b("c", "colour palette", "c"),
		FGPrev:  b("[", "foreground −", "["),
		FGNext:  b("]", "foreground +", "]"),
		BGPrev:  b("{", "background −", "{"),
		BGNext:  b("}", "background +", "}"),
		ASCII:   b("a", "ASCII-only display", "a"),
		Elbow:   b("v", "line: flip elbow", "v"),
		Arrows:  b(">", "line: arrowheads", ">"),

		Copy:   b("y", "copy selection", "y"),
		Cut:    b("x", "cut (or erase cell)", "x"),
		Delete: b("del bksp", "erase sel. or cell", "delete", "backspace"),
		Move:   b("m", "move selection", "m"),
		Paste:  b("P ctrl+v", "paste", "P", "ctrl+v"),
		Import: b("ctrl+o", "import a file (paste)", "ctrl+o"),

		Undo: b("u ctrl+z", "undo mine", "u", "ctrl+z"),
		Redo: b("U ctrl+y", "redo", "U", "ctrl+y"),

		Peers:     b("tab", "peer list", "tab"),
		NextPeer:  b("n", "jump to next peer", "n"),
		PrevPeer:  b("N", "jump to prev. peer", "N"),
		Follow:    b("F", "follow / stop", "F"),
		Invisible: b("I", "invisible mode", "I"),
		NoFollow:  b("ctrl+f", "refuse followers", "ctrl+f"),
		Invite:    b("ctrl+k", "invite links (owner)", "ctrl+k"),

		Save: b("ctrl+s", "save PNG + TXT here", "ctrl+s"),
		Help: b("?", "this help", "?"),
		Quit: b("q ctrl+c", "quit", "q", "ctrl+c"),
	}
}

// Mouse lists what the mouse does. The entries are for help only: mouse
// events are not keys, and their "keys" never match a key press.
// A help-only binding has the key "\x00", which no key press produces:
// bubbles/help shows only bindings that have keys.
var Mouse = []key.Binding{
	b("click drag", "use the tool", "\x00"),
	b("right/mid drag", "pan", "\x00"),
	b("alt/ctrl+drag", "pan", "\x00"),
	b("wheel", "scroll (shift: across)", "\x00"),
	b("drag selection", "move it", "\x00"),
	b("click bar", "choose tool, peers", "\x00"),
}

// Group is a titled column of the help overlay.
type Group struct {
	Title    string
	Bindings []key.Binding
}

// Groups returns the full key map in help order. Keys that differ only in
// direction share a line, so the overlay fits a small terminal; every key
// is still listed.
func (k KeyMap) Groups() []Group {
	both := func(a, c key.Binding, desc string) key.Binding {
		return b(a.Help().Key+" "+c.Help().Key, desc, "\x00")
	}
	return []Group{
		{"Tools", []key.Binding{k.Pen, k.Line, k.Rect, k.Box, k.Text, k.Erase, k.Fill, k.Select, k.Pick, k.Elbow, k.Arrows}},
		{"Move", []key.Binding{
			b("hjkl ←↓↑→", "move the cursor", "\x00"),
			b("ctrl+←↓↑→", "move by 8", "\x00"),
			b("HJKL shift+←↓↑→", "pan the view", "\x00"),
			both(k.PageUp, k.PageDown, "pan a screen"),
			k.Origin, k.Act, k.Cancel,
		}},
		{"Style", []key.Binding{k.Brush, k.Palette, both(k.FGPrev, k.FGNext, "foreground −/+"), both(k.BGPrev, k.BGNext, "background −/+"), k.ASCII}},
		{"Edit", []key.Binding{k.Copy, k.Cut, k.Delete, k.Move, k.Paste, k.Import, k.Undo, k.Redo}},
		{"Peers", []key.Binding{k.Peers, both(k.NextPeer, k.PrevPeer, "jump to next/prev."), k.Follow, k.Invisible, k.NoFollow, k.Invite, k.Save, k.Help, k.Quit}},
		{"Mouse", Mouse},
	}
}

// ShortHelp implements help.KeyMap: the status bar's reminder.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp implements help.KeyMap: one column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	gs := k.Groups()
	out := make([][]key.Binding, len(gs))
	for i, g := range gs {
		out[i] = g.Bindings
	}
	return out
}

// Markdown renders the key map as the body of docs/KEYS.md.
func (k KeyMap) Markdown() string {
	var sb strings.Builder
	sb.WriteString("# tcanvas key map\n\n")
	sb.WriteString("Generated from `ui/keymap` by `go test ./ui/keymap -update`; the help overlay (`?`) shows the same.\n")
	for _, g := range k.Groups() {
		sb.WriteString("\n## " + g.Title + "\n\n| keys | action |\n|---|---|\n")
		for _, kb := range g.Bindings {
			h := kb.Help()
			sb.WriteString("| `" + strings.ReplaceAll(h.Key, "|", `\|`) + "` | " + h.Desc + " |\n")
		}
	}
	sb.WriteString(notes)
	return sb.String()
}

const notes = `
## Notes

- **Strokes.** A stroke is committed when it is released: the mouse button goes up, or ` + "`space`" + ` is
  pressed a second time. With the keyboard, ` + "`space`" + ` starts a stroke at the cursor, the arrows (or a
  pan) extend it, ` + "`space`" + ` commits it and ` + "`esc`" + ` drops it. While you drag, the others see it as a
  dimmed ghost.
- **Box** lines merge with the box lines already there, other people's included: crossings become ┼,
  a line ending on a box or a line makes a T (┬), two line ends make an elbow (┐). A one-cell-wide
  box is a line.
- **Line** (` + "`/`" + `) draws box lines in the box style, straight or with one elbow: the first move
  decides where the elbow goes, ` + "`v`" + ` flips it while drawing, ` + "`>`" + ` cycles arrowheads (none, ▶ at the end,
  both, at the start). An arrow drawn onto a box line stops before it. ` + "`/`" + ` again: double, heavy,
  rounded, then the brush at any angle.
- **Connectors.** Moving a selection that holds a box stretches the lines touching its border from
  outside: each keeps its far end and gets a new elbow, in the same commit (one undo).
- **Import** (` + "`ctrl+o`" + `) asks for a file (text or ANSI) and floats it at the cursor like a paste;
  ` + "`tcanvas import FILE ROOM_URL`" + ` draws one from the command line.
- **Preferences** (tool, brush, colours, box style, line settings) are kept in
  ` + "`$XDG_CONFIG_HOME/tcanvas/prefs.json`" + ` from one start to the next.
- **Text.** ` + "`space`" + `/` + "`enter`" + ` or a click places the caret; type, ` + "`enter`" + ` starts a new line,
  ` + "`backspace`" + `/` + "`delete`" + ` and the arrows edit; ` + "`esc`" + ` (or a click elsewhere, or another tool)
  commits the text. Pasting from the terminal while typing types the paste.
- **Fill** replaces the region of cells equal to the one under the cursor with the brush and colours.
  The canvas is unbounded, so a fill stops at the edges of the screen (and at 65,536 cells).
- **Select** with a drag or ` + "`space`" + `…` + "`space`" + `; then ` + "`y`" + ` copies (to the terminal's clipboard too),
  ` + "`x`" + ` cuts, ` + "`del`" + ` erases, ` + "`m`" + ` or a drag from inside moves it; ` + "`P`" + ` pastes at the cursor.
  A paste or move follows the cursor until ` + "`space`" + ` or a click drops it; empty cells in it are
  transparent. Text pasted from the terminal floats the same way.
- **Pick** (` + "`i`" + `, then a click or ` + "`space`" + `) takes the brush character and both colours from a
  cell, then returns to the tool you had.
- **Palette** (` + "`c`" + `): arrows or hjkl choose, ` + "`enter`" + ` or a click sets, ` + "`tab`" + ` switches between
  foreground and background, ` + "`#`" + ` types a 24-bit colour. Colours are stored as chosen and shown as
  the nearest the terminal can display (16, 256 or truecolor).
- **ASCII-only** (` + "`a`" + `, or ` + "`tcanvas join --ascii`" + `) changes what you see, not what is stored: box
  lines show as - | +, other symbols as their nearest ASCII, accented letters as their base letter,
  anything else as ? (?? for a wide character), so the drawing stays the same for everyone.
- **Wide characters** (CJK, emoji) take two cells in text, brushes and pastes; writing over either
  half erases the whole character. A character of several code points (skin tone, flag) is refused
  with a notice.
- **Peers.** Each cursor is drawn in its owner's colour with their name; someone off screen is an arrow
  at the edge. A peer not heard from for 6 s (a lost link: a still cursor is still
  refreshed) fades, and disappears after 10 s.
  ` + "`n`" + ` jumps to the next person, ` + "`F`" + ` follows their view until you pan (or they refuse with
  ` + "`ctrl+f`" + `), ` + "`I`" + ` hides your cursor from everyone (your commits still carry your name).
- **History.** Undo and redo only revert your own commits, and leave the canvas as if you had
  never drawn that stroke (or, for redo, as if you had never undone it): someone else's work is
  left alone, and where their box lines had joined yours (` + "`┼`" + `, ` + "`├`" + `, …) only your arms go.
- **Viewers** see "READ-ONLY" in the status bar; drawing keys say so and do nothing.
- **Save** (` + "`ctrl+s`" + `) writes the selection, or else the whole drawing, to
  ` + "`tcanvas-ROOM-TIME.png`" + ` and ` + "`.txt`" + ` in the current directory (viewers too). Over SSH it is
  off: the files would land on the server; use ` + "`tcanvas export`" + ` instead.
`
