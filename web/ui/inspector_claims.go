package ui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// claimMeanings explains access-token claims in plain words (jwt.ms style).
var claimMeanings = map[string]string{
	"aud":         "Audience: the API this token is for. A service refuses tokens meant for another audience.",
	"iss":         "Issuer: who issued and signed the token (Entra ID for your tenant).",
	"appid":       "Application (client) ID of the app that asked for the token (v1 tokens).",
	"azp":         "Application (client) ID of the app that asked for the token (v2 tokens).",
	"oid":         "Object ID of the caller in your tenant: the service principal, managed identity or user. Role assignments name this ID.",
	"sub":         "Subject: the caller, as seen by this audience. For apps it equals the object ID.",
	"tid":         "Tenant ID: the directory the caller belongs to.",
	"iat":         "Issued at: when Entra ID issued the token.",
	"nbf":         "Not before: the token is not valid before this time.",
	"exp":         "Expires: after this time every service refuses the token; the SDK gets a new one a few minutes before.",
	"ver":         "Token version (1.0 or 2.0): decides the issuer and some claim names.",
	"idtyp":       "Identity type: app for an application or managed identity, user for a person.",
	"xms_mirid":   "Managed identity resource ID: the Azure resource this managed identity belongs to. Only managed-identity tokens carry it.",
	"upn":         "User principal name: the signed-in user's sign-in name. Only user tokens carry it.",
	"scp":         "Scopes: delegated permissions granted to the app acting for a user.",
	"roles":       "App roles granted to the caller (application permissions). Azure RBAC roles are not in the token: services check them at each call.",
	"appidacr":    "How the app authenticated: 0 = public client (no secret), 1 = client secret, 2 = certificate or managed identity.",
	"azpacr":      "How the app authenticated: 0 = public client, 1 = client secret, 2 = certificate or managed identity.",
	"uti":         "Token ID, unique per token (Entra ID uses it to revoke or trace tokens).",
	"idp":         "Identity provider that authenticated the caller (here: the tenant's own issuer).",
	"xms_cc":      "Client capabilities the app declared (cp1 = it can handle claims challenges).",
	"name":        "Display name of the caller.",
	"unique_name": "A human-readable name of the caller (v1 user tokens).",
	"amr":         "How the user authenticated (pwd = password, mfa = multi-factor).",
	"rh":          "An internal Entra ID value used to revalidate tokens.",
	"aio":         "An internal Entra ID value used to revalidate tokens.",
	"ipaddr":      "IP address the user signed in from.",
	"xms_tcdt":    "When the tenant was created.",
}

var headerMeanings = map[string]string{
	"alg": "Signing algorithm.",
	"typ": "Type of the token (JWT).",
	"kid": "ID of the key that signed it; services look it up in the issuer's published keys (JWKS).",
	"x5t": "Thumbprint of the signing certificate (same as kid for Entra ID).",
}

// claimOrder puts the claims a learner reads first at the top.
var claimOrder = []string{"aud", "iss", "tid", "oid", "sub", "appid", "azp", "idtyp", "upn", "xms_mirid", "roles", "scp",
	"iat", "nbf", "exp", "ver", "appidacr", "azpacr", "idp", "uti", "xms_cc"}

// ExplainClaims lists a token's claims with their meanings; times are shown
// in words relative to now (the sandbox clock).
func ExplainClaims(claims map[string]any, now time.Time) []ClaimView {
	rank := map[string]int{}
	for i, c := range claimOrder {
		rank[c] = i + 1
	}
	names := make([]string, 0, len(claims))
	for k := range claims {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank[names[i]], rank[names[j]]
		if ri == 0 {
			ri = 1000
		}
		if rj == 0 {
			rj = 1000
		}
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	out := make([]ClaimView, 0, len(names))
	for _, n := range names {
		c := ClaimView{Name: n, Value: claimValue(claims[n]), Meaning: claimMeanings[n]}
		if c.Meaning == "" {
			c.Meaning = "A claim this explainer does not describe."
		}
		switch n {
		case "iat", "nbf", "exp":
			if t, ok := unixTime(claims[n]); ok {
				c.Value += " (" + t.UTC().Format("2006-01-02 15:04:05 UTC") + ")"
				c.Note, c.Warn = timeNote(n, t, now)
			}
		case "appidacr", "azpacr":
			c.Note = map[string]string{"0": "public client", "1": "client secret", "2": "certificate or managed identity"}[c.Value]
		case "idtyp":
			c.Note = map[string]string{"app": "an application or managed identity", "user": "a person"}[c.Value]
		}
		out = append(out, c)
	}
	return out
}

// ExplainHeader lists a token's header fields.
func ExplainHeader(h map[string]any) []ClaimView {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]ClaimView, 0, len(names))
	for _, n := range names {
		out = append(out, ClaimView{Name: n, Value: claimValue(h[n]), Meaning: headerMeanings[n]})
	}
	return out
}

// Validity is "valid" or "expired" for a token's exp at now.
func Validity(claims map[string]any, now time.Time) string {
	t, ok := unixTime(claims["exp"])
	if !ok {
		return ""
	}
	if now.After(t) {
		return "expired"
	}
	return "valid"
}

func timeNote(name string, t, now time.Time) (string, bool) {
	d := t.Sub(now)
	rel := humanDuration(d)
	switch name {
	case "exp":
		if d < 0 {
			return "expired " + rel + " ago (sandbox clock)", true
		}
		return "valid: expires in " + rel + " (sandbox clock)", false
	case "nbf":
		if d > 0 {
			return "not valid yet: starts in " + rel, true
		}
		return "started " + rel + " ago", false
	default:
		if d > 0 {
			return "in " + rel, false
		}
		return rel + " ago", false
	}
}

func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	}
}

func unixTime(v any) (time.Time, bool) {
	switch n := v.(type) {
	case float64:
		return time.Unix(int64(n), 0), true
	case int64:
		return time.Unix(n, 0), true
	case json.Number:
		i, err := n.Int64()
		return time.Unix(i, 0), err == nil
	}
	return time.Time{}, false
}

func claimValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = claimValue(p)
		}
		return strings.Join(parts, ", ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
