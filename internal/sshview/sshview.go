// Package sshview is an SSH client that opens a terminal on the tcanvas
// front door and reads everything it is sent, as `ssh -t` would, for tests
// and benchmarks: it counts the bytes and hands the text, with escape
// sequences removed, to a callback as it streams in.
package sshview

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Options configures a viewer.
type Options struct {
	Addr    string // the door's host:port
	Local   string // source IP to dial from (127.0.0.x); "" for any
	User    string // SSH user name: the name in the room
	Command string // "ROOM [--view]"
	// Width and Height are the pty's size. Default 120×40.
	Width, Height int
	// Text, if set, is called from the reading goroutine with each chunk of
	// text as it arrives, escape sequences removed.
	Text func(text []byte)
}

// Viewer is one open SSH session with a terminal.
type Viewer struct {
	conn  *gossh.Client
	sess  *gossh.Session
	Stdin io.WriteCloser
	bytes atomic.Int64
	done  chan struct{}
	mu    sync.Mutex
	err   error
	strip Stripper
}

// Dial connects, opens a session with a pty and runs the command.
func Dial(ctx context.Context, o Options) (*Viewer, error) {
	if o.Width == 0 {
		o.Width, o.Height = 120, 40
	}
	d := net.Dialer{Timeout: 30 * time.Second}
	if o.Local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(o.Local)}
	}
	nc, err := d.DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	cfg := &gossh.ClientConfig{User: o.User, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })}}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, chans, reqs, err := gossh.NewClientConn(nc, o.Addr, cfg)
	if err != nil {
		stop()
		nc.Close()
		return nil, fmt.Errorf("ssh handshake: %w", err)
	}
	conn := gossh.NewClient(c, chans, reqs)
	if !stop() {
		conn.Close()
		return nil, ctx.Err()
	}
	v := &Viewer{conn: conn, done: make(chan struct{})}
	if v.sess, err = conn.NewSession(); err != nil {
		conn.Close()
		return nil, err
	}
	if err := v.sess.RequestPty("xterm-256color", o.Height, o.Width, gossh.TerminalModes{}); err != nil {
		conn.Close()
		return nil, err
	}
	v.Stdin, _ = v.sess.StdinPipe()
	out, _ := v.sess.StdoutPipe()
	v.sess.Stderr = io.Discard
	if o.Text != nil {
		// Refusals are written to stderr: the text, for whoever reads it.
		var mu sync.Mutex
		var st Stripper
		v.sess.Stderr = writerFunc(func(b []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			o.Text(st.Strip(nil, b))
			return len(b), nil
		})
	}
	if err := v.sess.Start(o.Command); err != nil {
		conn.Close()
		return nil, err
	}
	go func() {
		defer close(v.done)
		b := make([]byte, 32<<10)
		var text []byte
		for {
			n, err := out.Read(b)
			v.bytes.Add(int64(n))
			if o.Text != nil && n > 0 {
				text = v.strip.Strip(text[:0], b[:n])
				o.Text(text)
			}
			if err != nil {
				v.mu.Lock()
				v.err = err
				v.mu.Unlock()
				return
			}
		}
	}()
	return v, nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Bytes is how many bytes the terminal has received.
func (v *Viewer) Bytes() int64 { return v.bytes.Load() }

// Done is closed when the session's output ends.
func (v *Viewer) Done() <-chan struct{} { return v.done }

// WindowChange reports a new terminal size.
func (v *Viewer) WindowChange(w, h int) error { return v.sess.WindowChange(h, w) }

// Close ends the session and the connection, and waits for the reader.
func (v *Viewer) Close() {
	v.sess.Close()
	v.conn.Close()
	<-v.done
}

// Stripper removes escape sequences from a byte stream that may split
// them anywhere: CSI, OSC/DCS/APC strings and two-byte escapes. Carriage
// returns and line feeds are kept; other control bytes are dropped.
type Stripper struct {
	state uint8
}

const (
	sText uint8 = iota
	sEsc
	sCSI
	sString    // OSC, DCS, APC, PM, SOS: ends with BEL or ST
	sStringEsc // ESC inside a string: the start of ST
)

// Strip appends the text of in to dst.
func (s *Stripper) Strip(dst, in []byte) []byte {
	for _, c := range in {
		switch s.state {
		case sText:
			switch {
			case c == 0x1b:
				s.state = sEsc
			case c == '\n' || c == '\r' || c >= 0x20 && c != 0x7f:
				dst = append(dst, c)
			}
		case sEsc:
			switch c {
			case '[':
				s.state = sCSI
			case ']', 'P', '_', '^', 'X':
				s.state = sString
			case ' ', '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/':
				// an intermediate byte (ESC ( B): the final byte follows
			default:
				s.state = sText // a two-byte escape (or an intermediate; rare)
			}
		case sCSI:
			if c >= 0x40 && c <= 0x7e {
				s.state = sText
			}
		case sString:
			switch c {
			case 0x07:
				s.state = sText
			case 0x1b:
				s.state = sStringEsc
			}
		case sStringEsc:
			s.state = sText
			if c != '\\' {
				s.state = sString
			}
		}
	}
	return dst
}
