package trace

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// DecodeJWT decodes a compact JWT's header and claims without verifying it,
// for display. It returns nil when raw is not a JWT.
func DecodeJWT(raw string) *Token {
	raw = strings.TrimSpace(raw)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	var t Token
	if !decodeSegment(parts[0], &t.Header) || !decodeSegment(parts[1], &t.Claims) {
		return nil
	}
	return &t
}

func decodeSegment(seg string, into *map[string]any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, into) == nil && *into != nil
}
