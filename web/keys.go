package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"

	"github.com/azure-auth-sandbox/sandbox/store"
)

// derive is an HMAC of parts under the server's key, for one purpose.
func (s *Server) derive(purpose string, parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// proxyPassword is the sandbox's proxy password: derived from its access
// key, so it needs no storage and stays the same across resets, but it
// cannot be turned back into the key. It only tags proxy traffic as the
// sandbox's; the API does not accept it. Proxy credentials cross the LAN in
// clear (Basic, to an http:// proxy), which is why they must not be the key.
func (s *Server) proxyPassword(sb *store.Sandbox) string {
	return s.derive("proxy-password", sb.ID, sb.AccessKey)
}

// ProxyAuth checks proxy credentials (user = sandbox ID, password = its
// proxy password) and returns the sandbox ID (for proxy.New).
func (s *Server) ProxyAuth(user, pass string) (string, bool) {
	if !validSandboxID(user) || pass == "" {
		return "", false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The ID and access key never change: the remembered copy serves every
	// CONNECT of the learner's programs without a database read.
	sb, err := s.store.SandboxMeta(ctx, user)
	if err != nil {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(pass), []byte(s.proxyPassword(sb))) != 1 {
		return "", false
	}
	return sb.ID, true
}
