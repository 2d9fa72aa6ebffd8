package ui

// The largest screen the canvas draws. A terminal reports its own size and
// nothing else bounds it: an SSH client may ask for 65535×65535, and the
// screen grid here and Bubble Tea's two cell buffers are sized from it
// (about 250 bytes a cell in all). A bigger terminal shows the canvas in
// its top-left MaxWidth×MaxHeight cells. 512×256 is a 4K monitor filled
// with a 7-pixel font, and costs at most about 32 MiB per screen.
const (
	MaxWidth  = 512
	MaxHeight = 256
)

// ClampSize bounds a terminal size to what the canvas draws: negative
// sizes become 0, and each side is at most MaxWidth or MaxHeight.
func ClampSize(w, h int) (int, int) {
	return min(max(w, 0), MaxWidth), min(max(h, 0), MaxHeight)
}
