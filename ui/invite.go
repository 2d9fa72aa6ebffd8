package ui

import "github.com/tcanvas/tcanvas/net/wire"

// Invite is how someone joins a room with a token: the command to run in
// a terminal, and the link itself (what a browser opens).
type Invite struct {
	Command string
	URL     string
}

// InviteLinks builds the invite for token in room at base (a room link's
// base URL). Every place that shows an invite builds it here, so that a
// new way to join is one line.
func InviteLinks(base, room, token string) Invite {
	u := wire.Link{Base: base, Room: room, Token: token}.String()
	return Invite{Command: "tcanvas join " + u, URL: u}
}
