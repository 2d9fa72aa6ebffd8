package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestProcs runs -procs briefly: the mesh lane in this process and then
// with each peer in a process of its own, where every peer must hear every
// other's cursor over p2p pairs (runPeerProcs fails otherwise).
func TestProcs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-procs", "-peers", "3", "-duration", "1s"}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"| all peers in one process | a process per peer |", "| cursor latency p50 |", "| peers' CPU, % of one core |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
