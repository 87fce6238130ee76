// Package simtest holds integration tests of the whole simulated cloud: the
// walkthrough end to end with the real Azure SDKs (in process and through the
// proxy over real TLS), sandbox isolation, the docs' JavaScript sample run
// unmodified through the proxy, and the walkthrough's warm-path benchmark.
// It has no exported API; everything is in its _test.go files.
package simtest
