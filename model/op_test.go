package model

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestCellAtJSON(t *testing.T) {
	tests := []struct {
		c    CellAt
		json string
	}{
		{CellAt{1, 2, Cell{'#', RGB(255, 0, 0), 0, Bold}}, `{"x":1,"y":2,"ch":"#","fg":"#ff0000","attr":1}`},
		{CellAt{-3, 0, Cell{}}, `{"x":-3,"y":0,"ch":""}`},
		{CellAt{0, 0, Cell{'"', 0, Indexed(4), 0}}, `{"x":0,"y":0,"ch":"\"","bg":"4"}`},
		{CellAt{0, 0, Cell{'─', 0, 0, 0}}, `{"x":0,"y":0,"ch":"─"}`},
		{CellAt{0, 0, Cell{'<', 0, 0, 0}}, `{"x":0,"y":0,"ch":"\u003c"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.c)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.c, b, err, tt.json)
		}
		var got CellAt
		if err := json.Unmarshal(b, &got); err != nil || got != tt.c {
			t.Errorf("Unmarshal(%s) = %v, %v", b, got, err)
		}
	}
	// The example from the protocol, with explicit empty fields.
	var got CellAt
	if err := json.Unmarshal([]byte(`{"x":1,"y":2,"ch":"#","fg":"#ff0000","bg":"","attr":1}`), &got); err != nil ||
		got != (CellAt{1, 2, Cell{'#', RGB(255, 0, 0), 0, Bold}}) {
		t.Errorf("protocol example = %v, %v", got, err)
	}
	// Omitted fields are zero.
	if err := json.Unmarshal([]byte(`{"y":9}`), &got); err != nil || got != (CellAt{0, 9, Cell{}}) {
		t.Errorf("sparse object = %v, %v", got, err)
	}
	for _, bad := range []string{`{"ch":"ab"}`, `{"ch":"\u0000"}`, `{"fg":"nope"}`, `{"attr":256}`, `{"x":1e10}`, `{"ch":"e\u0301"}`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) succeeded: %v", bad, got)
		}
	}
	if _, err := json.Marshal(CellAt{Cell: Cell{'x', 5 << 24, 0, 0}}); err == nil {
		t.Error("invalid colour marshalled")
	}
}

func TestOpJSON(t *testing.T) {
	tests := []struct {
		op   Op
		json string
	}{
		{Op{Kind: OpSet, Cells: []CellAt{{1, 2, cellOf('a')}}, Merge: true},
			`{"op":"set","cells":[{"x":1,"y":2,"ch":"a"}],"merge":true}`},
		{Op{Kind: OpRect, X: -1, Y: 2, W: 3, H: 4, Ch: '█', FG: Indexed(9)},
			`{"op":"rect","x":-1,"y":2,"w":3,"h":4,"ch":"█","fg":"9"}`},
		{Op{Kind: OpRect, X: 0, Y: 0, W: 3, H: 4}, `{"op":"rect","w":3,"h":4}`},
		{Op{Kind: OpText, X: 5, Y: 6, Text: "hi\nthere", BG: RGB(0, 0, 255), Attr: Italic | Underline},
			`{"op":"text","x":5,"y":6,"text":"hi\nthere","bg":"#0000ff","attr":12}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.op)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal = %s, %v; want %s", b, err, tt.json)
		}
		var got Op
		if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, tt.op) {
			t.Errorf("Unmarshal(%s) = %+v, %v", b, got, err)
		}
	}
	var got Op
	if err := json.Unmarshal([]byte(`{"op":"rect","ch":"xy"}`), &got); !errors.Is(err, ErrBadOp) {
		t.Errorf("two-rune ch: %v", err)
	}
}
