package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// app holds what the handlers share. getenv and environ are os.Getenv and
// os.Environ in main, so tests can give the handlers any environment.
type app struct {
	cfg     Config
	log     *slog.Logger
	getenv  func(string) string
	environ func() []string
	metrics *metrics
	client  *http.Client
	ready   atomic.Bool
}

func newApp(cfg Config, log *slog.Logger, getenv func(string) string, environ func() []string) *app {
	return &app{
		cfg:     cfg,
		log:     log,
		getenv:  getenv,
		environ: environ,
		metrics: newMetrics(cfg),
		// One new connection per call: kube-proxy balances connections, not
		// requests, so a reused connection would always reach the same Pod
		// and a test could not see the callee's replicas share the calls.
		client: &http.Client{Transport: &http.Transport{
			Proxy:             nil, // calls stay inside the cluster; ignore HTTP_PROXY
			DisableKeepAlives: true,
		}},
	}
}

// handler is the whole HTTP surface: the common routes, the role's routes,
// and the middleware that counts, times and logs every request.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.handleHealthz)
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
	mux.Handle("GET /metrics", a.metrics.handler())
	mux.HandleFunc("GET /runtime", a.handleRuntime)
	roles[a.cfg.Role].routes(a, mux)
	return a.instrument(mux)
}

// handleHealthz is the readiness endpoint: 503 from the moment shutdown
// starts, so the endpoints controller takes the Pod out of its Services while
// the program still answers.
func (a *app) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	if !a.ready.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// instrument wraps the mux: after it served a request, r.Pattern holds the
// route that matched ("GET /call/{name}"), which keeps the path label of the
// metrics to a handful of values whatever paths clients ask for.
func (a *app) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		path := routeLabel(r.Pattern)
		a.metrics.observe(path, rec.status, elapsed)

		level := slog.LevelDebug
		if rec.status >= 500 && path != "/healthz" {
			level = slog.LevelWarn
		}
		a.log.Log(r.Context(), level, "request",
			"method", r.Method, "path", r.URL.Path, "route", path,
			"status", rec.status, "duration_ms", float64(elapsed.Microseconds())/1000,
			"remote", r.RemoteAddr)
	})
}

// routeLabel turns a mux pattern into the metrics' path label: the method
// is dropped ("GET /work" -> "/work"); no pattern (404, 405) is "unmatched".
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.status, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serve answers on ln until ctx ends (SIGTERM or SIGINT in main), then shuts
// down gracefully:
//  1. not ready: /healthz answers 503, keep-alives off;
//  2. keep serving for cfg.Drain, while the Pod leaves the endpoints;
//  3. http.Server.Shutdown: stop accepting, wait up to cfg.ShutdownTimeout
//     for in-flight requests.
//
// stopSignals is called when shutdown starts, so a second signal ends the
// process at once. serve returns nil after a clean shutdown.
func (a *app) serve(ctx context.Context, stopSignals func(), ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.ready.Store(true)
	a.log.Info("serving", "addr", ln.Addr().String(), "routes", roles[a.cfg.Role].summary, "drain", a.cfg.Drain.String(),
		"shutdown_timeout", a.cfg.ShutdownTimeout.String())

	select {
	case err := <-served:
		return err // the listener failed; Serve never returns nil
	case <-ctx.Done():
	}
	a.ready.Store(false)
	srv.SetKeepAlivesEnabled(false)
	stopSignals()
	a.log.Info("shutdown started: not ready, draining", "drain", a.cfg.Drain.String())
	time.Sleep(a.cfg.Drain)

	a.log.Info("drain over: closing the listener, waiting for in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			return errShutdownTimeout
		}
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
