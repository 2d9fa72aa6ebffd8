package bot_test

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/picture"
)

func TestExport(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := observe(t, ctx, a.link("ex"))
	obs.s.Commit([]model.Op{
		{Kind: model.OpText, X: 3, Y: 2, Text: "top", FG: model.Indexed(1)},
		{Kind: model.OpText, X: 5, Y: 4, Text: "end"},
	})
	if err := obs.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		opts bot.ExportOptions
		want string
	}{
		{bot.ExportOptions{}, "top\n\n  end\n"},
		{bot.ExportOptions{Format: bot.FormatANSI}, "\x1b[31mtop\x1b[0m\n\n  end\n"},
		{bot.ExportOptions{Region: &model.Rect{X: 4, Y: 2, W: 2, H: 1}}, "op\n"},
		{bot.ExportOptions{Region: &model.Rect{X: 100, Y: 100, W: 2, H: 2}}, "\n\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := bot.Export(ctx, config(a.link("ex"), ""), tt.opts, bot.IO{Out: &out}); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("export %+v: %q, want %q", tt.opts, out.String(), tt.want)
		}
	}
	if err := bot.Export(ctx, config(a.link("ex"), ""), bot.ExportOptions{Format: "gif"}, bot.IO{}); !errors.Is(err, bot.ErrUsage) {
		t.Fatalf("format gif: %v", err)
	}
	// A room that does not exist is an error, and export does not create
	// it: the next joiner is the one who creates and owns it.
	var out bytes.Buffer
	err := bot.Export(ctx, config(a.link("empty"), ""), bot.ExportOptions{}, bot.IO{Out: &out})
	if !errors.Is(err, session.ErrNoRoom) || !strings.Contains(err.Error(), "no such room: empty at ") || out.Len() != 0 {
		t.Fatalf("export of a missing room: %q %v", out.String(), err)
	}
	creator := observe(t, ctx, a.link("empty"))
	if in := creator.s.Info(); in.Role != wire.RoleOwner || in.Token == "" {
		t.Fatalf("export created the room: the next joiner is %s", in.Role)
	}
	// An empty room exports as nothing at all.
	if err := bot.Export(ctx, config(a.link("empty"), ""), bot.ExportOptions{}, bot.IO{Out: &out}); err != nil || out.Len() != 0 {
		t.Fatalf("empty room: %q %v", out.String(), err)
	}
}

// TestExportPictures: svg and png of a room, whole or a region; a picture
// of nothing is refused, and so is png through Render (it is binary).
func TestExportPictures(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := observe(t, ctx, a.link("pic"))
	obs.s.Commit([]model.Op{{Kind: model.OpText, X: 3, Y: 2, Text: "top", FG: model.Indexed(1)}})
	if err := obs.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := bot.Export(ctx, config(a.link("pic"), ""), bot.ExportOptions{Format: bot.FormatSVG}, bot.IO{Out: &svg}); err != nil {
		t.Fatal(err)
	}
	if s := svg.String(); !strings.Contains(s, ">top</text>") || !strings.Contains(s, `fill="#800000"`) || !strings.Contains(s, `width="50" height="40"`) {
		t.Fatalf("svg of a 3x1 drawing:\n%s", s)
	}
	var pngBuf bytes.Buffer
	region := &model.Rect{X: 0, Y: 0, W: 8, H: 4}
	if err := bot.Export(ctx, config(a.link("pic"), ""), bot.ExportOptions{Format: bot.FormatPNG, Region: region}, bot.IO{Out: &pngBuf}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&pngBuf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 8*10+20 || b.Dy() != 4*20+20 {
		t.Fatalf("png of an 8x4 region is %v", b)
	}
	if _, _, err := bot.Render(model.NewCanvas(), bot.FormatPNG, region); !errors.Is(err, bot.ErrUsage) {
		t.Fatalf("Render png: %v", err)
	}
	if _, err := bot.Encode(io.Discard, model.NewCanvas(), bot.FormatPNG, nil, picture.Options{}); !errors.Is(err, bot.ErrUsage) {
		t.Fatalf("png of an empty canvas: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	if r, err := bot.ParseRect(" 1, -2,3,4"); err != nil || r != (model.Rect{X: 1, Y: -2, W: 3, H: 4}) {
		t.Fatalf("ParseRect: %+v %v", r, err)
	}
	for _, bad := range []string{"1,2,3", "1,2,0,4", "a,b,c,d", "1,2,3,-4"} {
		if _, err := bot.ParseRect(bad); !errors.Is(err, bot.ErrUsage) {
			t.Errorf("ParseRect(%q): %v", bad, err)
		}
	}
	if p, err := bot.ParsePoint("-5,6"); err != nil || p != (model.Point{X: -5, Y: 6}) {
		t.Fatalf("ParsePoint: %+v %v", p, err)
	}
	if _, err := bot.ParsePoint("5"); err == nil {
		t.Fatal("ParsePoint(5) accepted")
	}
	for in, want := range map[string]model.Color{"": 0, "red": model.Indexed(1), "Bright-Blue": model.Indexed(12), "200": model.Indexed(200), "#0a0B0c": model.RGB(10, 11, 12)} {
		if c, err := bot.ParseColor(in); err != nil || c != want {
			t.Errorf("ParseColor(%q) = %v, %v", in, c, err)
		}
	}
	if _, err := bot.ParseColor("mauve"); err == nil {
		t.Error("ParseColor(mauve) accepted")
	}
}
