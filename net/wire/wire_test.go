package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/tcanvas/tcanvas/model"
)

func TestDecodeClientTable(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error // nil: decodes
	}{
		{"hello", `{"t":"hello","v":1,"client":"abc","name":"ann","color":"#ff0000"}`, nil},
		{"hello old version", `{"t":"hello","v":0,"client":"abc","name":"ann"}`, ErrVersion},
		{"hello no client", `{"t":"hello","v":1,"name":"ann"}`, ErrField},
		{"hello wide name", `{"t":"hello","v":1,"client":"a","name":"中"}`, ErrField},
		{"hello long name", `{"t":"hello","v":1,"client":"a","name":"` + strings.Repeat("n", 33) + `"}`, ErrField},
		{"hello bad color", `{"t":"hello","v":1,"client":"a","name":"n","color":"red"}`, ErrMalformed},
		{"commit", `{"t":"commit","id":"a-1","ops":[{"op":"text","x":1,"y":2,"text":"hi"}]}`, nil},
		{"commit no ops", `{"t":"commit","id":"a-1","ops":[]}`, ErrField},
		{"commit id with space", `{"t":"commit","id":"a 1","ops":[{"op":"text","text":"x"}]}`, ErrField},
		{"undo", `{"t":"undo","id":"a-2","target":1}`, nil},
		{"redo no target", `{"t":"redo","id":"a-2"}`, ErrField},
		{"signal", `{"t":"signal","to":2,"data":{"sdp":"v=0"}}`, nil},
		{"signal null data", `{"t":"signal","to":2,"data":null}`, ErrField},
		{"mint", `{"t":"mint","req":"r","role":"viewer"}`, nil},
		{"mint bad role", `{"t":"mint","req":"r","role":"god"}`, ErrField},
		{"revoke", `{"t":"revoke","req":"r","id":"abc"}`, nil},
		{"unknown", `{"t":"welcome"}`, ErrUnknownType},
		{"not json", `hello`, ErrMalformed},
		{"array", `[1]`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeClient([]byte(tt.in))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DecodeClient(%s) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestCursorPacketWithinBudget(t *testing.T) {
	// The budget is for any cursor in the canvas, the far corners included.
	for _, pt := range []model.Point{{}, {X: 1 << 30, Y: -(1 << 30)}, {X: -(1 << 30), Y: 1 << 30}} {
		p := Presence{Seq: 65535, HasCursor: true, Cursor: pt}
		if n := len(p.AppendBinary(nil)); n > 24 {
			t.Fatalf("cursor move at %v is %d bytes, budget 24", pt, n)
		}
	}
}

func genPresence(t *rapid.T) Presence {
	coord := rapid.Int32Range(-(1 << 30), 1<<30)
	p := Presence{
		Seq:       rapid.Uint16().Draw(t, "seq"),
		HasCursor: rapid.Bool().Draw(t, "hc"),
		Hidden:    rapid.Bool().Draw(t, "hidden"),
		NoFollow:  rapid.Bool().Draw(t, "nofollow"),
	}
	if p.HasCursor {
		p.Cursor = model.Point{X: coord.Draw(t, "cx"), Y: coord.Draw(t, "cy")}
	}
	if p.HasViewport = rapid.Bool().Draw(t, "hv"); p.HasViewport {
		side := rapid.Int32Range(0, MaxViewportSide)
		p.Viewport = model.Rect{X: coord.Draw(t, "vx"), Y: coord.Draw(t, "vy"), W: side.Draw(t, "vw"), H: side.Draw(t, "vh")}
	}
	if p.HasTool = rapid.Bool().Draw(t, "ht"); p.HasTool {
		p.Tool = rapid.Uint8().Draw(t, "tool")
		p.Brush = rapid.SampledFrom([]rune{0, '#', '─', 'é'}).Draw(t, "brush")
	}
	if rapid.Bool().Draw(t, "hg") {
		g := &Ghost{Kind: rapid.Uint8Range(GhostLine, ghostMax).Draw(t, "gk"), Style: model.BoxStyle(rapid.IntRange(0, int(model.BoxRounded)).Draw(t, "gs")), Ch: '*'}
		n := rapid.IntRange(0, MaxGhostPoints).Draw(t, "gn")
		for i := 0; i < n; i++ {
			g.Points = append(g.Points, model.Point{X: coord.Draw(t, "gx"), Y: coord.Draw(t, "gy")})
		}
		p.Ghost = g
	}
	return p
}

func TestPresenceRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPresence(t)
		b := p.AppendBinary(nil)
		if len(b) > MaxPresenceBytes {
			t.Fatalf("encoded %d bytes, over MaxPresenceBytes", len(b))
		}
		q, err := DecodePresence(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(q.AppendBinary(nil), b) {
			t.Fatalf("round trip changed the packet: %+v vs %+v", p, q)
		}
	})
}

func TestSeqNewerWraps(t *testing.T) {
	for _, tt := range []struct {
		a, b uint16
		want bool
	}{{2, 1, true}, {1, 2, false}, {0, 65535, true}, {65535, 0, false}, {5, 5, false}, {40000, 10000, true}, {10000, 45000, true}, {45000, 10000, false}} {
		if got := SeqNewer(tt.a, tt.b); got != tt.want {
			t.Errorf("SeqNewer(%d, %d) = %v", tt.a, tt.b, got)
		}
	}
}

func TestRelayRoundTrip(t *testing.T) {
	p := Presence{Seq: 9, HasCursor: true, Cursor: model.Point{X: 3, Y: 4}}
	pkt := p.AppendBinary(nil)
	b := AppendRelayHeader(nil)
	b = AppendRelayEntry(b, 7, pkt)
	b = AppendRelayEntry(b, 65535, pkt)
	es, err := DecodeRelay(b)
	if err != nil || len(es) != 2 || es[0].Peer != 7 || es[1].Peer != 65535 || !bytes.Equal(es[1].Packet, pkt) {
		t.Fatalf("DecodeRelay = %v, %v", es, err)
	}
	if _, err := DecodeRelay(b[:len(b)-1]); err == nil {
		t.Fatal("truncated batch decoded")
	}
}

func TestParseLink(t *testing.T) {
	l, err := ParseLink("http://127.0.0.1:7777/r/demo?token=tc_abc")
	if err != nil {
		t.Fatal(err)
	}
	if l.Room != "demo" || l.Token != "tc_abc" || l.WebSocketURL() != "ws://127.0.0.1:7777/r/demo" || l.String() != "http://127.0.0.1:7777/r/demo?token=tc_abc" {
		t.Fatalf("%+v %s %s", l, l.WebSocketURL(), l)
	}
	l, err = ParseLink("https://example.org/prefix/r/x")
	if err != nil || l.WebSocketURL() != "wss://example.org/prefix/r/x" {
		t.Fatalf("%+v %v", l, err)
	}
	for _, bad := range []string{"ftp://h/r/x", "http:///r/x", "http://h/rooms/x", "http://h/r/a%2Fb", "http://h/r/.."} {
		if _, err := ParseLink(bad); err == nil {
			t.Errorf("ParseLink(%q) accepted", bad)
		}
	}
}

func FuzzDecodeClient(f *testing.F) {
	f.Add([]byte(`{"t":"hello","v":1,"client":"abc","name":"ann","color":"12"}`))
	f.Add([]byte(`{"t":"commit","id":"a-1","ops":[{"op":"set","merge":true,"cells":[{"x":1,"y":2,"ch":"─"}]}]}`))
	f.Add([]byte(`{"t":"undo","id":"a-2","target":1}`))
	f.Add([]byte(`{"t":"signal","to":2,"data":{"sdp":"v=0"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeClient(b)
		if err != nil {
			if v != nil {
				t.Fatal("value with an error")
			}
			return
		}
		if c, ok := v.(*Commit); ok {
			// Whatever decodes must be safe to validate and, if valid, apply.
			if model.ValidateOps(c.Ops, model.DefaultLimits) == nil {
				model.NewCanvas().Apply(c.Ops)
			}
		}
	})
}

func FuzzDecodePresence(f *testing.F) {
	p := Presence{Seq: 1, HasCursor: true, Cursor: model.Point{X: -5, Y: 9}}
	f.Add(p.AppendBinary(nil))
	p.Ghost = &Ghost{Kind: GhostBox, Style: model.BoxDouble, Ch: '═', Points: []model.Point{{X: 1, Y: 1}, {X: 9, Y: 4}}}
	p.HasViewport, p.Viewport = true, model.Rect{W: 80, H: 24}
	f.Add(p.AppendBinary(nil))
	f.Add([]byte{0x40, 0, 1})
	p.HasTool, p.Brush, p.Ghost = true, '漢', &Ghost{Kind: GhostRect, Ch: '😀', Points: []model.Point{{X: 0, Y: 0}, {X: 4, Y: 2}}} // wide brush and ghost
	f.Add(p.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePresence(b)
		if err != nil {
			return
		}
		// A packet that decodes re-encodes to the same bytes: one meaning.
		if !bytes.Equal(p.AppendBinary(nil), b) {
			t.Fatalf("re-encoding %x gave %x", b, p.AppendBinary(nil))
		}
	})
}

func FuzzDecodeRelay(f *testing.F) {
	p := Presence{Seq: 1, HasCursor: true}
	f.Add(AppendRelayEntry(AppendRelayHeader(nil), 3, p.AppendBinary(nil)))
	f.Add([]byte{1, 0, 1, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := DecodeRelay(b)
		if err != nil {
			return
		}
		out := AppendRelayHeader(nil)
		for _, e := range es {
			out = AppendRelayEntry(out, e.Peer, e.Packet)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding %x gave %x", b, out)
		}
	})
}

func FuzzParseLink(f *testing.F) {
	f.Add("http://127.0.0.1:7777/r/demo?token=tc_abc")
	f.Add("wss://h/p/r/x")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLink(s)
		if err != nil {
			return
		}
		l2, err := ParseLink(l.String())
		if err != nil || l2 != l {
			t.Fatalf("%q: re-parse of %q gave %+v, %v", s, l.String(), l2, err)
		}
	})
}
