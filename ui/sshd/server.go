package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/activeterm"
	bm "charm.land/wish/v2/bubbletea"
	"charm.land/wish/v2/logging"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui"
)

// ErrNoRoom is what Options.Grant returns (wrapped or not) for a room
// that does not exist.
var ErrNoRoom = errors.New("no such room")

// Options configures a Server. Authority and HostKeyPath are required.
type Options struct {
	// Authority is the base URL the sessions dial: http://HOST:PORT.
	Authority string
	// HostKeyPath is the server's host key; an Ed25519 key is generated
	// there (mode 0600) when the file does not exist.
	HostKeyPath string
	// Host is the host name shown in the command that joins, in the peer
	// list ("ssh -p PORT -t HOST ROOM"). Default: the listening address's
	// host, or this machine's name when it listens on every interface.
	Host string
	// DefaultRoom is joined when the command names none. Default "main".
	DefaultRoom string
	// Role is what anonymous users (no key in Keys) get: RoleViewer,
	// RoleEditor, or "" for what a joiner without a token gets (editor in
	// an open room, viewer in another).
	Role wire.Role
	// Keys maps public keys to roles; nil makes everyone anonymous, and
	// then the server asks for no authentication at all.
	Keys *Keys
	// Grant returns a token for role in room, or "" when joining without
	// one gives that role, or ErrNoRoom for a room that does not exist
	// (authority.Server.Grant, with its error translated). Required when
	// Role or Keys ask for a role.
	Grant func(ctx context.Context, room string, role wire.Role) (string, error)
	// Color is a user's cursor colour, from their name. Default: the
	// terminal's.
	Color func(name string) model.Color
	// MaxSessions caps the SSH sessions at once. Default 256.
	MaxSessions int
	// SessionRate and SessionBurst bound new SSH sessions per client IP
	// (a classroom behind one NAT is one IP). Default 2 per second, burst
	// 20.
	SessionRate  rate.Limit
	SessionBurst int
	// MaxPerAddress caps the sessions open at once from one client IP.
	// Default 100: a classroom behind one NAT fits, one address cannot
	// take the whole door.
	MaxPerAddress int
	// HandshakeTimeout bounds a new connection's SSH handshake. Default
	// 30s.
	HandshakeTimeout time.Duration
	// OpenTimeout closes a connection that has no session open for that
	// long (after HandshakeTimeout, or after its last session ended).
	// Default 30s.
	OpenTimeout time.Duration
	// IdleTimeout closes a connection on which nothing was read or written
	// for that long; the door sends keepalives every third of it, which a
	// live client answers. Default 90s.
	IdleTimeout time.Duration
	// MaxJoining is how many sessions may be joining their room at once;
	// the others wait their turn, and are told so. Default 8.
	MaxJoining int
	// HTTPClient, when set, gives the HTTP client a session joins the
	// authority with, on behalf of the SSH client at remote: an in-process
	// authority gives authority.Server.InProcessClient for remote's host,
	// so that the door's sessions are not throttled by the authority's
	// per-IP connection rate as one client, and its per-address budgets
	// see each user's real address. Default: TCP to Authority.
	HTTPClient func(remote net.Addr) *http.Client
	// NoShare gives every session a canvas program of its own. By default
	// viewers who have not touched their terminal share one per room and
	// terminal size (see audience.go).
	NoShare bool
	// Session is the base of every participant's session options (tests
	// set backoffs); Name, Color, Token and NoMesh are set per user.
	Session session.Options
	// Logger receives connections and problems. Default: discard.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.DefaultRoom == "" {
		o.DefaultRoom = "main"
	}
	if o.Color == nil {
		o.Color = func(string) model.Color { return model.ColorDefault }
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 256
	}
	if o.SessionRate <= 0 {
		o.SessionRate = 2
	}
	if o.SessionBurst <= 0 {
		o.SessionBurst = 20
	}
	if o.MaxPerAddress <= 0 {
		o.MaxPerAddress = 100
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.OpenTimeout <= 0 {
		o.OpenTimeout = 30 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 90 * time.Second
	}
	if o.MaxJoining <= 0 {
		o.MaxJoining = 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Server is the SSH front door.
type Server struct {
	opts Options
	srv  *ssh.Server
	log  *slog.Logger

	// base is the parent of every session's context; Shutdown ends it
	// when sessions asked to quit have not.
	base     context.Context
	kill     context.CancelFunc
	quitters sync.WaitGroup // Shutdown's Quit calls

	mu       sync.Mutex
	active   map[ssh.Session]*joined
	closing  bool
	addr     net.Addr
	tokens   map[grantKey]string // granted tokens, reused by later sessions
	handlers sync.WaitGroup      // our session handlers
	serving  sync.WaitGroup      // the accept loop

	groups  map[groupKey]*groupRef // audience groups, under mu
	perAddr perAddress             // open sessions by client IP
	joining chan struct{}          // one token per session joining its room
	queued  atomic.Int32           // sessions waiting for a token
}

type grantKey struct {
	room string
	role wire.Role
}

// joined is one SSH session's participant and program.
type joined struct {
	sess   *session.Session
	ctx    context.Context
	cancel context.CancelFunc
	uo     ui.Options
	prog   *tea.Program
}

// New returns a server. Start it with Serve.
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	switch {
	case opts.Authority == "":
		return nil, errors.New("sshd: Options.Authority is required")
	case opts.HostKeyPath == "":
		return nil, errors.New("sshd: Options.HostKeyPath is required")
	case opts.Role != "" && opts.Role != wire.RoleViewer && opts.Role != wire.RoleEditor:
		return nil, fmt.Errorf("sshd: role %q: want viewer or editor", opts.Role)
	case (opts.Role != "" || opts.Keys != nil) && opts.Grant == nil:
		return nil, errors.New("sshd: Options.Grant is required to give roles")
	}
	if err := os.MkdirAll(filepath.Dir(opts.HostKeyPath), 0o700); err != nil {
		return nil, fmt.Errorf("sshd: host key: %w", err)
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "ssh"), active: map[ssh.Session]*joined{}, tokens: map[grantKey]string{},
		joining: make(chan struct{}, opts.MaxJoining), groups: map[groupKey]*groupRef{}}
	s.base, s.kill = context.WithCancel(context.Background())
	sopts := []ssh.Option{
		wish.WithHostKeyPath(opts.HostKeyPath),
		wish.WithMiddleware(
			bm.MiddlewareWithProgramHandler(s.program), // innermost: runs last
			s.join,
			s.boundSize,
			activeterm.Middleware(),
			s.needTerminal,
			s.limitAddress,
			s.limitRate,
			s.trackSession,
			logging.MiddlewareWithLogger(printfLogger{s.log}), // outermost: runs first
		),
		ssh.WrapConn(s.trackConn),
	}
	if opts.Keys != nil {
		// A key not in the file is refused, so that the client offers its
		// next one; a client out of keys falls back to keyboard-interactive,
		// which asks nothing: that is the anonymous way in.
		sopts = append(sopts,
			wish.WithPublicKeyAuth(func(_ ssh.Context, key ssh.PublicKey) bool { return opts.Keys.Role(key) != "" }),
			wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }),
			func(srv *ssh.Server) error {
				srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
					// Agents often hold more keys than the default 6 tries.
					return &gossh.ServerConfig{MaxAuthTries: 32}
				}
				return nil
			})
	}
	// Without keys no authentication handler is set: the server then asks
	// for none, and anyone is in (as the anonymous role).
	srv, err := wish.NewServer(sopts...)
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	srv.HandshakeTimeout = opts.HandshakeTimeout
	srv.IdleTimeout = opts.IdleTimeout
	s.srv = srv
	return s, nil
}

// Serve accepts SSH connections on ln in a goroutine of its own until
// Shutdown.
func (s *Server) Serve(ln net.Listener) {
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		if err := s.srv.Serve(ln); !errors.Is(err, ssh.ErrServerClosed) {
			s.log.Error("ssh server stopped", "err", err)
		}
	}()
}

// Addr is the address Serve listens on.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting, quits every session's canvas (each sends what
// it has pending first) and waits for them, or for ctx; then it closes
// the connections still open.
func (s *Server) Shutdown(ctx context.Context) error {
	// Listeners close at once; connections are waited for below.
	sctx, cancelShut := context.WithCancel(ctx)
	defer cancelShut()
	shut := make(chan struct{})
	go func() { defer close(shut); s.srv.Shutdown(sctx) }()

	s.mu.Lock()
	s.closing = true
	for _, j := range s.active {
		if j.prog != nil {
			// Quit waits for the program's event loop, which runs until
			// the program ends: it cannot block past the kill below.
			s.quitters.Add(1)
			go func() { defer s.quitters.Done(); j.prog.Quit() }()
		} else {
			j.cancel() // still joining
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	grace := time.NewTimer(3 * time.Second)
	defer grace.Stop()
	var err error
	select {
	case <-done:
	case <-grace.C:
		s.kill() // canvases that did not quit in time
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("sshd shutdown: %w", ctx.Err())
		}
	case <-ctx.Done():
		err = fmt.Errorf("sshd shutdown: %w", ctx.Err())
	}
	s.kill()
	// Clients hang up when their session ends; whoever has not within a
	// second is cut.
	hangup := time.NewTimer(time.Second)
	defer hangup.Stop()
	select {
	case <-shut:
	case <-hangup.C:
		cancelShut()
		<-shut
		s.srv.Close()
	}
	s.serving.Wait()
	<-done
	s.quitters.Wait()
	return err
}

// needTerminal explains what activeterm would only refuse: the canvas
// needs a terminal, which ssh does not give a command unless told to.
func (s *Server) needTerminal(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		if _, _, ok := sess.Pty(); !ok {
			wish.Fatalln(sess, "tcanvas: the canvas needs a terminal: add -t, as in "+s.command(s.opts.DefaultRoom))
			return
		}
		next(sess)
	}
}

// usage is shown for a command the front door does not understand.
const usage = `usage: ssh -t HOST [ROOM] [--view]
  ROOM     the room to join (default: %s)
  --view   join as a viewer, whatever your key allows`

// parseCommand reads "[ROOM] [--view]".
func parseCommand(args []string, def string) (room string, view bool, err error) {
	room = def
	named := false
	for _, a := range args {
		switch {
		case a == "--view" || a == "-view" || a == "view":
			view = true
		case a == "-h" || a == "--help" || a == "help":
			return "", false, errors.New("help")
		case !named && !strings.HasPrefix(a, "-"):
			if err := wire.CheckRoom(a); err != nil {
				return "", false, err
			}
			room, named = a, true
		default:
			return "", false, fmt.Errorf("unexpected argument %q", a)
		}
	}
	return room, view, nil
}

// displayName is the SSH user name when it is a valid display name.
func displayName(user string) string {
	if wire.CheckName(user) == nil {
		return user
	}
	return "guest"
}

// begin counts a session in, unless the server is full or closing.
func (s *Server) begin(sess ssh.Session, j *joined) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return errors.New("the server is shutting down")
	case len(s.active) >= s.opts.MaxSessions:
		return fmt.Errorf("the server is full (%d sessions); try again later", s.opts.MaxSessions)
	}
	s.active[sess] = j
	s.handlers.Add(1)
	return nil
}

func (s *Server) end(sess ssh.Session) {
	s.mu.Lock()
	delete(s.active, sess)
	s.mu.Unlock()
	s.handlers.Done()
}

// role decides a session's role: its key's, else the anonymous role;
// --view lowers either to viewer. "" means the room's default.
func (s *Server) role(sess ssh.Session, view bool) (wire.Role, bool) {
	role, keyed := s.opts.Role, false
	if r := s.opts.Keys.Role(sess.PublicKey()); r != "" {
		role, keyed = r, true
	}
	if view {
		role = wire.RoleViewer
	}
	return role, keyed
}

// token returns the token for role in room, from the cache or Grant.
func (s *Server) token(ctx context.Context, room string, role wire.Role) (string, error) {
	k := grantKey{room, role}
	s.mu.Lock()
	t, ok := s.tokens[k]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.opts.Grant(ctx, room, role)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.tokens[k] = t
	s.mu.Unlock()
	return t, nil
}

// forget drops a cached token the room no longer accepts.
func (s *Server) forget(room string, role wire.Role) {
	s.mu.Lock()
	delete(s.tokens, grantKey{room, role})
	s.mu.Unlock()
}

// join turns an SSH session into a participant of its room, runs the rest
// of the chain (the canvas) and leaves the room when it ends.
func (s *Server) join(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		room, view, err := parseCommand(sess.Command(), s.opts.DefaultRoom)
		if err != nil {
			msg := fmt.Sprintf(usage, s.opts.DefaultRoom)
			if err.Error() != "help" {
				msg = "tcanvas: " + err.Error() + "\n" + msg
			}
			wish.Fatalln(sess, msg)
			return
		}
		// The participant lives as long as the canvas, not the connection:
		// when the client goes, the bubbletea middleware quits the
		// program, and this handler leaves the room after it.
		ctx, cancel := context.WithCancel(s.base)
		defer cancel()
		j := &joined{ctx: ctx, cancel: cancel}
		if err := s.begin(sess, j); err != nil {
			wish.Fatalln(sess, "tcanvas: "+err.Error())
			return
		}
		defer s.end(sess)

		name := displayName(sess.User())
		role, keyed := s.role(sess, view)
		gone := context.AfterFunc(sess.Context(), cancel) // a client that leaves while we join
		if !s.waitTurn(ctx, sess) {
			gone()
			return
		}
		ps, err := s.dial(ctx, room, name, role, sess.RemoteAddr())
		<-s.joining
		if !gone() || err != nil {
			if err == nil {
				ps.Close()
				return
			}
			wish.Fatalln(sess, "tcanvas: "+err.Error())
			return
		}
		defer func() {
			// Commits made just before quitting get a moment to land.
			sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			ps.Sync(sctx)
			ps.Close()
		}()
		in := ps.Info()
		s.log.Info("ssh user joined", "user", name, "room", room, "role", in.Role, "key", keyed, "remote", sess.RemoteAddr().String())
		if in.Token != "" {
			// The room was new and this user its first joiner. The owner
			// token is a secret: it goes to its owner's terminal (still
			// there after the canvas's alternate screen closes), never to
			// the server's log.
			s.log.Info("room created over SSH", "room", room, "user", name)
			wish.Println(sess, "tcanvas: you created room "+room+"; its owner token (shown once, keep it to own the room later): "+in.Token)
		}
		welcome := fmt.Sprintf("welcome, %s: you are %s in room %s · ? shows the keys · q leaves", name, article(in.Role), room)
		j.sess = ps
		j.uo = ui.Options{Share: s.command(room), Welcome: welcome, NoSave: true}
		watching := s.eligible(in.Role)
		tap := tapInput(sess, watching)
		own := &tapped{Session: sess, in: tap.r}
		s.mu.Lock()
		delete(s.active, sess) // one entry a session: MaxSessions counts them
		s.active[own] = j
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.active, own)
			s.mu.Unlock()
		}()
		if !watching || s.watch(ctx, sess, ps, room, role, tap) {
			next(own)
		} else if sess.Context().Err() == nil {
			io.WriteString(sess, restore)
		}
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			wish.Println(sess, "tcanvas: the server is shutting down; come back in a moment")
		} else if err := ps.Err(); err != nil {
			wish.Println(sess, "tcanvas: "+err.Error())
		}
	}
}

// waitTurn takes one of the MaxJoining places of sessions joining their
// room, telling a session that has to wait how many are ahead of it: a
// crowd arriving at once queues here rather than every join timing out
// on an authority busy with all of them. It is false when the session
// ended while it waited.
func (s *Server) waitTurn(ctx context.Context, sess ssh.Session) bool {
	select {
	case s.joining <- struct{}{}:
		return true
	default:
	}
	ahead := s.queued.Add(1)
	defer s.queued.Add(-1)
	wish.Printf(sess, "tcanvas: the room is busy letting people in; you are number %d in the queue…\n", ahead)
	select {
	case s.joining <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func article(r wire.Role) string {
	if r == wire.RoleEditor || r == wire.RoleOwner {
		return "an " + string(r)
	}
	return "a " + string(r)
}

// dial joins room as name with role ("" for the room's default). A room
// that does not exist is created by an editor, who becomes its owner as
// any first joiner does, and refused to a viewer, who could never draw in
// it. The authority limits new connections per IP and every SSH session
// comes from this process, so a refused dial is retried a few times.
func (s *Server) dial(ctx context.Context, room, name string, role wire.Role, remote net.Addr) (*session.Session, error) {
	token := ""
	if role != "" {
		t, err := s.token(ctx, room, role)
		switch {
		case errors.Is(err, ErrNoRoom) && role == wire.RoleViewer:
			return nil, fmt.Errorf("there is no room %q here (a viewer cannot create one)", room)
		case errors.Is(err, ErrNoRoom):
			// An editor creates it, and owns it.
		case err != nil:
			return nil, fmt.Errorf("room %s: %w", room, err)
		default:
			token = t
		}
	}
	so := s.opts.Session
	so.Name, so.Color, so.Token = name, s.opts.Color(name), token
	// Every SSH participant runs in this process: a WebRTC mesh between
	// them would be pure cost, and the relay is on loopback.
	so.NoMesh = true
	if s.opts.HTTPClient != nil {
		so.HTTPClient = s.opts.HTTPClient(remote)
	}
	link := strings.TrimSuffix(s.opts.Authority, "/") + "/r/" + room
	var err error
	for attempt, wait := 0, 200*time.Millisecond; attempt < 4; attempt, wait = attempt+1, wait*2 {
		var ps *session.Session
		if ps, err = session.Dial(ctx, link, so); err == nil {
			return ps, nil
		}
		if token != "" && strings.Contains(err.Error(), "token") {
			// The room refused the token (revoked): this retry, and the
			// sessions after it, ask for a new one.
			s.forget(room, role)
			if token, err = s.token(ctx, room, role); err != nil {
				return nil, fmt.Errorf("room %s: %w", room, err)
			}
			so.Token = token
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return nil, fmt.Errorf("cannot join room %s: %w", room, err)
}

// program builds the canvas of a joined session; the bubbletea middleware
// runs it, sends it the window's size changes and kills it at the end.
func (s *Server) program(sess ssh.Session) *tea.Program {
	s.mu.Lock()
	j := s.active[sess]
	s.mu.Unlock()
	if j == nil || j.sess == nil {
		return nil
	}
	m := ui.New(j.ctx, j.sess, j.uo)
	p := tea.NewProgram(m, append(bm.MakeOptions(sess), tea.WithContext(j.ctx))...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil // Shutdown came between the join and now
	}
	j.prog = p
	return p
}

// command is how to join room over SSH, for the peer list.
func (s *Server) command(room string) string {
	host, port := s.opts.Host, "22"
	if a := s.Addr(); a != nil {
		h, p, err := net.SplitHostPort(a.String())
		if err == nil {
			port = p
			if host == "" {
				host = h
				if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
					host, _ = os.Hostname()
				}
			}
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	cmd := "ssh -t " + host
	if port != "22" {
		cmd = "ssh -p " + port + " -t " + host
	}
	if room != s.opts.DefaultRoom {
		cmd += " " + room
	}
	return cmd
}

// printfLogger adapts slog to the logging middleware.
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, v ...any) {
	p.l.Info(strings.TrimSpace(fmt.Sprintf(format, v...)))
}
