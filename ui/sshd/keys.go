package sshd

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"

	"github.com/tcanvas/tcanvas/net/wire"
)

// Keys maps public keys to roles, read from a file in the authorized_keys
// format with an optional role first on each line:
//
//	# role    key
//	editor    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… alice@laptop
//	viewer    ssh-rsa AAAAB3NzaC1yc2EAAAA… projector
//	ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… bob      (no role: editor)
//
// Roles are viewer and editor. The file is read again when it changes, so
// keys can be added while the server runs; a file that no longer parses
// keeps the previous keys (and says so in the log).
type Keys struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	mod   time.Time
	size  int64
	roles map[string]wire.Role // by the key's wire form
}

// LoadKeys reads the file at path.
func LoadKeys(path string, log *slog.Logger) (*Keys, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k := &Keys{path: path, log: log}
	if err := k.reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Role returns the role of key, or "" for a key the file does not list.
func (k *Keys) Role(key ssh.PublicKey) wire.Role {
	if k == nil || key == nil {
		return ""
	}
	if err := k.reload(); err != nil {
		k.log.Warn("ssh authorized keys: keeping the previous keys", "err", err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.roles[string(key.Marshal())]
}

// Len returns the number of keys.
func (k *Keys) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.roles)
}

// reload parses the file if it changed since the last read.
func (k *Keys) reload() error {
	st, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("ssh authorized keys: %w", err)
	}
	k.mu.Lock()
	same := k.roles != nil && st.ModTime().Equal(k.mod) && st.Size() == k.size
	k.mu.Unlock()
	if same {
		return nil
	}
	b, err := os.ReadFile(k.path)
	if err != nil {
		return fmt.Errorf("ssh authorized keys: %w", err)
	}
	roles, err := ParseKeys(b)
	if err != nil {
		return fmt.Errorf("ssh authorized keys %s: %w", k.path, err)
	}
	k.mu.Lock()
	k.roles, k.mod, k.size = roles, st.ModTime(), st.Size()
	k.mu.Unlock()
	return nil
}

// ParseKeys parses the text of a keys file (see Keys).
func ParseKeys(b []byte) (map[string]wire.Role, error) {
	roles := map[string]wire.Role{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		role := wire.RoleEditor
		if f := strings.Fields(line); len(f) > 1 {
			switch wire.Role(f[0]) {
			case wire.RoleViewer, wire.RoleEditor:
				role = wire.Role(f[0])
				line = strings.TrimSpace(line[len(f[0]):])
			case wire.RoleOwner:
				return nil, fmt.Errorf("line %d: role owner cannot be given over SSH: want viewer or editor", n)
			}
		}
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		roles[string(key.Marshal())] = role
	}
	return roles, sc.Err()
}
