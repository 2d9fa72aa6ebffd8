package main

import (
	"flag"
	"io"
	"testing"
)

// TestSSHConfig: the flags parse, nothing starts without --ssh, a bad role
// is refused, and the authority is dialled on loopback when it listens on
// every interface.
func TestSSHConfig(t *testing.T) {
	var c sshConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs)
	if err := fs.Parse([]string{"--ssh-role", "viewer", "--ssh-host-key", "/k"}); err != nil {
		t.Fatal(err)
	}
	if c.role != "viewer" || c.hostKey != "/k" || c.addr != "" {
		t.Fatalf("%+v", c)
	}
	stop, err := c.start(nil, t.TempDir(), io.Discard)
	if err != nil || stop() != nil {
		t.Fatalf("without --ssh: %v", err)
	}
	bad := sshConfig{addr: "127.0.0.1:0", role: "owner"}
	if _, err := bad.start(nil, t.TempDir(), io.Discard); err == nil {
		t.Fatal("--ssh-role owner accepted")
	}
	for in, want := range map[string]string{
		"http://127.0.0.1:7777": "http://127.0.0.1:7777",
		"http://0.0.0.0:7777":   "http://127.0.0.1:7777",
		"http://[::]:7777":      "http://[::1]:7777",
		"http://example.org:80": "http://example.org:80",
	} {
		if got := loopbackBase(in); got != want {
			t.Errorf("loopbackBase(%s) = %s, want %s", in, got, want)
		}
	}
}
