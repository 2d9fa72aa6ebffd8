package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// ErrHistoryCut means a history stream ended before the seq its header
// promised: the authority failed or the connection broke mid-way.
var ErrHistoryCut = errors.New("history cut short")

// Record is one committed record of a room's history (docs/PROTOCOL.md,
// "History"), its ops as the authority applied them: replaying every
// record's ops in order rebuilds the canvas, undos included.
type Record struct {
	Seq    uint64     `json:"seq"`
	At     int64      `json:"at"` // unix milliseconds
	Author string     `json:"author"`
	Name   string     `json:"name"`
	Kind   string     `json:"kind"`
	Target uint64     `json:"target,omitempty"`
	Ops    []model.Op `json:"ops"`
}

// HistoryInfo describes the history a History call read.
type HistoryInfo struct {
	Room  string
	Epoch string
	Seq   uint64 // the last seq of the room when the read began
}

// historyLimits bound what one record may hold: looser than an authority's
// default, since the authority may have been configured with more, but
// bounded, so that a hostile server cannot make us allocate without end.
var historyLimits = model.Limits{MaxCoord: model.MaxCoord, MaxCells: 1 << 20}

// History reads the committed records of the room at link with seq ≥ from
// (from 0 or 1: all of them) and calls fn with each, in order. token, or
// else the link's ?token=, is sent as a bearer token: a room that is not
// open needs one. It is a plain HTTP GET: it does not join the room.
func History(ctx context.Context, client *http.Client, link, token string, from uint64, fn func(Record) error) (HistoryInfo, error) {
	l, err := wire.ParseLink(link)
	if err != nil {
		return HistoryInfo{}, err
	}
	if token == "" {
		token = l.Token
	}
	if client == nil {
		client = http.DefaultClient
	}
	u := l.Base + "/r/" + url.PathEscape(l.Room) + "/history"
	if from > 1 {
		u += "?from=" + strconv.FormatUint(from, 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return HistoryInfo{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return HistoryInfo{}, fmt.Errorf("history: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return HistoryInfo{}, fmt.Errorf("history of room %s: %s: %s", l.Room, resp.Status, strings.TrimSpace(string(msg)))
	}
	info := HistoryInfo{Room: l.Room, Epoch: resp.Header.Get("X-Tcanvas-Epoch")}
	info.Seq, err = strconv.ParseUint(resp.Header.Get("X-Tcanvas-Seq"), 10, 64)
	if err != nil {
		return info, fmt.Errorf("history: X-Tcanvas-Seq %q: %w", resp.Header.Get("X-Tcanvas-Seq"), err)
	}
	dec := json.NewDecoder(resp.Body)
	last := max(from, 1) - 1
	for {
		var r Record
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			return info, fmt.Errorf("history: record after %d: %w", last, err)
		}
		if r.Seq != last+1 || r.Seq > info.Seq {
			return info, fmt.Errorf("history: record %d after %d (of %d): the log has no gaps", r.Seq, last, info.Seq)
		}
		if err := model.ValidateOps(r.Ops, historyLimits); err != nil {
			return info, fmt.Errorf("history: record %d: %w", r.Seq, err)
		}
		if err := fn(r); err != nil {
			return info, err
		}
		last = r.Seq
	}
	if last < info.Seq && from <= info.Seq {
		return info, fmt.Errorf("%w: at %d of %d", ErrHistoryCut, last, info.Seq)
	}
	return info, nil
}
