// Command app is switchyard's reference application: one small HTTP service
// whose role is chosen at start, used by the runtime tests on real nodes and
// as documentation of how a service reads the environment switchyard gives
// it.
//
// # Roles
//
// The role comes from the -role flag or, without it, from APP_ROLE
// (default "api"). Each role lives in its own file (role_*.go) and registers
// itself in the roles table; see roles.go to add one.
//
//   - api: GET / (any path) answers who served it; GET /work?ms=N burns CPU
//     for N milliseconds first (for autoscaling tests).
//   - caller: everything api serves, plus GET /call/<name>, which calls the
//     service injected as <NAME>_URL, and GET /calls, which lists them.
//
// # Endpoints every role serves
//
//   - GET /healthz: readiness. 200 while serving, 503 once shutdown started,
//     so the Pod leaves its Service's endpoints before the server stops.
//   - GET /livez: liveness. 200 while the process runs.
//   - GET /runtime: the process's sandbox as it sees it: uid, gid, groups,
//     whether / and /tmp are writable, NoNewPrivs (switchyard's restricted
//     defaults: 65532, read-only root, writable /tmp, no privilege escalation).
//   - GET /metrics: Prometheus text format: http_requests_total{path,code},
//     http_request_duration_seconds{path}, app_info, and the Go and process
//     collectors.
//
// # The environment contract
//
// What switchyard sets on the container, and what this program reads:
//
//	PORT              port to listen on (default 8080); the service declares it and probes it
//	<NAME>_URL        one per entry of `calls: [...]`, e.g. CATALOG_URL=http://catalog-….svc.cluster.local:8080
//	                  (NAME is the callee's logical name, upper-cased, other characters as "_")
//	EVENTS_*          broker settings of event services (not read yet; EVENTS_BROKER_URL holds a password)
//
// What a test or a Deployment may set:
//
//	APP_ROLE          api (default) or caller
//	SERVICE_NAME      name reported by GET / (default: the role)
//	POD_NAME          Pod name reported by GET / (default: $HOSTNAME, which Kubernetes sets to the Pod name)
//	APP_VERSION       version reported by GET / (default: the version stamped at build time, or "dev")
//	NODE_ZONE         zone reported by GET / when set
//	SHUTDOWN_DRAIN    how long to keep serving after SIGTERM while not ready (default 5s)
//	SHUTDOWN_TIMEOUT  how long http.Server.Shutdown may wait for in-flight requests (default 10s)
//	CALL_TIMEOUT      timeout of one GET /call/<name> (default 2s)
//	LOG_LEVEL         debug, info (default), warn or error
//
// # Shutdown
//
// On SIGTERM (or SIGINT) the program marks itself not ready, keeps serving
// old and new requests for SHUTDOWN_DRAIN (with keep-alives off, so clients
// reconnect to other Pods), then stops accepting connections and waits up to
// SHUTDOWN_TIMEOUT for in-flight requests. It exits 0 when they all
// finished, 1 otherwise. switchyard's preStop hook already sleeps 5 s before
// SIGTERM is sent; preStop + drain + timeout (20 s by default) stays inside
// Kubernetes' default 30 s grace period.
//
// # Security
//
// The program runs as UID 65532 on a read-only root filesystem (switchyard's
// restricted defaults) and writes nothing to disk: logs go to stdout as JSON
// lines (log/slog).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time (-ldflags "-X main.version=<tag>");
// APP_VERSION overrides it.
var version = "dev"

func main() {
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(2)
	}
	log := newLogger(os.Stdout, cfg)
	a := newApp(cfg, log, os.Getenv, os.Environ)

	// The first SIGTERM or SIGINT starts the graceful shutdown; serve restores
	// the default behaviour, so a second one ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	ln, err := net.Listen("tcp", ":"+cfg.Port)
	if err != nil {
		log.Error("cannot listen", "port", cfg.Port, "error", err)
		os.Exit(1)
	}
	if err := a.serve(ctx, stop, ln); err != nil {
		log.Error("stopped with an error", "error", err)
		os.Exit(1)
	}
	log.Info("stopped")
}

// errShutdownTimeout says requests were still running when SHUTDOWN_TIMEOUT
// was over.
var errShutdownTimeout = errors.New("shutdown timeout: in-flight requests were cut")

func newLogger(w io.Writer, cfg Config) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel})
	return slog.New(h).With("service", cfg.Service, "role", cfg.Role, "pod", cfg.Pod, "version", cfg.Version)
}
