package azure

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Claims are a decoded access token's claims (the signature is not
// checked: the token came from Entra ID over TLS, and it is only read to
// explain who acted).
type Claims map[string]any

// DecodeToken decodes a JWT's payload; nil when it is not one.
func DecodeToken(raw string) Claims {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil
	}
	var c Claims
	if json.Unmarshal(b, &c) != nil {
		return nil
	}
	return c
}

// String is a string claim, "" when absent.
func (c Claims) String(name string) string {
	s, _ := c[name].(string)
	return s
}

// Describe names the identity: a user by UPN, an app by app ID, with the
// object ID.
func (c Claims) Describe() string {
	if c == nil {
		return "(the token is not a JWT)"
	}
	oid := c.String("oid")
	if upn := c.String("upn"); upn != "" {
		return fmt.Sprintf("user %s (object ID %s)", upn, oid)
	}
	if u := c.String("unique_name"); u != "" && c.String("idtyp") == "user" {
		return fmt.Sprintf("user %s (object ID %s)", u, oid)
	}
	app := c.String("appid")
	if app == "" {
		app = c.String("azp")
	}
	return fmt.Sprintf("service principal of app %s (object ID %s)", app, oid)
}

// errorMessage is the message of an ARM ({"error":{"code","message"}}) or
// Graph error body.
func errorMessage(re *azcore.ResponseError) string {
	if re.RawResponse == nil {
		return ""
	}
	body, err := azruntime.Payload(re.RawResponse)
	if err != nil {
		return ""
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Error.Message != "" {
		return e.Error.Message
	}
	return firstLines(e.ErrorDescription, 2)
}
