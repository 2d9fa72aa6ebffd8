package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/tcanvas/tcanvas/internal/statedir"
)

// localAddrFile, in the data directory, holds the address the local mode
// last listened on: taking it again lets everyone who joined reconnect by
// themselves after the host restarts.
const localAddrFile = "local-addr"

// localFlags are the flags of `tcanvas` alone.
type localFlags struct {
	listen string // --listen ADDR: share on the LAN
}

func parseLocalFlags(args []string, stderr io.Writer) (localFlags, error) {
	var lf localFlags
	fs := flag.NewFlagSet("tcanvas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&lf.listen, "listen", "", "address to share the room on, e.g. 0.0.0.0:7777 for the LAN (default: loopback, the port of last time)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fmt.Fprintln(stderr, "\nFlags of tcanvas alone:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return lf, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return lf, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return lf, nil
}

// listenLocal listens where the local mode should: --listen if given,
// else the address of last time, else any free loopback port. When the
// wanted address is taken it listens on another port of the same host and
// says so in notice. The address is remembered for next time; prev is the
// one of last time.
func listenLocal(data, listen string) (ln net.Listener, notice, prev string, err error) {
	remembered, _ := os.ReadFile(filepath.Join(data, localAddrFile))
	last := strings.TrimSpace(string(remembered))
	want := listen
	if want == "" {
		want = "127.0.0.1:0"
		if host, _, err := net.SplitHostPort(last); err == nil && host == "127.0.0.1" {
			want = last
		}
	}
	ln, err = net.Listen("tcp", want)
	if err != nil && isAddrInUse(err) {
		host, _, _ := net.SplitHostPort(want)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err == nil {
			notice = fmt.Sprintf("%s is busy, so this room is on %s now: others must join with the new link", want, ln.Addr())
		}
	}
	if err != nil {
		return nil, "", "", err
	}
	if got := ln.Addr().String(); got != last && listen == "" {
		os.WriteFile(filepath.Join(data, localAddrFile), []byte(got+"\n"), 0o600)
	}
	return ln, notice, last, nil
}

// carryOwnerToken keeps the host the owner of its local room when the
// room's address changed (a busy port, --listen): the owner token was kept
// under the old address.
func carryOwnerToken(prevAddr, base string) {
	if prevAddr == "" {
		return
	}
	tokens := statedir.OwnerTokens(statedir.Dir())
	prevBase := "http://" + prevAddr
	if prevBase == base {
		return
	}
	if have, _ := tokens.Get(base, localRoom); have != "" {
		return
	}
	if tok, _ := tokens.Get(prevBase, localRoom); tok != "" {
		tokens.Set(base, localRoom, tok)
	}
}

func isAddrInUse(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "address already in use")
}

// shareBase is the base URL others can reach the listener at: the
// listening address, or for a wildcard one (0.0.0.0, ::) the first address
// of an interface that is up and not loopback.
func shareBase(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if lan := lanAddress(ip.To4() != nil); lan != "" {
			host = lan
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// lanAddress is this machine's first non-loopback unicast address,
// IPv4 first when v4 (a wildcard IPv4 listener).
func lanAddress(v4 bool) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	var v6 string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP.String()
		}
		if v6 == "" && !v4 {
			v6 = n.IP.String()
		}
	}
	return v6
}
