package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
)

// replayCmd plays a room's history: tcanvas replay ROOM_URL [flags].
func replayCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.Uint64("from", 0, "first seq shown being drawn; the commits before it make the first frame (default: from an empty canvas)")
	speed := fs.Float64("speed", 1, "playback speed: 2 plays twice as fast")
	maxGap := fs.Duration("max-gap", 2*time.Second, "longest pause between two commits, after --speed (0: no limit)")
	outFile := fs.String("o", "", "write an asciicast v2 file (asciinema play FILE) instead of playing in the terminal; - is standard output")
	region := fs.String("region", "", "x,y,w,h to show (default: every cell the history ever drew)")
	token := fs.String("token", "", "invite token (overrides the link's ?token=); a room that is not open needs one")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tcanvas replay ROOM_URL [flags]\n\nPlay a room's history back, commit by commit, in the terminal or into an\nasciicast file. Reads GET /r/ROOM/history; does not join the room.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	link, err := parseLinkArg(fs, args, "replay")
	if err != nil {
		return err
	}
	if *speed <= 0 {
		return fmt.Errorf("replay: --speed %g: want more than 0", *speed)
	}
	opts := bot.PlayOptions{From: *from, Speed: *speed, MaxGap: *maxGap}
	if *maxGap == 0 {
		opts.MaxGap = -1
	}
	if *region != "" {
		r, err := bot.ParseRect(*region)
		if err != nil {
			return fmt.Errorf("replay: --region: %w", err)
		}
		opts.Region = &r
	}
	var recs []bot.Record
	info, err := bot.History(ctx, nil, link, *token, 0, func(r bot.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("replay: room %s has no commits yet", info.Room)
	}
	shown := opts.Region
	if shown == nil {
		r, _ := bot.ReplayRegion(recs)
		shown = &r
	}
	if *outFile != "" {
		return writeCast(stdout, *outFile, info, recs, *shown, opts)
	}
	// In a terminal, a drawing larger than the screen would wrap: show the
	// part that fits and say so.
	full := *shown
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(f.Fd()) {
		if w, h, err := term.GetSize(f.Fd()); err == nil && w > 0 && h > 1 {
			shown.W, shown.H = min(shown.W, int32(w)), min(shown.H, int32(h-1))
		}
	}
	opts.Region = shown
	start := time.Now()
	err = bot.Play(recs, opts, func(f bot.Frame) error {
		t := time.NewTimer(time.Until(start.Add(f.At)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		_, err := io.WriteString(stdout, f.Data)
		return err
	})
	if ctx.Err() != nil {
		io.WriteString(stdout, "\x1b[0m\x1b[?25h\n") // interrupted: the cursor back, below
		return nil
	}
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	fmt.Fprintln(stdout)
	if *shown != full {
		fmt.Fprintf(stderr, "replay: the drawing is %dx%d; this terminal showed its top-left %dx%d (pass --region, or -o FILE for a cast)\n", full.W, full.H, shown.W, shown.H)
	}
	return nil
}

// writeCast renders the whole replay as an asciicast v2 file, in memory
// first so that a failure leaves no truncated file.
func writeCast(stdout io.Writer, path string, info bot.HistoryInfo, recs []bot.Record, region model.Rect, opts bot.PlayOptions) error {
	var buf bytes.Buffer
	w, h := bot.Screen(region)
	first := recs[0]
	for _, r := range recs {
		if r.Seq >= opts.From {
			first = r
			break
		}
	}
	cw, err := bot.NewCastWriter(&buf, bot.CastHeader{Width: w, Height: h, Timestamp: first.At / 1000,
		Title: "tcanvas room " + info.Room, Env: map[string]string{"TERM": "xterm-256color"}})
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if err := bot.Play(recs, opts, cw.Frame); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if path == "-" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}
