package authority

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Options configures a Server. The zero value of every field but Store
// means the default documented beside it.
type Options struct {
	// Store persists rooms. Required.
	Store store.Store
	// Open makes new rooms writable by anyone without a token; otherwise
	// everyone without a token is a viewer. Either way a new room's first
	// joiner becomes its owner and is given the owner token.
	Open bool
	// IdleTimeout is how long a room with no connections stays in memory
	// before it hibernates. Default 30s.
	IdleTimeout time.Duration
	// SnapshotEvery is how many commits pass between snapshots. Default 1000.
	SnapshotEvery int
	// MaxPeers caps the connections of one room. Default 64.
	MaxPeers int
	// MaxRoomCells caps the drawn cells of one room. Default 4,000,000.
	MaxRoomCells int
	// Limits bounds one commit. Default model.DefaultLimits.
	Limits model.Limits
	// CommitRate and CommitBurst bound each connection's commits, undos
	// and redos. Default 100 per second, burst 200.
	CommitRate  rate.Limit
	CommitBurst int
	// FrameRate and FrameBurst bound each connection's frames of any kind,
	// presence included. Default 400 per second, burst 800.
	FrameRate  rate.Limit
	FrameBurst int
	// ConnRate and ConnBurst bound new connections per client IP. Default
	// 20 per second, burst 100.
	ConnRate  rate.Limit
	ConnBurst int
	// SendQueue is how many frames may wait for a slow client before it is
	// disconnected. Default 1024.
	SendQueue int
	// WriteTimeout bounds one write to a client. Default 5s.
	WriteTimeout time.Duration
	// HelloTimeout bounds the wait for a new connection's hello. Default 10s.
	HelloTimeout time.Duration
	// PingIdle is how long a connection may be silent before the authority
	// pings it; PingTimeout how long the pong may take before the link is
	// declared dead. Default 5s and 7s: a dead link goes within 15s.
	PingIdle, PingTimeout time.Duration
	// PresenceTick is the relay fallback's batching period: each recipient
	// gets one frame per tick on average, and the first packet after a
	// quiet tick at once (leading edge). Default 1/60 s.
	PresenceTick time.Duration
	// ICEServers are STUN/TURN URLs handed to clients for the mesh.
	ICEServers []string
	// MeshMax is the room size above which clients use the relay rather
	// than a full mesh (n(n-1)/2 connections). Default 8.
	MeshMax int
	// Logger receives operational logs. Default: discard.
	Logger *slog.Logger
	// Registerer receives the metrics. Default: a registry of the server's
	// own, served on /metrics.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics when Registerer is set.
	Gatherer prometheus.Gatherer
	// Cluster configures this node when Store implements store.Leaser
	// (several nodes sharing one database); ignored otherwise.
	Cluster Cluster
	// Budget bounds what one client, address or room may cost (budget.go).
	Budget Budget
	// Create says who may create a room by joining one that does not
	// exist: CreateAnyone (the default), CreateOpen or CreateOwnerToken.
	Create string
	// CreateToken is the secret a hello must carry to create a room when
	// Create is CreateOwnerToken.
	CreateToken string
}

func (o Options) withDefaults() Options {
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
	defRate := func(v *rate.Limit, d rate.Limit) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur(&o.IdleTimeout, 30*time.Second)
	def(&o.SnapshotEvery, 1000)
	def(&o.MaxPeers, 64)
	def(&o.MaxRoomCells, 4_000_000)
	if o.Limits == (model.Limits{}) {
		o.Limits = model.DefaultLimits
	}
	defRate(&o.CommitRate, 100)
	def(&o.CommitBurst, 200)
	defRate(&o.FrameRate, 400)
	def(&o.FrameBurst, 800)
	defRate(&o.ConnRate, 20)
	def(&o.ConnBurst, 100)
	def(&o.SendQueue, 1024)
	defDur(&o.WriteTimeout, 5*time.Second)
	defDur(&o.HelloTimeout, 10*time.Second)
	defDur(&o.PingIdle, 5*time.Second)
	defDur(&o.PingTimeout, 7*time.Second)
	defDur(&o.PresenceTick, time.Second/60)
	def(&o.MeshMax, 8)
	o.Budget = o.Budget.withDefaults()
	if o.Create == "" {
		o.Create = CreateAnyone
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
