package workshop

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// serviceTitles name the trace's services as the dashboard shows them.
var serviceTitles = map[service.Name]string{
	service.Entra:           "Entra ID",
	service.ManagedIdentity: "the managed identity endpoint",
	service.ARM:             "Resource Manager",
	service.Graph:           "Microsoft Graph",
	service.KeyVault:        "Key Vault",
	service.Queue:           "Queue Storage",
	service.WebApps:         "App Service",
}

// maxOutcome bounds the dashboard's outcome text.
const maxOutcome = 160

// Outcome says in one line how a step's last call went, from the exchanges
// it made: "403 ForbiddenByRbac at Key Vault: no Key Vault Secrets User",
// "401 AADSTS7000215 at Entra ID", "200 at Key Vault". Without an exchange
// it falls back to the step's own error (or "ran, no request").
func Outcome(exs []trace.Exchange, ok bool, errText string) string {
	if len(exs) == 0 {
		if !ok && errText != "" {
			return clip("failed: " + firstLine(errText))
		}
		return "ran, no request"
	}
	// The last refusal explains a failed step (a 401 challenge comes first
	// in every successful flow too); a successful step is told by its last
	// call.
	ex := exs[len(exs)-1]
	if !ok {
		for i := len(exs) - 1; i >= 0; i-- {
			if exs[i].Status >= 400 {
				ex = exs[i]
				break
			}
		}
	}
	where := serviceTitles[ex.Service]
	if where == "" {
		where = string(ex.Service)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d", ex.Status)
	if code := errorCode(&ex); code != "" {
		b.WriteString(" " + code)
	}
	if where != "" {
		b.WriteString(" at " + where)
	}
	switch {
	case ex.Status < 400:
	case ex.Authz != nil && !ex.Authz.Allowed && ex.Authz.Suggestion != nil && ex.Authz.Suggestion.RoleName != "":
		b.WriteString(": no " + ex.Authz.Suggestion.RoleName)
	case ex.Authz != nil && !ex.Authz.Allowed && ex.Authz.Summary != "":
		b.WriteString(": " + firstLine(ex.Authz.Summary))
	case ex.Authn != nil && !ex.Authn.OK && ex.Authn.Reason != "":
		b.WriteString(": " + firstLine(ex.Authn.Reason))
	}
	return clip(b.String())
}

// errorCode is the Azure error code of a refused exchange: the
// authentication verdict's (AADSTS…), or the body's error.code (Key Vault,
// ARM, Graph) or <Code> (Storage).
func errorCode(ex *trace.Exchange) string {
	if ex.Status < 400 {
		return ""
	}
	if ex.Authn != nil && !ex.Authn.OK && ex.Authn.Code != "" {
		return ex.Authn.Code
	}
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal([]byte(ex.ResponseBody), &body) == nil && len(body.Error) > 0 {
		// Key Vault puts the telling code inside: Forbidden/ForbiddenByRbac.
		var inner struct {
			Code  string `json:"code"`
			Inner struct {
				Code string `json:"code"`
			} `json:"innererror"`
		}
		if json.Unmarshal(body.Error, &inner) == nil && (inner.Code != "" || inner.Inner.Code != "") {
			return cmp.Or(inner.Inner.Code, inner.Code)
		}
		var s string
		if json.Unmarshal(body.Error, &s) == nil && s != "" {
			return s
		}
	}
	if _, rest, ok := strings.Cut(ex.ResponseBody, "<Code>"); ok {
		if code, _, ok := strings.Cut(rest, "</Code>"); ok && len(code) < 80 {
			return code
		}
	}
	if c := ex.ResponseHeaders.Get("x-ms-error-code"); c != "" {
		return c
	}
	return http.StatusText(ex.Status)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func clip(s string) string {
	if len(s) <= maxOutcome {
		return s
	}
	cut := maxOutcome - 1
	for cut > 0 && (s[cut]&0xC0) == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
