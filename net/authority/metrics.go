package authority

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series; every name starts with
// tcanvas_ so they group in a shared Prometheus.
type metrics struct {
	connections  prometheus.Gauge
	roomsLive    prometheus.Gauge
	hibernations prometheus.Counter
	wakes        prometheus.Counter
	wakeSeconds  prometheus.Histogram
	commits      *prometheus.CounterVec
	commitLat    prometheus.Histogram
	relayed      prometheus.Counter
	relayFrames  prometheus.Counter
	presenceIn   prometheus.Counter
	disconnects  *prometheus.CounterVec
	flushSeconds prometheus.Histogram
	flushRecords prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tcanvas_connections", Help: "Open WebSocket connections that sent a valid hello."}),
		roomsLive: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tcanvas_rooms_live", Help: "Rooms loaded in memory."}),
		hibernations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_room_hibernations_total", Help: "Rooms unloaded from memory after being idle."}),
		wakes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_room_wakes_total", Help: "Rooms loaded into memory (created or woken from disk)."}),
		wakeSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tcanvas_room_wake_seconds", Help: "Time to load a room from the store.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcanvas_commits_total", Help: "Commits, undos and redos received, by result."}, []string{"result"}),
		commitLat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tcanvas_commit_latency_seconds", Help: "From a commit's arrival to its broadcast (after it is durable).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		relayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_presence_relayed_packets_total", Help: "Presence packets the authority relayed (fallback lane)."}),
		relayFrames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_presence_relay_frames_total", Help: "Batched relay frames sent (one per recipient per tick)."}),
		presenceIn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_presence_received_packets_total", Help: "Presence packets received from clients over WebSocket."}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcanvas_disconnects_total", Help: "Connections the authority closed, by reason code."}, []string{"code"}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tcanvas_store_flush_seconds", Help: "Time for one room flush to become durable.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		flushRecords: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tcanvas_store_flush_records", Help: "Commits made durable by one room flush (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
	}
	reg.MustRegister(m.connections, m.roomsLive, m.hibernations, m.wakes, m.wakeSeconds, m.commits,
		m.commitLat, m.relayed, m.relayFrames, m.presenceIn, m.disconnects, m.flushSeconds, m.flushRecords)
	return m
}
