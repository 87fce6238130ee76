package trace

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the subset
// browser devtools import, plus "_"-prefixed custom fields as the spec allows.
type (
	harFile struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
		Auth            harAuth     `json:"_auth"`
		Seq             int64       `json:"_seq"`
		Via             string      `json:"_via,omitempty"`
		Service         string      `json:"_service,omitempty"`
		SimTime         string      `json:"_simTime,omitempty"`
		Step            string      `json:"_step,omitempty"`
		Site            string      `json:"_site,omitempty"`
		Token           *Token      `json:"_token,omitempty"`
		Issued          *Token      `json:"_issued,omitempty"`
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []harNV      `json:"cookies"`
		Headers     []harNV      `json:"headers"`
		QueryString []harNV      `json:"queryString"`
		PostData    *harPostData `json:"postData,omitempty"`
		HeadersSize int          `json:"headersSize"`
		BodySize    int          `json:"bodySize"`
	}
	harPostData struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []harNV    `json:"cookies"`
		Headers     []harNV    `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int        `json:"bodySize"`
	}
	harContent struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
		Text     string `json:"text,omitempty"`
	}
	harTimings struct {
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
	}
	harAuth struct {
		Authn *Authn         `json:"authn,omitempty"`
		Authz *rbac.Decision `json:"authz,omitempty"`
	}
)

// HAR renders exchanges as a HAR 1.2 document (opens in browser devtools).
// creator names the producing program, optionally as "name/version". The
// exchanges are masked again on the way out, so a HAR never holds a secret
// even if given unmasked exchanges.
func HAR(exs []Exchange, creator string) ([]byte, error) {
	name, version, _ := strings.Cut(creator, "/")
	if version == "" {
		version = "1"
	}
	f := harFile{Log: harLog{
		Version: "1.2",
		Creator: harCreator{Name: name, Version: version},
		Entries: make([]harEntry, 0, len(exs)),
	}}
	for _, ex := range exs {
		Mask(&ex) // idempotent on masked exchanges
		f.Log.Entries = append(f.Log.Entries, harEntryOf(ex))
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("trace: har: %w", err)
	}
	return b, nil
}

func harEntryOf(ex Exchange) harEntry {
	ms := float64(ex.DurationUS) / 1000
	e := harEntry{
		StartedDateTime: ex.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Time:            ms,
		Request: harRequest{
			Method:      ex.Method,
			URL:         ex.URL,
			HTTPVersion: "HTTP/1.1",
			Cookies:     []harNV{},
			Headers:     harHeaders(ex.RequestHeaders),
			QueryString: harQuery(ex.URL),
			HeadersSize: -1,
			BodySize:    len(ex.RequestBody),
		},
		Response: harResponse{
			Status:      ex.Status,
			StatusText:  http.StatusText(ex.Status),
			HTTPVersion: "HTTP/1.1",
			Cookies:     []harNV{},
			Headers:     harHeaders(ex.ResponseHeaders),
			Content: harContent{
				Size:     len(ex.ResponseBody),
				MimeType: mimeOf(ex.ResponseHeaders),
				Text:     ex.ResponseBody,
			},
			HeadersSize: -1,
			BodySize:    len(ex.ResponseBody),
		},
		Timings: harTimings{Send: 0, Wait: ms, Receive: 0},
		Auth:    harAuth{Authn: ex.Authn, Authz: ex.Authz},
		Seq:     ex.Seq,
		Via:     ex.Via,
		Service: string(ex.Service),
		Step:    ex.Step,
		Site:    ex.Site,
		Token:   ex.Token,
		Issued:  ex.Issued,
	}
	if !ex.SimTime.IsZero() {
		e.SimTime = ex.SimTime.UTC().Format(time.RFC3339)
	}
	if ex.RequestBody != "" {
		e.Request.PostData = &harPostData{MimeType: mimeOf(ex.RequestHeaders), Text: ex.RequestBody}
	}
	return e
}

// harHeaders lists headers sorted by name (http.Header has no order).
func harHeaders(h http.Header) []harNV {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []harNV{}
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, harNV{Name: k, Value: v})
		}
	}
	return out
}

// harQuery lists the URL's query parameters in their order.
func harQuery(raw string) []harNV {
	out := []harNV{}
	_, q, ok := strings.Cut(raw, "?")
	if !ok {
		return out
	}
	q, _, _ = strings.Cut(q, "#")
	for _, p := range strings.Split(q, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{Name: k, Value: v})
	}
	return out
}

// mimeOf is the Content-Type, charset included, as HAR 1.2 asks.
func mimeOf(h http.Header) string { return h.Get("Content-Type") }
