package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
)

// writeHeapProfile writes the live heap (as of the last GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("memprofile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memprofile: %w", err)
	}
	return nil
}

// runtimeSnapshot is the process's goroutines and live memory after GC.
type runtimeSnapshot struct {
	goroutines int
	heap       uint64 // live heap after GC
	stacks     uint64 // goroutine stacks in use
	creators   map[string]int
}

func snapshotRuntime() runtimeSnapshot {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	creators := parseCreators(buf)
	n := 0
	for _, c := range creators {
		n += c
	}
	return runtimeSnapshot{goroutines: n, heap: ms.HeapAlloc, stacks: ms.StackInuse, creators: creators}
}

// parseCreators counts goroutines in a runtime.Stack(all) dump by the
// function that started them ("created by F in goroutine N").
func parseCreators(dump []byte) map[string]int {
	out := map[string]int{}
	for g := range bytes.SplitSeq(dump, []byte("\n\n")) {
		if len(bytes.TrimSpace(g)) == 0 {
			continue
		}
		fn := "(main)"
		for line := range bytes.SplitSeq(g, []byte("\n")) {
			if rest, ok := bytes.CutPrefix(line, []byte("created by ")); ok {
				f, _, _ := bytes.Cut(rest, []byte(" in goroutine "))
				fn = string(f)
			}
		}
		out[fn]++
	}
	return out
}

// creatorDelta lists the goroutines that appeared, by creator, most first.
func creatorDelta(before, after map[string]int) []creatorCount {
	var out []creatorCount
	for fn, n := range after {
		if d := n - before[fn]; d != 0 {
			out = append(out, creatorCount{fn: fn, n: d})
		}
	}
	slices.SortFunc(out, func(a, b creatorCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.fn, b.fn)
	})
	return out
}

// udpCheck is the UDP sockets this process holds and those bound to an
// address outside loopback (which must be none).
type udpCheck struct {
	checked bool // false where /proc is not available
	sockets int
	outside []string
}

// checkUDP verifies that every UDP socket of this process is bound to a
// loopback address: the ICE filter, not hope, keeps the mesh on loopback.
// It matches the socket inodes among /proc/self/fd with /proc/net/udp{,6}.
func checkUDP() (udpCheck, error) {
	var res udpCheck
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return res, nil // not Linux: nothing to check with
	}
	mine := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			mine[strings.TrimSuffix(inode, "]")] = true
		}
	}
	res.checked = true
	for _, table := range []string{"/proc/self/net/udp", "/proc/self/net/udp6"} {
		f, err := os.Open(table)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return res, fmt.Errorf("udp check: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !mine[fields[9]] {
				continue
			}
			res.sockets++
			addr, err := parseProcAddr(fields[1])
			if err != nil {
				f.Close()
				return res, fmt.Errorf("udp check: %s: %w", table, err)
			}
			if !addr.Addr().Unmap().IsLoopback() {
				res.outside = append(res.outside, addr.String())
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return res, fmt.Errorf("udp check: %w", err)
		}
	}
	return res, nil
}

// parseProcAddr decodes a /proc/net/udp local address: hex IP in host
// byte order by 32-bit words, colon, hex port.
func parseProcAddr(s string) (netip.AddrPort, error) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q", s)
	}
	// The kernel prints each 32-bit word of the network-order address as
	// a number in host byte order.
	for i := 0; i+4 <= len(b); i += 4 {
		binary.NativeEndian.PutUint32(b[i:], binary.BigEndian.Uint32(b[i:]))
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q", p)
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.AddrPortFrom(a, uint16(port)), nil
}

func hostLine() string {
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load average " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%s %s/%s, %d CPUs, GOMAXPROCS=%d%s", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0), load)
}
