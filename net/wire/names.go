package wire

import (
	"strings"
	"unicode"
)

// Display names are chosen by their owners, so two participants can pick
// names that look the same ("bob", "bоb" with a Cyrillic о, "B0B") or
// that look like nothing at all. CheckName refuses the blank-looking
// ones; NameSkeleton lets a client tell when two names look alike, so it
// can show what the authority vouches for beside them (the peer ID, which
// nobody can choose).

// blankRunes are printable one-column runes that draw nothing.
var blankRunes = map[rune]bool{
	0x115F: true, 0x1160: true, // Hangul choseong and jungseong fillers
	0x2800: true,               // braille pattern blank
	0x3164: true,               // Hangul filler
	0xFFA0: true,               // halfwidth Hangul filler
	0x17B4: true, 0x17B5: true, // Khmer inherent vowels
	0x180E: true,                             // Mongolian vowel separator
	0x2060: true, 0x2061: true, 0x2062: true, // word joiner, invisible operators
	0x2063: true, 0x2064: true,
	0x00AD: true, // soft hyphen
	0x034F: true, // combining grapheme joiner
	0xFEFF: true, // zero-width no-break space
}

// IsBlankRune tells whether r draws nothing on a terminal: a space of any
// width, a filler, a blank braille cell.
func IsBlankRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || blankRunes[r] ||
		unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r)
}

// blankName tells whether a name has nothing visible in it.
func blankName(s string) bool {
	for _, r := range s {
		if !IsBlankRune(r) {
			return false
		}
	}
	return true
}

// confusable maps runes that look like a Latin letter or digit, after
// lower-casing, to one representative.
var confusable = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'ь': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'l', 'ї': 'l', 'ј': 'j', 'ԁ': 'd', 'ӏ': 'l',
	'ԛ': 'q', 'ԝ': 'w', 'һ': 'h', 'п': 'n', 'г': 'r',
	// Greek
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ϲ': 'c', 'γ': 'y',
	// Latin look-alikes
	'0': 'o', '1': 'l', 'i': 'l', '|': 'l', 'ı': 'l', '5': 's', 'ɡ': 'g', 'ɑ': 'a',
}

// NameSkeleton folds a name to what it looks like: case, full-width
// forms, common Cyrillic and Greek homoglyphs and look-alike digits fold
// together, and blank runes and combining marks vanish. Two names with
// the same skeleton look alike; a client should then show something
// unforgeable beside them. It errs towards calling names alike: a
// needless suffix costs little, a missed one lets someone pose as another.
func NameSkeleton(name string) string {
	var b strings.Builder
	for _, r := range name {
		if IsBlankRune(r) {
			continue
		}
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		r = unicode.ToLower(r)
		if c, ok := confusable[r]; ok {
			r = c
		}
		b.WriteRune(r)
	}
	return b.String()
}
