package main

import (
	"net"
	"strings"
	"testing"
)

// TestListenLocalRetakesItsPort: the local mode listens where it did last
// time; when that port is taken it takes another and says so, and
// remembers the new one.
func TestListenLocalRetakesItsPort(t *testing.T) {
	data := t.TempDir()
	ln, notice, _, err := listenLocal(data, "")
	if err != nil || notice != "" {
		t.Fatalf("first listen: %v %q", err, notice)
	}
	first := ln.Addr().String()
	ln.Close()
	ln, notice, prev, err := listenLocal(data, "")
	if err != nil || notice != "" || ln.Addr().String() != first || prev != first {
		t.Fatalf("second listen on %v (prev %q, notice %q, err %v), want %s", ln.Addr(), prev, notice, err, first)
	}
	// Keep it: the next listen finds the port busy.
	defer ln.Close()
	ln2, notice, _, err := listenLocal(data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	if ln2.Addr().String() == first || !strings.Contains(notice, first+" is busy") {
		t.Fatalf("with %s busy: listening on %s, notice %q", first, ln2.Addr(), notice)
	}
	ln2.Close()
	ln.Close()
	ln3, _, _, err := listenLocal(data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ln3.Close()
	if ln3.Addr().String() != ln2.Addr().String() {
		t.Fatalf("remembered %s, want the last address %s", ln3.Addr(), ln2.Addr())
	}
}

// TestShareBaseIsReachable: a wildcard listener is shared with an address
// of this machine others can reach, never loopback.
func TestShareBaseIsReachable(t *testing.T) {
	if lanAddress(true) == "" {
		t.Skip("this machine has no non-loopback IPv4 address")
	}
	got := shareBase(&net.TCPAddr{IP: net.IPv4zero, Port: 7777})
	if strings.Contains(got, "127.0.0.1") || strings.Contains(got, "0.0.0.0") || !strings.HasSuffix(got, ":7777") {
		t.Fatalf("shared as %s", got)
	}
	if got := shareBase(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); got != "http://127.0.0.1:1" {
		t.Fatalf("loopback shared as %s", got)
	}
}
