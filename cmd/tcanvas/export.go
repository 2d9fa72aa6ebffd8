package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/ui"
	"github.com/tcanvas/tcanvas/ui/picture"
)

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "", "txt, ansi, svg or png (default: from the -o file's extension, .ans/.ansi, .svg or .png; else txt)")
	region := fs.String("region", "", "x,y,w,h to export (default: the bounding box of the drawn cells)")
	outFile := fs.String("o", "", "write to this file instead of standard output")
	name := fs.String("name", "export", "display name while joined")
	token := fs.String("token", "", "invite token (overrides the link's ?token=)")
	fontSize := fs.Float64("font-size", 16, "svg and png: text size in pixels (16 makes a cell 10x20)")
	ascii := fs.Bool("ascii", false, "txt and ansi: printable ASCII only, as ASCII-only mode shows it (box lines as +-|, wide characters as ??)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tcanvas export ROOM_URL [flags]\n\nWrite a room's canvas as plain or ANSI text, or as an SVG or PNG picture. Joins the room briefly as a bot.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	link, err := parseLinkArg(fs, args, "export")
	if err != nil {
		return err
	}
	opts := bot.ExportOptions{Format: *format, Picture: picture.Options{FontSize: *fontSize}}
	if *fontSize <= 0 || *fontSize > 256 {
		return fmt.Errorf("export: --font-size %g: want more than 0 and at most 256", *fontSize)
	}
	if opts.Format == "" {
		switch strings.ToLower(filepath.Ext(*outFile)) {
		case ".ans", ".ansi":
			opts.Format = bot.FormatANSI
		case ".svg":
			opts.Format = bot.FormatSVG
		case ".png":
			opts.Format = bot.FormatPNG
		default:
			opts.Format = bot.FormatText
		}
	}
	if *ascii && opts.Format != bot.FormatText && opts.Format != bot.FormatANSI {
		return fmt.Errorf("export: --ascii applies to txt and ansi, not %s", opts.Format)
	}
	if *region != "" {
		r, err := bot.ParseRect(*region)
		if err != nil {
			return fmt.Errorf("export: --region: %w", err)
		}
		opts.Region = &r
	}
	// Rendered in memory first, so a failed export leaves no truncated file.
	var buf bytes.Buffer
	cfg := bot.Config{Link: link, Name: *name, Token: *token, Color: model.ColorDefault}
	if err := bot.Export(ctx, cfg, opts, bot.IO{Out: &buf, Err: stderr}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if *ascii {
		b := []byte(ui.ASCII(buf.String()))
		buf.Reset()
		buf.Write(b)
	}
	if *outFile == "" || *outFile == "-" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*outFile, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
