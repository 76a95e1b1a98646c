package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

func init() {
	registerRole(role{
		name:    "caller",
		summary: "api, plus /call/<name> to the services in <NAME>_URL and /calls to list them",
		routes: func(a *app, mux *http.ServeMux) {
			apiRoutes(a, mux)
			mux.HandleFunc("GET /call/{name}", a.handleCall)
			mux.HandleFunc("GET /calls", a.handleCalls)
		},
	})
}

// maxCalleeBody bounds what GET /call/<name> reads from the callee.
const maxCalleeBody = 1 << 20

// envStem mirrors switchyard's envStem (lib/model/names.ts): upper-case,
// every run of characters other than A-Z and 0-9 becomes one "_", no "_" at
// either end. "orders-api" -> "ORDERS_API".
func envStem(name string) string {
	var b strings.Builder
	pending := false // a run of other characters waits to become "_"
	for _, c := range strings.ToUpper(name) {
		if ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(c)
		} else {
			pending = true
		}
	}
	return b.String()
}

// callEnvName is the variable switchyard injects for `calls: [name]`:
// "catalog" -> "CATALOG_URL", "orders-api" -> "ORDERS_API_URL".
func callEnvName(name string) string { return envStem(name) + "_URL" }

// callReply is what GET /call/<name> answers.
type callReply struct {
	Via    string `json:"via"`
	Status int    `json:"status,omitempty"` // the callee's status code
	Body   any    `json:"body,omitempty"`   // the callee's JSON, or its text when not JSON
	Error  string `json:"error,omitempty"`  // why the call failed
}

// handleCall GETs the URL in <NAME>_URL and relays the answer. It answers
// 200 when the callee answered 2xx; 502 when the call failed or the callee
// answered anything else; 404 when no such variable is set.
func (a *app) handleCall(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	env := callEnvName(name)
	target := a.getenv(env)
	if envStem(name) == "" || target == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"error": fmt.Sprintf("%s is not set: this service does not call %q (see GET /calls)", env, name),
		})
		return
	}
	reply := callReply{Via: redact(target)}
	status, body, err := a.get(r.Context(), target)
	if err != nil {
		reply.Error = err.Error()
		a.log.Warn("call failed", "callee", name, "via", reply.Via, "error", err)
		writeJSON(w, http.StatusBadGateway, reply)
		return
	}
	reply.Status = status
	if json.Valid(body) {
		reply.Body = json.RawMessage(body)
	} else {
		reply.Body = string(body)
	}
	code := http.StatusOK
	if status < 200 || status > 299 {
		code = http.StatusBadGateway
		reply.Error = fmt.Sprintf("callee answered %d", status)
	}
	writeJSON(w, code, reply)
}

// get does one GET with the call timeout; the error text names the cause
// (DNS, refused, timeout), which is what a failing test needs to see.
func (a *app) get(ctx context.Context, target string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "switchyard-app/"+a.cfg.Version+" ("+a.cfg.Service+")")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCalleeBody))
	if err != nil {
		return 0, nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, body, nil
}

// calleeEntry is one line of GET /calls.
type calleeEntry struct {
	Env  string `json:"env"`  // CATALOG_URL
	URL  string `json:"url"`  // its value, without any password
	Path string `json:"path"` // /call/catalog: the route that calls it
}

// handleCalls lists every <NAME>_URL variable: the services this one may
// call. EVENTS_* variables are the broker's (EVENTS_BROKER_URL carries a
// password) and are left out; passwords in URLs are masked.
func (a *app) handleCalls(w http.ResponseWriter, _ *http.Request) {
	calls := []calleeEntry{}
	for _, kv := range a.environ() {
		k, v, _ := strings.Cut(kv, "=")
		stem, ok := strings.CutSuffix(k, "_URL")
		if !ok || stem == "" || strings.HasPrefix(k, "EVENTS_") || v == "" {
			continue
		}
		calls = append(calls, calleeEntry{Env: k, URL: redact(v), Path: "/call/" + strings.ToLower(stem)})
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Env < calls[j].Env })
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}

// redact masks the password of a URL ("http://u:xxxxx@h"); other text is
// returned as it is.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
