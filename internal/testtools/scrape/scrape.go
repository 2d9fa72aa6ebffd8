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

// Metric returns the value of the series name at base + "/metrics"; an
// absent series is an error.
func Metric(base, name string) (float64, error) {
	v, ok, err := Read(http.DefaultClient, base, name)
	if err == nil && !ok {
		err = fmt.Errorf("no %s in %s/metrics", name, base)
	}
	return v, err
}

// Read fetches base + "/metrics" with c and returns the value of the
// series name (as exposed, labels included) and whether it is there.
func Read(c *http.Client, base, name string) (float64, bool, error) {
	resp, err := c.Get(base + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil, err
		}
	}
	return 0, false, nil
}
