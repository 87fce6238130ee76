package lessons

import (
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Placeholders only the server can fill (its address): Expand leaves them
// as they are; ExpandWith fills them from the values the player passes.
const (
	PlaceholderProxyURL         = "{proxyUrl}"         // the proxy, e.g. http://127.0.0.1:8080
	PlaceholderProxyURLWithAuth = "{proxyUrlWithAuth}" // the same with the sandbox's ID and access key as user info
	PlaceholderCACertURL        = "{caCertUrl}"        // where the proxy's root CA certificate is served (/ca.pem)
)

// ExpandWith is Expand plus the server's placeholders: server maps
// PlaceholderProxyURL etc. to their values. Unknown keys are ignored;
// placeholders without a value stay as written, so the learner sees what to
// fill in. Call it inside World.View.
//
// server may also carry sandbox placeholders ("{vaultUrl}": …): a real-mode
// sandbox's values, used instead of the world's.
func ExpandWith(text string, st *world.State, server map[string]string) string {
	// A real-mode sandbox's own names ({vaultUrl}, {clientId}, …) come
	// in server and win over the simulated world's.
	var own []string
	for _, name := range placeholderNames() {
		if v, ok := server["{"+name+"}"]; ok {
			own = append(own, "{"+name+"}", v)
		}
	}
	if len(own) > 0 {
		text = strings.NewReplacer(own...).Replace(text)
	}
	text = Expand(text, st)
	if len(server) == 0 || !strings.Contains(text, "{") {
		return text
	}
	var pairs []string
	for _, k := range []string{PlaceholderProxyURLWithAuth, PlaceholderProxyURL, PlaceholderCACertURL} {
		if v, ok := server[k]; ok {
			pairs = append(pairs, k, v)
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// localDevValue is one of localDev's environment values ("" once deleted).
func localDevValue(st *world.State, name string) string {
	return PrincipalEnv(st, scenario.LabelLocalDev)[name]
}

// PlaceholderValues maps each sandbox placeholder name ("vaultUrl", …) to
// its value in st. Call it inside World.View.
func PlaceholderValues(st *world.State) map[string]string { return placeholderValues(st) }

// PlaceholderNames lists the sandbox placeholder names.
func PlaceholderNames() []string { return placeholderNames() }
