package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// vmRSS is a process's resident set in bytes, from /proc.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestStalledReadersBoundedInRealServer is issue 15's finding 2 against a
// real `tcanvas serve`, its memory read from /proc: four joiners catching
// up and six history readers of a 50 MB room, none of them reading, used
// to make each hold the whole history (gigabytes on bigger rooms). Now the
// server's resident set grows by at most the stream budget's pages and
// their frames (2 × 32 MiB) plus 96 MiB of runtime headroom, another room
// keeps committing, and an honest reader gets every record.
func TestStalledReadersBoundedInRealServer(t *testing.T) {
	const n, size = 100, 512 << 10
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := store.OpenSQLite(ctx, filepath.Join(data, "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	meta := store.Meta{Room: "big", Epoch: "big-epoch", Open: true, Created: time.Now().UnixMilli()}
	pad := strings.Repeat("p", size)
	c := model.NewCanvas()
	for i := 1; i <= n; i += 20 {
		b := store.Batch{Room: "big"}
		if i == 1 {
			b.Meta = &meta
		}
		for j := i; j < i+20; j++ {
			// A field decoders ignore: bytes, not cells, are under test.
			ops := fmt.Sprintf(`[{"op":"text","x":%d,"y":0,"text":"x","pad":"%s"}]`, j, pad)
			b.Records = append(b.Records, store.Record{Seq: uint64(j), ID: fmt.Sprintf("w-%d", j), Client: "w", Name: "w",
				Kind: wire.KindDraw, Ops: []byte(ops), Effect: []byte{}, At: 1})
			c.Apply([]model.Op{rawclient.Text(int32(j), 0, "x")})
		}
		if i+20 > n {
			snap, _ := c.MarshalBinary()
			b.Snapshot = &store.Snapshot{Seq: n, Data: snap}
		}
		if err := st.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	srv := startServerProc(t, data, "--open")
	pid := srv.cmd.Process.Pid
	bystander, err := rawclient.Join(ctx, srv.base+"/r/calm", wire.Hello{Client: "b", Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer bystander.WS.CloseNow()
	warm, err := rawclient.Join(ctx, srv.base+"/r/big", wire.Hello{Client: "warm", Name: "warm"}) // wakes the room
	if err != nil {
		t.Fatal(err)
	}
	warm.WS.CloseNow()
	base := vmRSS(t, pid)
	for i := range 4 {
		a, err := rawclient.Dial(ctx, srv.base+"/r/big", wire.Hello{Client: fmt.Sprintf("slow%d", i), Name: "slow", Epoch: meta.Epoch})
		if err != nil {
			t.Fatal(err)
		}
		defer a.WS.CloseNow()
	}
	for range 6 {
		resp, err := http.Get(srv.base + "/r/big/history")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
	}
	peak := base
	for i := range 20 { // two seconds of stalled readers, other rooms committing
		if i%4 == 0 {
			f, err := bystander.Commit(ctx, fmt.Sprintf("b-%d", i), rawclient.Text(0, int32(i), "calm"))
			if err != nil || f.T != wire.TCommitted {
				t.Fatalf("another room's commit during the attack: %s %v", f.Raw, err)
			}
		}
		peak = max(peak, vmRSS(t, pid))
		time.Sleep(100 * time.Millisecond)
	}
	grew := peak - base
	t.Logf("server VmRSS %d MB, peak %d MB with 10 stalled readers of a 50 MB room", base>>20, peak>>20)
	if bound := int64(2*32+96) << 20; grew > bound {
		t.Fatalf("server VmRSS grew by %d MB; bound %d MB", grew>>20, bound>>20)
	}
	good, err := rawclient.Join(ctx, srv.base+"/r/big", wire.Hello{Client: "good", Name: "good", Epoch: meta.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	defer good.WS.CloseNow()
	if good.Welcome.Sync != wire.SyncCatchup || good.Seq != n {
		t.Fatalf("honest catch-up: sync %s, at seq %d of %d", good.Welcome.Sync, good.Seq, n)
	}
}
