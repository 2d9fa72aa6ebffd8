package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// drawKnownCanvas commits, in three commits, a red full block at 0,0,
// green "hello" on blue at 2,0, then "bye" at 0,2 and the erasure of "o".
// The room's text is then "█ hell\n\nbye".
func drawKnownCanvas(t *testing.T, link string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := rawclient.Join(ctx, link, wire.Hello{Client: "art", Name: "artist"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.WS.CloseNow()
	for i, ops := range [][]model.Op{
		{{Kind: model.OpText, X: 0, Y: 0, Text: "█", FG: model.Indexed(9)},
			{Kind: model.OpText, X: 2, Y: 0, Text: "hello", FG: model.RGB(0, 0xc0, 0), BG: model.Indexed(4)}},
		{{Kind: model.OpText, X: 0, Y: 2, Text: "bye"}},
		{{Kind: model.OpSet, Cells: []model.CellAt{{X: 6, Y: 0}}}},
	} {
		f, err := c.Commit(ctx, "art-"+strconv.Itoa(i+1), ops...)
		if err != nil || f.T != wire.TCommitted {
			t.Fatalf("commit %d: %s %v", i+1, f.Raw, err)
		}
	}
}

func runTC(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcanvas %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestExportPNGAndSVG: the PNG of a known canvas has the layout's size
// (10x20 pixels a cell at the default 16 px, a margin of one cell width)
// and a coloured cell's colour; --region crops; the SVG is XML with the
// text in it.
func TestExportPNGAndSVG(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/pic"
	drawKnownCanvas(t, link)
	dir := t.TempDir()

	pngPath := filepath.Join(dir, "room.png")
	runTC(t, "export", link, "-o", pngPath) // the format from the extension
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The drawing spans 6x3 cells ("o" was erased): 60+20 by 60+20 pixels.
	if b := img.Bounds(); b.Dx() != 80 || b.Dy() != 80 {
		t.Fatalf("PNG is %dx%d, want 80x80", b.Dx(), b.Dy())
	}
	at := func(x, y int) color.RGBA { return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) }
	if got := at(10+5, 10+10); got != (color.RGBA{0xff, 0, 0, 0xff}) { // the middle of the red block
		t.Fatalf("red block cell: %v", got)
	}
	if got := at(10+2*10+1, 10+1); got != (color.RGBA{0, 0, 0x80, 0xff}) { // a corner of "h": its blue background
		t.Fatalf("blue background: %v", got)
	}
	green := 0
	for y := 10; y < 30; y++ {
		for x := 30; x < 40; x++ {
			if c := at(x, y); c.G > 0x80 && c.R < 0x40 && c.B < 0x90 {
				green++
			}
		}
	}
	if green < 10 {
		t.Fatalf("the green h has %d green pixels", green)
	}

	out := runTC(t, "export", link, "--format", "png", "--region", "0,0,2,1")
	img, err = png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 40 {
		t.Fatalf("PNG of a 2x1 region is %v", b)
	}

	svg := runTC(t, "export", link, "--format", "svg")
	var texts []string
	dec := xml.NewDecoder(bytes.NewReader(svg))
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not XML: %v\n%s", err, svg)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			in = e.Name.Local == "text"
		case xml.CharData:
			if in {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			in = false
		}
	}
	if got := strings.Join(texts, "|"); got != "hell|bye" {
		t.Fatalf("SVG text %q", got)
	}
}

// screen is a minimal terminal for reading a replay: cursor moves (CUP),
// clears (2J, 2K) and text; other sequences are ignored.
type screen struct {
	w, h, row, col int
	cells          [][]rune
}

func newScreen(w, h int) *screen {
	s := &screen{w: w, h: h}
	s.clear()
	return s
}

func (s *screen) clear() {
	s.cells = make([][]rune, s.h)
	for i := range s.cells {
		s.cells[i] = []rune(strings.Repeat(" ", s.w))
	}
}

func (s *screen) write(data string) {
	rs := []rune(data)
	for i := 0; i < len(rs); i++ {
		if rs[i] != 0x1b {
			if s.row < s.h && s.col < s.w {
				s.cells[s.row][s.col] = rs[i]
			}
			s.col++
			continue
		}
		j := i + 2
		for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
			j++
		}
		switch p := string(rs[i+2 : j]); rs[j] {
		case 'H':
			s.row, s.col = 0, 0
			if rc := strings.Split(p, ";"); len(rc) == 2 {
				r, _ := strconv.Atoi(rc[0])
				c, _ := strconv.Atoi(rc[1])
				s.row, s.col = r-1, c-1
			}
		case 'J':
			s.clear()
		case 'K':
			s.cells[s.row] = []rune(strings.Repeat(" ", s.w))
		}
		i = j
	}
}

func (s *screen) text(rows int) string {
	var out []string
	for _, r := range s.cells[:rows] {
		out = append(out, strings.TrimRight(string(r), " "))
	}
	return strings.Join(out, "\n")
}

// TestReplayCast: `tcanvas replay -o` writes an asciicast v2 file whose
// events, played into a terminal, end on the room's canvas, and whose last
// event alone shows it; `tcanvas replay` plays the same in a terminal.
func TestReplayCast(t *testing.T) {
	srv := startServerProc(t, t.TempDir(), "--open")
	link := srv.base + "/r/cast"
	drawKnownCanvas(t, link)
	want := strings.TrimRight(exportRoom(t, link), "\n")
	if want != "█ hell\n\nbye" {
		t.Fatalf("the room holds %q", want)
	}
	path := filepath.Join(t.TempDir(), "room.cast")
	runTC(t, "replay", link, "-o", path, "--speed", "10")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	sc.Scan()
	var hdr struct {
		Version int    `json:"version"`
		Width   int    `json:"width"`
		Height  int    `json:"height"`
		Title   string `json:"title"`
	}
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil || hdr.Version != 2 {
		t.Fatalf("header %q: %v", sc.Text(), err)
	}
	if hdr.Width < 7 || hdr.Height != 4 || hdr.Title != "tcanvas room cast" {
		t.Fatalf("header %q", sc.Text())
	}
	var events []string
	last := -1.0
	for sc.Scan() {
		var ev []any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 || ev[1] != "o" {
			t.Fatalf("not an asciicast v2 event: %q", sc.Text())
		}
		at, ok1 := ev[0].(float64)
		data, ok2 := ev[2].(string)
		if !ok1 || !ok2 || at < last {
			t.Fatalf("event %q", sc.Text())
		}
		last = at
		events = append(events, data)
	}
	if len(events) != 5 { // the first frame, three commits, the last frame
		t.Fatalf("%d events", len(events))
	}
	all := newScreen(hdr.Width, hdr.Height)
	for _, e := range events {
		all.write(e)
	}
	end := newScreen(hdr.Width, hdr.Height)
	end.write(events[len(events)-1])
	if got := all.text(3); got != want {
		t.Fatalf("the whole cast ends on\n%s\nwant\n%s", got, want)
	}
	if got := end.text(3); got != want {
		t.Fatalf("the last frame alone shows\n%s\nwant\n%s", got, want)
	}

	// Played in a terminal, fast.
	x := newTmux(t)
	x.start("r", 80, 24, nil, binary, "replay", link, "--speed", "20")
	s := x.waitText("r", "#3, the end")
	if got := rows(s, 0, 2); got != want {
		t.Fatalf("the terminal shows\n%s", s)
	}
	x.waitText("r", "[exited 0]")
}
