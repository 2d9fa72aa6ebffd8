// Package model owns the tcanvas domain: what a cell is, the sparse canvas
// that holds cells, the operations that change it, how operations are
// validated and applied, how a commit is undone, how box-drawing strokes
// join, and how a region is rendered as plain or ANSI text.
//
// It is deliberately pure: no I/O, no goroutines, no clocks, stdlib only.
// The authority, the client session, bots and the UI all apply the same
// operations through this package, so identical input yields identical
// canvases everywhere; anything nondeterministic here would split the room.
//
// The boundary between trusted and untrusted data is [ValidateOps] (and the
// binary decoders, which validate as they decode). Everything that mutates a
// canvas assumes its input has passed that gate and does not re-check it,
// because the hot paths (apply, region reads) run far more often than
// validation.
package model
