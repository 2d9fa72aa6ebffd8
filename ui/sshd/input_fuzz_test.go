package sshd

import (
	"bytes"
	"testing"
)

// FuzzIsUserInput: the classifier of a watching viewer's input never
// panics, calls nothing but terminal replies "not the user", and calls
// any input with a printable byte outside an escape sequence the user's.
func FuzzIsUserInput(f *testing.F) {
	for _, s := range []string{"q", "\x1b[A", "\x1b[?2026;2$y", "\x1b]11;rgb:0000/0000/0000\x07", "\x1b[?62;c",
		"\x1b[<35;10;5M", "\x1bP>|xterm\x1b\\", "\x1b[I", "\x1b[2;1R", "\x1b[?1u", "\x1b", "\x1b[", "\x1b]11;"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		user := isUserInput(b)
		if len(b) > 0 && b[0] != 0x1b && !user {
			t.Fatalf("%q starts with a key but is not user input", b)
		}
		if !user && bytes.ContainsAny(b, "qhjkl ") && !bytes.Contains(b, []byte{0x1b}) {
			t.Fatalf("%q: keys taken for a reply", b)
		}
	})
}

func TestIsUserInput(t *testing.T) {
	for in, want := range map[string]bool{
		"q": true, "\x1b[A": true, "\x1b[<35;10;5M": true, "\x1b[2;1R": true, "l\x1b[?62;c": true, "\x1b[?62;cq": true,
		"\x1b[?2026;2$y": false, "\x1b]11;rgb:0000/0000/0000\x07": false, "\x1b[?62;c\x1b[?1u": false,
		"\x1bP>|xterm\x1b\\": false, "\x1b[I": false, "\x1b[O": false, "\x1b]10;rgb:ffff/ffff/ffff\x1b\\": false,
	} {
		if got := isUserInput([]byte(in)); got != want {
			t.Errorf("isUserInput(%q) = %v, want %v", in, got, want)
		}
	}
}
