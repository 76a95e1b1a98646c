package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

func init() {
	registerRole(role{
		name:    "api",
		summary: "answers who served each request; /work burns CPU",
		routes:  apiRoutes,
	})
}

// maxWork caps GET /work?ms=N, so one request cannot hold a core for long.
const maxWork = 10 * time.Second

func apiRoutes(a *app, mux *http.ServeMux) {
	mux.HandleFunc("GET /work", a.handleWork)
	// Any other path and method: who answered.
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, a.identity())
	})
}

// identity is what GET / answers, so a test can tell which Pod, version and
// zone served a request.
type identity struct {
	Service string `json:"service"`
	Pod     string `json:"pod"`
	Version string `json:"version"`
	Zone    string `json:"zone,omitempty"`
}

func (a *app) identity() identity {
	return identity{Service: a.cfg.Service, Pod: a.cfg.Pod, Version: a.cfg.Version, Zone: a.cfg.Zone}
}

// handleWork burns CPU for ?ms=N milliseconds (0 to 10000), then answers
// like GET /. A HorizontalPodAutoscaler on CPU sees the load.
func (a *app) handleWork(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 || time.Duration(ms)*time.Millisecond > maxWork {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": fmt.Sprintf("ms must be a whole number of milliseconds from 0 to %d", maxWork.Milliseconds()),
		})
		return
	}
	burnCPU(r.Context(), time.Duration(ms)*time.Millisecond)
	writeJSON(w, http.StatusOK, a.identity())
}

// sink keeps the compiler from dropping burnCPU's arithmetic.
var sink atomic.Uint64

// burnCPU keeps one core busy for d, or until ctx ends (client gone).
func burnCPU(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	x := uint64(time.Now().UnixNano()) | 1
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for range 20000 { // xorshift: pure CPU, no memory traffic
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	sink.Store(x)
}
