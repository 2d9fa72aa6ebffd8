package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

const botUsage = `Usage: tcanvas bot KIND ROOM_URL [flags]

Kinds:
  replay ROOM_URL FILE   draw a text or ANSI file (FILE "-" is stdin)
  life                   Conway's Game of Life in a region
  clock                  the time in big box-drawing digits
  load                   N simulated participants; reports commit latency
  pipe                   JSON lines on stdin/stdout: a bot in any language

Every bot is shown as a bot in the roster. Flags may come before or after
the positional arguments. 'tcanvas bot KIND -h' lists a kind's flags;
docs/BOTS.md describes them all and the pipe protocol.
`

// botFlags are the flags every kind has.
type botFlags struct {
	name, token, color string
	noMesh             bool
}

func (b *botFlags) register(fs *flag.FlagSet, kind string) {
	fs.StringVar(&b.name, "name", kind, "display name")
	fs.StringVar(&b.token, "token", "", "invite token (overrides the link's ?token=)")
	fs.StringVar(&b.color, "color", "", `cursor colour: a name ("red"), 0-255 or #rrggbb`)
	fs.BoolVar(&b.noMesh, "no-mesh", false, "send presence through the authority's relay only, never peer to peer")
}

func (b *botFlags) config(link string) (bot.Config, error) {
	c, err := bot.ParseColor(b.color)
	if err != nil {
		return bot.Config{}, fmt.Errorf("--color: %w", err)
	}
	cfg := bot.Config{Link: link, Name: b.name, Token: b.token, Color: c}
	cfg.Session.NoMesh = b.noMesh
	return cfg, nil
}

func botCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, botUsage)
		if len(args) == 0 {
			return errors.New("bot: which kind?")
		}
		return flag.ErrHelp
	}
	kind := args[0]
	fs := flag.NewFlagSet("bot "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common botFlags
	common.register(fs, kind)
	out := bot.IO{In: os.Stdin, Out: stdout, Err: stderr}
	var runBot func(cfg bot.Config, pos []string) error

	switch kind {
	case "replay":
		at := fs.String("at", "0,0", "x,y of the picture's top-left corner")
		speed := fs.Float64("speed", 200, "cells per second; 0 draws everything at once")
		fs.Usage = kindUsage(fs, "replay ROOM_URL FILE", "Draw a text or ANSI file, with the cursor following the pen.")
		runBot = func(cfg bot.Config, pos []string) error {
			if len(pos) != 1 {
				return errors.New("want one FILE after ROOM_URL")
			}
			p, err := bot.ParsePoint(*at)
			if err != nil {
				return fmt.Errorf("--at: %w", err)
			}
			art, err := readArt(pos[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "replay: %s is %dx%d, %d cells\n", pos[0], art.W, art.H, len(art.Cells))
			return bot.Replay(ctx, cfg, bot.ReplayOptions{Art: art, At: p, Speed: *speed}, out)
		}
	case "life":
		region := fs.String("region", "0,0,60,20", "x,y,w,h of the board")
		interval := fs.Duration("interval", 500*time.Millisecond, "time between generations")
		seed := fs.Uint64("seed", 0, "random seed for the first generation (0: from the clock)")
		density := fs.Float64("density", 0.3, "share of cells alive in a random first generation")
		file := fs.String("file", "", "first generation from a .cells pattern file instead ('.' dead, anything else alive)")
		gens := fs.Int("generations", 0, "stop after this many generations (0: run until stopped)")
		noWrap := fs.Bool("no-wrap", false, "dead edges instead of a torus")
		ch := fs.String("ch", "█", "the character of a living cell")
		fg := fs.String("fg", "", "colour of living cells")
		fs.Usage = kindUsage(fs, "life ROOM_URL", "Conway's Game of Life; anything drawn into the region joins the game.")
		runBot = func(cfg bot.Config, pos []string) error {
			if err := noMore(pos); err != nil {
				return err
			}
			r, err := bot.ParseRect(*region)
			if err != nil {
				return fmt.Errorf("--region: %w", err)
			}
			opts := bot.LifeOptions{Region: r, Interval: *interval, Seed: *seed, Density: *density, Generations: *gens, NoWrap: *noWrap}
			if opts.Ch, err = oneRune(*ch); err != nil {
				return fmt.Errorf("--ch: %w", err)
			}
			if opts.FG, err = bot.ParseColor(*fg); err != nil {
				return fmt.Errorf("--fg: %w", err)
			}
			if *file != "" {
				f, err := os.Open(*file)
				if err != nil {
					return err
				}
				b, err := bot.ParseBoard(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", *file, err)
				}
				opts.Pattern = &b
			} else if opts.Seed == 0 {
				opts.Seed = uint64(time.Now().UnixNano())
				fmt.Fprintf(stderr, "life: seed %d\n", opts.Seed)
			}
			return bot.Life(ctx, cfg, opts, out)
		}
	case "clock":
		at := fs.String("at", "0,0", "x,y of the digits' top-left corner")
		seconds := fs.Bool("seconds", false, "show seconds and update every second (default: every minute)")
		utc := fs.Bool("utc", false, "UTC instead of local time")
		fg := fs.String("fg", "", "colour of the digits")
		fs.Usage = kindUsage(fs, "clock ROOM_URL", "The current time in big box-drawing digits.")
		runBot = func(cfg bot.Config, pos []string) error {
			if err := noMore(pos); err != nil {
				return err
			}
			p, err := bot.ParsePoint(*at)
			if err != nil {
				return fmt.Errorf("--at: %w", err)
			}
			opts := bot.ClockOptions{At: p, Seconds: *seconds}
			if *utc {
				opts.Location = time.UTC
			}
			if opts.FG, err = bot.ParseColor(*fg); err != nil {
				return fmt.Errorf("--fg: %w", err)
			}
			return bot.Clock(ctx, cfg, opts, out)
		}
	case "load":
		sessions := fs.Int("sessions", 10, "simulated participants (sessions in this process)")
		move := fs.Float64("move-rate", 10, "cursor moves per second per participant (negative: none)")
		commit := fs.Float64("commit-rate", 1, "commits per second per participant (negative: none)")
		duration := fs.Duration("duration", 10*time.Second, "how long to run (0: until --commits or Ctrl-C)")
		commits := fs.Int("commits", 0, "stop a participant after this many commits (0: no limit)")
		region := fs.String("region", "0,0,80,24", "x,y,w,h where cursors move and commits land")
		seed := fs.Uint64("seed", 1, "random seed")
		asJSON := fs.Bool("json", false, "write the report as JSON instead of a table")
		fs.Usage = kindUsage(fs, "load ROOM_URL", "Many participants in one process; reports commit latency, presence received and errors.")
		runBot = func(cfg bot.Config, pos []string) error {
			if err := noMore(pos); err != nil {
				return err
			}
			r, err := bot.ParseRect(*region)
			if err != nil {
				return fmt.Errorf("--region: %w", err)
			}
			_, err = bot.Load(ctx, cfg, bot.LoadOptions{Sessions: *sessions, MoveRate: *move, CommitRate: *commit,
				Duration: *duration, Commits: *commits, Region: r, Seed: *seed, JSON: *asJSON}, out)
			return err
		}
	case "pipe":
		noPresence := fs.Bool("no-presence", false, "do not write presence events")
		fs.Usage = kindUsage(fs, "pipe ROOM_URL", "JSON-lines commands on stdin, events on stdout (docs/BOTS.md).")
		runBot = func(cfg bot.Config, pos []string) error {
			if err := noMore(pos); err != nil {
				return err
			}
			return bot.Pipe(ctx, cfg, bot.PipeOptions{NoPresence: *noPresence}, out)
		}
	default:
		fmt.Fprint(stderr, botUsage)
		return fmt.Errorf("bot: unknown kind %q", kind)
	}

	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	// replay also takes FILE before ROOM_URL, the order people guess.
	if kind == "replay" && len(pos) == 2 && !isLink(pos[0]) && isLink(pos[1]) {
		pos[0], pos[1] = pos[1], pos[0]
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("bot %s: ROOM_URL missing", kind)
	}
	if _, err := wire.ParseLink(pos[0]); err != nil {
		return fmt.Errorf("bot %s: %w", kind, err)
	}
	cfg, err := common.config(pos[0])
	if err != nil {
		return err
	}
	if err := runBot(cfg, pos[1:]); err != nil {
		return fmt.Errorf("bot %s: %w", kind, err)
	}
	return nil
}

func kindUsage(fs *flag.FlagSet, synopsis, what string) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "Usage: tcanvas bot %s [flags]\n\n%s\n\nFlags:\n", synopsis, what)
		fs.PrintDefaults()
	}
}

// parseLinkArg parses flags around exactly one positional ROOM_URL, the
// shape of join, export and replay.
func parseLinkArg(fs *flag.FlagSet, args []string, cmd string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", fmt.Errorf("%s: want one ROOM_URL, got %d arguments", cmd, len(pos))
	}
	return pos[0], nil
}

// parseInterleaved parses flags wherever they are among the positional
// arguments: the std flag package stops at the first positional one, and
// "tcanvas bot life URL --region …" is how people type it.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		if used := len(args) - fs.NArg(); used > 0 && args[used-1] == "--" {
			return append(pos, fs.Args()...), nil // everything after "--" is positional
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func isLink(s string) bool {
	_, err := wire.ParseLink(s)
	return err == nil
}

func noMore(pos []string) error {
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	return nil
}

func oneRune(s string) (rune, error) {
	rs := []rune(s)
	if len(rs) != 1 {
		return 0, fmt.Errorf("%q is not one character", s)
	}
	if err := model.ValidateRune(rs[0]); err != nil {
		return 0, err
	}
	return rs[0], nil
}

func readArt(name string) (bot.Art, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return bot.Art{}, err
		}
		defer f.Close()
		r = f
	}
	a, err := bot.ParseArt(r)
	if err != nil {
		return bot.Art{}, fmt.Errorf("%s: %w", name, err)
	}
	return a, nil
}
