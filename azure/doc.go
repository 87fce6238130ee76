// Package azure is the sandbox's second cloud: real Azure (Entra ID, ARM,
// Microsoft Graph, Key Vault, Queue Storage) reached over the network with
// the server's own credential, each sandbox confined to its own resource
// group and app registrations.
//
// It imports nothing of sim: what it shares with the simulated cloud (the
// trace book and its masking) reaches it through interfaces declared here
// (Recorder) and implemented by cmd's wiring, so the two clouds cannot leak
// into each other. A test checks the imports.
package azure
