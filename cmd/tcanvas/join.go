package main

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/internal/statedir"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/outbox"
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
		session.Options{Name: *name, Color: col}, stderr)
}

// openCanvas joins the room at link and runs the TUI on it until the user
// quits. The session stays up until the TUI is gone, so that the terminal
// is restored before anything else is printed.
//
// The canvas keeps two things in the state directory: its outbox (commits
// not yet answered, resent by the next canvas on the room) and, when it
// owns the room, the owner token, used on the next join without a token.
func openCanvas(ctx context.Context, link string, uo ui.Options, so session.Options, stderr io.Writer) error {
	if uo.Import == nil {
		uo.Import = importFile
	}
	if uo.PrefsFile == "" {
		if path, err := ui.PrefsPath(); err == nil {
			uo.PrefsFile = path
		} // no config directory (no $HOME): preferences last this run only
	}
	l, err := wire.ParseLink(link)
	if err != nil {
		return err
	}
	state := statedir.Dir()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if so.Outbox == nil {
		j, err := outbox.Open(statedir.OutboxDir(state), l.Base, l.Room, log)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		defer j.Close()
		so.Outbox = j
	}
	tokens := statedir.OwnerTokens(state)
	kept := ""
	if l.Token == "" && so.Token == "" {
		if kept, err = tokens.Get(l.Base, l.Room); err != nil {
			fmt.Fprintf(stderr, "tcanvas: owner tokens: %v\n", err)
		}
		so.Token = kept
	}
	sess, err := session.Dial(ctx, link, so)
	if err != nil && kept != "" {
		// The kept token was revoked, or the room recreated: join as anyone
		// would, and stop offering it.
		fmt.Fprintf(stderr, "tcanvas: the owner token kept for %s was refused (%v); joining without it\n", l.String(), err)
		tokens.Set(l.Base, l.Room, "")
		so.Token = ""
		sess, err = session.Dial(ctx, link, so)
	}
	if err != nil {
		if n := so.Outbox.Len(); n > 0 {
			return fmt.Errorf("join: %w (%d %s of yours kept for this room, sent when you next get in)", err, n, plural(n, "commit", "commits"))
		}
		return fmt.Errorf("join: %w", err)
	}
	defer sess.Close()
	keepOwnerToken(tokens, l, so.Token, sess, stderr)
	if err := ui.Run(ctx, sess, uo); err != nil {
		return err
	}
	// Give commits made just before quitting a moment to reach the room;
	// what does not make it stays in the outbox for next time.
	if sess.Link().State == session.Online {
		sctx, cancel := context.WithTimeout(ctx, syncOnQuit)
		defer cancel()
		sess.Sync(sctx)
	}
	if n := so.Outbox.Len(); n > 0 {
		fmt.Fprintf(stderr, "tcanvas: %d %s not yet in room %s, kept in %s: they are sent the next time you join it\n",
			n, plural(n, "commit", "commits"), l.Room, statedir.OutboxDir(state))
	}
	return nil
}

// keepOwnerToken saves the token this session owns the room with, so that
// the next join (without a token) is the owner's again.
func keepOwnerToken(tokens *statedir.Tokens, l wire.Link, used string, sess *session.Session, stderr io.Writer) {
	info := sess.Info()
	if info.Role != wire.RoleOwner {
		return
	}
	tok := info.Token // minted for us: we created the room
	if tok == "" {
		tok = used
	}
	if tok == "" {
		tok = l.Token
	}
	if tok == "" {
		return
	}
	if err := tokens.Set(l.Base, l.Room, tok); err != nil {
		fmt.Fprintf(stderr, "tcanvas: keeping the owner token: %v\n", err)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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
