package main

import "github.com/tcanvas/tcanvas/model"

// scene is what the benchmark's room shows: boxes in the four line styles,
// junctions, colours and attributes, the kind of diagram people draw.
func scene() [][]model.Op {
	txt := func(x, y int32, s string, fg model.Color, attr model.Attr) []model.Op {
		return []model.Op{{Kind: model.OpText, X: x, Y: y, Text: s, FG: fg, Attr: attr}}
	}
	return [][]model.Op{
		txt(2, 1, "tcanvas · a room in the browser", model.RGB(0x81, 0xa2, 0xf0), model.Bold),
		txt(2, 3, "╭──────────────────╮\n│  terminal (TUI)  │\n│  session · mesh  ├────────────┐\n╰────────┬─────────╯            │", model.RGB(0x5f, 0xd3, 0x8d), 0),
		txt(2, 7, "         │ p2p", model.Indexed(8), model.Italic),
		txt(2, 8, "         │ presence", model.Indexed(8), model.Italic),
		txt(52, 9, "╔══╦══╗ ┏━━┳━━┓\n║  ║  ║ ┃  ┃  ┃\n╠══╬══╣ ┣━━╋━━┫\n╚══╩══╝ ┗━━┻━━┛", model.Indexed(6), 0),
		txt(2, 9, "┏━━━━━━━━┷━━━━━━━━━┓\n┃  browser (page)  ┃\n┃  WebRTC · WS     ┃\n┗━━━━━━━━━━━━━━━━━━┛", model.RGB(0xf0, 0xc6, 0x74), 0),
		txt(24, 7, "╔═════════╧═════════╗\n║    authority      ║\n║  orders · acks    ║\n╚═════════╤═════════╝\n          │ durable\n┌─────────┴─────────┐\n│    SQLite WAL     │\n└───────────────────┘", model.RGB(0xc3, 0x97, 0xd8), 0),
		txt(52, 3, "commits   ──▶ authority", model.Indexed(7), 0),
		txt(52, 4, "presence  ──▶ peers", model.Indexed(7), 0),
		txt(52, 6, "░░▒▒▓▓██", model.RGB(0xcc, 0x34, 0x2b), 0),
		txt(52, 7, "bold", model.ColorDefault, model.Bold),
		txt(57, 7, "underline", model.ColorDefault, model.Underline),
		txt(67, 7, "reverse", model.RGB(0x8a, 0xbe, 0xb7), model.Reverse),
	}
}
