// Command authority benchmarks the bundled authority end to end: a real
// authority.Server over a real SQLite store, served on a loopback port and
// driven by real WebSocket clients. It prints a markdown table of the
// figures that DESIGN.md §7 budgets.
//
//	go run ./bench/authority            # full run, under a minute on 2 cores
//	go run ./bench/authority -quick     # smoke test, a few seconds
//
// The idle-connection figure is measured in a child process (this binary
// re-executed with -serve-only), so the clients' memory is not counted.
package main
