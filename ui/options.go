package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/net/session"
)

// Options configures the TUI. The zero value is a working default.
type Options struct {
	// Share is how others can join, shown in the peer list; default
	// "tcanvas join " and the session's RoomLink.
	Share string
	// Welcome, if set, is shown as a notice when the canvas opens.
	Welcome string
	// HostsRoom says the room lives in this process (local mode): quitting
	// while others are here asks first.
	HostsRoom bool
	// ASCII starts in ASCII-only display mode.
	ASCII bool
	// Invisible starts in invisible mode; NoFollow refuses followers.
	Invisible, NoFollow bool
	// SaveDir is where ctrl+s writes its PNG and TXT files; default the
	// current directory. NoSave turns the key off (the SSH front door: the
	// files would land on the server).
	SaveDir string
	NoSave  bool
	// Import reads a file for ctrl+o, which floats it at the cursor like a
	// paste. Nil turns the key off (the SSH front door: the file would be
	// read on the server).
	Import ImportFunc
	// PrefsFile is where the tool, brush, colours, box style and arrow
	// settings are read from at start and saved to at the end (PrefsPath
	// is the usual place); "" keeps them for this run only.
	PrefsFile string
	// Now is the clock for fading peers, notices and countdowns. Default
	// time.Now; tests pin it so that screens do not depend on timing.
	Now func() time.Time
	// Width and Height are the screen size until the terminal reports its
	// own (the program always does at start). Tests set them.
	Width, Height int
	// MaxFPS caps how often a frame is built: Update runs once per message,
	// and a busy room sends hundreds of presence messages a second. Default
	// 60; negative means every Update builds a frame (tests).
	MaxFPS int

	// The program's terminal: default stdin/stdout, the environment, and
	// the colour profile detected from them (colorprofile.Unknown).
	Input   io.Reader
	Output  io.Writer
	Env     []string
	Profile colorprofile.Profile

	// testPanic, when set, is called at the top of Update: tests use it to
	// prove that a panic still restores the terminal.
	testPanic func(tea.Msg)
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxFPS == 0 {
		o.MaxFPS = 60
	}
	return o
}

// ErrPanic reports that the program panicked; Bubble Tea restored the
// terminal and printed the stack to stderr before Run returned.
var ErrPanic = errors.New("ui: the canvas crashed (the terminal was restored)")

// rendererFPS is how often Bubble Tea's renderer looks for a new view.
const rendererFPS = 120

// Run shows sess in the terminal until the user quits or ctx ends. The
// terminal is restored on every way out: quitting, ctx ending (a signal),
// a lost session and a panic, which Bubble Tea recovers from in Update, View
// and commands alike. Run does not close sess.
func Run(ctx context.Context, sess *session.Session, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the event and tick commands still waiting
	m := New(ctx, sess, opts)
	// Bubble Tea writes the latest view on its own ticker, so a peer's
	// cursor that reaches the model waits for the next tick: at 120 Hz (its
	// maximum) half a tick of 60 Hz less. The terminal still sees at most
	// MaxFPS frames a second: the model builds no more (leading edge, see
	// frameWait), and the renderer writes nothing for an unchanged view.
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(rendererFPS)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		popts = append(popts, tea.WithOutput(opts.Output))
	}
	if opts.Env != nil {
		popts = append(popts, tea.WithEnvironment(opts.Env))
	}
	if opts.Profile != colorprofile.Unknown {
		popts = append(popts, tea.WithColorProfile(opts.Profile))
	}
	if opts.Width > 0 && opts.Height > 0 {
		popts = append(popts, tea.WithWindowSize(opts.Width, opts.Height))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	if m.prefsFile != "" && !errors.Is(err, tea.ErrProgramPanic) {
		if perr := savePrefs(m.prefsFile, m.prefs()); perr != nil && err == nil {
			return fmt.Errorf("ui: saving preferences: %w", perr)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return ErrPanic
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil // ctx ended: a signal or the caller; not a failure of ours
	}
	return fmt.Errorf("ui: %w", err)
}
