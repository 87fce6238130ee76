package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
)

type sandboxListResponse struct {
	Sandboxes []sandboxJSON `json:"sandboxes"`
}

// sandboxList lists the caller's sandboxes: the learner's, or the one of
// the bearer access key.
func (s *Server) sandboxList(c echo.Context) error {
	ctx := c.Request().Context()
	var sbs []store.Sandbox
	if hasAuthorization(c.Request()) {
		if key, ok := bearerToken(c.Request()); ok {
			sb, err := s.store.SandboxByAccessKey(ctx, key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if sb != nil {
				sbs = append(sbs, *sb)
			}
		}
	} else if l := learnerFrom(c); l != nil {
		var err error
		if sbs, err = s.store.SandboxesByLearner(ctx, l.ID); err != nil {
			return err
		}
	}
	out := sandboxListResponse{Sandboxes: []sandboxJSON{}}
	for i := range sbs {
		if w := s.sandboxes.World(sbs[i].ID); w != nil {
			out.Sandboxes = append(out.Sandboxes, s.details(&sbs[i], w).sandboxJSON)
		}
	}
	return c.JSON(http.StatusOK, out)
}
