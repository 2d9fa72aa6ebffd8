package ui

import (
	"time"

	"github.com/tcanvas/tcanvas/model"
)

// Tool is a drawing tool. Its value is also what the presence packet's Tool
// field carries, so peers can show what someone is holding.
type Tool uint8

// Tools, in toolbar order (digits 1-9 select them).
const (
	ToolPen Tool = 1 + iota
	ToolLine
	ToolRect
	ToolBox
	ToolText
	ToolErase
	ToolFill
	ToolSelect
	ToolPick
	toolCount = iota
)

var toolNames = [...]string{"", "pen", "line", "rect", "box", "text", "erase", "fill", "select", "pick"}

func (t Tool) String() string {
	if int(t) < len(toolNames) {
		return toolNames[t]
	}
	return "?"
}

// draws reports whether using the tool changes the canvas (a viewer may
// still select and pick).
func (t Tool) draws() bool { return t != ToolSelect && t != ToolPick }

var arrowLabels = map[model.Arrows]string{model.ArrowEnd: " ─▶", model.ArrowBoth: " ◀─▶", model.ArrowStart: " ◀─"}

var boxStyleNames = [...]string{model.BoxSingle: "single", model.BoxDouble: "double", model.BoxHeavy: "heavy", model.BoxRounded: "rounded"}

// setTool switches tools. Choosing the current tool again cycles its
// variant: the box style, or rectangle outline/filled.
func (m *Model) setTool(t Tool) {
	if m.readOnly() && t.draws() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	m.cancelStroke()
	if m.text != nil {
		m.finishText()
	}
	if t == m.tool {
		switch t {
		case ToolBox:
			m.boxStyle = (m.boxStyle + 1) % 4
		case ToolLine:
			// The box styles, then a straight line of the brush at any
			// angle, then back.
			switch {
			case m.lineBrush:
				m.lineBrush, m.boxStyle = false, model.BoxSingle
			case m.boxStyle == model.BoxRounded:
				m.lineBrush = true
			default:
				m.boxStyle++
			}
		case ToolRect:
			m.rectFilled = !m.rectFilled
		}
		return
	}
	if t == ToolPick {
		m.prevTool = m.tool
	}
	if t != ToolSelect {
		m.sel = model.Rect{}
	}
	m.tool = t
}

// toolLabel names the tool with its variant for the status bar.
func (m *Model) toolLabel() string {
	switch m.tool {
	case ToolBox:
		return "box " + boxStyleNames[m.boxStyle]
	case ToolLine:
		if m.lineBrush {
			return "line brush"
		}
		return "line " + boxStyleNames[m.boxStyle] + arrowLabels[m.arrows]
	case ToolRect:
		if m.rectFilled {
			return "rect filled"
		}
	case ToolText:
		if m.text != nil {
			return "text typing"
		}
	}
	return m.tool.String()
}
