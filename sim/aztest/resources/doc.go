// Package resources runs the real az against a sandbox for the resource
// commands: Key Vault (vaults, access policies, secrets), storage queues
// and messages, and the web app's identity and app settings. The harness is
// sim/aztest's; a package of its own gives these slow CLI tests their own
// test process. It has no exported API; everything is in its _test.go files.
package resources
