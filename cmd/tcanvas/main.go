// Command tcanvas is the terminal collaborative ASCII canvas: the bundled
// authority server and, in later subcommands, the clients.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
)

// version is set at link time with -ldflags "-X main.version=…".
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "tcanvas:", err)
		os.Exit(1)
	}
}

const usage = `tcanvas — a collaborative ASCII canvas in your terminal.

Usage:
  tcanvas [--listen ADDR]         start a local authority (open rooms) and open the canvas
  tcanvas join ROOM_URL [flags]   open the canvas of any room
  tcanvas serve [flags]           run the authority server
  tcanvas bot KIND ROOM_URL ...   run a headless bot (replay, life, clock, load, pipe)
  tcanvas token mint|list|revoke ROOM_URL   manage a room's invite tokens (owners)
  tcanvas export ROOM_URL ...     write a room's canvas as text, ANSI, SVG or PNG
  tcanvas import FILE ROOM_URL    draw a text or ANSI file into a room (--at x,y)
  tcanvas replay ROOM_URL ...     play a room's history back, or write it as an asciicast
  tcanvas version                 print the version

Run 'tcanvas COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !slices.Contains([]string{"-h", "--help", "-v", "--version"}, args[0]) {
		return local(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "join":
		return joinCmd(ctx, args[1:], stdout, stderr)
	case "bot":
		return botCmd(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	case "replay":
		return replayCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "tcanvas", versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
