//go:build linux

// Command pause is PID 1 of a Pod sandbox (the CRI's sandbox_image): it holds
// the Pod's namespaces open while the Pod's containers come and go.
//
// It does nothing but wait:
//   - SIGCHLD: reaps every exited child (wait4 until none is left), so no
//     zombie stays behind when processes are re-parented to it (a shared PID
//     namespace makes it the init of every container in the Pod);
//   - SIGTERM or SIGINT: exits 0 (the runtime stops the sandbox this way);
//   - anything else: sleeps. As PID 1 the kernel delivers no signal it has
//     no handler for, so other signals cannot kill it either.
//
// The standard library only; built static (CGO_ENABLED=0).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("switchyard pause")
		return
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: warning: not PID 1; children of other processes are not reaped here")
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	for sig := range sigs {
		switch sig {
		case syscall.SIGCHLD:
			reap()
		default:
			fmt.Fprintf(os.Stderr, "pause: %v: exiting\n", sig)
			os.Exit(0)
		}
	}
}

// reap collects every child that has exited. Signals coalesce (one SIGCHLD
// may stand for several exits), so it loops until wait4 finds none left.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil { // 0: children left, none exited; ECHILD: no children
			return
		}
	}
}
