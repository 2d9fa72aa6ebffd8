package model

import (
	"fmt"
	"strconv"
)

// Color is a foreground or background colour. The top byte says which kind
// it is, so a single comparable word covers the terminal default, the
// 256-colour palette and 24-bit colour without a pointer or an interface:
//
//	0                     terminal default
//	1<<24 | idx           palette index idx (0-15 are the ANSI 16)
//	2<<24 | r<<16|g<<8|b  24-bit RGB
//
// On the wire (JSON) a Color is the string form of [Color.String].
type Color uint32

// ColorDefault is the terminal's own foreground or background.
const ColorDefault Color = 0

const (
	kindShift   = 24
	kindIndexed = 1
	kindRGB     = 2
	lowMask     = 1<<kindShift - 1
)

// Indexed returns palette colour i.
func Indexed(i uint8) Color { return kindIndexed<<kindShift | Color(i) }

// RGB returns the 24-bit colour r, g, b.
func RGB(r, g, b uint8) Color {
	return kindRGB<<kindShift | Color(r)<<16 | Color(g)<<8 | Color(b)
}

// IsDefault reports whether c is the terminal default.
func (c Color) IsDefault() bool { return c == ColorDefault }

// Index returns the palette index of an indexed colour.
func (c Color) Index() (uint8, bool) {
	if c>>kindShift != kindIndexed || c&lowMask > 0xff {
		return 0, false
	}
	return uint8(c), true
}

// RGB returns the components of a 24-bit colour.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	if c>>kindShift != kindRGB {
		return 0, 0, 0, false
	}
	return uint8(c >> 16), uint8(c >> 8), uint8(c), true
}

// Validate reports whether c is one of the three encodable kinds. Color is
// a plain integer, so any value can be built by conversion or arrive from a
// decoder; only these are meaningful.
func (c Color) Validate() error {
	if c.IsDefault() {
		return nil
	}
	if _, ok := c.Index(); ok {
		return nil
	}
	if _, _, _, ok := c.RGB(); ok {
		return nil
	}
	return fmt.Errorf("%w %#08x", ErrBadColor, uint32(c))
}

// ParseColor parses the string form of a colour: "" is the default, a
// decimal "0" to "255" (no sign, no leading zeros) is a palette index, and
// "#rrggbb" in either case is RGB. Canonical numbers keep String an exact
// inverse, so a colour has one spelling on the wire.
func ParseColor(s string) (Color, error) {
	switch {
	case s == "":
		return ColorDefault, nil
	case s[0] == '#':
		if len(s) != 7 {
			break
		}
		v, err := strconv.ParseUint(s[1:], 16, 32)
		if err != nil {
			break
		}
		return kindRGB<<kindShift | Color(v), nil
	case len(s) <= 3 && (s == "0" || s[0] != '0'):
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			break
		}
		return Indexed(uint8(v)), nil
	}
	return 0, fmt.Errorf("%w %q", ErrBadColor, s)
}

// String returns the form ParseColor accepts: "", "12" or "#ff0000"
// (lower case). An invalid Color prints as "!0x…" so it cannot be mistaken
// for, or parsed as, a valid one.
func (c Color) String() string {
	if c.IsDefault() {
		return ""
	}
	if i, ok := c.Index(); ok {
		return strconv.Itoa(int(i))
	}
	if r, g, b, ok := c.RGB(); ok {
		const hex = "0123456789abcdef"
		return string([]byte{'#',
			hex[r>>4], hex[r&15], hex[g>>4], hex[g&15], hex[b>>4], hex[b&15]})
	}
	return fmt.Sprintf("!%#08x", uint32(c))
}

// MarshalText implements encoding.TextMarshaler so JSON carries the string
// form. It refuses invalid colours rather than put an unparsable value on
// the wire.
func (c Color) MarshalText() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseColor.
func (c *Color) UnmarshalText(b []byte) error {
	v, err := ParseColor(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
