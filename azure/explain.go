package azure

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
)

var jsonUnmarshal = json.Unmarshal

var aadstsCode = regexp.MustCompile(`AADSTS\d+`)

// ErrorCode is the error code an Azure answer carries, wherever that
// service puts it: Storage in x-ms-error-code (AuthorizationPermissionMismatch),
// Key Vault in error.innererror.code (ForbiddenByRbac), ARM and Graph in
// error.code (AuthorizationFailed, Authorization_RequestDenied), Entra ID
// as AADSTS codes in error_description. "" for a success.
func ErrorCode(status int, h http.Header, body []byte) string {
	if status < 400 {
		return ""
	}
	if c := h.Get("x-ms-error-code"); c != "" {
		return c
	}
	var e struct {
		Error json.RawMessage `json:"error"`
		Desc  string          `json:"error_description"`
		Codes []int           `json:"error_codes"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if len(e.Codes) > 0 {
		return fmt.Sprintf("AADSTS%d", e.Codes[0])
	}
	if m := aadstsCode.FindString(e.Desc); m != "" {
		return m
	}
	var obj struct {
		Code  string `json:"code"`
		Inner *struct {
			Code string `json:"code"`
		} `json:"innererror"`
	}
	if json.Unmarshal(e.Error, &obj) == nil {
		if obj.Inner != nil && obj.Inner.Code != "" {
			return obj.Inner.Code
		}
		return obj.Code
	}
	var s string
	if json.Unmarshal(e.Error, &s) == nil {
		return s // OAuth's "invalid_client"
	}
	return ""
}
