package ui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/ui/picture"
)

// savedMsg reports what ctrl+s wrote.
type savedMsg struct {
	paths []string
	err   error
}

// save writes the selection, or else the whole drawing, as a PNG and a TXT
// file. The rendering and the writes run in a command: a large drawing
// takes a while to draw, and Update must not block.
func (m *Model) save() tea.Cmd {
	if m.opts.NoSave {
		// Not the link: over SSH it names the authority as the server
		// dials it, which may mean nothing where the user is.
		m.say("saving is off here: the file would land on the server (tcanvas export ROOM_URL -o FILE.png saves from anywhere)", 6*time.Second)
		return nil
	}
	c := m.sess.Canvas() // a copy, ours to read from the command
	r := m.sel
	if r.Empty() {
		b, ok := c.Bounds()
		if !ok {
			m.say("nothing to save: the canvas is empty", 3*time.Second)
			return nil
		}
		r = b
	}
	if _, err := picture.Measure(r, picture.Options{}); err != nil {
		m.say("cannot save: "+err.Error()+" (select a part of it)", 5*time.Second)
		return nil
	}
	base := filepath.Join(m.opts.SaveDir, fmt.Sprintf("tcanvas-%s-%s", m.sess.Room(), m.now().Format("20060102-150405")))
	m.say("saving…", 10*time.Second)
	return func() tea.Msg {
		var png bytes.Buffer
		if err := picture.PNG(&png, c, r, picture.Options{}); err != nil {
			return savedMsg{err: err}
		}
		files := []struct {
			path string
			data []byte
		}{{base + ".png", png.Bytes()}, {base + ".txt", []byte(model.RenderText(c, r) + "\n")}}
		var paths []string
		for _, f := range files {
			if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
				return savedMsg{paths: paths, err: err}
			}
			paths = append(paths, f.path)
		}
		return savedMsg{paths: paths}
	}
}

func (m *Model) saved(msg savedMsg) {
	if msg.err != nil {
		m.say("save failed: "+msg.err.Error(), 6*time.Second)
		return
	}
	m.say("saved "+strings.Join(msg.paths, " and "), 5*time.Second)
}
