// Package webapps simulates App Service sites at {site}.azurewebsites.net:
// the walkthrough's third-party API (a function app whose HTTP function is
// protected by a function key) and plain web apps.
package webapps

import (
	"crypto/sha256"
	"crypto/subtle"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Service answers requests for every site of every world in the registry.
type Service struct {
	reg *world.Registry
	// intn returns a number in [0, n); tests replace it.
	intn func(n int) int
}

// New returns the App Service front end for the sites in reg.
func New(reg *world.Registry) *Service {
	return &Service{reg: reg, intn: rand.IntN}
}

// function is an HTTP-triggered function of a function app.
type function func(s *Service, rw http.ResponseWriter, r *http.Request)

// lookupFunction returns a function every simulated function app hosts, by
// name (the Functions host matches routes case-insensitively), or nil.
func lookupFunction(name string) function {
	switch strings.ToLower(name) {
	case "randomnumber":
		return (*Service).randomNumber
	}
	return nil
}

// SiteName returns the site addressed by host ("" when host is not a site).
func SiteName(host string) string {
	return service.HostName(host, service.SuffixWebApps)
}

// ServeHTTP routes by host to the site, then by path.
func (s *Service) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	notes := trace.NotesFrom(r.Context())
	name := SiteName(r.Host)
	w := s.reg.ByName(world.NameSite, name)
	if w == nil {
		notFoundSite(rw)
		return
	}
	notes.SandboxID = w.ID()
	var site siteView
	found := false
	w.View(func(st *world.State) {
		if sv := st.Site(name); sv != nil {
			found = true
			site = siteView{kind: sv.Kind, keys: sortedKeys(sv.FunctionKeys)}
		}
	})
	if !found {
		notFoundSite(rw)
		return
	}
	if site.kind == "functionapp" {
		s.serveFunctionApp(rw, r, site, notes)
		return
	}
	serveWebApp(rw, r)
}

// siteView is what a request needs from a site, copied out of the lock.
type siteView struct {
	kind string
	keys []namedKey
}

type namedKey struct{ name, value string }

func sortedKeys(m map[string]string) []namedKey {
	out := make([]namedKey, 0, len(m))
	for k, v := range m {
		out = append(out, namedKey{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (s *Service) serveFunctionApp(rw http.ResponseWriter, r *http.Request, site siteView, notes *trace.Notes) {
	fname, ok := strings.CutPrefix(r.URL.Path, "/api/")
	fn := lookupFunction(fname)
	// The walkthrough's function binds GET and POST only; the Functions host
	// answers any other method, like an unknown route, with 404.
	if !ok || fn == nil || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
		rw.WriteHeader(http.StatusNotFound)
		return
	}
	authn := checkKey(r, site.keys)
	notes.Authn = authn
	if !authn.OK {
		// Azure Functions answers a missing or wrong key with a bare 401.
		rw.Header().Set("Content-Length", "0")
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	fn(s, rw, r)
}

// checkKey finds the function key presented in x-functions-key or ?code=
// (the header wins, as in the Functions host). Keys are compared as SHA-256
// digests in constant time, so neither content nor length leaks through
// timing; the key itself never reaches the trace notes.
func checkKey(r *http.Request, keys []namedKey) *trace.Authn {
	presented := headerFold(r.Header, "x-functions-key")
	if presented == "" {
		presented = r.URL.Query().Get("code")
	}
	if presented == "" {
		return &trace.Authn{Code: "Unauthorized", Reason: "No function key was presented: send it as ?code= or in the x-functions-key header."}
	}
	got := sha256.Sum256([]byte(presented))
	match := ""
	for _, k := range keys {
		want := sha256.Sum256([]byte(k.value))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && match == "" {
			match = k.name
		}
	}
	if match == "" {
		return &trace.Authn{Code: "Unauthorized", Reason: "The function key presented matches none of the function app's keys."}
	}
	return &trace.Authn{OK: true, Subject: "function key '" + match + "'"}
}

// randomNumber is the walkthrough's third-party API. The source walkthrough's
// function returns the number as the plain-text body
// (func.HttpResponse(str(random.randint(1, 1000)))) and the main app reads
// response.text, so it answers text/plain, not JSON.
func (s *Service) randomNumber(rw http.ResponseWriter, _ *http.Request) {
	body := strconv.Itoa(1 + s.intn(1000))
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write([]byte(body))
}

const defaultPage = `<!DOCTYPE html>
<html><head><title>Microsoft Azure App Service - Welcome</title></head>
<body><h1>Your web app is running and waiting for your content</h1></body></html>
`

// serveWebApp answers a web app: its default page at / and 404 elsewhere.
func serveWebApp(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		rw.WriteHeader(http.StatusNotFound)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Content-Length", strconv.Itoa(len(defaultPage)))
	rw.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = rw.Write([]byte(defaultPage))
	}
}

const notFoundPage = `<!DOCTYPE html>
<html><head><title>Microsoft Azure Web App - Error 404</title></head>
<body><h1>404 Web Site not found.</h1>
<p>You may be seeing this error due to one of the reasons listed below: the web app you have attempted to reach does not exist, or it was deleted.</p></body></html>
`

func notFoundSite(rw http.ResponseWriter) {
	rw.Header().Set("Content-Type", "text/html")
	rw.WriteHeader(http.StatusNotFound)
	_, _ = rw.Write([]byte(notFoundPage))
}

// headerFold looks a header up ignoring the case of its key: an in-process
// transport may pass keys as the client wrote them.
func headerFold(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
