package authority

import (
	"cmp"
	"slices"
	"strings"

	"github.com/tcanvas/tcanvas/net/wire"
)

// maxListedTokens bounds a token list: ~60 bytes each keeps the answer far
// below the client's frame limit; a room with more lists its newest.
const maxListedTokens = 4096

// listTokens answers an owner's request for the room's live tokens,
// oldest first, at most the newest maxListedTokens.
func (r *room) listTokens(c *conn, m *wire.ListTokens) {
	if c.peer.Role != wire.RoleOwner {
		r.reject(c, m.Req, wire.CodeForbidden, "tokens: only the room's owner lists tokens")
		return
	}
	list := make([]wire.TokenInfo, 0, len(r.tokens))
	for _, t := range r.tokens {
		if !t.Revoked {
			list = append(list, wire.TokenInfo{ID: t.ID, Role: wire.Role(t.Role), Created: t.Created})
		}
	}
	slices.SortFunc(list, func(a, b wire.TokenInfo) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), strings.Compare(a.ID, b.ID))
	})
	if len(list) > maxListedTokens {
		list = list[len(list)-maxListedTokens:]
	}
	// Gated: a token minted just before is listed once it is durable.
	r.sendGated(c, wire.TokenList{T: wire.TTokens, Req: m.Req, Tokens: list})
}
