package authority_test

import (
	"testing"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestOwnerListsLiveTokens: an owner's tokens request lists every token
// not revoked (the room's owner token, then those minted), with roles and
// no secrets; a revoked one drops out; anyone else is refused by req.
func TestOwnerListsLiveTokens(t *testing.T) {
	e := start(t, authority.Options{})
	ctx := ctxT(t)
	owner := join(t, ctx, e.link("list"), "owner")
	mint := func(req string, role wire.Role) wire.Token { return mintToken(t, ctx, owner, req, role) }
	list := func(req string) wire.TokenList {
		t.Helper()
		if err := owner.Send(ctx, wire.ListTokens{T: wire.TTokens, Req: req}); err != nil {
			t.Fatal(err)
		}
		f, err := owner.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TTokens })
		if err != nil {
			t.Fatal(err)
		}
		var l wire.TokenList
		f.Decode(&l)
		if l.Req != req {
			t.Fatalf("list answers req %q, want %q", l.Req, req)
		}
		return l
	}
	ed, vw := mint("m1", wire.RoleEditor), mint("m2", wire.RoleViewer)
	l := list("l1")
	if len(l.Tokens) != 3 || l.Tokens[0].Role != wire.RoleOwner || l.Tokens[1] != (wire.TokenInfo{ID: ed.ID, Role: wire.RoleEditor, Created: l.Tokens[1].Created}) ||
		l.Tokens[2].ID != vw.ID || l.Tokens[2].Role != wire.RoleViewer || l.Tokens[1].Created == 0 {
		t.Fatalf("tokens: %+v", l.Tokens)
	}
	if err := owner.Send(ctx, wire.Revoke{T: wire.TRevoke, Req: "r1", ID: ed.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TRevoked }); err != nil {
		t.Fatal(err)
	}
	if l := list("l2"); len(l.Tokens) != 2 || l.Tokens[1].ID != vw.ID {
		t.Fatalf("after revoking %s: %+v", ed.ID, l.Tokens)
	}

	viewer := join(t, ctx, e.link("list"), "viewer")
	if err := viewer.Send(ctx, wire.ListTokens{T: wire.TTokens, Req: "nope"}); err != nil {
		t.Fatal(err)
	}
	f, err := viewer.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TReject || f.T == wire.TTokens })
	if err != nil {
		t.Fatal(err)
	}
	if r := mustReject(t, f, nil, wire.CodeForbidden); r.ID != "nope" {
		t.Fatalf("reject names %q, want the req", r.ID)
	}
}
