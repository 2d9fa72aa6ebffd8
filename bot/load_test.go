package bot_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/bot"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/session"
)

// TestLoadReports runs a small load to completion by commit count (not by
// time) and checks the report accounts for every commit.
func TestLoadReports(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	var out, log bytes.Buffer
	rep, err := bot.Load(ctx, config(a.link("load"), "ld"), bot.LoadOptions{
		Sessions: 4, Commits: 5, CommitRate: 200, MoveRate: 200, Region: model.Rect{X: 10, Y: 10, W: 20, H: 5}, JSON: true,
	}, bot.IO{Out: &out, Err: &log})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sessions != 4 || rep.Commits != 20 || rep.Acknowledged != 20 || rep.Unacknowledged != 0 || rep.Errors != 0 || rep.Latency.N != 20 {
		t.Fatalf("report: %+v\n%s", rep, log.String())
	}
	if rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 || rep.Latency.P99 > rep.Latency.Max {
		t.Fatalf("latency percentiles out of order: %+v", rep.Latency)
	}
	var decoded bot.LoadReport
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil || decoded.Acknowledged != 20 {
		t.Fatalf("JSON report %q: %v", out.String(), err)
	}
	for _, want := range []string{"load: running", "load: stopping"} {
		if !strings.Contains(log.String(), want) {
			t.Fatalf("progress lacks %q:\n%s", want, log.String())
		}
	}
	// Every commit landed inside the region.
	obs := observe(t, ctx, a.link("load"))
	if n := obs.s.Info().Seq; n != 20 {
		t.Fatalf("room at seq %d, want 20", n)
	}
	if r, _ := obs.s.Canvas().Bounds(); r.Intersect(model.Rect{X: 10, Y: 10, W: 20, H: 5}) != r {
		t.Fatalf("drawing at %+v, outside the region", r)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil || !strings.Contains(table.String(), "commit latency") {
		t.Fatalf("table: %q %v", table.String(), err)
	}
}

// TestLoadNeedsWriteAccess: in a closed room the participants are viewers,
// and the load says so instead of reporting errors.
func TestLoadNeedsWriteAccess(t *testing.T) {
	a := newAuthority(t, authority.Options{})
	ctx := testCtx(t)
	observe(t, ctx, a.link("closed"))
	_, err := bot.Load(ctx, config(a.link("closed"), "ld"), bot.LoadOptions{Sessions: 2, Commits: 1}, bot.IO{})
	if !errors.Is(err, session.ErrReadOnly) {
		t.Fatalf("load in a closed room: %v", err)
	}
}
