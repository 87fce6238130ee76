package web

import (
	"strings"
	"testing"
)

// Without real mode a real Azure sandbox is refused with a message saying
// how to turn it on; an unknown cloud is refused; the simulated cloud is
// the default and can be named.
func TestSandboxCloudChoice(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"cloud":"azure"}`, 400, "real Azure mode is not available on this server: start it with --azure-subscription"},
		{`{"cloud":"mars"}`, 400, `cloud must be "simulated" or "azure", got "mars"`},
		{`{"cloud":"simulated"}`, 201, ""},
		{`{"scenario":"empty","cloud":"simulated"}`, 201, ""},
	} {
		res := e.bearer("", "POST", "/api/sandboxes", tc.body)
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d %s", tc.body, res.StatusCode, res.body)
			continue
		}
		if tc.want != "" {
			if d := apiError(t, res); d.Code != CodeInvalidArgument || !strings.Contains(d.Message, tc.want) {
				t.Errorf("%s: %+v", tc.body, d)
			}
		} else if strings.Contains(res.body, `"azure"`) {
			t.Errorf("%s: a simulated sandbox with an azure block: %s", tc.body, res.body)
		}
	}
}
