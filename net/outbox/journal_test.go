package outbox

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

func draw(id string, x int32) Entry {
	return Entry{ID: id, Kind: wire.KindDraw, Ops: []model.Op{{Kind: model.OpText, X: x, Text: "hi"}}}
}

func open(t testing.TB, dir string) *Journal {
	t.Helper()
	j, err := Open(dir, "http://127.0.0.1:7777", "room", nil)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestJournalKeepsWhatIsUnanswered: commits added and not settled come
// back, in order and with the same client ID and counter, after the
// journal is closed (or its process dies) and opened again; settled ones
// do not.
func TestJournalKeepsWhatIsUnanswered(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir)
	client := j.ClientID()
	for i, id := range []string{"-1", "-2", "-3"} {
		if err := j.Add(draw(client+id, int32(i)), uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	j.Settle(client+"-2", 7)
	undo := Entry{ID: client + "-4", Kind: wire.KindUndo, Target: client + "-1"}
	if err := j.Add(undo, 4); err != nil {
		t.Fatal(err)
	}
	j.Settle(client+"-1", 9) // the undo's target lands after the undo was made
	// No Close: a crashed process never compacts.
	j.f.Close()
	j.lock.Close()

	j2 := open(t, dir)
	defer j2.Close()
	if j2.ClientID() != client || j2.Counter() != 4 {
		t.Fatalf("reopened as client %q counter %d, want %q 4", j2.ClientID(), j2.Counter(), client)
	}
	undo.TargetSeq = 9
	want := []Entry{draw(client+"-3", 2), undo}
	if got := j2.Pending(); !reflect.DeepEqual(got, want) {
		t.Fatalf("pending after reopening:\n%+v\nwant\n%+v", got, want)
	}
}

// TestJournalFilesArePrivate: the directory is 0700 and the journal 0600.
func TestJournalFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "outbox")
	j := open(t, dir)
	defer j.Close()
	if err := j.Add(draw(j.ClientID()+"-1", 0), 1); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v %v, want 0700", fi.Mode(), err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("no files")
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want 0600", f, fi.Mode(), err)
		}
	}
}

// TestJournalTornTail: a journal cut anywhere inside its last record (a
// crash mid-append), or with garbage after it, opens with the records
// before it, logs the damage, and takes new records after it.
func TestJournalTornTail(t *testing.T) {
	src := t.TempDir()
	j := open(t, src)
	client := j.ClientID()
	j.Add(draw(client+"-1", 0), 1)
	j.Add(draw(client+"-2", 1), 2)
	path := j.path
	j.f.Close()
	j.lock.Close()
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, whole, _ := Decode(full)
	last, _ := appendRecord(nil, record{K: kCommit, Counter: 2, Entry: &Entry{ID: client + "-2", Kind: wire.KindDraw, Ops: draw("", 1).Ops}})
	cut := whole - len(last)
	cases := map[string][]byte{"garbage": append(bytes.Clone(full), "\x00\x00\x00\x05junk!"...)}
	for n := cut + 1; n < whole; n += 7 {
		cases["cut"+string(rune('a'+n%26))] = full[:n]
	}
	for name, b := range cases {
		dir := t.TempDir()
		var logs bytes.Buffer
		j, err := Open(dir, "http://127.0.0.1:7777", "room", slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		p := j.path
		j.Close()
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		j, err = Open(dir, "http://127.0.0.1:7777", "room", slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := 1
		if name == "garbage" {
			want = 2
		}
		if got := j.Pending(); len(got) != want || got[0].ID != client+"-1" {
			t.Fatalf("%s: pending %+v", name, got)
		}
		if !strings.Contains(logs.String(), "damaged tail") {
			t.Fatalf("%s: the damage was not logged: %q", name, logs.String())
		}
		if err := j.Add(draw(client+"-3", 3), 3); err != nil {
			t.Fatal(err)
		}
		j.Close()
		j = open(t, dir)
		if got := j.Pending(); len(got) != want+1 {
			t.Fatalf("%s: after a new add: %+v", name, got)
		}
		j.Close()
	}
}

// TestJournalOnePerCanvas: a second canvas on the same room gets a
// journal of its own, with its own identity; once the first is closed, the
// next one opened takes the first's again.
func TestJournalOnePerCanvas(t *testing.T) {
	dir := t.TempDir()
	a, b := open(t, dir), open(t, dir)
	if a.ClientID() == b.ClientID() {
		t.Fatal("two open journals share a client ID")
	}
	id := a.ClientID()
	a.Close()
	c := open(t, dir)
	defer c.Close()
	defer b.Close()
	if c.ClientID() != id {
		t.Fatalf("reopened journal has client %q, want %q", c.ClientID(), id)
	}
	other, err := Open(dir, "http://127.0.0.1:7777", "other", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.ClientID() == id || other.ClientID() == b.ClientID() {
		t.Fatal("another room shares a journal")
	}
}

// TestJournalCompacts: a journal whose every commit was answered shrinks
// back to its header, keeping the counter.
func TestJournalCompacts(t *testing.T) {
	dir := t.TempDir()
	j := open(t, dir)
	big := strings.Repeat("x", 60000)
	for i := range 40 {
		id := j.ClientID() + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		e := Entry{ID: id, Kind: wire.KindDraw, Ops: []model.Op{{Kind: model.OpText, Text: big}}}
		if err := j.Add(e, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		j.Settle(id, uint64(i+1))
	}
	fi, err := os.Stat(j.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > compactAbove {
		t.Fatalf("journal is %d bytes with nothing pending", fi.Size())
	}
	j.Close()
	j = open(t, dir)
	defer j.Close()
	if j.Counter() != 40 || j.Len() != 0 {
		t.Fatalf("after compaction: counter %d, %d pending", j.Counter(), j.Len())
	}
}
