package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

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
		{"tokens", `{"t":"tokens","req":"l"}`, nil},
		{"tokens long req", `{"t":"tokens","req":"` + strings.Repeat("r", 65) + `"}`, ErrField},
		{"quiet", `{"t":"quiet","on":true}`, nil},
		{"quiet off", `{"t":"quiet","on":false}`, nil},
		{"quiet without on", `{"t":"quiet"}`, ErrField},
		{"quiet on not a bool", `{"t":"quiet","on":1}`, ErrMalformed},
		{"hello quiet", `{"t":"hello","v":1,"client":"abc","name":"ann","quiet":true}`, nil},
		{"unknown", `{"t":"welcome"}`, ErrUnknownType},
		{"not json", `hello`, ErrMalformed},
		{"array", `[1]`, ErrMalformed},
		// encoding/json would turn these into U+FFFD and go on.
		{"name not UTF-8", "{\"t\":\"hello\",\"v\":1,\"client\":\"a\",\"name\":\"an\xffn\"}", ErrNotUTF8},
		{"text not UTF-8", "{\"t\":\"commit\",\"id\":\"a-1\",\"ops\":[{\"op\":\"text\",\"text\":\"\xc3(\"}]}", ErrNotUTF8},
		{"text lone high surrogate", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"x\ud835y"}]}`, ErrNotUTF8},
		{"text high surrogate at the end", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\ud835`, ErrNotUTF8},
		{"text lone low surrogate", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\uDC00"}]}`, ErrNotUTF8},
		{"text two high surrogates", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\ud835\ud835"}]}`, ErrNotUTF8},
		{"text surrogate pair", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\ud835\udc00"}]}`, nil},
		{"text escaped backslash, then u", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\\ud800"}]}`, nil},
		{"text U+FFFD itself", `{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\ufffd�"}]}`, nil},
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
		switch g.Kind {
		case GhostPath:
			g.Arrows = uint8(rapid.IntRange(0, int(model.ArrowBoth)).Draw(t, "ga"))
		case GhostText:
			g.Ch, n = 0, 1
			g.Text = rapid.SampledFrom([]string{"", "hello", "a\nb c", strings.Repeat("é", MaxGhostText/2)}).Draw(t, "gt")
		}
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
	f.Add([]byte(`{"t":"commit","id":"a-1","ops":[{"op":"text","text":"\ud835\udc00 \\ud800"}]}`))
	f.Add([]byte(`{"t":"signal","to":2,"data":{"sdp":"v=0"}}`))
	f.Add([]byte(`{"t":"tokens","req":"l1"}`))
	f.Add([]byte(`{"t":"quiet","on":true}`))
	f.Add([]byte(`{"t":"hello","v":1,"client":"abc","name":"ann","quiet":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeClient(b)
		if err != nil {
			if v != nil {
				t.Fatal("value with an error")
			}
			return
		}
		if !utf8.Valid(b) {
			t.Fatal("accepted a frame that is not UTF-8")
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
	p.Ghost = &Ghost{Kind: GhostPath, Style: model.BoxRounded, Arrows: uint8(model.ArrowEnd), Points: []model.Point{{X: 1, Y: 1}, {X: 9, Y: 1}, {X: 9, Y: 4}}}
	f.Add(p.AppendBinary(nil))
	p.Ghost = &Ghost{Kind: GhostText, Points: []model.Point{{X: 3, Y: 2}}, Text: "typing\nhere"}
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

// TestAuthorIsAsDocumented: PROTOCOL.md section 3 tells client authors
// what an author looks like; this is the code side of that sentence.
func TestAuthorIsAsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("16 lower-case hex digits, the first 8 bytes of SHA-256")) {
		t.Fatal("PROTOCOL.md no longer says what an author is: update this test with it")
	}
	for _, c := range []string{"a", "3f9a2c1d5e8b7046", strings.Repeat("z", MaxIDLen)} {
		a := AuthorOf(c)
		sum := sha256.Sum256([]byte("tcanvas author\x00" + c))
		if len(a) != 16 || strings.ToLower(a) != a || a != hex.EncodeToString(sum[:8]) {
			t.Fatalf("AuthorOf(%q) = %q", c, a)
		}
	}
}

// TestGhostLimits: a text ghost over MaxGhostText, text a cell cannot
// hold, and arrowheads on a ghost that is not a path are refused.
func TestGhostLimits(t *testing.T) {
	for name, g := range map[string]*Ghost{
		"long text":       {Kind: GhostText, Points: []model.Point{{}}, Text: strings.Repeat("a", MaxGhostText+1)},
		"control in text": {Kind: GhostText, Points: []model.Point{{}}, Text: "a\x07"},
		"arrows on a box": {Kind: GhostBox, Arrows: 1, Points: []model.Point{{}, {X: 2, Y: 2}}},
		"unknown arrows":  {Kind: GhostPath, Arrows: 7, Points: []model.Point{{}, {X: 2}}},
	} {
		p := Presence{Ghost: g}
		if _, err := DecodePresence(p.AppendBinary(nil)); !errors.Is(err, ErrPresence) {
			t.Errorf("%s: decoded with err %v", name, err)
		}
	}
}
