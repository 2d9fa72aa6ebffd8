// Package pgtest gives tests a fresh, empty Postgres schema of their own on
// the server named by $TCANVAS_TEST_POSTGRES (scripts/test starts one).
// Without it a test fails in CI (CI=true) and is skipped elsewhere, with a
// message saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the server's URL.
const Env = "TCANVAS_TEST_POSTGRES"

// URL returns the server's URL, or ends the test when there is none.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u != "" {
		return u
	}
	msg := Env + " is not set: these tests need PostgreSQL. scripts/test starts a throwaway cluster " +
		"and sets it; or start one with `scripts/postgres start DIR` and export " + Env + "=<the URL it prints>"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Schema creates an empty schema, dropped when the test ends, and returns
// a URL whose connections use it.
func Schema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", base, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, base); err == nil {
			conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
			conn.Close(ctx)
		}
	})
	return WithSchema(base, name)
}

// WithSchema returns u with its connections' search_path set to schema.
func WithSchema(u, schema string) string {
	if pu, err := url.Parse(u); err == nil && strings.HasPrefix(pu.Scheme, "postgres") {
		q := pu.Query()
		q.Set("search_path", schema)
		pu.RawQuery = q.Encode()
		return pu.String()
	}
	return u + " search_path=" + schema
}
