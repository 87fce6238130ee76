package web

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// sandboxFor resolves the {id} of the route to a sandbox the caller may
// use: with an Authorization header, only the sandbox of that bearer access
// key; otherwise only a sandbox of the session's learner. Anything else is
// the same 404 as a sandbox that does not exist.
func (s *Server) sandboxFor(c echo.Context) (*store.Sandbox, *world.World, error) {
	id := c.Param("id")
	if !validSandboxID(id) {
		return nil, nil, errSandboxNotFound()
	}
	ctx := c.Request().Context()
	var sb *store.Sandbox
	var err error
	if hasAuthorization(c.Request()) {
		key, ok := bearerToken(c.Request())
		if !ok {
			return nil, nil, errSandboxNotFound()
		}
		sb, err = s.store.SandboxByAccessKey(ctx, key)
		if err == nil && sb.ID != id {
			return nil, nil, errSandboxNotFound()
		}
	} else {
		l := learnerFrom(c)
		if l == nil {
			return nil, nil, errSandboxNotFound()
		}
		sb, err = s.store.SandboxMeta(ctx, id)
		if err == nil && (sb.LearnerID == "" || sb.LearnerID != l.ID) {
			return nil, nil, errSandboxNotFound()
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errSandboxNotFound()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("web: sandbox %s: %w", id, err)
	}
	w := s.sandboxes.World(sb.ID)
	if w == nil {
		// The row exists but its world is not loaded (it failed to load at
		// start, logged then): nothing can be done with it.
		return nil, nil, errSandboxNotFound()
	}
	return sb, w, nil
}

// validSandboxID accepts the IDs the server hands out and anything shaped
// like them; the check keeps junk away from the store.
func validSandboxID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
