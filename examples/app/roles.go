package main

import "net/http"

// A role is a set of routes added to the ones every role serves (/healthz,
// /livez, /metrics). To add one, create role_<name>.go with an init function
// that calls registerRole; a role may build on another by calling its route
// function first (caller does this with api).
type role struct {
	name    string
	summary string
	routes  func(a *app, mux *http.ServeMux)
}

// roles is filled by the init functions of the role_*.go files.
var roles = map[string]role{}

func registerRole(r role) {
	if _, dup := roles[r.name]; dup {
		panic("role registered twice: " + r.name)
	}
	roles[r.name] = r
}
