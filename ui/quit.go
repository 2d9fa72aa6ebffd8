package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/net/session"
)

// quitState is a quit that waits: for our pending commits to reach the
// room, or for the host to confirm ending the room for the others.
type quitState struct {
	armed   bool // a second q quits whatever is left
	waiting bool // quit by itself once nothing is pending
}

// quit answers q. With nothing pending (and, for the host of a local
// room, nobody else here) it quits at once. Otherwise it says why it does
// not, and a second q quits anyway: pending commits stay in the outbox
// for the next time the room is opened.
func (m *Model) quit() tea.Cmd {
	m.finishText()
	if m.quitting.armed || m.closed != "" {
		return tea.Quit
	}
	pending := m.sess.Info().Pending
	others := len(m.roster)
	switch {
	case pending > 0:
		m.quitting = quitState{armed: true, waiting: true}
		m.quitProgress(pending)
		return nil
	case m.opts.HostsRoom && others > 0:
		m.quitting = quitState{armed: true}
		m.say(fmt.Sprintf("%d %s here: quitting ends the room for them · q again quits, any other key stays",
			others, plural(others, "other is", "others are")), time.Hour)
		return nil
	}
	return tea.Quit
}

// quitProgress shows what a waiting quit waits for.
func (m *Model) quitProgress(pending int) {
	where := "sending"
	if m.link.State != session.Online {
		where = linkText(m.link, m.now())
	}
	m.say(fmt.Sprintf("quitting: %d %s not in the room yet (%s) · q again quits and keeps %s for next time · any other key stays",
		pending, plural(pending, "commit", "commits"), where, plural(pending, "it", "them")), time.Hour)
}

// quitCheck runs after every message while a quit waits: it quits once
// the last pending commit has landed, and keeps the progress line current.
func (m *Model) quitCheck() tea.Cmd {
	if !m.quitting.waiting {
		return nil
	}
	pending := m.sess.Info().Pending
	if pending > 0 {
		m.quitProgress(pending)
		return nil
	}
	m.quitting.waiting = false
	if m.opts.HostsRoom && len(m.roster) > 0 {
		m.quitting.armed = false
		return m.quit()
	}
	return tea.Quit
}

// cancelQuit is any key but q while a quit waits: stay.
func (m *Model) cancelQuit() {
	if m.quitting.armed {
		m.quitting = quitState{}
		m.say("not quitting", 2*time.Second)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
