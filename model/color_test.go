package model

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want Color
		str  string // canonical String(); "" means same as in
	}{
		{"", ColorDefault, ""},
		{"0", Indexed(0), ""},
		{"7", Indexed(7), ""},
		{"15", Indexed(15), ""},
		{"255", Indexed(255), ""},
		{"#ff0000", RGB(255, 0, 0), ""},
		{"#FF00aA", RGB(255, 0, 0xaa), "#ff00aa"},
		{"#000000", RGB(0, 0, 0), ""},
	}
	for _, tt := range tests {
		got, err := ParseColor(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseColor(%q) = %v, %v; want %#x", tt.in, uint32(got), err, uint32(tt.want))
			continue
		}
		want := tt.str
		if want == "" {
			want = tt.in
		}
		if s := got.String(); s != want {
			t.Errorf("ParseColor(%q).String() = %q, want %q", tt.in, s, want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("ParseColor(%q).Validate() = %v", tt.in, err)
		}
	}
}

func TestParseColorErrors(t *testing.T) {
	for _, in := range []string{"256", "-1", "+1", "01", "00", "1.5", "x", "#", "#fff", "#ff00000", "#gg0000",
		"#+12345", "#0x1234", " 1", "red", "1000"} {
		if c, err := ParseColor(in); !errors.Is(err, ErrBadColor) {
			t.Errorf("ParseColor(%q) = %#x, %v; want ErrBadColor", in, uint32(c), err)
		}
	}
	_, err := ParseColor("nope")
	if got, want := err.Error(), `invalid color "nope"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestColorAccessors(t *testing.T) {
	if i, ok := Indexed(42).Index(); !ok || i != 42 {
		t.Errorf("Index = %d, %v", i, ok)
	}
	if _, ok := RGB(1, 2, 3).Index(); ok {
		t.Error("RGB colour reported an index")
	}
	if r, g, b, ok := RGB(1, 2, 3).RGB(); !ok || r != 1 || g != 2 || b != 3 {
		t.Errorf("RGB = %d %d %d %v", r, g, b, ok)
	}
	if _, _, _, ok := Indexed(1).RGB(); ok {
		t.Error("indexed colour reported RGB")
	}
	if !ColorDefault.IsDefault() || Indexed(0).IsDefault() {
		t.Error("IsDefault wrong")
	}
}

func TestColorValidate(t *testing.T) {
	for _, c := range []Color{1, 1<<24 | 256, 3 << 24, 0xff000000} {
		if err := c.Validate(); !errors.Is(err, ErrBadColor) {
			t.Errorf("Color(%#x).Validate() = %v", uint32(c), err)
		}
		if _, err := c.MarshalText(); err == nil {
			t.Errorf("Color(%#x).MarshalText succeeded", uint32(c))
		}
		if _, err := ParseColor(c.String()); err == nil {
			t.Errorf("invalid Color(%#x).String() = %q parses", uint32(c), c.String())
		}
	}
}

func TestColorRoundTripAll(t *testing.T) {
	for i := range 256 {
		c := Indexed(uint8(i))
		if got, err := ParseColor(c.String()); err != nil || got != c {
			t.Fatalf("round trip of %v: %v, %v", c, got, err)
		}
	}
	for _, c := range []Color{RGB(0, 0, 0), RGB(255, 255, 255), RGB(0x12, 0x34, 0x56)} {
		if got, err := ParseColor(c.String()); err != nil || got != c {
			t.Fatalf("round trip of %v: %v, %v", c, got, err)
		}
	}
}

func TestColorJSON(t *testing.T) {
	type pair struct {
		A, B, C Color
	}
	in := pair{ColorDefault, Indexed(12), RGB(255, 0, 0)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"A":"","B":"12","C":"#ff0000"}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
	var out pair
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("unmarshal = %v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"bad"}`), &out); !errors.Is(err, ErrBadColor) {
		t.Errorf("bad colour: %v", err)
	}
}
