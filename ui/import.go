package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// ImportFunc reads a text or ANSI file into cells relative to its top-left
// corner, and the size of the box they fit in. Options.Import is one.
type ImportFunc func(path string) (cells []model.CellAt, w, h int32, err error)

// prompt is a one-line question answered in the notice line: the path of
// a file to import.
type prompt struct {
	label string
	text  []rune
	done  func(answer string) tea.Cmd
}

func (p *prompt) show(m *Model) {
	m.say(p.label+string(p.text)+"_   (enter: ok, esc: cancel)", time.Hour)
}

// promptKey edits the prompt; enter answers it, esc drops it.
func (m *Model) promptKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch k.String() {
	case "esc":
		m.prompt = nil
		m.say("", 0)
		return nil
	case "enter":
		m.prompt = nil
		m.say("", 0)
		return p.done(string(p.text))
	case "backspace":
		if len(p.text) > 0 {
			p.text = p.text[:len(p.text)-1]
		}
	case "space":
		p.text = append(p.text, ' ')
	default:
		p.text = append(p.text, []rune(k.Text)...)
	}
	p.show(m)
	return nil
}

// importedMsg carries a file read for ctrl+o.
type importedMsg struct {
	name  string
	cells []model.CellAt
	w, h  int32
	err   error
}

// startImport asks for a file whose contents then float at the cursor like
// a paste. The file is read by a command: Update must not wait on a disk.
func (m *Model) startImport() {
	if m.opts.Import == nil {
		m.say("importing is off here: the file would be read on the server (tcanvas import FILE ROOM_URL works from anywhere)", 6*time.Second)
		return
	}
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	read := m.opts.Import
	m.prompt = &prompt{label: "import file: ", done: func(name string) tea.Cmd {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil
		}
		if rest, ok := strings.CutPrefix(name, "~/"); ok {
			if home, err := os.UserHomeDir(); err == nil {
				name = filepath.Join(home, rest)
			}
		}
		return func() tea.Msg {
			cells, w, h, err := read(name)
			return importedMsg{name: name, cells: cells, w: w, h: h, err: err}
		}
	}}
	m.prompt.show(m)
}

// imported floats what was read, to be moved and dropped.
func (m *Model) imported(msg importedMsg) {
	switch {
	case msg.err != nil:
		m.say("import: "+msg.err.Error(), 6*time.Second)
		return
	case len(msg.cells) == 0:
		m.say("import: "+msg.name+" has nothing to draw", 4*time.Second)
		return
	case int64(msg.w)*int64(msg.h) > int64(maxCells):
		m.say(fmt.Sprintf("import: %s is %d×%d, more than the %d cells one commit may hold (tcanvas import draws it in parts)",
			msg.name, msg.w, msg.h, maxCells), 6*time.Second)
		return
	}
	b := &block{w: msg.w, h: msg.h, cells: make([]model.Cell, msg.w*msg.h)}
	for _, c := range msg.cells {
		if c.X >= 0 && c.Y >= 0 && c.X < b.w && c.Y < b.h {
			b.cells[c.Y*b.w+c.X] = c.Cell
		}
	}
	m.paste(b)
	m.say(fmt.Sprintf("%s: %d×%d; move it, then space or click to drop; esc cancels", filepath.Base(msg.name), msg.w, msg.h), 5*time.Second)
}
