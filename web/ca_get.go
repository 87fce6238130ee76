package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// caGet serves the proxy's root CA certificate, which a learner's program
// trusts (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS).
func (s *Server) caGet(c echo.Context) error {
	if len(s.caPEM) == 0 {
		return errorf(CodeNotFound, "no CA certificate configured")
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `inline; filename="sandbox-ca.pem"`)
	return c.Blob(http.StatusOK, "application/x-pem-file", s.caPEM)
}
