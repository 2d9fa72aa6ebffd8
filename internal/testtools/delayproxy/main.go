// Command delayproxy is a test tool: a TCP forwarder that adds a fixed
// latency to every byte in each direction, for network-fault tests on a
// kernel without the netem qdisc. The network-fault end-to-end test runs it
// inside a network namespace with `ip netns exec`.
//
//	delayproxy -listen 127.0.0.1:0 -target 198.18.0.1:7777 -delay 100ms
//
// It prints "delayproxy listening on ADDR" once it accepts connections,
// and runs until SIGINT or SIGTERM. -listen unix:/path listens on a Unix
// socket instead, which lets a process in another network namespace reach
// a TCP server (sockets in the file system are not per namespace).
//
// Every connection accepted is forwarded to -target over a new TCP
// connection; bytes read on one side are written to the other -delay
// after they were read, in order. A half-close (EOF) is passed on as a
// half-close after the data before it; an error on either side closes
// both.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "delayproxy:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("delayproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on: HOST:PORT, or unix:PATH")
	target := fs.String("target", "", "HOST:PORT to forward every connection to")
	delay := fs.Duration("delay", 100*time.Millisecond, "latency added in each direction")
	dialTimeout := fs.Duration("dial-timeout", 10*time.Second, "how long to try to reach the target for one connection")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" || fs.NArg() > 0 {
		return errors.New("usage: delayproxy -target HOST:PORT [-listen ADDR] [-delay D]")
	}
	ln, err := listenOn(*listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "delayproxy listening on %s\n", ln.Addr())
	p := &proxy{target: *target, delay: *delay, dialTimeout: *dialTimeout, log: stderr}
	return p.serve(ctx, ln)
}

func listenOn(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		os.Remove(path) // a socket file left by an earlier run
		return net.Listen("unix", path)
	}
	return net.Listen("tcp", addr)
}

// proxy forwards connections with added latency.
type proxy struct {
	target      string
	delay       time.Duration
	dialTimeout time.Duration
	log         io.Writer

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// serve accepts until ctx ends, then closes every connection and waits
// for their goroutines.
func (p *proxy) serve(ctx context.Context, ln net.Listener) error {
	p.conns = map[net.Conn]struct{}{}
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	defer stop()
	var err error
	for {
		var in net.Conn
		in, err = ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.handle(ctx, in)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// track registers c so that shutdown closes it; false means shutdown has
// begun and c was closed.
func (p *proxy) track(ctx context.Context, c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ctx.Err() != nil {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *proxy) handle(ctx context.Context, in net.Conn) {
	if !p.track(ctx, in) {
		return
	}
	defer p.untrack(in)
	dctx, cancel := context.WithTimeout(ctx, p.dialTimeout)
	out, err := (&net.Dialer{}).DialContext(dctx, "tcp", p.target)
	cancel()
	if err != nil {
		fmt.Fprintf(p.log, "delayproxy: %v\n", err)
		return
	}
	if !p.track(ctx, out) {
		return
	}
	defer p.untrack(out)
	var wg sync.WaitGroup
	wg.Add(2)
	for _, d := range [][2]net.Conn{{out, in}, {in, out}} {
		go func() {
			defer wg.Done()
			if err := p.pump(d[0], d[1]); err != nil {
				// One broken side breaks the pair, as it would end to end.
				in.Close()
				out.Close()
			}
		}()
	}
	wg.Wait()
}

type chunk struct {
	due time.Time
	b   []byte
}

// pump copies src to dst, each chunk delay after it was read. On a clean
// EOF it half-closes dst after the last byte; it returns the first error
// of either side.
func (p *proxy) pump(dst, src net.Conn) error {
	ch := make(chan chunk, 64)
	rerrc := make(chan error, 1)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{time.Now().Add(p.delay), buf[:n]}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				rerrc <- err
				return
			}
		}
	}()
	var werr error
	for c := range ch {
		if werr != nil {
			continue // drain until the reader notices the closed source
		}
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.b); err != nil {
			werr = err
			src.Close() // unblocks the reader
		}
	}
	if rerr := <-rerrc; werr == nil && rerr != nil {
		return rerr
	}
	if werr != nil {
		return werr
	}
	if hc, ok := dst.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return dst.Close()
}
