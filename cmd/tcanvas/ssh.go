package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/sshd"
)

// sshConfig is the SSH front door of `serve`: --ssh and its companions.
type sshConfig struct {
	addr     string
	hostKey  string
	role     string
	keysFile string
	max      int     // --ssh-max-sessions
	perAddr  int     // --ssh-per-address
	rate     float64 // --ssh-rate
	burst    int     // --ssh-burst
	noShare  bool    // --ssh-no-share
}

func (c *sshConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "ssh", "", "also serve the canvas over SSH on this address (e.g. :2222); people join with ssh -p 2222 -t HOST ROOM")
	fs.StringVar(&c.hostKey, "ssh-host-key", "", "the SSH host key file, generated on first start if missing (default: ssh_host_ed25519_key in --data)")
	fs.StringVar(&c.role, "ssh-role", "", "what anonymous SSH users may do: viewer or editor (default: what a link without a token gives: editor in open rooms, viewer in others)")
	fs.StringVar(&c.keysFile, "ssh-authorized-keys", "", "file of SSH public keys and their roles, one per line: [viewer|editor] ssh-ed25519 AAAA… (no role: editor); read again when it changes")
	fs.IntVar(&c.max, "ssh-max-sessions", 256, "SSH sessions at once")
	fs.IntVar(&c.perAddr, "ssh-per-address", 100, "SSH sessions at once from one client IP")
	fs.Float64Var(&c.rate, "ssh-rate", 2, "new SSH sessions per second from one client IP")
	fs.IntVar(&c.burst, "ssh-burst", 20, "new SSH sessions from one client IP allowed at once before --ssh-rate applies")
	fs.BoolVar(&c.noShare, "ssh-no-share", false, "give every SSH viewer a canvas program of its own (by default viewers of a room with the same terminal size share one until they touch a key)")
}

// start starts the front door beside the running authority e, or nothing
// without --ssh. stop ends it; call it before stopping the authority, so
// that each SSH participant's last commits land.
func (c *sshConfig) start(e *embedded, data string, stdout io.Writer) (stop func() error, err error) {
	if c.addr == "" {
		return func() error { return nil }, nil
	}
	role := wire.Role(c.role)
	if role != "" && role != wire.RoleViewer && role != wire.RoleEditor {
		return nil, fmt.Errorf("serve: --ssh-role %q: want viewer or editor", c.role)
	}
	hostKey := c.hostKey
	if hostKey == "" {
		hostKey = filepath.Join(data, "ssh_host_ed25519_key")
	}
	var keys *sshd.Keys
	if c.keysFile != "" {
		if keys, err = sshd.LoadKeys(c.keysFile, e.log); err != nil {
			return nil, fmt.Errorf("serve: --ssh-authorized-keys: %w", err)
		}
	}
	srv, err := sshd.New(sshd.Options{
		Authority:   loopbackBase(e.base),
		HostKeyPath: hostKey,
		Role:        role,
		Keys:        keys,
		Grant: func(ctx context.Context, room string, r wire.Role) (string, error) {
			tok, err := e.srv.Grant(ctx, room, r)
			if errors.Is(err, authority.ErrNoRoom) {
				return "", sshd.ErrNoRoom
			}
			return tok, err
		},
		Color: func(name string) model.Color {
			col, _ := parseColor("", name) // a name's default colour always parses
			return col
		},
		// In process: the door's sessions are its clients', not one
		// loopback client's, and its own limits below have applied; the
		// authority's byte budgets see each user's own address.
		HTTPClient: func(remote net.Addr) *http.Client {
			host, _, err := net.SplitHostPort(remote.String())
			if err != nil {
				host = remote.String()
			}
			return e.srv.InProcessClient(host)
		},
		MaxSessions:   c.max,
		MaxPerAddress: c.perAddr,
		SessionRate:   rate.Limit(c.rate),
		SessionBurst:  c.burst,
		NoShare:       c.noShare,
		Logger:        e.log,
	})
	if err != nil {
		return nil, fmt.Errorf("serve: --ssh: %w", err)
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("serve: --ssh: %w", err)
	}
	srv.Serve(ln)
	anon := c.role
	if anon == "" {
		anon = "the room's default role"
	}
	nkeys := 0
	if keys != nil {
		nkeys = keys.Len()
	}
	fmt.Fprintf(stdout, "ssh front door listening on %s (host key %s; anonymous users: %s; %d authorized keys)\n", ln.Addr(), hostKey, anon, nkeys)
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	}, nil
}

// loopbackBase is the authority's base URL as this process dials it: an
// address on every interface is reached on loopback.
func loopbackBase(base string) string {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		return base
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}
