package authority_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestInProcessClientSkipsOnlyTheConnectionRate: a front door's connections
// through InProcessClient are admitted past the per-IP connection burst (the
// door limits its own clients), while the same burst from loopback TCP is
// still refused with 429; and the door's connections are ordinary clients
// otherwise: their hello is checked like anyone's.
func TestInProcessClientSkipsOnlyTheConnectionRate(t *testing.T) {
	e := start(t, authority.Options{Open: true, ConnRate: 0.001, ConnBurst: 2})
	ctx := ctxT(t)
	// Attributed to the loopback address the TCP clients below come from.
	door := e.srv.InProcessClient("127.0.0.1")
	for i := range 6 {
		c, err := rawclient.DialWith(ctx, e.link("door"), wire.Hello{Client: "d" + string(rune('a'+i)), Name: "door"}, &websocket.DialOptions{HTTPClient: door})
		if err != nil {
			t.Fatalf("in-process connection %d: %v", i, err)
		}
		defer c.WS.CloseNow()
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("in-process connection %d: %v", i, err)
		}
	}
	join(t, ctx, e.link("door"), "a")
	join(t, ctx, e.link("door"), "b")
	_, resp, err := websocket.Dial(ctx, strings.Replace(e.link("door"), "http", "ws", 1), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third TCP connection in a burst of 2: %v %v", err, resp)
	}
	// Every other check still applies to them: a hello with a bad name is
	// refused.
	c, err := rawclient.DialWith(ctx, e.link("door"), wire.Hello{Client: "bad", Name: "bad\x1b[31m"}, &websocket.DialOptions{HTTPClient: door})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	if err := c.Sync(ctx); err == nil {
		t.Fatal("a hello with a control character in its name joined through the door")
	}
}
