// Command scale measures tcanvas as several authority nodes on one
// Postgres: how many rooms a node holds and what they cost, durable commits
// per second with 1, 2 and 3 nodes (and the ratios), and the latency the
// proxy hop adds when a client reaches a room through a node that does not
// own it. It starts real `tcanvas serve` processes on loopback and, unless
// -pg names one, a throwaway PostgreSQL with fsync on (scripts/postgres).
//
//	go run ./bench/scale                 # the full run (about two minutes)
//	go run ./bench/scale -quick          # a smoke run
//
// Every node, Postgres and the load generator share this machine's cores,
// so the ratios say how the cluster scales on one machine, not across
// machines; docs/SCALING.md says how to read them.
package main
