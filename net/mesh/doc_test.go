package mesh

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// TestFallbackAsDocumented: PROTOCOL.md tells other clients how long a Go
// peer tries a pair before leaving its presence on the relay.
func TestFallbackAsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("not open within **%g s**", defaultConnectTimeout.Seconds())
	if !bytes.Contains(doc, []byte(want)) {
		t.Fatalf("PROTOCOL.md does not say %q", want)
	}
}
