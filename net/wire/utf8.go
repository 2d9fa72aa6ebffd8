package wire

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrNotUTF8 means a frame holds bytes that are not UTF-8, or a \u escape
// of a lone UTF-16 surrogate. encoding/json would turn either into U+FFFD
// without a word, so a name or a text would land other than it was sent.
var ErrNotUTF8 = errors.New("not valid UTF-8")

// CheckJSONText refuses the JSON texts whose strings encoding/json would
// silently repair: invalid UTF-8 anywhere, and escapes of unpaired
// surrogates (\ud800 without a low surrogate after it, or \udc00 alone).
// It does not check that b is JSON; the decoder does that afterwards.
func CheckJSONText(b []byte) error {
	if !utf8.Valid(b) {
		for i := 0; i < len(b); {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return fmt.Errorf("%w: byte %d (0x%02x)", ErrNotUTF8, i, b[i])
			}
			i += n
		}
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			if i+1 < len(b) && b[i+1] == 'u' {
				r, ok := hex4(b, i+2)
				switch {
				case ok && r >= 0xd800 && r < 0xdc00: // high: a low must follow
					lo, ok := rune(0), i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u'
					if ok {
						lo, ok = hex4(b, i+8)
					}
					if !ok || lo < 0xdc00 || lo >= 0xe000 {
						return fmt.Errorf("%w: byte %d: \\u%04x is half of a surrogate pair", ErrNotUTF8, i, r)
					}
					i += 11 // past both escapes, with the loop's i++
					continue
				case ok && r >= 0xdc00 && r < 0xe000:
					return fmt.Errorf("%w: byte %d: \\u%04x is half of a surrogate pair", ErrNotUTF8, i, r)
				}
			}
			i++ // the escaped byte: \" does not end the string
		}
	}
	return nil
}

// hex4 reads the four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
