// Package ui is the terminal canvas: a Bubble Tea v2 program that shows one
// room through a net/session.Session and lets its user draw in it.
//
// It owns the viewport (an unbounded canvas seen through the terminal),
// the tools (pen, line, rectangle, box, text, eraser, fill, select, pick),
// the palette, the peers' cursors, ghosts and list, the status bar and the
// help overlay. It never talks to the network itself: commits, undo and
// presence go through the session, and the session's events reach Update as
// messages from a command that re-arms itself, so Update never blocks.
//
// A frame is drawn into a grid of model.Cell the size of the terminal: the
// canvas region is read straight into its top rows, overlays are written on
// top, and the grid is encoded to one string with a cached SGR sequence per
// style. Bubble Tea's renderer diffs that string against the screen, so a
// moving cursor costs the terminal a few bytes, not a repaint.
package ui
