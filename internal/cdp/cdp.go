// Package cdp drives a headless Chromium over the Chrome DevTools Protocol,
// for end-to-end tests and benchmarks of the browser client (web/). It is
// the handful of methods those need — open a page, evaluate JavaScript,
// dispatch mouse and key input, take a screenshot — over one WebSocket with
// coder/websocket, which tcanvas already depends on.
package cdp

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Flags are the command-line flags every launch uses: headless, no
// sandbox (tests run as root in a namespace), and nothing that would reach
// the network by itself. Loopback WebRTC candidates are allowed and not
// hidden behind mDNS names, so a page pairs with a Go peer on 127.0.0.1.
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
	"--disable-dev-shm-usage", "--mute-audio", "--no-default-browser-check",
}

// Find returns the path of a Chromium binary, or "".
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a running Chromium and the DevTools connection to it.
type Browser struct {
	cmd     *exec.Cmd
	dir     string
	ws      *websocket.Conn
	ctx     context.Context
	cancel  context.CancelFunc
	readErr chan error

	mu      sync.Mutex
	nextID  int64
	waiting map[int64]chan reply
	onEvent func(sessionID, method string, params json.RawMessage)
	wg      sync.WaitGroup
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

var listening = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// Launch starts Chromium with Flags, a fresh profile directory and
// --window-size w,h. stderr, when not nil, receives Chromium's own output.
func Launch(ctx context.Context, bin string, w, h int, stderr io.Writer) (*Browser, error) {
	dir, err := os.MkdirTemp("", "tcanvas-chromium")
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, Flags...), "--user-data-dir="+dir, "--remote-debugging-port=0",
		fmt.Sprintf("--window-size=%d,%d", w, h), "about:blank")
	cmd := exec.Command(bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	b := &Browser{cmd: cmd, dir: dir, waiting: map[int64]chan reply{}, readErr: make(chan error, 1)}
	urlc := make(chan string, 1)
	b.wg.Add(1)
	go func() { // Chromium's stderr, until it exits
		defer b.wg.Done()
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				urlc <- m[1]
				sent = true
			}
			if stderr != nil {
				fmt.Fprintln(stderr, sc.Text())
			}
		}
		close(urlc)
	}()
	var wsURL string
	select {
	case u, ok := <-urlc:
		if !ok {
			b.kill()
			return nil, errors.New("chromium exited before opening its DevTools port")
		}
		wsURL = u
	case <-ctx.Done():
		b.kill()
		return nil, fmt.Errorf("chromium did not start: %w", ctx.Err())
	case <-time.After(60 * time.Second):
		b.kill()
		return nil, errors.New("chromium did not open its DevTools port within 60s")
	}
	ws, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		b.kill()
		return nil, fmt.Errorf("devtools: %w", err)
	}
	ws.SetReadLimit(256 << 20) // screenshots
	b.ws = ws
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(1)
	go b.readLoop()
	return b, nil
}

// OnEvent sets a function that receives every event (console messages,
// exceptions, …) of the pages' sessions. It must not block.
func (b *Browser) OnEvent(fn func(sessionID, method string, params json.RawMessage)) {
	b.mu.Lock()
	b.onEvent = fn
	b.mu.Unlock()
}

func (b *Browser) readLoop() {
	defer b.wg.Done()
	for {
		_, data, err := b.ws.Read(b.ctx)
		if err != nil {
			b.mu.Lock()
			for id, c := range b.waiting {
				close(c)
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			b.readErr <- err
			return
		}
		var m struct {
			ID        int64           `json:"id"`
			Method    string          `json:"method"`
			Params    json.RawMessage `json:"params"`
			SessionID string          `json:"sessionId"`
			reply
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if c := b.waiting[m.ID]; c != nil {
				delete(b.waiting, m.ID)
				c <- m.reply
			}
		} else if b.onEvent != nil {
			b.onEvent(m.SessionID, m.Method, m.Params)
		}
		b.mu.Unlock()
	}
}

// Call sends one command (to a page's session, or to the browser when
// session is "") and decodes its result into out, when out is not nil.
func (b *Browser) Call(ctx context.Context, session, method string, params, out any) error {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	c := make(chan reply, 1)
	b.waiting[id] = c
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if err := b.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r, ok := <-c:
		if !ok {
			return fmt.Errorf("%s: devtools connection closed", method)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.waiting, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Page is one tab.
type Page struct {
	b       *Browser
	target  string
	session string
}

// NewPage opens a blank tab of width×height CSS pixels.
func (b *Browser) NewPage(ctx context.Context, width, height int) (*Page, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &s); err != nil {
		return nil, err
	}
	p := &Page{b: b, target: t.TargetID, session: s.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := p.Call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	err := p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	return p, err
}

// Session is the page's DevTools session ID, as events name it.
func (p *Page) Session() string { return p.session }

// Call sends a command to the page.
func (p *Page) Call(ctx context.Context, method string, params, out any) error {
	return p.b.Call(ctx, p.session, method, params, out)
}

// Navigate loads url. It returns once the navigation is committed, not
// when the page has finished loading: poll with Eval for that.
func (p *Page) Navigate(ctx context.Context, url string) error {
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("navigate: %s", r.ErrorText)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page (awaiting it if it is
// a promise) and decodes its JSON value into out, when out is not nil.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if err != nil {
		return err
	}
	if r.Exception != nil {
		return fmt.Errorf("eval %q: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// Click presses and releases the left mouse button at (x, y), CSS pixels
// of the viewport.
func (p *Page) Click(ctx context.Context, x, y float64) error {
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		params := map[string]any{"type": typ, "x": x, "y": y, "button": "left", "clickCount": 1}
		if typ == "mouseMoved" {
			params["button"] = "none"
		}
		if err := p.Call(ctx, "Input.dispatchMouseEvent", params, nil); err != nil {
			return err
		}
	}
	return nil
}

// Drag presses the left button at the first point, moves through the
// others and releases it at the last.
func (p *Page) Drag(ctx context.Context, pts ...[2]float64) error {
	for i, pt := range pts {
		typ := "mouseMoved"
		switch i {
		case 0:
			typ = "mousePressed"
		case len(pts) - 1:
			typ = "mouseReleased"
		}
		if err := p.Mouse(ctx, typ, pt[0], pt[1]); err != nil {
			return err
		}
	}
	return nil
}

// Mouse sends one left-button mouse event: "mousePressed", "mouseMoved"
// (with the button held) or "mouseReleased".
func (p *Page) Mouse(ctx context.Context, typ string, x, y float64) error {
	params := map[string]any{"type": typ, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}
	return p.Call(ctx, "Input.dispatchMouseEvent", params, nil)
}

// Type sends each character of s as a key press, as a keyboard would.
// "\n" is the Enter key.
func (p *Page) Type(ctx context.Context, s string) error {
	for _, r := range s {
		down := map[string]any{"type": "keyDown", "key": string(r), "text": string(r)}
		up := map[string]any{"type": "keyUp", "key": string(r)}
		if r == '\n' {
			down = map[string]any{"type": "keyDown", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}
			up = map[string]any{"type": "keyUp", "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13}
		}
		if err := p.Call(ctx, "Input.dispatchKeyEvent", down, nil); err != nil {
			return err
		}
		if err := p.Call(ctx, "Input.dispatchKeyEvent", up, nil); err != nil {
			return err
		}
	}
	return nil
}

// Key presses one named key (e.g. "Escape") with modifiers (1 alt, 2 ctrl,
// 4 meta, 8 shift).
func (p *Page) Key(ctx context.Context, key string, modifiers int) error {
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		if err := p.Call(ctx, "Input.dispatchKeyEvent", map[string]any{"type": typ, "key": key, "modifiers": modifiers}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot returns a PNG of the page's viewport.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.Call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Close closes the tab.
func (p *Page) Close(ctx context.Context) error {
	return p.b.Call(ctx, "", "Target.closeTarget", map[string]any{"targetId": p.target}, nil)
}

// Close ends Chromium and removes its profile.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.Call(ctx, "", "Browser.close", nil, nil) // best effort; the kill below makes sure
	b.cancel()
	b.ws.CloseNow()
	b.kill()
	return nil
}

func (b *Browser) kill() {
	if b.cmd.Process != nil {
		b.cmd.Process.Kill()
	}
	b.cmd.Wait()
	b.wg.Wait()
	os.RemoveAll(b.dir)
}

// IsNotRunning reports whether err says the page has no such object, for
// polling a page that is still loading.
func IsNotRunning(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is not defined")
}
