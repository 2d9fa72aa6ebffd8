package wire

import (
	"fmt"
	"net/url"
	"strings"
)

// Link is a parsed room link, http://HOST:PORT/r/ROOM[?token=T]. The same
// URL opened in a browser shows how to join; a WebSocket upgrade on it
// reaches the room's authority.
type Link struct {
	Base  string // http(s)://host[:port][/prefix], without a trailing slash
	Room  string
	Token string
}

// ParseLink parses a room link. http, https, ws and wss are accepted.
func ParseLink(s string) (Link, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Link{}, fmt.Errorf("room link: %w", err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return Link{}, fmt.Errorf("room link %q: scheme must be http, https, ws or wss", s)
	}
	if u.Host == "" {
		return Link{}, fmt.Errorf("room link %q: no host", s)
	}
	i := strings.LastIndex(u.Path, "/r/")
	if i < 0 {
		return Link{}, fmt.Errorf("room link %q: path must end in /r/ROOM", s)
	}
	room := u.Path[i+3:]
	if err := CheckRoom(room); err != nil {
		return Link{}, fmt.Errorf("room link %q: %w", s, err)
	}
	scheme := u.Scheme
	switch scheme {
	case "ws":
		scheme = "http"
	case "wss":
		scheme = "https"
	}
	base := url.URL{Scheme: scheme, Host: u.Host, Path: u.Path[:i]}
	return Link{Base: base.String(), Room: room, Token: u.Query().Get("token")}, nil
}

// String gives the link as people share it (http or https), with the token
// when there is one.
func (l Link) String() string {
	s := l.Base + "/r/" + l.Room
	if l.Token != "" {
		s += "?token=" + url.QueryEscape(l.Token)
	}
	return s
}

// WebSocketURL is the address to dial. The token is not in it: it travels
// in the hello, so it stays out of access logs.
func (l Link) WebSocketURL() string {
	return "ws" + strings.TrimPrefix(l.Base, "http") + "/r/" + l.Room
}
