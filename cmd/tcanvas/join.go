package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui"
)

const (
	// localRoom is the room `tcanvas` alone opens.
	localRoom = "main"
	// syncOnQuit bounds the wait, after the canvas closes, for commits
	// still on their way to the room.
	syncOnQuit = 3 * time.Second
)

// joinCmd opens the canvas of any room: tcanvas join ROOM_URL [flags].
func joinCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", defaultName(), "your name in the room")
	colorFlag := fs.String("color", "", "your cursor colour: 0-255, #rrggbb or a name (red, green, …); default from your name")
	ascii := fs.Bool("ascii", false, "ASCII-only display, for terminals without box-drawing glyphs")
	invisible := fs.Bool("invisible", false, "start invisible: others do not see your cursor")
	noFollow := fs.Bool("no-follow", false, "refuse to be followed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tcanvas join ROOM_URL [flags]")
		fs.PrintDefaults()
	}
	link, err := parseLinkArg(fs, args, "join")
	if err != nil {
		return err
	}
	col, err := parseColor(*colorFlag, *name)
	if err != nil {
		return err
	}
	return openCanvas(ctx, link, ui.Options{ASCII: *ascii, Invisible: *invisible, NoFollow: *noFollow},
		session.Options{Name: *name, Color: col})
}

// openCanvas joins the room at link and runs the TUI on it until the user
// quits. The session stays up until the TUI is gone, so that the terminal
// is restored before anything else is printed.
func openCanvas(ctx context.Context, link string, uo ui.Options, so session.Options) error {
	if uo.Import == nil {
		uo.Import = importFile
	}
	if uo.PrefsFile == "" {
		if path, err := ui.PrefsPath(); err == nil {
			uo.PrefsFile = path
		} // no config directory (no $HOME): preferences last this run only
	}
	sess, err := session.Dial(ctx, link, so)
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	defer sess.Close()
	if err := ui.Run(ctx, sess, uo); err != nil {
		return err
	}
	// Give commits made just before quitting a moment to reach the room;
	// the session would resend them next time, but there is no next time.
	sctx, cancel := context.WithTimeout(ctx, syncOnQuit)
	defer cancel()
	sess.Sync(sctx)
	return nil
}

// defaultName is the user's login name if it is a valid display name.
func defaultName() string {
	for _, v := range []string{"USER", "LOGNAME", "USERNAME"} {
		if n := os.Getenv(v); n != "" && wire.CheckName(n) == nil {
			return n
		}
	}
	return "anon"
}

// namedColors are the names --color accepts besides numbers and hex.
var namedColors = map[string]model.Color{
	"black": model.Indexed(0), "red": model.Indexed(9), "green": model.Indexed(10),
	"yellow": model.Indexed(11), "blue": model.Indexed(12), "magenta": model.Indexed(13),
	"cyan": model.Indexed(14), "white": model.Indexed(15), "orange": model.Indexed(208),
	"pink": model.Indexed(211), "purple": model.Indexed(135), "teal": model.Indexed(37),
}

// cursorColors are the defaults, picked by name so that a person keeps
// their colour from one session to the next.
var cursorColors = []uint8{203, 114, 75, 221, 177, 80, 215, 147, 210, 156}

func parseColor(s, name string) (model.Color, error) {
	if s == "" {
		h := fnv.New32a()
		h.Write([]byte(name))
		return model.Indexed(cursorColors[h.Sum32()%uint32(len(cursorColors))]), nil
	}
	if c, ok := namedColors[strings.ToLower(s)]; ok {
		return c, nil
	}
	c, err := model.ParseColor(s)
	if err != nil {
		return 0, fmt.Errorf("join: --color %q: want 0-255, #rrggbb or one of red, green, yellow, blue, magenta, cyan, white, black, orange, pink, purple, teal", s)
	}
	return c, nil
}
