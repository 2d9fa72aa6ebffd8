package ui

import (
	"fmt"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

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

// invitePanel is the owner's invite screen: mint editor and viewer
// links, see the live tokens, revoke one.
type invitePanel struct {
	tokens  []wire.TokenInfo
	loaded  bool
	sel     int     // selected row of tokens
	minted  *Invite // the last link minted, shown until the panel closes
	role    wire.Role
	confirm string // ID of an owner token whose revoke waits for a second x
	status  string
}

// Request IDs of the panel's requests, so that answers to the CLI's or
// anyone else's are not taken for ours.
const (
	reqInviteMint   = "invite-mint"
	reqInviteList   = "invite-list"
	reqInviteRevoke = "invite-revoke"
)

// openInvite opens the invite panel (owners only) and asks for the list.
func (m *Model) openInvite() {
	if m.role != wire.RoleOwner {
		m.say("only the room's owner invites with tokens; you are "+string(m.role)+" (tab shows the room's link)", 5*time.Second)
		return
	}
	m.inv = &invitePanel{status: "loading tokens…"}
	m.showPeers, m.showHelp = false, false
	m.inviteRequest(m.sess.ListTokens(reqInviteList))
}

func (m *Model) inviteRequest(err error) {
	if err != nil && m.inv != nil {
		m.inv.status = err.Error()
	}
}

// inviteKey handles a key while the panel is open.
func (m *Model) inviteKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.inv
	s := k.String()
	if s != "x" {
		p.confirm = ""
	}
	switch s {
	case "esc", "q", "ctrl+k":
		m.inv = nil
	case "e", "v":
		p.role = wire.RoleEditor
		if s == "v" {
			p.role = wire.RoleViewer
		}
		p.status = "minting a " + string(p.role) + " link…"
		m.inviteRequest(m.sess.Mint(p.role, reqInviteMint))
	case "j", "down":
		p.sel = min(p.sel+1, max(len(p.tokens)-1, 0))
	case "k", "up":
		p.sel = max(p.sel-1, 0)
	case "x", "delete", "backspace":
		if p.sel >= len(p.tokens) {
			return nil
		}
		t := p.tokens[p.sel]
		if t.Role == wire.RoleOwner && p.confirm != t.ID {
			p.confirm = t.ID
			p.status = "x again revokes owner token " + t.ID + " (yours may be this one)"
			return nil
		}
		p.confirm = ""
		p.status = "revoking " + t.ID + "…"
		m.inviteRequest(m.sess.Revoke(t.ID, reqInviteRevoke))
	case "c":
		if p.minted != nil {
			p.status = "copied"
			return tea.SetClipboard(p.minted.Command)
		}
	}
	return nil
}

// inviteEvent takes the answers to the panel's requests.
func (m *Model) inviteEvent(ev session.Event) tea.Cmd {
	p := m.inv
	if p == nil {
		return nil
	}
	switch ev := ev.(type) {
	case session.Tokens:
		if ev.Req == reqInviteList {
			if !p.loaded {
				p.status = "" // the "loading" line
			}
			p.tokens, p.loaded = ev.Tokens, true
			p.sel = min(p.sel, max(len(p.tokens)-1, 0))
		}
	case session.Token:
		if ev.Req != reqInviteMint {
			return nil
		}
		l, err := wire.ParseLink(m.sess.RoomLink())
		if err != nil {
			p.status = err.Error()
			return nil
		}
		inv := InviteLinks(l.Base, l.Room, ev.Token)
		p.minted, p.role = &inv, ev.Role
		p.status = "copied to the clipboard (OSC 52)"
		m.inviteRequest(m.sess.ListTokens(reqInviteList))
		return tea.SetClipboard(inv.Command)
	case session.TokenRevoked:
		if ev.Req == reqInviteRevoke {
			p.status = "revoked " + ev.ID + ": whoever joined with it lost its role"
			m.inviteRequest(m.sess.ListTokens(reqInviteList))
		}
	case session.Error:
		if !ev.Fatal {
			p.status = ev.Reason
		}
	case session.Synced:
		if ev.Role != wire.RoleOwner {
			m.inv = nil
		}
	}
	return nil
}

// drawInvite draws the panel at the top right, over the canvas.
func (m *Model) drawInvite() {
	p := m.inv
	var lines []struct {
		s  string
		st model.Cell
	}
	add := func(s string, st model.Cell) {
		lines = append(lines, struct {
			s  string
			st model.Cell
		}{s, st})
	}
	add("e  mint an editor link     v  mint a viewer link", stKey)
	if p.minted != nil {
		add("", stPanel)
		add("new "+string(p.role)+" link (c copies it again):", stPanel)
		// Wrapped, not clipped: a link is only useful whole.
		for _, part := range wrapRunes(p.minted.Command, m.w-4) {
			add(part, stKey)
		}
		for _, part := range wrapRunes("or in a browser: "+p.minted.URL, m.w-4) {
			add(part, stPanel)
		}
	}
	add("", stPanel)
	switch {
	case !p.loaded:
		add("live tokens: …", stPanel)
	case len(p.tokens) == 0:
		add("live tokens: none", stPanel)
	default:
		add(fmt.Sprintf("live tokens · %d", len(p.tokens)), stPanel)
		for i, t := range p.tokens {
			mark := "  "
			st := stPanel
			if i == p.sel {
				mark, st = "▸ ", stKey
			}
			add(fmt.Sprintf("%s%s  %-6s  %s", mark, t.ID, t.Role, time.UnixMilli(t.Created).Local().Format("Jan 2 15:04")), st)
		}
	}
	add("", stPanel)
	if p.status != "" {
		add(p.status, stWarn)
	}
	add("↑↓ choose · x revoke · esc close", stPanel)
	inner := 0
	for _, l := range lines {
		inner = max(inner, utf8.RuneCountInString(l.s))
	}
	pw := min(inner+4, m.w)
	ph := min(len(lines)+2, m.canvasH())
	x0 := max(m.w-pw, 0)
	m.frame(x0, 0, pw, ph, "invite", stPanel)
	for i, l := range lines {
		if 1+i >= ph-1 {
			break
		}
		st := l.st
		st.BG = stPanel.BG
		m.put(x0+2, 1+i, l.s, st, x0+pw-1)
	}
}

// wrapRunes cuts s into pieces of at most w runes (at least 1 each).
func wrapRunes(s string, w int) []string {
	w = max(w, 1)
	r := []rune(s)
	var out []string
	for len(r) > w {
		out = append(out, string(r[:w]))
		r = r[w:]
	}
	return append(out, string(r))
}
