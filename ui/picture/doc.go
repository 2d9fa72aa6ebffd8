// Package picture draws a region of a canvas as an image a person can paste
// into a chat or an issue: PNG (pixels, rendered here in pure Go with the Go
// Mono fonts) or SVG (text, drawn by the viewer's monospace font).
//
// A cell is a fixed-size box, as in a terminal. The terminal's default
// colours become the Options' Foreground and Background; the 256 palette
// colours are xterm's. Box-drawing (U+2500–U+257F) and block elements
// (U+2580–U+259F) are drawn as shapes rather than font glyphs, the way
// terminals do: Go Mono lacks the heavy, rounded and dashed lines, and
// glyphs from a font would leave gaps between rows where lines should join.
package picture
