// Package aztest runs the learner's own Azure CLI against the simulated
// cloud: Debian's `az` (azure-cli 2.45), pointed at a sandbox only by
// HTTPS_PROXY (with the sandbox's proxy credentials), REQUESTS_CA_BUNDLE and
// an isolated AZURE_CONFIG_DIR, runs every command the lessons and the
// source articles show, and the tests check its output, its errors and the
// sandbox's trace. Where Debian's az fails by itself before sending anything
// (its role and Key Vault data-plane modules do not match the packaged
// SDKs), the same requests are sent with `az rest`.
//
// Without az the tests skip, except in CI (CI=true), where they fail.
// It has no exported API; everything is in its _test.go files.
package aztest
