package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// env is a fake environment for loadConfig and the handlers.
type env map[string]string

func (e env) get(k string) string { return e[k] }
func (e env) list() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func newTestApp(t *testing.T, e env) *app {
	t.Helper()
	cfg, err := loadConfig(nil, e.get)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	a := newApp(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), e.get, e.list)
	a.ready.Store(true)
	return a
}

// do sends one request through the whole handler (middleware included).
func do(t *testing.T, h http.Handler, method, target string) (int, map[string]any, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	var body map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, target, err, rec.Body.String())
		}
	}
	return rec.Code, body, rec.Body.String()
}

func TestCallEnvName(t *testing.T) {
	for name, want := range map[string]string{
		"catalog":        "CATALOG_URL",
		"orders-api":     "ORDERS_API_URL",
		"Orders.API v2":  "ORDERS_API_V2_URL",
		"--edge--proxy-": "EDGE_PROXY_URL",
		"a__b":           "A_B_URL",
		"9lives":         "9LIVES_URL",
	} {
		if got := callEnvName(name); got != want {
			t.Errorf("callEnvName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(nil, env{"HOSTNAME": "api-7d9f-abc"}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Role != "api" || cfg.Port != "8080" || cfg.Service != "api" || cfg.Pod != "api-7d9f-abc" ||
		cfg.Drain != 5*time.Second || cfg.ShutdownTimeout != 10*time.Second || cfg.Version != version {
		t.Errorf("defaults: %+v", cfg)
	}

	cfg, err = loadConfig([]string{"-role", "caller"}, env{
		"APP_ROLE": "api", "PORT": "9090", "SERVICE_NAME": "frontend", "POD_NAME": "frontend-0",
		"HOSTNAME": "ignored", "APP_VERSION": "v2", "NODE_ZONE": "zone-a", "SHUTDOWN_DRAIN": "250ms",
	}.get)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Role != "caller" || cfg.Port != "9090" || cfg.Service != "frontend" || cfg.Pod != "frontend-0" ||
		cfg.Version != "v2" || cfg.Zone != "zone-a" || cfg.Drain != 250*time.Millisecond {
		t.Errorf("the flag wins over APP_ROLE, variables are read: %+v", cfg)
	}

	_, err = loadConfig(nil, env{"APP_ROLE": "db", "PORT": "http", "SHUTDOWN_DRAIN": "5"}.get)
	for _, want := range []string{`role "db" is unknown; use one of: api, caller`, `PORT "http"`, `SHUTDOWN_DRAIN "5"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v should contain %q", err, want)
		}
	}
}

func TestIdentityOnAnyPath(t *testing.T) {
	h := newTestApp(t, env{"SERVICE_NAME": "catalog", "POD_NAME": "catalog-1", "APP_VERSION": "v3", "NODE_ZONE": "z1"}).handler()
	for _, path := range []string{"/", "/some/where?x=1"} {
		code, body, _ := do(t, h, "GET", path)
		want := map[string]any{"service": "catalog", "pod": "catalog-1", "version": "v3", "zone": "z1"}
		if code != 200 || !equalJSON(body, want) {
			t.Errorf("GET %s = %d %v, want 200 %v", path, code, body, want)
		}
	}
	// No zone: the field is left out.
	_, body, _ := do(t, newTestApp(t, env{}).handler(), "GET", "/")
	if _, ok := body["zone"]; ok || body["service"] != "api" {
		t.Errorf("without NODE_ZONE and SERVICE_NAME: %v", body)
	}
}

func TestWork(t *testing.T) {
	h := newTestApp(t, env{"POD_NAME": "p"}).handler()
	start := time.Now()
	code, body, _ := do(t, h, "GET", "/work?ms=30")
	if code != 200 || body["pod"] != "p" || time.Since(start) < 30*time.Millisecond {
		t.Errorf("GET /work?ms=30 = %d %v after %v", code, body, time.Since(start))
	}
	for _, bad := range []string{"/work", "/work?ms=-1", "/work?ms=abc", "/work?ms=60000"} {
		if code, _, _ := do(t, h, "GET", bad); code != 400 {
			t.Errorf("GET %s = %d, want 400", bad, code)
		}
	}
}

func TestHealthzDuringShutdown(t *testing.T) {
	a := newTestApp(t, env{})
	h := a.handler()
	if code, body, _ := do(t, h, "GET", "/healthz"); code != 200 || body["status"] != "ok" {
		t.Errorf("ready: %d %v", code, body)
	}
	a.ready.Store(false)
	if code, body, _ := do(t, h, "GET", "/healthz"); code != 503 || body["status"] != "draining" {
		t.Errorf("draining: %d %v", code, body)
	}
	if code, _, _ := do(t, h, "GET", "/livez"); code != 200 {
		t.Errorf("/livez while draining: %d", code)
	}
	if code, _, _ := do(t, h, "GET", "/"); code != 200 {
		t.Errorf("requests are still served while draining: %d", code)
	}
}

func TestMetrics(t *testing.T) {
	h := newTestApp(t, env{}).handler()
	do(t, h, "GET", "/work?ms=0")
	do(t, h, "GET", "/work?ms=x")
	do(t, h, "GET", "/a/b/c")
	_, _, text := do(t, h, "GET", "/metrics")
	for _, want := range []string{
		`http_requests_total{code="200",path="/work"} 1`,
		`http_requests_total{code="400",path="/work"} 1`,
		`http_requests_total{code="200",path="/"} 1`,
		`http_request_duration_seconds_bucket{path="/work",le="+Inf"} 2`,
		`app_info{role="api",service="api",version="dev"} 1`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestCallerCalls(t *testing.T) {
	callee := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		writeJSON(w, 200, identity{Service: "catalog", Pod: "catalog-0", Version: "v1"})
	}))
	defer callee.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // a URL nothing listens on any more

	h := newTestApp(t, env{
		"APP_ROLE":          "caller",
		"CATALOG_URL":       callee.URL,
		"ORDERS_API_URL":    callee.URL + "/broken",
		"BILLING_URL":       gone.URL,
		"EVENTS_BROKER_URL": "nats://svc:secret@nats:4222",
		"AUDIT_URL":         "http://auditor:hunter2@audit:8080",
	}).handler()

	code, body, _ := do(t, h, "GET", "/call/catalog")
	if code != 200 || body["via"] != callee.URL || body["status"] != float64(200) ||
		!equalJSON(body["body"], map[string]any{"service": "catalog", "pod": "catalog-0", "version": "v1"}) {
		t.Errorf("GET /call/catalog = %d %v", code, body)
	}
	if code, body, _ := do(t, h, "GET", "/call/orders-api"); code != 502 || body["status"] != float64(500) || body["body"] != "boom\n" {
		t.Errorf("callee 500: %d %v", code, body)
	}
	if code, body, _ := do(t, h, "GET", "/call/billing"); code != 502 || !strings.Contains(body["error"].(string), "refused") {
		t.Errorf("callee down: %d %v", code, body)
	}
	if code, body, _ := do(t, h, "GET", "/call/inventory"); code != 404 || !strings.Contains(body["error"].(string), "INVENTORY_URL is not set") {
		t.Errorf("unknown callee: %d %v", code, body)
	}

	_, body, _ = do(t, h, "GET", "/calls")
	got, _ := json.Marshal(body["calls"])
	// (keys sorted: the answer went through a map)
	want := `[{"env":"AUDIT_URL","path":"/call/audit","url":"http://auditor:xxxxx@audit:8080"},` +
		`{"env":"BILLING_URL","path":"/call/billing","url":"` + gone.URL + `"},` +
		`{"env":"CATALOG_URL","path":"/call/catalog","url":"` + callee.URL + `"},` +
		`{"env":"ORDERS_API_URL","path":"/call/orders_api","url":"` + callee.URL + `/broken"}]`
	if string(got) != want {
		t.Errorf("GET /calls:\n got %s\nwant %s", got, want)
	}

	// The api role has no /call route: the path falls through to GET /.
	if _, body, _ := do(t, newTestApp(t, env{"CATALOG_URL": callee.URL}).handler(), "GET", "/call/catalog"); body["via"] != nil {
		t.Errorf("api role answered a call: %v", body)
	}
}

// TestServeShutdown runs the real server: after the context ends, /healthz
// answers 503 while other requests still succeed, then serve returns nil.
func TestServeShutdown(t *testing.T) {
	a := newTestApp(t, env{"SHUTDOWN_DRAIN": "300ms", "SHUTDOWN_TIMEOUT": "2s"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func() { close(stopped) }, ln) }()

	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status("/healthz"); s != 200 {
		t.Fatalf("/healthz before shutdown: %d", s)
	}
	cancel()
	<-stopped
	if s := status("/healthz"); s != 503 {
		t.Errorf("/healthz while draining: %d, want 503", s)
	}
	if s := status("/"); s != 200 {
		t.Errorf("GET / while draining: %d, want 200", s)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return")
	}
	if s := status("/"); s != 0 {
		t.Errorf("still answering after shutdown: %d", s)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestStatusField(t *testing.T) {
	status := "Name:\tapp\nUid:\t65532\t65532\t65532\t65532\nNoNewPrivs:\t1\n"
	if got := statusField(status, "NoNewPrivs"); got != "1" {
		t.Fatalf("NoNewPrivs = %q", got)
	}
	if got := statusField(status, "Missing"); got != "" {
		t.Fatalf("Missing = %q", got)
	}
}
