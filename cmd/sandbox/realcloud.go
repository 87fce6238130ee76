package main

import (
	"context"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// bookRecorder writes real Azure's exchanges into the simulator's trace
// book: the same book, the same masking (Book.Record masks), the same views.
// It lives here, in the wiring, so that package azure imports nothing of sim.
type bookRecorder struct{ book *trace.Book }

func (b bookRecorder) Record(ctx context.Context, ex *azure.Exchange) error {
	te := &trace.Exchange{
		SandboxID: ex.SandboxID, Time: ex.Time, SimTime: ex.Time, DurationUS: ex.Duration.Microseconds(),
		Via: ex.Via, Step: ex.Step, Service: service.Name(ex.Service),
		Method: ex.Method, URL: ex.URL, RequestHeaders: ex.RequestHeaders, RequestBody: ex.RequestBody,
		Status: ex.Status, ResponseHeaders: ex.ResponseHeaders, ResponseBody: ex.ResponseBody,
		Token: traceToken(ex.Token), Issued: traceToken(ex.Issued),
	}
	if ex.Err != "" && te.ResponseBody == "" {
		te.ResponseBody = "(no answer: " + ex.Err + ")"
	}
	switch {
	case ex.Service == "entra" && ex.Status >= 400:
		// Entra ID refused the client's credentials: its code is the verdict.
		te.Authn = &trace.Authn{OK: false, Code: ex.Code, Reason: "Entra ID refused the token request (" + ex.Code + "), as real Azure answered."}
	case ex.Status == 401:
		te.Authn = &trace.Authn{OK: false, Code: ex.Code,
			Reason: "The service challenged the request: it carried no token it accepts (real Azure's answer)."}
	case ex.Token != nil:
		// A call past 401 was authenticated; its authorization shows in the
		// status (and in the explanation built from the wire for a 403).
		te.Authn = &trace.Authn{OK: true, Subject: subject(ex.Token), Reason: "Real Azure accepted the token."}
	}
	return b.book.Record(ctx, te)
}

func traceToken(c azure.Claims) *trace.Token {
	if c == nil {
		return nil
	}
	return &trace.Token{Header: map[string]any{}, Claims: map[string]any(c)}
}

// subject words a token's caller as the simulator's trace does.
func subject(c azure.Claims) string {
	var parts []string
	for _, k := range []string{"appid", "oid", "upn"} {
		if v := c.String(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ";")
}
