// Package scrape reads one unlabelled series from an authority's
// Prometheus text endpoint, for tests and benchmarks that watch a counter.
package scrape

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Metric returns the value of the series name at base + "/metrics".
func Metric(base, name string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %s/metrics", name, base)
}
