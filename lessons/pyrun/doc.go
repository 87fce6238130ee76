// Package pyrun runs a lesson's Python steps with the real Python Azure SDK
// in a worker process: one long-lived interpreter per lesson run, so the
// objects a step creates (credential, client) live on for the next step.
//
// The server writes the lesson's own snippet, with its validated parameters
// filled in (Fill), to the worker; learners never send code. The worker is
// bounded: address space (RLIMIT_AS), CPU time per step (RLIMIT_CPU, a step
// over it fails with CPUExceeded), wall-clock time per step (a hung worker is
// killed) and idle time (an unused worker stops itself).
package pyrun
