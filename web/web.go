// Package web is the browser client of a room: a page embedded in the
// binary (plain JavaScript modules, no build step, nothing fetched from
// anywhere but the authority itself) that the authority serves on
// GET /r/ROOM to browsers. The page speaks docs/PROTOCOL.md like any other
// client: the WebSocket for commits and the roster, and WebRTC data channels
// for presence, pairing with net/mesh peers.
package web

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// AssetPrefix is where the page's scripts and styles are served, relative
// to the authority's root (the page refers to them relatively, so an
// authority behind a reverse-proxy prefix works too).
const AssetPrefix = "/_web/"

var files = func() fs.FS {
	f, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return f
}()

// WantsPage reports whether a GET on a room's path comes from a browser
// navigating to it (rather than a WebSocket upgrade or a tool wanting the
// plain-text note).
func WantsPage(r *http.Request) bool {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
			return true
		}
	}
	return false
}

// securityHeaders are sent with the page and every asset. The page may
// load only its own scripts and styles and connect only to its own origin
// (WebSocket included); nothing may frame it. Referrer-Policy keeps the
// invite token of the page's URL out of the Referer of its own requests
// (the page also removes it from the address bar at once).
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	host := r.Host
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
		"connect-src 'self'"
	if plainHost(host) {
		// 'self' covers ws: and wss: of the same host in CSP Level 3
		// browsers; older ones need them spelt out.
		csp += " ws://" + host + " wss://" + host
	}
	csp += "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServePage answers a browser's GET /r/ROOM with the page. The room name
// and any token are read by the page from its own address, so the page is
// the same for every room and never echoes the request.
func ServePage(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(files, "index.html")
	if err != nil {
		http.Error(w, "page missing from this build", http.StatusInternalServerError)
		return
	}
	securityHeaders(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The URL may hold an invite token: keep it out of every cache.
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// Assets serves the page's scripts and styles under AssetPrefix.
func Assets() http.Handler {
	fsrv := http.FileServerFS(files)
	return http.StripPrefix(strings.TrimSuffix(AssetPrefix, "/"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" || name == "." || name == "index.html" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings; the page lives at /r/ROOM
			return
		}
		securityHeaders(w, r)
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	}))
}

// plainHost reports whether a Host header is safe to copy into a header:
// letters, digits and the punctuation of names, IPv4 and [IPv6]:port.
func plainHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c)
		if !ok {
			return false
		}
	}
	return true
}
