package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres"
)

// clusterConfig is what `serve` needs to run as one of several nodes on a
// shared Postgres store.
type clusterConfig struct {
	store string // "" (SQLite in --data), sqlite:PATH or postgres://…
	route string // proxy or redirect
	opts  authority.Cluster
}

func (c *clusterConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.store, "store", "", "where rooms are kept: sqlite:PATH, or postgres://USER@HOST/DB?… to run as one node of several sharing that database (default: SQLite in --data)")
	fs.StringVar(&c.opts.NodeID, "node-id", "", "this node's unique name in room leases (with a postgres store; default: random). A node restarted under the same ID takes its rooms back at once")
	fs.StringVar(&c.opts.Advertise, "advertise", "", "base URL other nodes and clients reach this node at (with a postgres store; default: http://LISTEN-ADDRESS)")
	fs.DurationVar(&c.opts.LeaseTTL, "lease-ttl", 10*time.Second, "how long a room's lease lasts unrenewed: how long its room is unavailable when its node dies (with a postgres store)")
	fs.StringVar(&c.route, "route", "proxy", "what a node does with a connection for a room another node owns: proxy the WebSocket to it, or redirect the client to it (HTTP 307)")
}

func (c *clusterConfig) isCluster() bool {
	return strings.HasPrefix(c.store, "postgres://") || strings.HasPrefix(c.store, "postgresql://")
}

func (cfg serveConfig) storeName() string {
	switch {
	case cfg.cluster.isCluster():
		return "postgres" // the URL may hold a password
	case cfg.cluster.store != "":
		return cfg.cluster.store
	}
	return "sqlite:" + filepath.Join(cfg.data, "tcanvas.db")
}

// openStore opens the store --store names, and says how the node joins
// its cluster when the store is shared.
func (cfg *serveConfig) openStore(ctx context.Context) (store.Store, authority.Cluster, error) {
	c := &cfg.cluster
	switch c.route {
	case "", "proxy":
	case "redirect":
		c.opts.Redirect = true
	default:
		return nil, authority.Cluster{}, fmt.Errorf("serve: --route must be proxy or redirect, not %q", c.route)
	}
	switch {
	case c.store == "":
		st, err := store.OpenSQLite(ctx, filepath.Join(cfg.data, "tcanvas.db"))
		return st, authority.Cluster{}, err
	case strings.HasPrefix(c.store, "sqlite:"):
		st, err := store.OpenSQLite(ctx, strings.TrimPrefix(c.store, "sqlite:"))
		return st, authority.Cluster{}, err
	case c.isCluster():
		if c.opts.NodeID == "" {
			host, _ := os.Hostname()
			c.opts.NodeID = strings.Trim(host+"-"+randomSuffix(), "-")
		}
		st, err := postgres.Open(ctx, c.store, postgres.Options{})
		if err != nil {
			return nil, authority.Cluster{}, err
		}
		if c.opts.Secret, err = st.Secret(ctx); err != nil {
			st.Close()
			return nil, authority.Cluster{}, err
		}
		return st, c.opts, nil
	}
	return nil, authority.Cluster{}, errors.New("serve: --store must be sqlite:PATH or a postgres:// URL")
}

// advertiseURL is the default --advertise: the address listened on, or
// this host's name when that is every interface.
func advertiseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

func randomSuffix() string {
	b := make([]byte, 3)
	rand.Read(b)
	return hex.EncodeToString(b)
}
