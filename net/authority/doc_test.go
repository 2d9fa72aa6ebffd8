package authority

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// TestLivenessAsDocumented: the keepalive figures PROTOCOL.md gives client
// authors are the defaults the code runs with.
func TestLivenessAsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{}.withDefaults()
	every := pingCheckEvery(o.PingIdle)
	for _, want := range []string{
		fmt.Sprintf("every %g s and sends a WebSocket **ping** to each one silent for at least\n**%g s**", every.Seconds(), o.PingIdle.Seconds()),
		fmt.Sprintf("the first ping comes %g–%g s after", o.PingIdle.Seconds(), (o.PingIdle + every).Seconds()),
		fmt.Sprintf("within **%g s** it", o.PingTimeout.Seconds()),
		fmt.Sprintf("within %g s (%g + %g + %g)", (o.PingIdle + every + o.PingTimeout).Round(1e9).Seconds(), o.PingIdle.Seconds(), every.Seconds(), o.PingTimeout.Seconds()),
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("PROTOCOL.md does not say %q", want)
		}
	}
}
