package bot_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestPipeCommands feeds a script with good and bad lines and checks every
// answer: bad lines get an error naming their line, the bot keeps going,
// "synced" comes after the committed events of every earlier command, and
// the room ends up as drawn.
func TestPipeCommands(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	script := []string{
		`{"cmd":"text","x":0,"y":0,"text":"hello","fg":"#ff0000","req":"t1"}`,
		`not json`,
		`{"cmd":"paint"}`,
		`{"cmd":"text","x":0,"y":1,"text":"x","colour":"red"}`,
		`{"cmd":"text","x":0,"y":1,"text":"世界"}`,
		``,
		`{"cmd":"cells","cells":[{"x":0,"y":2,"ch":"#","fg":"#00ff00"},{"x":1,"y":2,"ch":"─"}],"merge":true}`,
		`{"cmd":"rect","x":0,"y":3,"w":3,"h":2,"ch":"="}`,
		`{"cmd":"undo"}`,
		`{"cmd":"redo"}`,
		`{"cmd":"redo"}`,
		`{"cmd":"ops","ops":[{"op":"text","x":5,"y":0,"text":"!"}]}`,
		`{"cmd":"cursor","x":3,"y":4}`,
		`{"cmd":"sync","req":"s"}`,
		`{"cmd":"export","x":0,"y":0,"w":6,"h":5}`,
		`{"cmd":"rect","x":0,"y":0,"w":0,"h":1}`,
		`{"cmd"`,
		`{"x":1}`,
		"{\"cmd\":\"text\",\"x\":0,\"y\":9,\"text\":\"a\xffb\"}",
		`{"cmd":"text","x":0,"y":9,"text":"a\udc00b"}`,
	}
	out := &lines{t: t}
	err := bot.Pipe(ctx, config(a.link("pipe"), "piper"), bot.PipeOptions{}, bot.IO{In: strings.NewReader(strings.Join(script, "\n")), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	evs := out.all()
	if len(evs) == 0 || evs[0]["event"] != "welcome" {
		t.Fatalf("first event is not welcome: %v", out.raw)
	}
	wantErrors := map[float64]string{2: "bad_json", 3: "unknown_command", 4: "bad_command",
		11: "nothing_to_undo", 16: "invalid", 17: "bad_json", 18: "bad_command", 19: "bad_json", 20: "bad_json"}
	for _, e := range out.find("error") {
		line, _ := e["line"].(float64)
		if wantErrors[line] != e["code"] {
			t.Errorf("unexpected error event %v", e)
		}
		delete(wantErrors, line)
	}
	for line, code := range wantErrors {
		t.Errorf("no %s error for line %v", code, line)
	}

	queued := out.find("queued")
	if len(queued) != 1 || queued[0]["req"] != "t1" {
		t.Fatalf("queued events: %v", queued)
	}
	own, syncedAt := 0, -1
	for i, e := range evs {
		switch {
		case e["event"] == "committed" && e["own"] == true:
			own++
			if syncedAt >= 0 {
				t.Errorf("committed event %v after the synced answer", e)
			}
			if own == 1 && e["id"] != queued[0]["id"] {
				t.Errorf("first commit id %v, queued said %v", e["id"], queued[0]["id"])
			}
		case e["event"] == "synced" && e["req"] == "s":
			syncedAt = i
		}
	}
	if own != 7 || syncedAt < 0 {
		t.Fatalf("%d own committed events (want 7), synced at %d:\n%s", own, syncedAt, strings.Join(out.raw, "\n"))
	}
	exp := out.find("export")
	if len(exp) != 1 || exp[0]["text"] != "hello!\n世界\n#─\n===\n===\n" {
		t.Fatalf("export: %v", exp)
	}
	final := out.find("synced")
	if last := final[len(final)-1]; last["req"] != nil || last["pending"] != 0.0 || last["seq"] != 7.0 {
		t.Fatalf("the end of input did not sync: %v", last)
	}

	obs := observe(t, ctx, a.link("pipe"))
	if got := model.RenderText(obs.s.Canvas(), model.Rect{W: 6, H: 5}); got != "hello!\n世界\n#─\n===\n===" {
		t.Fatalf("room canvas:\n%s", got)
	}
	if c := obs.s.Get(0, 0); c.FG != model.RGB(255, 0, 0) {
		t.Fatalf("colour: %+v", c)
	}
}

// TestPipeViewer: a pipe that may not draw says so for every drawing
// command and goes on.
func TestPipeViewer(t *testing.T) {
	a := newAuthority(t, authority.Options{})
	ctx := testCtx(t)
	observe(t, ctx, a.link("closed")) // the owner
	out := &lines{t: t}
	in := `{"cmd":"text","x":0,"y":0,"text":"no"}` + "\n" + `{"cmd":"undo"}` + "\n" + `{"cmd":"sync"}` + "\n"
	if err := bot.Pipe(ctx, config(a.link("closed"), "viewer"), bot.PipeOptions{}, bot.IO{In: strings.NewReader(in), Out: out}); err != nil {
		t.Fatal(err)
	}
	errs := out.find("error")
	if len(errs) != 2 || errs[0]["code"] != "read_only" || errs[0]["line"] != 1.0 || errs[1]["code"] != "read_only" {
		t.Fatalf("errors: %v", errs)
	}
	if len(out.find("synced")) != 2 {
		t.Fatalf("want a synced answer and the final one: %v", out.raw)
	}
}

// TestPipeSeesPeers: roster and presence events of another participant.
func TestPipeSeesPeers(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	in, w := io.Pipe()
	out := &lines{t: t}
	errc := make(chan error, 1)
	go func() {
		errc <- bot.Pipe(ctx, config(a.link("peers"), "watcher"), bot.PipeOptions{}, bot.IO{In: in, Out: out})
	}()
	eventually(t, ctx, "welcome", func() bool { return len(out.find("welcome")) > 0 })
	obs := observe(t, ctx, a.link("peers"))
	obs.s.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: 7, Y: -3}})
	eventually(t, ctx, "a presence event", func() bool { return len(out.find("presence")) > 0 })
	p := out.find("presence")[0]
	if cur, _ := p["cursor"].(map[string]any); cur["x"] != 7.0 || cur["y"] != -3.0 || p["peer"] != float64(obs.s.Info().You) {
		t.Fatalf("presence %v", p)
	}
	found := false
	for _, r := range out.find("roster") {
		for _, pr := range r["peers"].([]any) {
			pm := pr.(map[string]any)
			found = found || pm["name"] == "observer" && pm["route"] != "" && pm["route"] != nil && pm["rtt_ms"] != nil
		}
	}
	if !found {
		t.Fatalf("no roster event lists the observer with route and rtt: %v", out.find("roster"))
	}
	w.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestPipeRefusesOversizedLines: a line or a commit too large for the
// authority is an error event, not the end of the session.
func TestPipeRefusesOversizedLines(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	var cells []string
	for i := range 40000 {
		cells = append(cells, fmt.Sprintf(`{"x":%d,"y":%d,"ch":"#","fg":"#123456"}`, i%200, i/200))
	}
	in := strings.Join([]string{
		`{"cmd":"text","text":"` + strings.Repeat("a", 5<<20) + `"}`,
		`{"cmd":"cells","cells":[` + strings.Join(cells, ",") + `]}`,
		`{"cmd":"text","x":0,"y":0,"text":"still here"}`,
	}, "\n")
	out := &lines{t: t}
	if err := bot.Pipe(ctx, config(a.link("big"), "big"), bot.PipeOptions{}, bot.IO{In: strings.NewReader(in), Out: out}); err != nil {
		t.Fatal(err)
	}
	errs := out.find("error")
	if len(errs) != 2 || errs[0]["line"] != 1.0 || errs[0]["code"] != "too_large" || errs[1]["line"] != 2.0 || errs[1]["code"] != "too_large" {
		t.Fatalf("errors: %v", errs)
	}
	if s := out.find("synced"); len(s) != 1 || s[0]["seq"] != 1.0 {
		t.Fatalf("the last line did not land: %v", s)
	}
}

// TestPipeStopsWithContext: a pipe whose input is still open returns nil
// when its context ends, without waiting for another line.
func TestPipeStopsWithContext(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx, cancel := context.WithCancel(testCtx(t))
	in, w := io.Pipe()
	defer w.Close() // releases the reader goroutine, which Pipe leaves blocked
	out := &lines{t: t}
	errc := make(chan error, 1)
	go func() {
		errc <- bot.Pipe(ctx, config(a.link("stop"), "stopper"), bot.PipeOptions{}, bot.IO{In: in, Out: out})
	}()
	io.WriteString(w, `{"cmd":"text","text":"x"}`+"\n"+`{"cmd":"sync"}`+"\n")
	eventually(t, testCtx(t), "the sync answer", func() bool { return len(out.find("synced")) > 0 })
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Pipe after cancel: %v", err)
	}
}
