package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Sandbox is what GET /runtime reports about the process's own sandbox, so a
// test (or an operator) can see that switchyard's restricted defaults hold:
// a non-root user, a read-only root filesystem and a writable /tmp.
type Sandbox struct {
	UID            int    `json:"uid"`
	GID            int    `json:"gid"`
	Groups         []int  `json:"groups"`
	RootWritable   bool   `json:"rootWritable"`
	RootWriteError string `json:"rootWriteError,omitempty"`
	TmpWritable    bool   `json:"tmpWritable"`
	NoNewPrivs     bool   `json:"noNewPrivs"`
}

// probeWrite reports whether a file can be created in dir (and removes it).
func probeWrite(dir string) (bool, string) {
	f, err := os.CreateTemp(dir, ".switchyard-probe-*")
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return false, errno.Error()
		}
		return false, err.Error()
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(filepath.Clean(name))
	return true, ""
}

// noNewPrivs reads the NoNewPrivs flag of this process (allowPrivilegeEscalation: false sets it).
func noNewPrivs() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	return statusField(string(b), "NoNewPrivs") == "1"
}

// statusField is the value of "Key:" in a /proc/<pid>/status text.
func statusField(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (a *app) handleRuntime(w http.ResponseWriter, _ *http.Request) {
	groups, _ := os.Getgroups()
	s := Sandbox{UID: os.Getuid(), GID: os.Getgid(), Groups: groups, NoNewPrivs: noNewPrivs()}
	s.RootWritable, s.RootWriteError = probeWrite("/")
	s.TmpWritable, _ = probeWrite(os.TempDir())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}
