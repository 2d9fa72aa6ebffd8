// Package sshd is the SSH front door: anyone with an ssh client joins a
// room in the same canvas the tcanvas command shows, with nothing
// installed. It is a charm.land/wish/v2 server that runs the ui program for
// each SSH session, and each session is its own participant: a
// net/session.Session that dials the authority's HTTP address like any
// client, so the authority orders, access-checks and persists its commits
// like anyone else's.
//
// Access. The authority is the only judge of roles, so the front door
// never draws on anyone's behalf: it chooses the token a session joins
// with. An authorized-keys file maps public keys to roles; everyone else
// is anonymous and gets the configured role, or without one what a joiner
// without a token gets (editor in an open room, viewer in another). A role
// the room would not give is obtained from the authority's Grant, an
// in-process call that mints an ordinary room token (stored hashed,
// revocable) the first time a room needs it; the secret stays in this
// process and never reaches the SSH user. Viewer tokens make a read-only
// link even to an open room, like tmate's read-only session.
package sshd
