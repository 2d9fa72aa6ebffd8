package web_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/web"
)

// authorityWithLog runs a real authority on loopback whose own log and
// HTTP server errors go to the returned buffer.
func authorityWithLog(t *testing.T) (*httptest.Server, *syncWriter, *bytes.Buffer) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "tcanvas.db"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logs := &syncWriter{w: &buf}
	srv, err := authority.New(authority.Options{Store: st, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.ErrorLog = log.New(logs, "http: ", 0)
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Close()
		st.Close()
	})
	return hs, logs, &buf
}

func get(t *testing.T, url, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

func TestPageServedToBrowsersWithStrictHeaders(t *testing.T) {
	hs, _, _ := authorityWithLog(t)
	host := strings.TrimPrefix(hs.URL, "http://")
	resp, body := get(t, hs.URL+"/r/demo?token=tc_secretsecret", browserAccept)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /r/demo from a browser: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'",
		"connect-src 'self' ws://" + host + " wss://" + host + ";", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "http:") || strings.Contains(csp, "https:") || strings.Contains(csp, "*") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy allows more than the origin: %q", csp)
	}
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if strings.Contains(body, "tc_secretsecret") {
		t.Error("the page echoes the token")
	}
	if !strings.Contains(body, `<script type="module" src="../_web/app.js">`) {
		t.Errorf("the page does not load its module relatively:\n%s", body)
	}

	// Tools and the Go client still get the plain-text note.
	resp, body = get(t, hs.URL+"/r/demo", "")
	if resp.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, "tcanvas join") {
		t.Fatalf("GET /r/demo without Accept: text/html: %s\n%s", resp.Status, body)
	}
	// A bad room name is refused before any page is served.
	if resp, _ := get(t, hs.URL+"/r/no%20spaces", browserAccept); resp.StatusCode != 400 {
		t.Fatalf("GET /r/no%%20spaces: %s, want 400", resp.Status)
	}
}

func TestAssetsServedWithTypesAndNoListing(t *testing.T) {
	hs, _, _ := authorityWithLog(t)
	for name, typ := range map[string]string{"app.js": "text/javascript", "model.js": "text/javascript",
		"mesh.js": "text/javascript", "presence.js": "text/javascript", "render.js": "text/javascript", "style.css": "text/css"} {
		resp, body := get(t, hs.URL+web.AssetPrefix+name, "*/*")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), typ) || body == "" {
			t.Errorf("%s: %s %q", name, resp.Status, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s without a Content-Security-Policy", name)
		}
	}
	for _, p := range []string{"", "index.html", "../go.mod", "nope.js"} {
		if resp, _ := get(t, hs.URL+web.AssetPrefix+p, "*/*"); resp.StatusCode != 404 {
			t.Errorf("GET %s%s: %s, want 404", web.AssetPrefix, p, resp.Status)
		}
	}
}

// Every module the page imports is embedded, and no asset names any other
// origin: the page works offline and fetches nothing from a CDN.
func TestAssetsSelfContained(t *testing.T) {
	dir := "assets"
	imports := regexp.MustCompile(`(?:from|import)\s+'(\./[^']+)'|(?:src|href)="\.\./_web/([^"]+)"`)
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9-]+\.[a-z]`)
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(string(b), -1) {
			ref := strings.TrimPrefix(m[1]+m[2], "./")
			if _, err := os.Stat(filepath.Join(dir, ref)); err != nil {
				t.Errorf("%s refers to %s, which is not embedded", p, ref)
			}
		}
		if m := external.FindString(string(b)); m != "" {
			t.Errorf("%s names another origin: %q", p, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Tokens travel in URLs only to the page (and to the history endpoint);
// neither they nor anything derived from them may reach the logs, also
// when the token is refused.
func TestTokensStayOutOfLogs(t *testing.T) {
	hs, logs, buf := authorityWithLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const secret = "tc_neverLogThisTokenAnywhere0000000000000000"
	get(t, hs.URL+"/r/demo?token="+secret, browserAccept)
	get(t, hs.URL+"/r/demo/history?token="+secret, "")
	get(t, hs.URL+web.AssetPrefix+"app.js?token="+secret, "*/*")
	c, err := rawclient.Dial(ctx, hs.URL+"/r/demo?token="+secret, wire.Hello{Client: "tok0123456789ab", Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	c.Until(ctx, func(f rawclient.Frame) bool { return f.T == wire.TError }) // unknown token: fatal error, close 4005
	c.WS.CloseNow()
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), "neverLog") {
		t.Fatalf("the token is in the log:\n%s", buf.String())
	}
}

func TestWantsPage(t *testing.T) {
	for accept, want := range map[string]bool{
		browserAccept: true, "text/html": true, "application/xhtml+xml": true,
		"": false, "*/*": false, "text/plain": false, "application/json, text/html;q=0.1": true,
	} {
		r := httptest.NewRequest(http.MethodGet, "/r/x", nil)
		r.Header.Set("Accept", accept)
		if got := web.WantsPage(r); got != want {
			t.Errorf("WantsPage(Accept: %q) = %v", accept, got)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/r/x", nil)
	r.Header.Set("Accept", "text/html")
	r.Header.Set("Upgrade", "websocket")
	if web.WantsPage(r) {
		t.Error("a WebSocket upgrade was taken for a page load")
	}
}
