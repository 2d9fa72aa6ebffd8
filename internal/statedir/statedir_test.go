package statedir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOwnerTokensKeptPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	tk := OwnerTokens(dir)
	if got, err := tk.Get("http://a:1", "r"); err != nil || got != "" {
		t.Fatalf("empty: %q %v", got, err)
	}
	if err := tk.Set("http://a:1", "r", "tc_1"); err != nil {
		t.Fatal(err)
	}
	tk.Set("http://a:1", "s", "tc_2")
	tk.Set("http://b:1", "r", "tc_3")
	again := OwnerTokens(dir)
	for _, c := range []struct{ server, room, want string }{{"http://a:1", "r", "tc_1"}, {"http://a:1", "s", "tc_2"}, {"http://b:1", "r", "tc_3"}, {"http://b:1", "s", ""}} {
		if got, _ := again.Get(c.server, c.room); got != c.want {
			t.Fatalf("%s %s: %q, want %q", c.server, c.room, got, c.want)
		}
	}
	again.Set("http://a:1", "r", "")
	if got, _ := tk.Get("http://a:1", "r"); got != "" {
		t.Fatalf("forgotten token still there: %q", got)
	}
	fi, err := os.Stat(filepath.Join(dir, "owner-tokens.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want 0600", fi.Mode(), err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state dir: %v %v, want 0700", fi.Mode(), err)
	}
}
