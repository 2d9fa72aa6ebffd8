// Package statedir is where a tcanvas client keeps what must outlive it:
// the outbox of unanswered commits and the owner tokens of the rooms the
// user created. Everything in it is private to the user (directories 0700,
// files 0600): an owner token is the room.
package statedir

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Dir is $XDG_STATE_HOME/tcanvas, or ~/.local/state/tcanvas.
func Dir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "tcanvas")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "tcanvas")
	}
	return "tcanvas-state"
}

// OutboxDir is where the outbox journals live.
func OutboxDir(dir string) string { return filepath.Join(dir, "outbox") }

// Tokens is the file of owner tokens, one per server and room.
type Tokens struct {
	path string
	mu   sync.Mutex
}

// OwnerTokens returns the owner-token file in dir.
func OwnerTokens(dir string) *Tokens { return &Tokens{path: filepath.Join(dir, "owner-tokens.json")} }

func key(server, room string) string { return server + "/r/" + room }

func (t *Tokens) read() (map[string]string, error) {
	b, err := os.ReadFile(t.path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	return m, nil
}

// Get returns the owner token kept for room on server, or "".
func (t *Tokens) Get(server, room string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, err := t.read()
	if err != nil {
		return "", err
	}
	return m[key(server, room)], nil
}

// Set keeps token as the owner token of room on server; "" forgets it.
// The file is replaced atomically (written, fsynced, renamed over).
func (t *Tokens) Set(server, room, token string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, err := t.read()
	if err != nil {
		return err
	}
	k := key(server, room)
	if m[k] == token {
		return nil
	}
	if token == "" {
		delete(m, k)
	} else {
		m[k] = token
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(t.path, append(b, '\n'))
}

// WriteFileAtomic replaces path with b (mode 0600), so that a crash leaves
// the old content or the new, never a mix: a temporary file in the same
// directory is written and fsynced, renamed over path, and the directory
// fsynced so that the rename itself is durable.
func WriteFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
