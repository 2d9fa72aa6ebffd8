package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

const importUsage = `Usage: tcanvas import FILE ROOM_URL [--at x,y] [flags]

Draws a text or ANSI file (FILE "-" is stdin) into a room at once, its
top-left corner at --at: colours and attributes are kept, a plain space is
transparent. In the canvas, ctrl+o does the same as a paste you can move
before dropping it.

Flags:
`

// importCmd draws a file in one go: the replay bot at full speed, under the
// name people look for.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common botFlags
	common.register(fs, "import")
	at := fs.String("at", "0,0", "x,y of the picture's top-left corner")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 2 && isLink(pos[0]) && !isLink(pos[1]) {
		pos[0], pos[1] = pos[1], pos[0] // ROOM_URL FILE, the bot's order
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("import: want FILE and ROOM_URL, got %d arguments", len(pos))
	}
	if _, err := wire.ParseLink(pos[1]); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	p, err := bot.ParsePoint(*at)
	if err != nil {
		return fmt.Errorf("import: --at: %w", err)
	}
	art, err := readArt(pos[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if len(art.Cells) == 0 {
		return fmt.Errorf("import: %s has nothing to draw", pos[0])
	}
	cfg, err := common.config(pos[1])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	out := bot.IO{In: os.Stdin, Out: stdout, Err: io.Discard}
	if err := bot.Replay(ctx, cfg, bot.ReplayOptions{Art: art, At: p}, out); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stderr, "import: drew %s (%dx%d, %d cells) at %d,%d\n", pos[0], art.W, art.H, len(art.Cells), p.X, p.Y)
	return nil
}

// importFile reads a file for the canvas's ctrl+o.
func importFile(name string) ([]model.CellAt, int32, int32, error) {
	a, err := readArt(name)
	if err != nil {
		return nil, 0, 0, err
	}
	return a.Cells, a.W, a.H, nil
}
