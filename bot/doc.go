// Package bot owns the headless participants of tcanvas: programs that
// join a room through net/session exactly like a person in the TUI would,
// labelled as bots in the roster.
//
//   - [Replay] draws a text or ANSI file, cell by cell, with its cursor
//     moving as it draws.
//   - [Life] runs Conway's Game of Life in a region, one commit per
//     generation, reading the board back from the canvas so people can draw
//     into the game.
//   - [Clock] keeps the time drawn in big box-drawing digits, committing
//     only the cells that change.
//   - [Load] runs many simulated participants in one process and reports
//     what they observed: the load generator behind bench/load.
//   - [Pipe] is a JSON-lines bridge on stdin and stdout, so that a program
//     in any language can be a bot (docs/BOTS.md is its contract).
//   - [Export] writes a room's canvas as plain or ANSI text, or as an SVG
//     or PNG picture (drawn by ui/picture).
//   - [History] reads a room's whole log over HTTP (GET /r/ROOM/history,
//     without joining) and [Play] turns it into terminal frames, which
//     [CastWriter] writes as an asciicast v2 file: `tcanvas replay`. It is
//     the one HTTP client outside net/session: a read-only download, with
//     no session to hold.
//
// Every bot is a function taking a context, a [Config] (which room, as
// whom) and an [IO] (where it reads and writes), so tests run them against
// an in-process authority and the command line is only flag parsing. Each
// one returns when its work is done or its context ends, and every
// goroutine it starts has ended by then (errgroup), with one documented
// exception: a read from Pipe's input that nothing can interrupt.
package bot
