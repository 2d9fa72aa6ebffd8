// Package rawclient is a minimal, synchronous protocol client for tests and
// benchmarks: it speaks wire frames over a real WebSocket and keeps a local
// canvas of what the authority confirmed, with none of net/session's
// reconnection or optimism, so tests see exactly what the server sends.
package rawclient

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Client is one connection to a room.
type Client struct {
	WS      *websocket.Conn
	Welcome wire.Welcome
	Canvas  *model.Canvas
	Seq     uint64 // last committed seq applied to Canvas
	n       int
}

// Dial connects to the room link and sends hello. It does not wait for the
// welcome: call Sync.
func Dial(ctx context.Context, link string, h wire.Hello) (*Client, error) {
	return DialWith(ctx, link, h, nil)
}

// DialWith is Dial with WebSocket dial options.
func DialWith(ctx context.Context, link string, h wire.Hello, opts *websocket.DialOptions) (*Client, error) {
	l, err := wire.ParseLink(link)
	if err != nil {
		return nil, err
	}
	ws, _, err := websocket.Dial(ctx, l.WebSocketURL(), opts)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(wire.MaxServerFrameBytes)
	h.T, h.V = wire.THello, wire.Version
	if h.Token == "" {
		h.Token = l.Token
	}
	c := &Client{WS: ws, Canvas: model.NewCanvas()}
	if err := c.Send(ctx, h); err != nil {
		ws.CloseNow()
		return nil, err
	}
	return c, nil
}

// Join dials and syncs.
func Join(ctx context.Context, link string, h wire.Hello) (*Client, error) {
	c, err := Dial(ctx, link, h)
	if err != nil {
		return nil, err
	}
	if err := c.Sync(ctx); err != nil {
		c.WS.CloseNow()
		return nil, err
	}
	return c, nil
}

// Send writes one frame as JSON.
func (c *Client) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.WS.Write(ctx, websocket.MessageText, b)
}

// Frame is a received control frame: its type and its raw JSON.
type Frame struct {
	T   string
	Raw []byte
	Bin bool // a binary (presence relay) frame; Raw holds it
}

// Decode unmarshals the frame into v.
func (f Frame) Decode(v any) error { return json.Unmarshal(f.Raw, v) }

// Read returns the next frame, applying committed frames to Canvas.
func (c *Client) Read(ctx context.Context) (Frame, error) {
	typ, b, err := c.WS.Read(ctx)
	if err != nil {
		return Frame{}, err
	}
	if typ == websocket.MessageBinary {
		return Frame{Raw: b, Bin: true}, nil
	}
	var h wire.Header
	if err := json.Unmarshal(b, &h); err != nil {
		return Frame{}, fmt.Errorf("rawclient: bad frame %q: %w", b, err)
	}
	f := Frame{T: h.T, Raw: b}
	switch h.T {
	case wire.TCommitted:
		var m wire.Committed
		if err := f.Decode(&m); err != nil {
			return f, err
		}
		if m.Seq != c.Seq+1 {
			return f, fmt.Errorf("rawclient: committed seq %d after %d", m.Seq, c.Seq)
		}
		var ops []model.Op
		if err := json.Unmarshal(m.Ops, &ops); err != nil {
			return f, err
		}
		c.Canvas.Apply(ops)
		c.Seq = m.Seq
	case wire.TSnap:
		var m wire.Snap
		if err := f.Decode(&m); err != nil {
			return f, err
		}
		c.Canvas.Apply(m.Runs)
	}
	return f, nil
}

// Sync reads the welcome and the state after it, up to ready. A snapshot
// replaces Canvas; a catch-up extends it.
func (c *Client) Sync(ctx context.Context) error {
	f, err := c.Read(ctx)
	if err != nil {
		return err
	}
	if f.T != wire.TWelcome {
		return fmt.Errorf("rawclient: expected welcome, got %s", f.Raw)
	}
	if err := f.Decode(&c.Welcome); err != nil {
		return err
	}
	if c.Welcome.Sync == wire.SyncSnapshot {
		c.Canvas = model.NewCanvas()
		c.Seq = c.Welcome.Seq
	}
	for {
		f, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if f.T == wire.TReady {
			if c.Seq != c.Welcome.Seq {
				return fmt.Errorf("rawclient: ready at %d but canvas at %d", c.Welcome.Seq, c.Seq)
			}
			return nil
		}
	}
}

// Until reads frames until fn returns true, and returns that frame.
func (c *Client) Until(ctx context.Context, fn func(Frame) bool) (Frame, error) {
	for {
		f, err := c.Read(ctx)
		if err != nil {
			return f, err
		}
		if fn(f) {
			return f, nil
		}
	}
}

// NextID returns a fresh commit ID for this client.
func (c *Client) NextID(client string) string {
	c.n++
	return client + "-" + strconv.Itoa(c.n)
}

// Commit sends a commit and waits for its answer: the committed frame with
// its seq, or a reject or ack.
func (c *Client) Commit(ctx context.Context, id string, ops ...model.Op) (Frame, error) {
	if err := c.Send(ctx, wire.Commit{T: wire.TCommit, ID: id, Ops: ops}); err != nil {
		return Frame{}, err
	}
	return c.AnswerTo(ctx, id)
}

// Request sends v and waits for the answer to id.
func (c *Client) Request(ctx context.Context, id string, v any) (Frame, error) {
	if err := c.Send(ctx, v); err != nil {
		return Frame{}, err
	}
	return c.AnswerTo(ctx, id)
}

// AnswerTo reads until the committed, ack or reject frame for id.
func (c *Client) AnswerTo(ctx context.Context, id string) (Frame, error) {
	return c.Until(ctx, func(f Frame) bool {
		switch f.T {
		case wire.TCommitted, wire.TAck, wire.TReject:
			var m struct {
				ID string `json:"id"`
			}
			return f.Decode(&m) == nil && m.ID == id
		}
		return false
	})
}

// Close closes the connection normally.
func (c *Client) Close() error { return c.WS.Close(websocket.StatusNormalClosure, "") }

// Text is a shorthand for a text op.
func Text(x, y int32, s string) model.Op { return model.Op{Kind: model.OpText, X: x, Y: y, Text: s} }
