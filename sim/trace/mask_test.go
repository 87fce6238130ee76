package trace

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Secrets that must never survive masking.
const (
	tokenValue   = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlLXNlY3JldA"
	clientSecret = "Zx8Q~abcdefghijklmnopqrstuvwxyz0123456"
	secretValue  = "f00dfeedcafe0123456789abcdef"
	functionKey  = "fk-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	identityHdr  = "idh-0123456789abcdef0123456789abcdef"
	sharedKeySig = "c2hhcmVkLWtleS1zaWduYXR1cmU9PQ=="
	accountKey   = "YWNjb3VudC1rZXktc2VjcmV0LXZhbHVlLTAxMjM0NTY3ODk="
	assertion    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhc3NlcnRpb24ifQ.YXNzZXJ0aW9uLXNpZw"
	password     = "P@ssw0rd-secret-1234"
)

var allSecrets = []string{tokenValue, clientSecret, secretValue, functionKey, identityHdr, sharedKeySig, accountKey, assertion, password}

func maskCases() []struct {
	name string
	ex   Exchange
} {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Add(kv[i], kv[i+1])
		}
		return out
	}
	return []struct {
		name string
		ex   Exchange
	}{
		{"token request form", Exchange{
			Service: "entra", Method: "POST", URL: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
			RequestHeaders: h("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
			RequestBody:    "client_id=abc&client_secret=" + clientSecret + "&grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2F.default",
			Status:         200, ResponseHeaders: h("Content-Type", "application/json; charset=utf-8"),
			ResponseBody: `{"token_type":"Bearer","expires_in":3599,"access_token":"` + tokenValue + `","refresh_token":"` + tokenValue + `"}`,
		}},
		{"assertion and password form", Exchange{
			Service: "entra", Method: "POST", URL: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
			RequestHeaders: h("Content-Type", "application/x-www-form-urlencoded"),
			RequestBody:    "client_assertion=" + assertion + "&client_assertion_type=urn%3Aietf&password=" + password + "&username=u",
		}},
		{"bearer call and key vault secret", Exchange{
			Service: "keyvault", Method: "GET", URL: "https://kv.vault.azure.net/secrets/s/?api-version=2026-04-01",
			RequestHeaders: h("Authorization", "Bearer "+tokenValue, "Accept", "application/json"),
			Status:         200, ResponseHeaders: h("Content-Type", "application/json; charset=utf-8"),
			ResponseBody: `{"value":"` + secretValue + `","id":"https://kv.vault.azure.net/secrets/s/0123","attributes":{"enabled":true}}`,
		}},
		{"key vault set secret request", Exchange{
			Service: "keyvault", Method: "PUT", URL: "https://kv.vault.azure.net/secrets/s?api-version=2026-04-01",
			RequestHeaders: h("Authorization", "Bearer "+tokenValue, "Content-Type", "application/json"),
			RequestBody:    `{"value": "` + secretValue + `", "contentType": "text/plain"}`,
		}},
		{"value outside key vault kept", Exchange{
			Service: "arm", Method: "GET", URL: "https://management.azure.com/subscriptions/s/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
			RequestHeaders: h("Authorization", "Bearer "+tokenValue),
			Status:         200, ResponseHeaders: h("Content-Type", "application/json"),
			ResponseBody: `{"value":"not-a-secret"}`,
		}},
		{"app service identity", Exchange{
			Service: "managed-identity", Method: "GET", URL: "http://169.254.129.2:8081/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net",
			RequestHeaders: h("X-Identity-Header", identityHdr),
			Status:         200, ResponseHeaders: h("Content-Type", "application/json"),
			ResponseBody: `{"access_token":"` + tokenValue + `","expires_on":"1586984735","resource":"https://vault.azure.net","token_type":"Bearer"}`,
		}},
		{"function key in query and header", Exchange{
			Service: "webapp", Method: "GET", URL: "https://api.azurewebsites.net/api/RandomNumber?code=" + functionKey + "&n=1",
			RequestHeaders: h("X-Functions-Key", functionKey),
			Status:         200, ResponseBody: "42",
		}},
		{"shared key and connection string", Exchange{
			Service: "queue", Method: "GET", URL: "https://acct.queue.core.windows.net/messages/messages",
			RequestHeaders: h("Authorization", "SharedKey acct:"+sharedKeySig, "Proxy-Authorization", "Basic "+clientSecret),
			Status:         200, ResponseHeaders: h("Content-Type", "application/json"),
			ResponseBody: `{"accountKey":"` + accountKey + `","conn":"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=` + accountKey + `;EndpointSuffix=core.windows.net"}`,
		}},
		{"arm client secret credential", Exchange{
			Service: "arm", Method: "POST", URL: "https://graph.microsoft.com/v1.0/applications/x/addPassword",
			RequestHeaders: h("Content-Type", "application/json"),
			Status:         200, ResponseHeaders: h("Content-Type", "application/json"),
			ResponseBody: `{"secretText":"` + clientSecret + `","clientSecret":"` + clientSecret + `"}`,
		}},
	}
}

func TestMaskGolden(t *testing.T) {
	var got []Exchange
	for _, c := range maskCases() {
		t.Run(c.name, func(t *testing.T) {
			ex := c.ex
			Mask(&ex)
			s := dump(t, ex)
			for _, secret := range allSecrets {
				if strings.Contains(s, secret) {
					t.Errorf("secret %q survived masking:\n%s", secret[:8], s)
				}
			}
			again := ex
			Mask(&again)
			if dump(t, again) != s {
				t.Errorf("Mask is not idempotent")
			}
			got = append(got, ex)
		})
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "mask.golden.json")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(b) {
		t.Errorf("masked exchanges differ from %s (run go test -update after checking):\n%s", golden, b)
	}
}

func dump(t *testing.T, ex Exchange) string {
	t.Helper()
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMaskDetails(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"bearer keeps scheme", maskCredential("Bearer " + tokenValue), "Bearer eyJ0eX" + Masked},
		{"shared key keeps account", maskCredential("SharedKey acct:" + sharedKeySig), "SharedKey acct:c2h" + Masked},
		{"query code", MaskURL("https://a/x?code=abcdef&n=1"), "https://a/x?code=abc" + Masked + "&n=1"},
		{"query sig and fragment", MaskURL("https://a/x?sv=1&sig=abc%2Bdef#f"), "https://a/x?sv=1&sig=abc" + Masked + "#f"},
		{"no query", MaskURL("https://a/x"), "https://a/x"},
		{"form order kept", maskPairs("a=1&client_secret=x%2By&b=2", secretForm, func(string) string { return "***" }), "a=1&client_secret=***&b=2"},
		{"hint short", hint("ab", 3), "ab" + Masked},
		{"hint empty", hint("", 3), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestMaskTruncates(t *testing.T) {
	big := `{"access_token":"` + tokenValue + `","pad":"` + strings.Repeat("é", MaxBody) + `"}`
	ex := Exchange{ResponseBody: big, ResponseHeaders: http.Header{"Content-Type": {"application/json"}}}
	Mask(&ex)
	if !strings.HasSuffix(ex.ResponseBody, TruncatedMark) {
		t.Fatalf("body not marked truncated")
	}
	if n := len(ex.ResponseBody) - len(TruncatedMark); n > MaxBody {
		t.Errorf("kept %d bytes, want <= %d", n, MaxBody)
	}
	if strings.Contains(ex.ResponseBody, tokenValue) {
		t.Errorf("token survived")
	}
	if !strings.HasPrefix(ex.ResponseBody, `{"access_token":"eyJ`+Masked) {
		t.Errorf("unexpected start %q", ex.ResponseBody[:40])
	}
}

func FuzzMask(f *testing.F) {
	f.Add("client_secret=abc&x=1", `{"access_token":"abc","value":"x"}`, "https://a/?code=1")
	f.Add("%zz=&=&&", `{"value":"\"}`, "?sig=%")
	f.Fuzz(func(t *testing.T, form, js, u string) {
		ex := Exchange{
			Service: "keyvault", URL: u,
			RequestHeaders: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {form}},
			RequestBody:    form, ResponseBody: js,
		}
		Mask(&ex)
		once := dump(t, ex)
		Mask(&ex)
		if dump(t, ex) != once {
			t.Errorf("not idempotent")
		}
	})
}

// FuzzMaskJSON checks the scanning maskJSON against the regular expression
// it replaced: the same matches, so the same output, on any input.
func FuzzMaskJSON(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"eyJ0eXAi.abc","token_type":"Bearer"}`,
		`{"password" : "a\"b\\c", "value":"v"}`,
		`{"password":"unterminated`,
		`{"password":"a\` + "\n" + `b","password":"ok"}`,
		`"password""password":"x"`,
		`{"secretText":` + "\t\r\n " + `"x\u00e9y"}`,
		"{\"value\":\"\xff\\\xe9\"}",
	} {
		f.Add(s)
	}
	re := regexp.MustCompile(`"(` + strings.Join(jsonSecretKeys, "|") + `|value)"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)
	keys := append(slices.Clone(jsonSecretKeys), "value")
	f.Fuzz(func(t *testing.T, body string) {
		want := re.ReplaceAllStringFunc(body, func(m string) string {
			sub := re.FindStringSubmatch(m)
			return `"` + sub[1] + `"` + sub[2] + `"` + hint(sub[3], 3) + `"`
		})
		if got := maskJSON(body, keys); got != want {
			t.Errorf("maskJSON(%q)\n got %q\nwant %q", body, got, want)
		}
	})
}

// FuzzHasConnStringKey holds the in-place search to what it replaced: a
// connection string key in the lower-cased body.
func FuzzHasConnStringKey(f *testing.F) {
	for _, s := range []string{
		"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc;EndpointSuffix=core.windows.net",
		"x=1&SIG=2", "sharedaccesssignature=", "=sig=", "si=g", "ACCOUNT\u212aEY=x", "é AccountKey=1", "sig",
		"accountke=y", "AccountKeyy=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		lower, want := strings.ToLower(body), false
		for _, k := range connStringKeys {
			want = want || strings.Contains(lower, k)
		}
		if got := hasConnStringKey(body); got != want {
			t.Errorf("hasConnStringKey(%q) = %v, want %v", body, got, want)
		}
	})
}
