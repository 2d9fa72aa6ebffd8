package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
)

func defaultModel() *Model { return &Model{tool: ToolPen, prevTool: ToolPen, brush: '#'} }

func TestPrefsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tcanvas", "prefs.json")
	m := defaultModel()
	m.tool, m.brush, m.fg, m.bg = ToolLine, 'é', model.Indexed(203), model.RGB(1, 2, 3)
	m.boxStyle, m.rectFilled, m.lineBrush, m.arrows = model.BoxRounded, true, false, model.ArrowBoth
	if err := savePrefs(path, m.prefs()); err != nil {
		t.Fatal(err)
	}
	n := defaultModel()
	if problem := n.loadPrefs(path); problem != "" {
		t.Fatal(problem)
	}
	if n.prefs() != m.prefs() {
		t.Fatalf("loaded %+v, saved %+v", n.prefs(), m.prefs())
	}
	// Pick is a moment: the tool before it is what is kept.
	m.prevTool, m.tool = ToolBox, ToolPick
	if got := m.prefs().Tool; got != "box" {
		t.Fatalf("saved tool %q while picking", got)
	}
}

func TestPrefsMissingFileIsDefaults(t *testing.T) {
	m := defaultModel()
	if problem := m.loadPrefs(filepath.Join(t.TempDir(), "none.json")); problem != "" || m.prefs() != defaultModel().prefs() {
		t.Fatalf("problem %q, prefs %+v", problem, m.prefs())
	}
}

// TestPrefsBadFile: a file that is not JSON is reported, moved aside
// intact (nothing lost) and replaced by the defaults; bad values in a good
// file are named and only they are ignored.
func TestPrefsBadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prefs.json")
	junk := []byte("{\"tool\": \"line\",,, oops")
	if err := os.WriteFile(path, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	m := defaultModel()
	problem := m.loadPrefs(path)
	if !strings.Contains(problem, path) || !strings.Contains(problem, "using defaults") || !strings.Contains(problem, path+".bad") {
		t.Fatalf("problem %q", problem)
	}
	if kept, err := os.ReadFile(path + ".bad"); err != nil || string(kept) != string(junk) {
		t.Fatalf("the bad file was not kept: %q %v", kept, err)
	}
	if m.prefs() != defaultModel().prefs() || m.prefsFile != "" && m.prefsFile != path {
		t.Fatalf("prefs %+v", m.prefs())
	}

	if err := os.WriteFile(path, []byte(`{"tool":"hammer","brush":"ab","box_style":"heavy","arrows":"sideways","fg":"9"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m = defaultModel()
	problem = m.loadPrefs(path)
	for _, w := range []string{`tool "hammer"`, `brush "ab"`, `arrows "sideways"`} {
		if !strings.Contains(problem, w) {
			t.Errorf("problem %q does not name %s", problem, w)
		}
	}
	if m.boxStyle != model.BoxHeavy || m.fg != model.Indexed(9) || m.tool != ToolPen || m.brush != '#' {
		t.Fatalf("the good values were not applied: %+v", m.prefs())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("a file with bad values is kept in place: %v", err)
	}
}

// FuzzPrefs: whatever a preferences file holds, loading it never panics,
// leaves the model with values it can save, and what it saves loads back
// to the same preferences.
func FuzzPrefs(f *testing.F) {
	f.Add([]byte(`{"tool":"line","brush":"é","fg":"203","bg":"#010203","box_style":"rounded","arrows":"both"}`))
	f.Add([]byte(`{"tool":"hammer","brush":"ab","arrows":"up"}`))
	f.Add([]byte(`{"fg":"zzz"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := defaultModel()
		if _, err := m.applyPrefs(b); err != nil {
			if m.prefs() != defaultModel().prefs() {
				t.Fatalf("an unreadable file changed the preferences: %+v", m.prefs())
			}
			return
		}
		saved, err := json.Marshal(m.prefs())
		if err != nil {
			t.Fatalf("loaded preferences do not save: %v", err)
		}
		n := defaultModel()
		if problem, err := n.applyPrefs(saved); err != nil || problem != "" || n.prefs() != m.prefs() {
			t.Fatalf("saved %s, loaded %+v (%q, %v)", saved, n.prefs(), problem, err)
		}
	})
}
