package bot

import (
	"encoding/json"
	"testing"

	"github.com/tcanvas/tcanvas/model"
)

// FuzzPipeCommand: no input line makes the pipe's decoder panic, and
// whatever drawing it accepts is valid and safe to apply.
func FuzzPipeCommand(f *testing.F) {
	for _, s := range []string{
		`{"cmd":"cursor","x":1,"y":2}`,
		`{"cmd":"text","x":0,"y":0,"text":"hi","fg":"#ff0000"}`,
		`{"cmd":"cells","cells":[{"x":0,"y":0,"ch":"#","fg":"#ff0000"}]}`,
		`{"cmd":"rect","x":1,"y":1,"w":3,"h":2,"ch":"─"}`,
		`{"cmd":"ops","ops":[{"op":"set","merge":true,"cells":[{"x":1,"y":1,"ch":"│"}]}]}`,
		`{"cmd":"undo"}`, `{"cmd":"sync","req":"r1"}`, `{"cmd":"export","format":"ansi","w":3,"h":3}`,
		`{"cmd":"text","colour":"red"}`, `not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h cmdHeader
		if json.Unmarshal(b, &h) != nil {
			return
		}
		c, err := parseCommand(h, b)
		if err != nil {
			return
		}
		if c.ops != nil {
			if err := model.ValidateOps(c.ops, model.DefaultLimits); err != nil {
				t.Fatalf("accepted invalid ops: %v", err)
			}
			model.NewCanvas().Apply(c.ops)
		}
	})
}
