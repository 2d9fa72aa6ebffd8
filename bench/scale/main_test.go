package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store/postgres/pgtest"
)

// TestSmoke runs the whole benchmark at a tiny size, so that it keeps
// working; its figures mean nothing.
func TestSmoke(t *testing.T) {
	pg := pgtest.URL(t)
	t.Chdir("../..") // the program builds ./cmd/tcanvas from the module root
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := run(ctx, []string{"-pg", pg, "-nodes", "1,2", "-rooms", "6", "-active", "2", "-writers", "1",
		"-duration", "300ms", "-samples", "20", "-joins", "3", "-lease-ttl", "2s"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 | ", "| 2 | ", "| proxied (other node) |", "The proxy hop adds"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}
