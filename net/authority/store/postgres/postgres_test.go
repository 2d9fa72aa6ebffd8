package postgres_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres"
	"github.com/tcanvas/tcanvas/net/authority/store/postgres/pgtest"
	"github.com/tcanvas/tcanvas/net/authority/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.Schema(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostgres(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestPostgresLeases(t *testing.T) {
	pgtest.URL(t)
	storetest.RunLeaser(t, func(t *testing.T) storetest.LeaseStore { return open(t) })
}
