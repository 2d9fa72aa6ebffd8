package authority

import "time"

// Budget holds the bounds that keep one client, one address or one room
// from exhausting the server. The zero value of each field means the
// default documented beside it; docs/SECURITY.md lists them with their
// tests.
type Budget struct {
	// ConnsPerIP caps the TCP connections one address holds open through
	// Server.Listener, idle keep-alives included. Default 256; negative
	// means no cap (behind a proxy that enforces its own).
	ConnsPerIP int
	// HTTPIdle closes a keep-alive connection idle this long; HTTPHeader
	// bounds the wait for a request's headers. Default 60s and 10s.
	HTTPIdle, HTTPHeader time.Duration
}

func (b Budget) withDefaults() Budget {
	if b.ConnsPerIP == 0 {
		b.ConnsPerIP = 256
	}
	if b.HTTPIdle <= 0 {
		b.HTTPIdle = 60 * time.Second
	}
	if b.HTTPHeader <= 0 {
		b.HTTPHeader = 10 * time.Second
	}
	return b
}
