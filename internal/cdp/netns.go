package cdp

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// A browser gathers WebRTC candidates on every interface it sees. Tests
// and benchmarks therefore run it in a network namespace of their own that
// has only loopback: the program re-executes itself under `unshare -n`
// (which needs root) and brings loopback up in the child.

const netnsEnv = "TCANVAS_LOOPBACK_NETNS"

// InNetns reports whether this process is the re-executed child.
func InNetns() bool { return os.Getenv(netnsEnv) != "" }

// NetnsProblem says why this process cannot create the namespace, or "".
func NetnsProblem() string {
	switch {
	case os.Geteuid() != 0:
		return "not root: cannot create a network namespace"
	case LookTool("unshare") == "":
		return "no unshare (Debian package util-linux)"
	case LookTool("ip") == "":
		return "no ip (Debian package iproute2)"
	}
	return ""
}

// Reexec runs this program again, with the same arguments and env added,
// in a new network namespace, and returns its exit code.
func Reexec(env ...string) (int, error) {
	if p := NetnsProblem(); p != "" {
		return 0, errors.New(p)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(LookTool("unshare"), append([]string{"-n", "--", self}, os.Args[1:]...)...)
	cmd.Env = append(append(os.Environ(), netnsEnv+"=1"), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("unshare -n: %w", err)
	}
	return 0, nil
}

// UpLoopback brings up the namespace's loopback interface, which starts
// down.
func UpLoopback() error {
	if out, err := exec.Command(LookTool("ip"), "link", "set", "lo", "up").CombinedOutput(); err != nil {
		return fmt.Errorf("ip link set lo up: %v: %s", err, out)
	}
	return nil
}

// LookTool finds a system tool even when sbin is not on PATH.
func LookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return filepath.Join(d, name)
		}
	}
	return ""
}

// Isolate puts the program in a loopback-only namespace. In the
// re-executed child it brings loopback up and returns done false: carry
// on. In the parent it runs the child, when this machine allows it, and
// returns the child's exit code with done true: exit with it. Where no
// namespace can be made it returns done false, and InNetns stays false.
func Isolate(env ...string) (code int, done bool) {
	if InNetns() {
		if err := UpLoopback(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1, true
		}
		return 0, false
	}
	if NetnsProblem() != "" {
		return 0, false
	}
	code, err := Reexec(env...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1, true
	}
	return code, true
}
