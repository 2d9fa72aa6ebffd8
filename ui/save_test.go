package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
)

// TestSaveKey: ctrl+s writes the drawing (or the selection) as PNG and
// TXT in SaveDir, without blocking Update; NoSave refuses and says why.
func TestSaveKey(t *testing.T) {
	a := newAuthority(t, true)
	dir := t.TempDir()
	h := newHarness(t, a, "save", "sam", model.Indexed(203), func(o *Options) { o.SaveDir = dir })
	h.keys("space", "l", "l", "space") // ### at 0,0
	h.sync()
	_, cmd := h.m.Update(keyMsg("ctrl+s"))
	if cmd == nil {
		t.Fatalf("ctrl+s returned no command; notice %q", h.m.notice)
	}
	h.send(cmd())
	if !strings.Contains(h.m.notice, "saved ") {
		t.Fatalf("notice %q", h.m.notice)
	}
	base := filepath.Join(dir, "tcanvas-save-20260102-030405")
	txt, err := os.ReadFile(base + ".txt")
	if err != nil || string(txt) != "###\n" {
		t.Fatalf("txt %q %v", txt, err)
	}
	f, err := os.Open(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 3*10+20 || b.Dy() != 20+20 {
		t.Fatalf("png of 3x1 cells is %v", b)
	}

	off := newHarness(t, a, "save", "ned", model.Indexed(114), func(o *Options) { o.NoSave = true })
	off.waitFor("the drawing", func() bool { return off.sess.Get(0, 0).Ch == '#' })
	if _, cmd := off.m.Update(keyMsg("ctrl+s")); cmd != nil || !strings.Contains(off.m.notice, "tcanvas export") {
		t.Fatalf("NoSave: command %v, notice %q", cmd != nil, off.m.notice)
	}
}
