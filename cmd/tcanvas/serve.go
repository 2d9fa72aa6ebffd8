package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/ui"
)

type serveConfig struct {
	addr     string
	data     string
	open     bool
	idle     time.Duration
	logLevel string
	ice      []string
	meshMax  int
	maxPeers int
	connRate float64
	connMax  int
	create   string
	cluster  clusterConfig // with --store postgres://…
	ssh      sshConfig     // --ssh: the SSH front door
	ln       net.Listener  // already listening (the local mode); else addr is listened on

	// createToken is the secret that creates rooms with --create owner-token.
	createToken string
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:7777", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&cfg.data, "data", defaultDataDir(), "directory of the SQLite database")
	fs.BoolVar(&cfg.open, "open", false, "make new rooms writable by anyone without a token")
	fs.DurationVar(&cfg.idle, "idle", 30*time.Second, "how long an empty room stays in memory before it hibernates")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Var((*listFlag)(&cfg.ice), "ice-server", "STUN/TURN URL handed to clients for the presence mesh (repeatable)")
	fs.IntVar(&cfg.meshMax, "mesh-max", 8, "room size above which presence goes through the authority's relay")
	fs.IntVar(&cfg.maxPeers, "max-peers", 64, "connections one room takes (an SSH audience of hundreds needs more)")
	fs.Float64Var(&cfg.connRate, "conn-rate", 20, "new connections per second allowed from one IP address (burst: 5 seconds' worth)")
	fs.StringVar(&cfg.create, "create", authority.CreateAnyone, "who may create a room by joining it: anyone (and owns it), open (nobody owns it; needs --open) or owner-token (only holders of $TCANVAS_CREATE_TOKEN, or of the token printed at start)")
	fs.IntVar(&cfg.connMax, "conn-max", 256, "open TCP connections allowed from one IP address, idle ones included (-1: no cap)")
	cfg.cluster.flags(fs)
	cfg.ssh.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return runServer(ctx, cfg, stdout, stderr)
}

// local is what `tcanvas` alone does: an embedded authority whose rooms
// are open, and the canvas of its default room with the link others can
// join with. It listens on loopback, on the port of last time (so that
// those who joined come back by themselves after a restart), or with
// --listen where the LAN can reach it. The terminal belongs to the canvas,
// so the authority logs to a file in the data directory.
func local(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	lf, err := parseLocalFlags(args, stderr)
	if err != nil {
		return err
	}
	data := defaultDataDir()
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(data, "tcanvas.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	ln, notice, prev, err := listenLocal(data, lf.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	cfg := serveConfig{addr: ln.Addr().String(), ln: ln, data: data, open: true, idle: 30 * time.Second, logLevel: "info"}
	e, err := startServer(ctx, cfg, logf)
	if err != nil {
		return err
	}
	defer e.stop()
	base := shareBase(ln.Addr())
	carryOwnerToken(prev, base)
	link := base + "/r/" + localRoom
	name := defaultName()
	col, _ := parseColor("", name) // a name's default colour always parses
	join := "tcanvas join " + link
	welcome := "join me: " + join + " · tab shows it again"
	if notice != "" {
		welcome = notice + " · " + welcome
	}
	return openCanvas(ctx, link,
		ui.Options{Share: join, Welcome: welcome, HostsRoom: true},
		session.Options{Name: name, Color: col}, stderr)
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "tcanvas")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "tcanvas")
	}
	return "tcanvas-data"
}

// embedded is a running authority: its HTTP server, rooms and store.
type embedded struct {
	base  string // http://HOST:PORT
	srv   *authority.Server
	hs    *http.Server
	st    store.Store
	node  authority.Cluster // how it joined its cluster; zero for a single node
	errc  chan error
	log   *slog.Logger
	close sync.Once
}

// startServer starts an authority as cfg says and returns once it listens.
func startServer(ctx context.Context, cfg serveConfig, logOut io.Writer) (*embedded, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return nil, fmt.Errorf("serve: --log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	st, cluster, err := cfg.openStore(ctx)
	if err != nil {
		return nil, err
	}
	// Listen first: a node advertises the address it really got.
	ln := cfg.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.addr); err != nil {
			st.Close()
			return nil, fmt.Errorf("serve: %w", err)
		}
	}
	if cluster.Advertise == "" {
		cluster.Advertise = advertiseURL(ln.Addr())
	}
	srv, err := authority.New(authority.Options{Store: st, Open: cfg.open, Create: cfg.create, CreateToken: cfg.createToken, IdleTimeout: cfg.idle, Logger: logger,
		ICEServers: cfg.ice, MeshMax: cfg.meshMax, MaxPeers: cfg.maxPeers,
		ConnRate: rate.Limit(cfg.connRate), ConnBurst: int(5 * cfg.connRate), Cluster: cluster,
		Budget: authority.Budget{ConnsPerIP: cfg.connMax}})
	if err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	e := &embedded{
		base: "http://" + ln.Addr().String(), srv: srv, st: st, node: cluster, log: logger, errc: make(chan error, 1),
		hs: &http.Server{Handler: srv},
	}
	srv.ConfigureHTTP(e.hs)
	capped := srv.Listener(ln)
	go func() { e.errc <- e.hs.Serve(capped) }()
	return e, nil
}

// stop shuts the authority down gracefully: rooms first, since they flush,
// snapshot and send "going away" over the hijacked connections that
// http.Server.Shutdown does not track.
func (e *embedded) stop() error {
	var err error
	e.close.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = e.srv.Shutdown(ctx)
		if herr := e.hs.Shutdown(ctx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
			err = errors.Join(err, herr)
		}
		<-e.errc
		err = errors.Join(err, e.st.Close())
	})
	return err
}

func runServer(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) error {
	printToken := false
	if cfg.create == authority.CreateOwnerToken {
		if cfg.createToken = os.Getenv("TCANVAS_CREATE_TOKEN"); cfg.createToken == "" {
			cfg.createToken, printToken = authority.NewCreateToken(), true
		}
	}
	e, err := startServer(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tcanvas authority listening on %s\n", e.base)
	fmt.Fprintf(stdout, "join a room: tcanvas join %s/r/ROOM   (store: %s, open rooms: %v, rooms created by: %s)\n", e.base, cfg.storeName(), cfg.open, cfg.create)
	fmt.Fprintf(stdout, "or in a browser:    %s/r/ROOM\n", e.base)
	if printToken {
		// On stdout, never in the log: it is a secret.
		fmt.Fprintf(stdout, "create a room: tcanvas join '%s/r/ROOM?token=%s'   (set TCANVAS_CREATE_TOKEN to choose it)\n", e.base, cfg.createToken)
	}
	if n := e.node; n.NodeID != "" {
		fmt.Fprintf(stdout, "cluster node %s, advertised as %s, lease TTL %s, %s to other nodes' rooms\n",
			n.NodeID, n.Advertise, n.LeaseTTL, cfg.cluster.route)
	}
	stopSSH, err := cfg.ssh.start(e, cfg.data, stdout)
	if err != nil {
		e.stop()
		return err
	}
	select {
	case err := <-e.errc:
		e.errc <- err
		stopSSH()
		e.stop()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	// The SSH door first, so its participants' last commits still land.
	return errors.Join(stopSSH(), e.stop())
}
