package web

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/tcanvas/tcanvas/model"
)

var updateWidth = flag.Bool("update", false, "rewrite assets/width.js from the model's width tables")

// widthJS is assets/width.js as the model's tables make it.
func widthJS() string {
	wide, unsure, jamo := model.WidthTables()
	var b strings.Builder
	b.WriteString("// Code generated from model.WidthTables by `go test ./web -run TestWidthTables -update`; DO NOT EDIT.\n")
	b.WriteString("// The page accepts and places exactly the cells the authority does.\n\n")
	for _, t := range []struct {
		name string
		tab  *unicode.RangeTable
	}{{"WIDE", wide}, {"UNSURE", unsure}, {"JAMO", jamo}} {
		fmt.Fprintf(&b, "export const %s = [", t.name)
		n := 0
		add := func(lo, hi, stride uint32) {
			for s := lo; s <= hi; s += stride {
				e := s
				if stride == 1 {
					e = hi
				}
				if n%8 == 0 {
					b.WriteString("\n ")
				}
				fmt.Fprintf(&b, " [0x%x, 0x%x],", s, e)
				n++
				if stride == 1 {
					break
				}
			}
		}
		for _, r := range t.tab.R16 {
			add(uint32(r.Lo), uint32(r.Hi), uint32(r.Stride))
		}
		for _, r := range t.tab.R32 {
			add(r.Lo, r.Hi, r.Stride)
		}
		b.WriteString("\n];\n")
	}
	return b.String()
}

// TestWidthTablesMatchModel: the page's copy of the width tables is the
// model's.
func TestWidthTablesMatchModel(t *testing.T) {
	want := widthJS()
	if *updateWidth {
		if err := os.WriteFile("assets/width.js", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("assets/width.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("web/assets/width.js differs from model.WidthTables: go test ./web -run TestWidthTables -update")
	}
}
