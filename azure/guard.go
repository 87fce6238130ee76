package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// guard is the sandbox's guard rail, in the transport of every client that
// acts for a sandbox: a change (any method but GET and HEAD) leaves the
// server only when it addresses the sandbox's resource group (ARM), its own
// app registration and service principal (Graph), its own vault or queue
// (data planes), or asks Entra ID for a token. Reads are let through:
// explanations read role assignments and definitions above the group.
type guard struct {
	base http.RoundTripper
	ep   Endpoints

	mu sync.Mutex
	sb Sandbox // a copy: IDs learnt during provisioning are set with setSandbox
}

func newGuard(base http.RoundTripper, ep Endpoints, sb *Sandbox) *guard {
	g := &guard{base: base, ep: ep}
	g.setSandbox(sb)
	return g
}

func (g *guard) setSandbox(sb *Sandbox) {
	g.mu.Lock()
	g.sb = *sb
	g.mu.Unlock()
}

type creatingKey struct{}

// creating marks a context in which the guard lets the sandbox's own app
// registration and service principal be created (provisioning only).
func creating(ctx context.Context) context.Context {
	return context.WithValue(ctx, creatingKey{}, true)
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.check(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.base.RoundTrip(req)
}

func (g *guard) check(req *http.Request) error {
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return nil
	}
	g.mu.Lock()
	sb := g.sb
	g.mu.Unlock()
	host := strings.ToLower(req.URL.Hostname())
	refuse := func(reason string) error {
		return &ScopeError{Method: req.Method, URL: req.URL.Scheme + "://" + req.URL.Host + req.URL.Path, Sandbox: sb.ID, Reason: reason}
	}
	switch {
	case host == hostOf(g.ep.Cloud.ActiveDirectoryAuthorityHost):
		return nil // token requests authenticate; they change nothing
	case host == hostOf(g.ep.ARM):
		if !sb.inResourceGroup(req.URL) {
			return refuse("outside the sandbox's resource group " + sb.ResourceGroupID())
		}
		return nil
	case host == hostOf(g.ep.Graph):
		if sb.ownsGraphObject(req.URL) {
			return nil
		}
		if req.Method == http.MethodPost && req.Context().Value(creatingKey{}) != nil {
			switch strings.ToLower(strings.TrimSuffix(req.URL.Path, "/")) {
			case "/v1.0/applications":
				if body, err := peekBody(req); err == nil && body.DisplayName != "" && strings.HasPrefix(body.DisplayName, sb.AppNamePrefix()) {
					return nil
				}
				return refuse("an app registration's name must start with " + sb.AppNamePrefix())
			case "/v1.0/serviceprincipals":
				if body, err := peekBody(req); err == nil && sb.ownsAppID(body.AppID) {
					return nil
				}
				return refuse("a service principal only for the sandbox's own app registrations")
			}
		}
		return refuse("not the sandbox's own app registration or service principal")
	case host == sb.Vault+g.ep.VaultSuffix, host == sb.StorageAccount+g.ep.QueueSuffix:
		return nil
	}
	return refuse("not a host of the sandbox")
}

// graphCreation is what the guard reads of a Graph creation's body.
type graphCreation struct {
	DisplayName string `json:"displayName"`
	AppID       string `json:"appId"`
}

// peekBody reads a creation's JSON body and puts it back for the send.
func peekBody(req *http.Request) (graphCreation, error) {
	var c graphCreation
	if req.Body == nil || req.Body == http.NoBody {
		return c, errors.New("no body")
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	req.Body.Close()
	req.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
