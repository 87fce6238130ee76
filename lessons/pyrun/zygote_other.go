//go:build !linux

package pyrun

import (
	"context"
	"errors"
	"time"
)

// Without Linux's prctl the fork server cannot promise its workers die with
// it: workers start directly.
type zproc struct{}

func startZygote(string, time.Duration) (*zproc, error) {
	return nil, errors.New("no fork server on this system")
}

func (*zproc) isDead() bool { return true }
func (*zproc) pid() int     { return 0 }
func (*zproc) close()       {}
func (*zproc) fork(context.Context, Config) (*Worker, error) {
	return nil, errors.New("no fork server on this system")
}
