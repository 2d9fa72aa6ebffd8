package authority

import (
	"context"
	"fmt"

	"github.com/tcanvas/tcanvas/net/wire"
)

// Grant returns a token that gives role in room, for a front door run by
// the server's own operator (the SSH server) that authenticates people
// itself and lets them join through the ordinary WebSocket with it. It
// mints the token as the room's owner would; the token is stored hashed,
// revocable, and lives in the room like any other. Grant returns "" when
// joining without a token gives role anyway (an editor in an open room, a
// viewer in another), so that tokens are minted only to raise or lower a
// role.
//
// Grant never creates a room (ErrNoRoom): a room's first joiner must be
// its owner. It returns before the token is durable; a join with it is
// welcomed only once it is (the output gate), and if the write fails the
// room fails with it.
//
// Only viewer and editor are granted: an owner can mint and revoke tokens,
// which a front door has no business handing out.
func (s *Server) Grant(ctx context.Context, room string, role wire.Role) (string, error) {
	if err := wire.CheckRoom(room); err != nil {
		return "", err
	}
	if role != wire.RoleViewer && role != wire.RoleEditor {
		return "", fmt.Errorf("grant: role %q: want viewer or editor", role)
	}
	v, err := s.view(ctx, room, "")
	if err != nil {
		return "", err
	}
	if v.role == role {
		return "", nil
	}
	r, err := s.acquire(room) // wakes it: minting is the room goroutine's job
	if err != nil {
		return "", err
	}
	defer s.release(r)
	type answer struct {
		secret string
		err    error
	}
	ch := make(chan answer, 1)
	ok := r.post(func() {
		if r.created && len(r.tokens) == 0 {
			ch <- answer{err: ErrNoRoom}
			return
		}
		secret, _ := r.newToken(role)
		r.flush()
		ch <- answer{secret: secret}
	})
	if !ok {
		return "", ErrShuttingDown
	}
	select {
	case a := <-ch:
		return a.secret, a.err
	case <-r.done:
		select {
		case a := <-ch:
			return a.secret, a.err
		default:
			return "", fmt.Errorf("grant: room %s failed to load", room)
		}
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
