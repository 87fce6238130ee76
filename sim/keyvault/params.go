package keyvault

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

const (
	// maxValue is Key Vault's secret value limit (25 KB).
	maxValue = 25 * 1024
	// maxBody bounds what we read of a request body.
	maxBody = 256 * 1024
	maxTags = 15
)

// readParams decodes a set or update body. set requires a value.
func readParams(r *http.Request, set bool) (*setParams, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badParameter("The request body could not be read.")
	}
	if len(body) > maxBody {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
			message: "The request body is too large."}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badParameter("The request body is required and must be a JSON object.")
	}
	var p setParams
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return nil, badParameter("The request body is not valid JSON: " + sanitize(err.Error()))
	}
	if dec.More() {
		return nil, badParameter("The request body is not valid JSON: unexpected data after the object.")
	}
	if set {
		if p.Value == nil {
			return nil, badParameter("Property 'value' is required.")
		}
		if len(*p.Value) > maxValue {
			return nil, badParameter("The secret value is too large: the maximum size of a secret value is 25 KB (25600 bytes); this one has " + strconv.Itoa(len(*p.Value)) + ".")
		}
		if !utf8.ValidString(*p.Value) {
			return nil, badParameter("The secret value must be valid UTF-8 text.")
		}
	}
	if p.ContentType != nil && len(*p.ContentType) > 255 {
		return nil, badParameter("Property 'contentType' must be at most 255 characters.")
	}
	if len(p.Tags) > maxTags {
		return nil, badParameter("A secret may have at most 15 tags.")
	}
	for k, v := range p.Tags {
		if k == "" || len(k) > 512 || len(v) > 256 {
			return nil, badParameter("Tag names must be 1-512 characters and tag values at most 256 characters.")
		}
	}
	if a := p.Attributes; a != nil && (!validUnix(a.NotBefore) || !validUnix(a.Expires)) {
		return nil, badParameter("The secret's nbf and exp attributes must be Unix times in seconds between 1970 and 9999.")
	}
	if a := p.Attributes; a != nil && a.NotBefore != nil && a.Expires != nil && *a.Expires < *a.NotBefore {
		return nil, badParameter("The secret's expiry time (exp) must be later than its activation time (nbf).")
	}
	return &p, nil
}

// validUnix keeps times within what the world can persist (JSON times end
// at year 9999).
func validUnix(u *int64) bool {
	return u == nil || (*u >= 0 && *u <= 253402300799)
}
