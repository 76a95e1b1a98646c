package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is everything the program reads from its flags and environment at
// start (see the package documentation for each variable).
type Config struct {
	Role            string
	Port            string
	Service         string
	Pod             string
	Version         string
	Zone            string
	Drain           time.Duration
	ShutdownTimeout time.Duration
	CallTimeout     time.Duration
	LogLevel        slog.Level
}

// loadConfig reads the flags in args and the variables through getenv
// (os.Getenv in main, a map in tests). It reports every problem at once.
func loadConfig(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "role to run: "+strings.Join(roleNames(), ", ")+" (default: $APP_ROLE, else api)")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("%w\nusage: app [-role %s]", err, strings.Join(roleNames(), "|"))
	}

	var problems []error
	cfg := Config{
		Role:    firstSet(*role, getenv("APP_ROLE"), "api"),
		Port:    firstSet(getenv("PORT"), "8080"),
		Zone:    getenv("NODE_ZONE"),
		Version: firstSet(getenv("APP_VERSION"), version),
	}
	if _, ok := roles[cfg.Role]; !ok {
		problems = append(problems, fmt.Errorf("role %q is unknown; use one of: %s", cfg.Role, strings.Join(roleNames(), ", ")))
	}
	if n, err := strconv.Atoi(cfg.Port); err != nil || n < 1 || n > 65535 {
		problems = append(problems, fmt.Errorf("PORT %q must be a port number (1-65535)", cfg.Port))
	}
	cfg.Service = firstSet(getenv("SERVICE_NAME"), cfg.Role)
	hostname, _ := os.Hostname()
	cfg.Pod = firstSet(getenv("POD_NAME"), getenv("HOSTNAME"), hostname)

	duration := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			problems = append(problems, fmt.Errorf("%s %q must be a duration such as 5s or 500ms", name, v))
			return def
		}
		return d
	}
	cfg.Drain = duration("SHUTDOWN_DRAIN", 5*time.Second)
	cfg.ShutdownTimeout = duration("SHUTDOWN_TIMEOUT", 10*time.Second)
	cfg.CallTimeout = duration("CALL_TIMEOUT", 2*time.Second)

	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			problems = append(problems, fmt.Errorf("LOG_LEVEL %q must be debug, info, warn or error", v))
		}
	}
	return cfg, errors.Join(problems...)
}

// firstSet returns the first non-empty value.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func roleNames() []string {
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
