package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the benchmark at a tiny size, so that it keeps working;
// its figures mean nothing (under -race the flood may not even reach its
// budget before the run ends).
func TestSmoke(t *testing.T) {
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"-quick"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| no flood |", "flooded at the per-address budget", "Ratio flooded / quiet"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out.String())
		}
	}
}
