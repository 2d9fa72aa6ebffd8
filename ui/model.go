package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/keymap"
)

// Model is the Bubble Tea model of the canvas. It is used through a pointer
// so that the frame buffers it keeps are reused from frame to frame; Bubble
// Tea calls Update and View from one goroutine, and the commands it returns
// never touch it.
type Model struct {
	sess *session.Session
	opts Options
	ctx  context.Context
	keys keymap.KeyMap
	help help.Model
	now  func() time.Time

	w, h   int   // terminal size; the canvas is w × (h-1), the status bar below
	vx, vy int32 // canvas cell at the top-left of the screen
	cx, cy int32 // the cell cursor, in canvas coordinates

	tool, prevTool Tool
	boxStyle       model.BoxStyle
	rectFilled     bool
	lineBrush      bool         // the line tool draws the brush at any angle
	arrows         model.Arrows // the line tool's arrowheads
	brush          rune
	fg, bg         model.Color
	ascii          bool

	st    stroke     // the stroke being drawn, if any
	text  *textEdit  // the text being typed, if any
	sel   model.Rect // the selection; empty when there is none
	clip  *block     // the clipboard
	float *floating  // a paste or move following the cursor
	pan   *panDrag   // a mouse pan in progress

	prompt    *prompt // a question in the notice line (ctrl+o's file name)
	prefsFile string  // where the preferences are saved when the program ends; "" for nowhere

	roster    map[uint16]session.Peer
	labels    map[uint16]string // peerLabel's answers, made with the roster
	peers     map[uint16]*peerState
	you       uint16
	me        session.Peer // our own roster entry
	follow    uint16       // peer whose viewport we follow; 0 for none
	jumped    uint16       // last peer jumped to, the default follow target
	invisible bool
	noFollow  bool

	role   wire.Role
	link   session.Link
	closed string // why the session ended, once it has

	showHelp  bool
	helpTop   int // first help line shown, when help is taller than the screen
	showPeers bool
	pal       *palette
	wantBrush bool // the next typed character becomes the brush

	notice      string
	noticeUntil time.Time
	quitting    quitState
	inv         *invitePanel // the owner's invite panel, when open

	profile colorprofile.Profile

	// Frame state. scr is the screen grid; sgr caches one SGR sequence per
	// style; view is the last frame, reused while no new one is due.
	scr          []model.Cell
	sgr          map[model.Cell]string
	view         tea.View
	frameLen     int
	built        bool
	dirty        bool
	lastFrame    time.Time
	framePending bool
	hits         []hit // clickable regions of the last frame
	lastPres     wire.Presence
	presSent     bool
	// settlePending: a settleMsg is on its way (see label.go).
	settlePending bool
}

// New returns the model for sess. ctx bounds the commands the model starts
// (reading events, ticking); Run cancels it when the program ends.
func New(ctx context.Context, sess *session.Session, opts Options) *Model {
	opts = opts.withDefaults()
	m := &Model{
		sess: sess, opts: opts, ctx: ctx,
		keys:  keymap.Default(),
		help:  help.New(),
		now:   opts.Now,
		w:     min(max(opts.Width, 0), MaxWidth),
		h:     min(max(opts.Height, 0), MaxHeight),
		tool:  ToolPen,
		brush: '#',
		ascii: opts.ASCII,

		roster:    map[uint16]session.Peer{},
		labels:    map[uint16]string{},
		peers:     map[uint16]*peerState{},
		invisible: opts.Invisible,
		noFollow:  opts.NoFollow,
		sgr:       map[model.Cell]string{},
		dirty:     true,
		profile:   opts.Profile,
	}
	m.prevTool = m.tool
	info := sess.Info()
	m.role, m.link, m.you = info.Role, info.Link, info.You
	m.setRoster(sess.Roster())
	if opts.Welcome != "" {
		m.say(opts.Welcome, 30*time.Second)
	}
	if m.prefsFile = opts.PrefsFile; m.prefsFile != "" {
		if problem := m.loadPrefs(m.prefsFile); problem != "" {
			m.say(problem, 20*time.Second)
		}
		m.prevTool = m.tool
	}
	// Start with the origin a little in from the top-left corner, so that
	// what people draw first is not glued to the screen's edge.
	m.vx, m.vy = -2, -1
	m.cx, m.cy = 0, 0
	return m
}

// Messages of our own.
type (
	eventsMsg     []session.Event // a batch of session events
	sessionEndMsg struct{}        // the session's goroutines have ended
	tickMsg       struct{}        // time passed: fades, countdowns, notices
	frameMsg      struct{}        // a frame that was held back is now due
)

// Init starts reading the session's events and the clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.waitEvents(), m.after(time.Second, tickMsg{}))
}

// waitEvents returns a command that waits for the next session events and
// delivers them, with any others already queued, as one message: a burst of
// presence then costs one Update and one frame, not one each.
func (m *Model) waitEvents() tea.Cmd {
	sess, ctx := m.sess, m.ctx
	return func() tea.Msg {
		var first session.Event
		select {
		case first = <-sess.Events():
		case <-sess.Done():
			// Events emitted before the end are still queued: hand them over
			// first, the end comes with the next wait.
			select {
			case first = <-sess.Events():
			default:
				return sessionEndMsg{}
			}
		case <-ctx.Done():
			return nil
		}
		batch := eventsMsg{first}
	more:
		for len(batch) < 256 {
			select {
			case ev := <-sess.Events():
				batch = append(batch, ev)
			default:
				break more
			}
		}
		return batch
	}
}

// after returns a command that delivers msg after d, or nothing once the
// program ends: a bare tea.Tick would keep its goroutine up to d longer.
func (m *Model) after(d time.Duration, msg tea.Msg) tea.Cmd {
	ctx := m.ctx
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return msg
		case <-ctx.Done():
			return nil
		}
	}
}

// Update handles one message. It never blocks: the session's methods it
// calls take the session's lock briefly and return.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.opts.testPanic != nil {
		m.opts.testPanic(msg)
	}
	cmd := m.update(msg)
	if q := m.quitCheck(); q != nil {
		cmd = tea.Batch(cmd, q)
	}
	if _, ok := msg.(frameMsg); ok {
		m.framePending = false
	} else {
		m.dirty = true
	}
	m.syncPresence()
	if c := m.settleTimer(); c != nil {
		cmd = tea.Batch(cmd, c)
	}
	if m.dirty && !m.framePending && m.opts.MaxFPS > 0 {
		if wait := m.frameWait(); wait > 0 {
			m.framePending = true
			cmd = tea.Batch(cmd, m.after(wait, frameMsg{}))
		}
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventsMsg:
		cmds := []tea.Cmd{m.waitEvents()}
		for _, ev := range msg {
			m.handleEvent(ev)
			cmds = append(cmds, m.inviteEvent(ev))
		}
		return tea.Batch(cmds...)
	case sessionEndMsg:
		m.link = session.Link{State: session.Closed}
		if m.closed == "" {
			m.closed = "the session ended"
			if err := m.sess.Err(); err != nil {
				m.closed = err.Error()
			}
		}
		return nil
	case tickMsg:
		if m.showPeers {
			m.setRoster(m.sess.Roster()) // routes and RTTs change without events
		}
		d := time.Second
		if m.link.State == session.Offline {
			d = 250 * time.Millisecond // a smooth countdown
		}
		return m.after(d, tickMsg{})
	case frameMsg:
		return nil
	case settleMsg:
		m.settlePending = false
		return nil
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return nil
	case savedMsg:
		m.saved(msg)
		return nil
	case importedMsg:
		m.imported(msg)
		return nil
	case tea.ColorProfileMsg:
		m.profile = msg.Profile
		return nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseMsg:
		return m.handleMouse(msg)
	case tea.PasteMsg:
		return m.handlePaste(msg.Content)
	}
	return nil
}

// frameWait is how long until the next frame may be built.
func (m *Model) frameWait() time.Duration {
	if m.opts.MaxFPS <= 0 || !m.built {
		return 0
	}
	return m.lastFrame.Add(time.Second / time.Duration(m.opts.MaxFPS)).Sub(m.now())
}

// View returns the current frame, building it if it changed and the frame
// cap allows; a held-back frame is built when its frameMsg arrives.
func (m *Model) View() tea.View {
	if m.dirty && m.frameWait() <= 0 {
		m.build()
		m.dirty = false
		m.built = true
		m.lastFrame = m.now()
	}
	return m.view
}

func (m *Model) resize(w, h int) {
	w, h = ClampSize(w, h)
	if w == m.w && h == m.h {
		return
	}
	// Keep the cell at the screen's centre where it is.
	if m.w > 0 && m.h > 0 {
		m.vx += int32(m.w/2 - w/2)
		m.vy += int32((m.h-1)/2 - (h-1)/2)
	}
	m.w, m.h = w, h
	m.keepCursorVisible()
}

// canvasH is the number of screen rows showing the canvas.
func (m *Model) canvasH() int { return max(m.h-1, 0) }

// viewport is the canvas rectangle on screen.
func (m *Model) viewport() model.Rect {
	return model.Rect{X: m.vx, Y: m.vy, W: int32(m.w), H: int32(m.canvasH())}
}

// say shows a notice above the status bar for d.
func (m *Model) say(s string, d time.Duration) {
	m.notice = s
	m.noticeUntil = m.now().Add(d)
}

func (m *Model) readOnly() bool { return !m.role.CanWrite() }

// commit sends ops as one commit, reporting a refusal as a notice. It
// reports whether the commit was made.
func (m *Model) commit(ops []model.Op) bool {
	if len(ops) == 0 {
		return false
	}
	if _, err := m.sess.Commit(fitWide(ops)); err != nil {
		m.say(err.Error(), 5*time.Second)
		return false
	}
	return true
}
