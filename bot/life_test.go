package bot_test

import (
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
)

func board(t *testing.T, rows ...string) bot.Board {
	t.Helper()
	b, err := bot.ParseBoard(strings.NewReader(strings.Join(rows, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBoardStep(t *testing.T) {
	tests := []struct {
		name string
		wrap bool
		in   []string
		want []string
	}{
		{"lonely cell dies", true, []string{".....", "..O..", "....."}, []string{".....", ".....", "....."}},
		{"two neighbours are not enough to be born", false, []string{"O.O", "...", "..."}, []string{"...", "...", "..."}},
		{"block is still", true, []string{"....", ".OO.", ".OO.", "...."}, []string{"....", ".OO.", ".OO.", "...."}},
		{"blinker turns", true, []string{".....", "..O..", "..O..", "..O..", "....."}, []string{".....", ".....", ".OOO.", ".....", "....."}},
		{"overcrowded centre dies", false, []string{"OOO", "OOO", "..."}, []string{"O.O", "O.O", ".O."}},
		{"beehive is still", true, []string{"......", "..OO..", ".O..O.", "..OO..", "......"}, []string{"......", "..OO..", ".O..O.", "..OO..", "......"}},
		// At the edge: with wrap the blinker is whole across the seam;
		// without, the cells beyond the edge are dead.
		{"blinker across the seam", true, []string{"..O..", ".....", ".....", "..O..", "..O.."}, []string{".....", ".....", ".....", ".....", ".OOO."}},
		{"blinker at a dead edge", false, []string{"..O..", "..O..", "..O..", ".....", "....."}, []string{".....", ".OOO.", ".....", ".....", "....."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := board(t, tt.in...).Step(tt.wrap).String()
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Fatalf("step of\n%s\ngot\n%s\nwant\n%s", strings.Join(tt.in, "\n"), got, want)
			}
		})
	}
}

// TestGliderWrapsAround: after 4·W generations a glider on a W×W torus is
// back where it started, which checks the wrap in both directions.
func TestGliderWrapsAround(t *testing.T) {
	g := board(t, ".O......", "..O.....", "OOO.....", "........", "........", "........", "........", "........")
	b := g
	for range 4 * 8 {
		b = b.Step(true)
	}
	if b.String() != g.String() {
		t.Fatalf("glider after 32 generations:\n%s", b)
	}
}

func TestParseBoard(t *testing.T) {
	b := board(t, "!Name: glider", ".O", "..O", "OOO", "")
	if b.W != 3 || b.H != 3 || b.String() != ".O.\n..O\nOOO" {
		t.Fatalf("got %dx%d\n%s", b.W, b.H, b)
	}
	if _, err := bot.ParseBoard(strings.NewReader("!only a comment\n")); err == nil {
		t.Fatal("empty pattern accepted")
	}
}

// TestLifeRuns plays a blinker for three generations against a real
// authority and checks the room's canvas, as another participant sees it.
func TestLifeRuns(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := observe(t, ctx, a.link("life"))
	// Someone has drawn in the region: the seed replaces it.
	obs.s.Commit([]model.Op{{Kind: model.OpText, X: 10, Y: 5, Text: "zz"}})
	if err := obs.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	pat := board(t, "O", "O", "O")
	region := model.Rect{X: 10, Y: 5, W: 5, H: 5}
	err := bot.Life(ctx, config(a.link("life"), "life"), bot.LifeOptions{
		Region: region, Interval: 1, Pattern: &pat, Generations: 3, Ch: 'O', FG: model.Indexed(2),
	}, bot.IO{})
	if err != nil {
		t.Fatal(err)
	}
	// The observer's commit, the seed, then one per generation.
	eventually(t, ctx, "the observer to see every generation", func() bool { return len(obs.commits()) >= 5 })
	got := model.RenderText(obs.s.Canvas(), region)
	// Odd generations are horizontal.
	if want := "\n\n OOO\n\n"; got != want {
		t.Fatalf("after 3 generations:\n%q\nwant\n%q", got, want)
	}
	if c := obs.s.Get(11, 7); c.FG != model.Indexed(2) {
		t.Fatalf("living cell %+v: want the bot's colour", c)
	}
	// One commit for the seed, then one per generation.
	bots := 0
	for _, c := range obs.commits() {
		if c.Name == "life" {
			bots++
		}
	}
	if bots != 4 {
		t.Fatalf("%d commits from the bot, want 4 (seed + 3 generations)", bots)
	}
}

func TestLifeRefusesBadRegions(t *testing.T) {
	ctx := testCtx(t)
	for _, r := range []model.Rect{{}, {W: 1000, H: 1000}} {
		if err := bot.Life(ctx, bot.Config{Link: "http://127.0.0.1:1/r/x"}, bot.LifeOptions{Region: r}, bot.IO{}); err == nil {
			t.Fatalf("region %+v accepted", r)
		}
	}
}
