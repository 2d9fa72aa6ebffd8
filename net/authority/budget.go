package authority

import (
	"crypto/subtle"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

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
	// SignalBytes is the rate, in bytes of signal data per second, at
	// which one connection may send signals, with a burst of four seconds'
	// worth. A sender over it is closed (4003). Default 64 KiB/s: a mesh
	// handshake with every peer of a full mesh is a few KiB.
	SignalBytes int
	// SignalRecvBytes is the rate at which one connection may be sent
	// signals by everyone together, burst four seconds' worth. A signal
	// over it is refused to its sender (error rate_limited) and never
	// queued for the recipient. Default 128 KiB/s.
	SignalRecvBytes int
	// StreamPage bounds the bytes of stored ops one catch-up or history
	// stream holds at once (one record, if that alone is bigger); a page
	// must be written within StreamPageTimeout, or the reader is cut off.
	// StreamBytes bounds all of them together, server-wide; streams wait
	// for their turn. Default 1 MiB, 30s and 32 MiB.
	StreamPage, StreamBytes int
	StreamPageTimeout       time.Duration
	// StoreBytes, RoomStoreBytes and AddrStoreBytes bound the bytes per
	// second that commits, undos and redos add to the store (ops, undo
	// effect and IDs: what a commit really costs on disk, which a small
	// frame can multiply) for one connection, one room and one client
	// address, each with a burst of eight seconds' worth. A commit is
	// refused (reject rate_limited) while any of the three is spent; one
	// that is admitted is charged in full, so a single big commit always
	// goes through once the budget has recovered. Default 512 KiB/s,
	// 1 MiB/s and 1 MiB/s: a 65,536-cell fill stores about 0.5–1.7 MB.
	StoreBytes, RoomStoreBytes, AddrStoreBytes int
}

func (b Budget) withDefaults() Budget {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if b.ConnsPerIP == 0 {
		b.ConnsPerIP = 256 // negative: no cap
	}
	defDur(&b.HTTPIdle, 60*time.Second)
	defDur(&b.HTTPHeader, 10*time.Second)
	def(&b.SignalBytes, 64<<10)
	def(&b.SignalRecvBytes, 128<<10)
	def(&b.StreamPage, 1<<20)
	def(&b.StreamBytes, 32<<20)
	b.StreamBytes = max(b.StreamBytes, b.StreamPage)
	defDur(&b.StreamPageTimeout, 30*time.Second)
	def(&b.StoreBytes, 512<<10)
	def(&b.RoomStoreBytes, 1<<20)
	def(&b.AddrStoreBytes, 1<<20)
	return b
}

// connBudget is a connection's byte budgets; owned by its room's goroutine.
type connBudget struct {
	sigOut, sigIn *rate.Limiter
	store         *debtBucket
}

func (c *conn) budgets() *connBudget {
	if c.budget == nil {
		b := c.srv.opts.Budget
		c.budget = &connBudget{
			sigOut: rate.NewLimiter(rate.Limit(b.SignalBytes), 4*b.SignalBytes),
			sigIn:  rate.NewLimiter(rate.Limit(b.SignalRecvBytes), 4*b.SignalRecvBytes),
			store:  newDebtBucket(b.StoreBytes),
		}
	}
	return c.budget
}

// allowSignal charges a signal of n bytes from c to to. A flood costs its
// sender, never its recipient: the sender over its own budget is closed,
// and one that finds the recipient's budget spent (by itself or others) is
// refused, while the recipient's queue only ever holds what its budget
// allows.
func (r *room) allowSignal(c, to *conn, n int) bool {
	now := time.Now()
	b := r.srv.opts.Budget
	if !c.budgets().sigOut.AllowN(now, n) {
		c.kick(wire.CloseRateLimited, wire.CodeRateLimited,
			fmt.Sprintf("signals over %d bytes per second (burst %d)", b.SignalBytes, 4*b.SignalBytes))
		return false
	}
	if !to.budgets().sigIn.AllowN(now, n) {
		c.sendError(wire.CodeRateLimited, fmt.Sprintf("signal: peer %d receives at most %d bytes of signals per second; retry later", to.peer.ID, b.SignalRecvBytes))
		return false
	}
	return true
}

// cachedBytes is what a record kept in a room's undo cache costs: its
// bytes plus the record, map entry and queue slot.
func cachedBytes(rec *store.Record) int { return recordOverhead + storedBytes(rec) }

// debtBucket is a token bucket of bytes that may go into debt: a cost is
// known only once it is paid (a commit's effect, after applying it), so
// admission asks only that the bucket is not in debt, and the cost is
// then charged in full. Over time it admits its rate plus its burst.
type debtBucket struct {
	mu          sync.Mutex // the per-address buckets are shared by rooms
	rate, burst float64
	tokens      float64
	last        time.Time
}

// storeBurstSeconds is how many seconds' worth of stored bytes a full
// bucket holds.
const storeBurstSeconds = 8

func newDebtBucket(perSec int) *debtBucket {
	b := float64(perSec) * storeBurstSeconds
	return &debtBucket{rate: float64(perSec), burst: b, tokens: b, last: time.Now()}
}

// wait is how long until the bucket is out of debt; 0 if it is now.
func (b *debtBucket) wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.burst, b.tokens+b.rate*now.Sub(b.last).Seconds())
	b.last = now
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func (b *debtBucket) charge(n int) {
	b.mu.Lock()
	b.tokens -= float64(n)
	b.mu.Unlock()
}

// addrStore is the stored-bytes bucket of a client address.
func (s *Server) addrStore(ip string) *debtBucket {
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	if s.stores == nil {
		s.stores = map[string]*debtBucket{}
	}
	b := s.stores[ip]
	if b == nil {
		if len(s.stores) > 10_000 {
			clear(s.stores) // as for the connection rates: crude but bounded
		}
		b = newDebtBucket(s.opts.Budget.AddrStoreBytes)
		s.stores[ip] = b
	}
	return b
}

// storeBuckets are the buckets a commit of c is charged to.
func (r *room) storeBuckets(c *conn) [3]*debtBucket {
	if r.store == nil {
		r.store = newDebtBucket(r.srv.opts.Budget.RoomStoreBytes)
	}
	if c.addrStore == nil && c.ip != exemptAddr {
		c.addrStore = r.srv.addrStore(c.ip)
	}
	return [3]*debtBucket{c.budgets().store, r.store, c.addrStore}
}

// allowStore tells whether c may add to the store now; if not, it says
// why and for how long.
func (r *room) allowStore(c *conn) (string, bool) {
	now := time.Now()
	names := [3]string{"your connection", "this room", "your address"}
	rates := [3]int{r.srv.opts.Budget.StoreBytes, r.srv.opts.Budget.RoomStoreBytes, r.srv.opts.Budget.AddrStoreBytes}
	for i, b := range r.storeBuckets(c) {
		if b == nil {
			continue
		}
		if w := b.wait(now); w > 0 {
			return fmt.Sprintf("%s stored more than %d bytes per second; retry in %s", names[i], rates[i], w.Round(100*time.Millisecond)), false
		}
	}
	return "", true
}

// chargeStore charges a recorded commit's stored bytes.
func (r *room) chargeStore(c *conn, rec *store.Record) {
	n := storedBytes(rec)
	for _, b := range r.storeBuckets(c) {
		if b != nil {
			b.charge(n)
		}
	}
}

// storedBytes is what a record adds to the store.
func storedBytes(rec *store.Record) int {
	return len(rec.ID) + len(rec.Client) + len(rec.Name) + len(rec.Kind) + len(rec.Ops) + len(rec.Effect) + 64
}

// Who may create rooms (Options.Create).
const (
	// CreateAnyone: whoever joins a room that does not exist creates it
	// and becomes its owner, with the owner token.
	CreateAnyone = "anyone"
	// CreateOpen: anyone creates rooms, nobody owns them. Only with
	// Options.Open: the room is editable by everyone, and nobody can undo
	// another's work or mint tokens.
	CreateOpen = "open"
	// CreateOwnerToken: only a hello carrying Options.CreateToken creates a
	// room (its sender owns it); any other hello to a new room is refused
	// 4005 and creates nothing.
	CreateOwnerToken = "owner-token"
)

func checkCreate(o Options) error {
	switch o.Create {
	case CreateAnyone:
	case CreateOpen:
		if !o.Open {
			return fmt.Errorf("authority: Create %q needs Open: ownerless closed rooms would be read-only to everyone", o.Create)
		}
	case CreateOwnerToken:
		if len(o.CreateToken) < 16 {
			return fmt.Errorf("authority: Create %q needs a CreateToken of at least 16 characters", o.Create)
		}
	default:
		return fmt.Errorf("authority: Create %q: want %s, %s or %s", o.Create, CreateAnyone, CreateOpen, CreateOwnerToken)
	}
	return nil
}

// mayCreate tells whether h may create the room, and if so whether its
// sender becomes the owner.
func (r *room) mayCreate(h *wire.Hello) (owner bool, reason string) {
	o := r.srv.opts
	switch o.Create {
	case CreateOpen:
		if h.Token != "" {
			return false, "unknown or revoked token"
		}
		return false, ""
	case CreateOwnerToken:
		if subtle.ConstantTimeCompare([]byte(h.Token), []byte(o.CreateToken)) != 1 {
			return false, "no such room: this server creates rooms only for holders of its creation token"
		}
		return true, ""
	}
	if h.Token != "" {
		return false, "unknown or revoked token"
	}
	return true, ""
}
