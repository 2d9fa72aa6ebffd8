package wire

import (
	"errors"
	"testing"
)

// TestBlankLookingNamesRefused is finding 9 of issue 15: names that draw
// nothing were accepted.
func TestBlankLookingNamesRefused(t *testing.T) {
	for _, name := range []string{" ", "   ", "\u3164", "\uFFA0", "\u2800\u2800", "\u00A0", "\u3000", "\u115F\u1160", " \u2800 "} {
		if err := CheckName(name); !errors.Is(err, ErrField) {
			t.Errorf("CheckName(%+q) = %v; want ErrField", name, err)
		}
	}
	for _, name := range []string{"bob", " bob ", "b\u2800b", "ñ", "ann-2"} {
		if err := CheckName(name); err != nil {
			t.Errorf("CheckName(%+q) = %v", name, err)
		}
	}
}

func TestNameSkeletonFoldsLookAlikes(t *testing.T) {
	alike := [][]string{
		{"bob", "bоb" /* Cyrillic о */, "BOB", "b0b", "ｂｏｂ", "bob ", "b\u3164ob"},
		{"alice", "аlice" /* Cyrillic а */, "ALICE", "a1ice", "aIice"},
		{"paypal", "рaypal" /* Cyrillic р */, "pαypαl"},
	}
	for _, group := range alike {
		for _, n := range group[1:] {
			if NameSkeleton(n) != NameSkeleton(group[0]) {
				t.Errorf("%+q and %+q look alike but fold to %q and %q", group[0], n, NameSkeleton(group[0]), NameSkeleton(n))
			}
		}
	}
	for _, pair := range [][2]string{{"bob", "rob"}, {"ann", "anna"}, {"cy", "cx"}} {
		if NameSkeleton(pair[0]) == NameSkeleton(pair[1]) {
			t.Errorf("%q and %q fold together", pair[0], pair[1])
		}
	}
}
