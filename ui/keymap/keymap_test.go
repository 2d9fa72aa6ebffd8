package keymap

import (
	"flag"
	"os"
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"
)

var update = flag.Bool("update", false, "rewrite docs/KEYS.md from the key map")

const keysDoc = "../../docs/KEYS.md"

// TestKeysDoc keeps docs/KEYS.md generated from the key map itself.
func TestKeysDoc(t *testing.T) {
	got := Default().Markdown()
	if *update {
		if err := os.WriteFile(keysDoc, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(keysDoc)
	if err != nil || string(want) != got {
		t.Fatalf("%s is out of date with the key map (err %v): go test ./ui/keymap -update", keysDoc, err)
	}
}

// TestNoKeyIsBoundTwice: one key, one meaning.
func TestNoKeyIsBoundTwice(t *testing.T) {
	km := Default()
	v := reflect.ValueOf(km)
	owner := map[string]string{}
	for i := range v.NumField() {
		b, ok := v.Field(i).Interface().(key.Binding)
		if !ok {
			continue
		}
		name := v.Type().Field(i).Name
		if len(b.Keys()) == 0 || b.Help().Key == "" || b.Help().Desc == "" {
			t.Errorf("%s has no keys or no help", name)
		}
		for _, k := range b.Keys() {
			if o, dup := owner[k]; dup {
				t.Errorf("key %q is bound to both %s and %s", k, o, name)
			}
			owner[k] = name
		}
	}
}

// TestEveryBindingIsInHelp: the help overlay lists every key.
func TestEveryBindingIsInHelp(t *testing.T) {
	km := Default()
	shown := map[string]bool{}
	for _, g := range km.Groups() {
		for _, b := range g.Bindings {
			for _, k := range b.Keys() {
				shown[k] = true
			}
		}
	}
	v := reflect.ValueOf(km)
	for i := range v.NumField() {
		b := v.Field(i).Interface().(key.Binding)
		if shown[b.Keys()[0]] {
			continue
		}
		// Direction keys are shown as one line per family.
		switch v.Type().Field(i).Name {
		case "Up", "Down", "Left", "Right", "FastUp", "FastDown", "FastLeft", "FastRight",
			"PanUp", "PanDown", "PanLeft", "PanRight", "PageUp", "PageDown",
			"FGPrev", "FGNext", "BGPrev", "BGNext", "NextPeer", "PrevPeer":
			continue
		}
		t.Errorf("%s (%v) is not in the help overlay", v.Type().Field(i).Name, b.Keys())
	}
}
