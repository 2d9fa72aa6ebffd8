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
	"time"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
)

type serveConfig struct {
	addr     string
	data     string
	open     bool
	idle     time.Duration
	logLevel string
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg serveConfig
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:7777", "address to listen on (port 0 picks a free port)")
	fs.StringVar(&cfg.data, "data", defaultDataDir(), "directory of the SQLite database")
	fs.BoolVar(&cfg.open, "open", false, "make new rooms writable by anyone without a token")
	fs.DurationVar(&cfg.idle, "idle", 30*time.Second, "how long an empty room stays in memory before it hibernates")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return runServer(ctx, cfg, stdout, stderr)
}

// local is what `tcanvas` alone does: an embedded authority on loopback
// whose rooms are open, with nothing to configure.
func local(ctx context.Context, stdout, stderr io.Writer) error {
	return runServer(ctx, serveConfig{addr: "127.0.0.1:0", data: defaultDataDir(), open: true, idle: 30 * time.Second, logLevel: "warn"}, stdout, stderr)
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

func runServer(ctx context.Context, cfg serveConfig, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("serve: --log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	st, err := store.OpenSQLite(ctx, filepath.Join(cfg.data, "tcanvas.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := authority.New(authority.Options{Store: st, Open: cfg.open, IdleTimeout: cfg.idle, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "tcanvas authority listening on %s\n", base)
	fmt.Fprintf(stdout, "join a room: tcanvas join %s/r/ROOM   (data: %s, open rooms: %v)\n", base, cfg.data, cfg.open)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Rooms first: they flush, snapshot and send "going away" over the
	// hijacked connections that http.Server.Shutdown does not track.
	err = srv.Shutdown(sctx)
	if herr := hs.Shutdown(sctx); herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		err = errors.Join(err, herr)
	}
	<-errc
	return err
}
