package sshview

import (
	"bytes"
	"testing"
)

// FuzzStripper: stripping never leaves an escape byte, and gives the same
// text however the stream is cut into reads.
func FuzzStripper(f *testing.F) {
	f.Add([]byte("\x1b[22;73H\x1b[38;5;229;48;2;105;60;40m#\x1b[mQ1000042Z"), 3)
	f.Add([]byte("\x1b]0;tcanvas · talk\x07seq 4\x1b(B\x1bP+q\x1b\\ok"), 7)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		var whole Stripper
		all := whole.Strip(nil, b)
		if bytes.IndexByte(all, 0x1b) >= 0 {
			t.Fatalf("%q → %q keeps an escape", b, all)
		}
		if len(b) == 0 {
			return
		}
		cut = (cut%len(b) + len(b)) % len(b)
		var parts Stripper
		split := parts.Strip(nil, b[:cut])
		split = parts.Strip(split, b[cut:])
		if !bytes.Equal(all, split) {
			t.Fatalf("%q cut at %d: %q, whole: %q", b, cut, split, all)
		}
	})
}

func TestStripper(t *testing.T) {
	var s Stripper
	got := string(s.Strip(nil, []byte("\x1b[1;1H\x1b[38;5;40mQ1000042Z\x1b[m\n\x1b]2;title\x07 seq 3\x1b(Bx")))
	if want := "Q1000042Z\n seq 3x"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
