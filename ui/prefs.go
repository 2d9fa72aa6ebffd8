package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tcanvas/tcanvas/model"
)

// Preferences: the tool and its settings, kept from one start to the next
// in the user's config directory. They are read when the canvas opens and
// written when it closes; a file that cannot be read is moved aside (so
// nothing in it is lost), reported, and replaced by the defaults.

// prefs is the file's shape. Names, not numbers, so that people can edit
// it; a field left out keeps its default.
type prefs struct {
	Tool       string      `json:"tool,omitempty"`
	Brush      string      `json:"brush,omitempty"`
	FG         model.Color `json:"fg"`
	BG         model.Color `json:"bg"`
	BoxStyle   string      `json:"box_style,omitempty"`
	RectFilled bool        `json:"rect_filled,omitempty"`
	LineBrush  bool        `json:"line_brush,omitempty"`
	Arrows     string      `json:"arrows,omitempty"`
}

// maxPrefsBytes bounds what is read: a preferences file is tiny, and a
// wrong path must not read a disk image into memory.
const maxPrefsBytes = 64 << 10

var arrowWords = map[model.Arrows]string{0: "none", model.ArrowEnd: "end", model.ArrowStart: "start", model.ArrowBoth: "both"}

// PrefsPath is where the preferences are kept: tcanvas/prefs.json in the
// user's config directory ($XDG_CONFIG_HOME, else ~/.config, on Linux).
func PrefsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tcanvas", "prefs.json"), nil
}

// prefs returns the model's current preferences.
func (m *Model) prefs() prefs {
	tool := m.tool
	if tool == ToolPick {
		tool = m.prevTool // pick is a moment, not a tool to come back to
	}
	return prefs{
		Tool: tool.String(), Brush: string(m.brush), FG: m.fg, BG: m.bg,
		BoxStyle: boxStyleNames[m.boxStyle], RectFilled: m.rectFilled,
		LineBrush: m.lineBrush, Arrows: arrowWords[m.arrows],
	}
}

// loadPrefs applies the preferences in path. A missing file is the
// defaults and no problem; anything else wrong is described in the returned
// problem, and whatever could be read is applied.
func (m *Model) loadPrefs(path string) (problem string) {
	b, err := readLimited(path, maxPrefsBytes)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err == nil {
		var problem string
		if problem, err = m.applyPrefs(b); err == nil {
			if problem != "" {
				return fmt.Sprintf("preferences %s: %s", path, problem)
			}
			return ""
		}
	}
	// Keep the file for its owner to look at; the next save would
	// otherwise overwrite it.
	bad := path + ".bad"
	if rerr := os.Rename(path, bad); rerr != nil {
		m.prefsFile = "" // saving would overwrite it
		return fmt.Sprintf("preferences %s unreadable (%v), using defaults; it could not be moved aside (%v), so they will not be saved", path, err, rerr)
	}
	return fmt.Sprintf("preferences %s unreadable (%v): using defaults, the file is kept as %s", path, err, bad)
}

// applyPrefs applies the preferences file b. An error means b is not a
// preferences file at all and nothing was applied; otherwise every good
// value is applied and problem names the values ignored.
func (m *Model) applyPrefs(b []byte) (problem string, err error) {
	var p prefs
	if err := json.Unmarshal(b, &p); err != nil {
		return "", err
	}
	var bad []string
	if p.Tool != "" {
		if t := toolNamed(p.Tool); t != 0 && t != ToolPick {
			m.tool, m.prevTool = t, t
		} else {
			bad = append(bad, fmt.Sprintf("tool %q", p.Tool))
		}
	}
	if p.Brush != "" {
		if r := []rune(p.Brush); len(r) == 1 && model.ValidateRune(r[0]) == nil {
			m.brush = r[0]
		} else {
			bad = append(bad, fmt.Sprintf("brush %q", p.Brush))
		}
	}
	m.fg, m.bg = p.FG, p.BG // ParseColor checked them
	if p.BoxStyle != "" {
		if s, ok := boxStyleNamed(p.BoxStyle); ok {
			m.boxStyle = s
		} else {
			bad = append(bad, fmt.Sprintf("box_style %q", p.BoxStyle))
		}
	}
	m.rectFilled, m.lineBrush = p.RectFilled, p.LineBrush
	if p.Arrows != "" {
		found := false
		for a, w := range arrowWords {
			if w == p.Arrows {
				m.arrows, found = a, true
			}
		}
		if !found {
			bad = append(bad, fmt.Sprintf("arrows %q", p.Arrows))
		}
	}
	if len(bad) > 0 {
		return "ignored " + strings.Join(bad, ", ") + " (defaults used there)", nil
	}
	return "", nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("more than %d bytes", limit)
	}
	return b, err
}

// savePrefs writes p to path atomically: a crash mid-write leaves the old
// file, never half of a new one.
func savePrefs(path string, p prefs) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".prefs-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func toolNamed(s string) Tool {
	for i, n := range toolNames {
		if i > 0 && n == s {
			return Tool(i)
		}
	}
	return 0
}

func boxStyleNamed(s string) (model.BoxStyle, bool) {
	for i, n := range boxStyleNames {
		if n == s {
			return model.BoxStyle(i), true
		}
	}
	return 0, false
}
