package sshd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui"
)

// Shared rendering for an audience. A canvas program per SSH session costs
// a frame per session per presence tick, almost all of it in Bubble Tea's
// renderer; a room's viewers who have not touched their terminal all see
// the same screen. So viewers of one room whose terminals have the same
// size, TERM and colour profile share one program (an audience group): it
// draws once, and the bytes of each frame, already the diff against the
// previous one, are queued to every member in sync. A member whose queue
// would pass MaxBehind (a slow link) drops it and waits for the next full
// repaint, which the group then asks for: it never gets more than it
// drains, and always converges to the latest screen. A newcomer waits for
// a repaint in the same way. Repaints are asked at most every
// repaintEvery, so a crowd arriving at once costs a few. The server holds
// at most that queue and the write in progress for a member: twice
// MaxBehind, or twice a frame where one frame is bigger.
//
// A member who presses a key, moves the mouse or resizes leaves the group
// for a program of its own (as every session had before), over its own
// participant session, which it kept all along, quiet while it watched
// (no presence relayed to it): the roster still shows every viewer. The group's own session is a participant named audience.
const (
	// MaxBehind is the most bytes a viewer of a shared canvas may have
	// queued before it is sent the next full repaint instead.
	MaxBehind    = 256 << 10
	repaintEvery = 150 * time.Millisecond
)

type groupKey struct {
	room    string
	w, h    int
	term    string
	profile colorprofile.Profile
}

// group is one shared canvas program and the sessions that watch it.
type group struct {
	s       *Server
	key     groupKey
	sess    *session.Session
	prog    *tea.Program
	ctx     context.Context
	cancel  context.CancelFunc
	ended   chan struct{}
	mu      sync.Mutex
	members map[*member]bool // true: in sync; false: waiting for a repaint
	asked   bool             // a repaint is on its way
	timer   *time.Timer
}

// member is one SSH session watching a group. Frames queue in buf; its
// writer goroutine sends them.
type member struct {
	sess    ssh.Session
	mu      sync.Mutex
	buf     []byte
	sending int  // bytes the writer took from buf and is writing
	maxHeld int  // the most of buf and sending together so far
	dropped int  // backlogs thrown away
	fresh   bool // never painted: needs the screen modes before its first repaint
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// ViewerStats is one session watching a shared canvas: what it costs the
// server while it watches, and how often it fell behind.
type ViewerStats struct {
	Room   string
	Remote string // the client's address
	// InSync is false while the viewer waits for a repaint.
	InSync bool
	// Queued is what waits for the connection; Sending, what is being
	// written to it (a write blocks while the client reads nothing);
	// MaxHeld, the most of the two together since the viewer joined.
	Queued, Sending, MaxHeld int
	// Dropped counts its backlogs thrown away.
	Dropped int
}

// Audience reports the sessions watching a shared canvas now.
func (s *Server) Audience() []ViewerStats {
	var a []ViewerStats
	s.mu.Lock()
	var groups []*group
	for _, ref := range s.groups {
		select {
		case <-ref.ready:
			if ref.group != nil {
				groups = append(groups, ref.group)
			}
		default: // still starting: no viewers yet
		}
	}
	s.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		for m, inSync := range g.members {
			m.mu.Lock()
			a = append(a, ViewerStats{Room: g.key.room, Remote: m.sess.RemoteAddr().String(), InSync: inSync,
				Queued: len(m.buf), Sending: m.sending, MaxHeld: m.maxHeld, Dropped: m.dropped})
			m.mu.Unlock()
		}
		g.mu.Unlock()
	}
	return a
}

// restore undoes preamble, for a member whose session ends while it
// watches.
var restore = ansi.ResetModeMouseExtSgr + ansi.ResetModeMouseAnyEvent + ansi.ShowCursor + ansi.ResetModeAltScreenSaveCursor

// the modes the group's program set when it started, for a member who
// arrives later: the alternate screen, no cursor, every mouse event in SGR
// form.
var preamble = ansi.SetModeAltScreenSaveCursor + ansi.HideCursor + ansi.SetModeMouseAnyEvent + ansi.SetModeMouseExtSgr

func (m *member) writer() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case <-m.wake:
		}
		m.mu.Lock()
		b := m.buf
		m.buf = nil
		m.sending = len(b)
		m.mu.Unlock()
		if len(b) > 0 {
			if _, err := m.sess.Write(b); err != nil {
				return
			}
		}
		m.mu.Lock()
		m.sending = 0
		m.mu.Unlock()
	}
}

// queue adds a frame; false when the member is too far behind. A member
// with nothing queued takes any frame: on a big terminal one frame of a
// colourful canvas can pass MaxBehind by itself, and refusing it would
// refuse every repaint too, leaving the member (every member of the
// group) waiting for one forever.
func (m *member) queue(frame []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.buf) > 0 && len(m.buf)+len(frame) > MaxBehind {
		m.buf = nil
		m.dropped++
		return false
	}
	if m.fresh {
		m.buf = append(m.buf, preamble...)
		m.fresh = false
	}
	m.buf = append(m.buf, frame...)
	m.maxHeld = max(m.maxHeld, len(m.buf)+m.sending)
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// Write receives each frame of the group's program, in one call per frame.
func (g *group) Write(frame []byte) (int, error) {
	full := bytes.Contains(frame, []byte(ansi.EraseEntireScreen))
	g.mu.Lock()
	defer g.mu.Unlock()
	if full {
		g.asked = false
	}
	behind := false
	for m, inSync := range g.members {
		if !inSync && !full {
			continue
		}
		ok := m.queue(frame)
		g.members[m] = ok
		behind = behind || !ok
	}
	if behind {
		g.askRepaintLocked()
	}
	return len(frame), nil
}

func (g *group) askRepaintLocked() {
	if g.asked {
		return
	}
	g.asked = true
	g.timer = time.AfterFunc(repaintEvery, func() { g.prog.Send(tea.ClearScreen()) })
}

// join adds m; it is painted at the next repaint.
func (g *group) join(m *member) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members[m] = false
	g.askRepaintLocked()
}

// leave removes m and stops its writer.
func (g *group) leave(m *member) {
	g.mu.Lock()
	delete(g.members, m)
	g.mu.Unlock()
	close(m.stop)
	<-m.done
}

// groupFor returns the group for key, starting it (its session and
// program) when there is none; sessions that arrive while it starts wait
// for it, so that a crowd makes one group. The caller must release it.
func (s *Server) groupFor(ctx context.Context, key groupKey, role wire.Role, env []string) (*group, error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, errors.New("the server is shutting down")
	}
	if ref := s.groups[key]; ref != nil {
		ref.users++
		s.mu.Unlock()
		select {
		case <-ref.ready:
		case <-ctx.Done():
			s.releaseRef(key, ref)
			return nil, ctx.Err()
		}
		if ref.err != nil {
			s.releaseRef(key, ref)
			return nil, ref.err
		}
		return ref.group, nil
	}
	ref := &groupRef{users: 1, ready: make(chan struct{})}
	s.groups[key] = ref
	s.handlers.Add(1) // the group's program, or this start if it fails
	s.mu.Unlock()
	g, err := s.startGroup(key, role, env)
	ref.group, ref.err = g, err
	close(ref.ready)
	if err != nil {
		s.handlers.Done()
		s.releaseRef(key, ref)
		return nil, err
	}
	return g, nil
}

func (s *Server) startGroup(key groupKey, role wire.Role, env []string) (*group, error) {
	ctx, cancel := context.WithCancel(s.base)
	ps, err := s.dial(ctx, key.room, "audience", role, s.Addr())
	if err != nil {
		cancel()
		return nil, err
	}
	g := &group{s: s, key: key, sess: ps, ctx: ctx, cancel: cancel, ended: make(chan struct{}), members: map[*member]bool{}}
	m := ui.New(ctx, ps, ui.Options{Share: s.command(key.room), NoSave: true, Invisible: true,
		Welcome: "welcome: you are a viewer in room " + key.room + " · ? shows the keys · q leaves"})
	g.prog = tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(g),
		tea.WithWindowSize(key.w, key.h), tea.WithEnvironment(env), tea.WithColorProfile(key.profile),
		tea.WithoutSignalHandler())
	go func() {
		defer s.handlers.Done()
		defer close(g.ended)
		g.prog.Run()
		g.prog.Kill()
		ps.Close()
	}()
	return g, nil
}

// releaseGroup drops a user of g, ending it with its last.
func (s *Server) releaseGroup(g *group) {
	s.mu.Lock()
	ref := s.groups[g.key]
	s.mu.Unlock()
	if ref != nil && ref.group == g {
		s.releaseRef(g.key, ref)
	}
}

func (s *Server) releaseRef(key groupKey, ref *groupRef) {
	s.mu.Lock()
	ref.users--
	last := ref.users == 0
	if last && s.groups[key] == ref {
		delete(s.groups, key)
	}
	s.mu.Unlock()
	if !last || ref.group == nil {
		return
	}
	g := ref.group
	g.mu.Lock()
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	g.cancel()
	<-g.ended
}

// groupRef counts a group's users; ready is closed once it started (or
// failed to: err).
type groupRef struct {
	group *group
	err   error
	users int
	ready chan struct{}
}

// watch shows sess the shared canvas of its group until the session ends
// (false) or its user does something (true: the caller then gives the
// session a program of its own, reading input from in).
func (s *Server) watch(ctx context.Context, sess ssh.Session, ps *session.Session, room string, role wire.Role, in *inputTap) bool {
	pty, winch, _ := sess.Pty()
	env := append(sess.Environ(), "TERM="+pty.Term)
	key := groupKey{room: room, w: pty.Window.Width, h: pty.Window.Height, term: pty.Term, profile: colorprofile.Env(env)}
	g, err := s.groupFor(ctx, key, role, env)
	if err != nil {
		s.log.Info("ssh: no audience group; a program of its own", "room", room, "err", err)
		return true
	}
	defer s.releaseGroup(g)
	// The group's program shows everyone's cursors: this session's own
	// copy of them, a relay batch per viewer per tick, was most of the
	// authority's work in a large audience. Loud again before a program
	// of its own starts from this session.
	ps.SetQuiet(true)
	defer ps.SetQuiet(false)
	m := &member{sess: sess, fresh: true, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go m.writer()
	g.join(m)
	defer g.leave(m)
	// Nobody reads this session's events while it watches: drop them (its
	// state stays current; a program of its own starts from it).
	for {
		select {
		case <-ps.Events():
		case <-in.active:
			return true
		case w, ok := <-winch:
			if !ok {
				return false // the session's channel closed
			}
			// The pty's own size comes first on this channel.
			if w.Width != key.w || w.Height != key.h {
				return true
			}
		case <-m.done:
			// A write failed: the client is gone. It may have been stalled
			// (its writer blocked until the connection broke), when nothing
			// else here tells.
			return false
		case <-sess.Context().Done():
			return false // the connection closed
		case <-g.ended:
			return !s.isClosing() && ps.Err() == nil
		case <-ps.Done():
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// inputTap reads a session's input for its whole life. While the session
// watches a group it looks for the user's first key or mouse event
// (terminal answers to the group program's queries are not one) and then
// passes everything from there on to r, the program's input.
type inputTap struct {
	r      *io.PipeReader
	w      *io.PipeWriter
	active chan struct{} // closed at the first user input
	once   sync.Once
	done   chan struct{}
}

func tapInput(sess ssh.Session, watching bool) *inputTap {
	r, w := io.Pipe()
	t := &inputTap{r: r, w: w, active: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		b := make([]byte, 4096)
		user := !watching
		for {
			n, err := sess.Read(b)
			if n > 0 {
				if !user && isUserInput(b[:n]) {
					user = true
					t.once.Do(func() { close(t.active) })
				}
				if user {
					if _, werr := w.Write(b[:n]); werr != nil {
						return
					}
				}
			}
			if err != nil {
				w.CloseWithError(err)
				return
			}
		}
	}()
	return t
}

// isUserInput reports input that is more than a terminal's replies to
// queries: CSI sequences with a private marker (? > =) or a $ before the
// final byte (mode reports), OSC, DCS and APC strings, and focus reports.
func isUserInput(b []byte) bool {
	for i := 0; i < len(b); {
		if b[i] != 0x1b || i+1 >= len(b) {
			return true
		}
		switch b[i+1] {
		case '[':
			j := i + 2
			private := j < len(b) && (b[j] == '?' || b[j] == '>' || b[j] == '=')
			for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
				j++
			}
			if j >= len(b) {
				return !private
			}
			final, dollar := b[j], j > i+2 && b[j-1] == '$'
			if !private && !dollar && !(j == i+2 && (final == 'I' || final == 'O')) {
				return true
			}
			i = j + 1
		case ']', 'P', '_':
			j := i + 2
			for j < len(b) && b[j] != 0x07 && !(b[j] == 0x1b && j+1 < len(b) && b[j+1] == '\\') {
				j++
			}
			switch {
			case j >= len(b):
				return false
			case b[j] == 0x07:
				i = j + 1
			default:
				i = j + 2
			}
		default:
			return true
		}
	}
	return false
}

// tapped is a session whose input comes from its tap.
type tapped struct {
	ssh.Session
	in io.Reader
}

func (t *tapped) Read(b []byte) (int, error) { return t.in.Read(b) }

// eligible reports whether a joined session may watch a shared program.
func (s *Server) eligible(role wire.Role) bool {
	return !s.opts.NoShare && role == wire.RoleViewer
}
