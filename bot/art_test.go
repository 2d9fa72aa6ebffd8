package bot_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
)

// cellsOf lists an art's cells as "x,y=ch fg/bg/attr" for compact tables.
func cellsOf(a bot.Art) string {
	var parts []string
	for _, c := range a.Cells {
		s := fmt.Sprintf("%d,%d=%c", c.X, c.Y, c.Cell.Ch)
		if c.Cell.FG != 0 || c.Cell.BG != 0 || c.Cell.Attr != 0 {
			s += fmt.Sprintf(" %s/%s/%d", c.Cell.FG, c.Cell.BG, c.Cell.Attr)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestParseArt(t *testing.T) {
	tests := []struct {
		name, in, want string
		w, h           int32
	}{
		{"plain text, spaces are transparent", "ab c\n d", "0,0=a; 1,0=b; 3,0=c; 1,1=d", 4, 2},
		{"16 colours and reset", "\x1b[31mr\x1b[0mx\x1b[92mg", "0,0=r 1//0; 1,0=x; 2,0=g 10//0", 3, 1},
		{"attributes on and off", "\x1b[1;4ma\x1b[24mb\x1b[22mc", "0,0=a //9; 1,0=b //1; 2,0=c", 3, 1},
		{"256 and 24-bit, semicolon form", "\x1b[38;5;200;48;2;1;2;3mz", "0,0=z 200/#010203/0", 1, 1},
		{"colon form with and without colour space", "\x1b[38:2::255:0:16mq\x1b[48:2:9:8:7m\x1b[38:5:7mr", "0,0=q #ff0010//0; 1,0=r 7/#090807/0", 2, 1},
		{"default colours", "\x1b[31;41ma\x1b[39mb\x1b[49mc", "0,0=a 1/1/0; 1,0=b /1/0; 2,0=c", 3, 1},
		{"bright backgrounds", "\x1b[103mx", "0,0=x /11/0", 1, 1},
		{"a space with a background is drawn", "\x1b[44m \x1b[0m ", "0,0=  /4/0", 1, 1},
		{"a reversed space is drawn", "\x1b[7m ", "0,0=  //16", 1, 1},
		{"a later space erases", "ab\rx ", "0,0=x", 1, 1},
		{"CRLF and tabs", "a\r\n\tb", "0,0=a; 8,1=b", 9, 2},
		{"cursor movement", "a\x1b[3Cb\x1b[2;2Hc\x1b[Ad\x1b[5D\x1b[Be", "0,0=a; 2,0=d; 4,0=b; 0,1=e; 1,1=c", 5, 2},
		{"other sequences are skipped", "\x1b]0;title\x07a\x1b[2Jb\x1b7c\x1b]8;;http://x\x1b\\d", "0,0=a; 1,0=b; 2,0=c; 3,0=d", 4, 1},
		{"SUB ends the picture", "ab\x1aSAUCE00", "0,0=a; 1,0=b", 2, 1},
		{"wide runes take two columns", "a世b😀", "0,0=a; 1,0=世; 3,0=b; 4,0=😀", 6, 1},
		{"overwriting half a wide rune erases it", "世界\rx\x1b[2Cy", "0,0=x; 3,0=y", 4, 1},
		{"uncertain width", "a\U0001F1E6b", "0,0=a; 1,0=?; 2,0=b", 3, 1},
		{"invalid UTF-8 and zero-width", "a\xffb\u0301c\x07\u200b", "0,0=a; 1,0=?; 2,0=b; 3,0=c", 4, 1},
		{"combining marks compose", "e\u0301x\u0308\u00e9\u0301", "0,0=é; 1,0=ẍ; 2,0=é", 3, 1},
		{"box drawing", "┌─┐", "0,0=┌; 1,0=─; 2,0=┐", 3, 1},
		{"malformed extended colour stops the sequence", "\x1b[38;7;1mx", "0,0=x", 1, 1},
		{"empty", "", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := bot.ParseArt(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := cellsOf(a); got != tt.want || a.W != tt.w || a.H != tt.h {
				t.Fatalf("ParseArt(%q)\n got %dx%d %s\nwant %dx%d %s", tt.in, a.W, a.H, got, tt.w, tt.h, tt.want)
			}
			for _, c := range a.Cells {
				if err := c.Cell.Validate(); err != nil {
					t.Fatalf("invalid cell %+v: %v", c, err)
				}
			}
		})
	}
}

func TestParseArtLimits(t *testing.T) {
	for _, in := range []string{"\x1b[9999Cx", strings.Repeat("\n", 5000) + "x"} {
		if _, err := bot.ParseArt(strings.NewReader(in)); !errors.Is(err, bot.ErrArt) {
			t.Fatalf("ParseArt(%.20q…): %v, want ErrArt", in, err)
		}
	}
}

// TestRenderANSIRoundTrip: what the model renders as ANSI parses back to
// the same canvas, so an export can be replayed.
func TestRenderANSIRoundTrip(t *testing.T) {
	c := model.NewCanvas()
	c.Apply([]model.Op{
		{Kind: model.OpText, X: 0, Y: 0, Text: "plain", FG: model.Indexed(9), Attr: model.Bold | model.Underline},
		{Kind: model.OpText, X: 2, Y: 1, Text: "╭─╮", FG: model.RGB(1, 2, 3), BG: model.Indexed(200)},
		{Kind: model.OpRect, X: 0, Y: 2, W: 3, H: 1, Ch: ' ', BG: model.Indexed(4)},
	})
	r, _ := c.Bounds()
	a, err := bot.ParseArt(strings.NewReader(model.RenderANSI(c, r)))
	if err != nil {
		t.Fatal(err)
	}
	back := model.NewCanvas()
	back.Apply([]model.Op{{Kind: model.OpSet, Cells: a.Cells}})
	if !back.Equal(c) {
		t.Fatalf("round trip differs:\n%s\n%s", model.RenderANSI(c, r), model.RenderANSI(back, r))
	}
}

// TestReplayDraws replays a picture at an offset, at once and at a speed,
// and checks the room holds it and the bot is labelled as one.
func TestReplayDraws(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	art, err := bot.ParseArt(strings.NewReader("\x1b[32mhi\x1b[0m\n ┌┐"))
	if err != nil {
		t.Fatal(err)
	}
	obs := observe(t, ctx, a.link("replay"))
	for i, speed := range []float64{0, 1000} {
		at := model.Point{X: 5, Y: int32(3 * i)}
		if err := bot.Replay(ctx, config(a.link("replay"), "painter"), bot.ReplayOptions{Art: art, At: at, Speed: speed}, bot.IO{}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "the observer to see both drawings", func() bool { return obs.s.Get(7, 4).Ch == '┐' && obs.s.Get(5, 3).Ch == 'h' })
	got := model.RenderText(obs.s.Canvas(), model.Rect{X: 5, Y: 0, W: 3, H: 5})
	if want := "hi\n ┌┐\n\nhi\n ┌┐"; got != want {
		t.Fatalf("canvas:\n%s\nwant\n%s", got, want)
	}
	if c := obs.s.Get(5, 0); c.FG != model.Indexed(2) {
		t.Fatalf("colour lost: %+v", c)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	sawBot := false
	for _, r := range obs.rosters {
		for _, p := range r.Peers {
			sawBot = sawBot || p.Name == "painter" && p.Bot
		}
	}
	if !sawBot {
		t.Fatal("the replay bot never appeared in the roster as a bot")
	}
}
