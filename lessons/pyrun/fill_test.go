package pyrun

import (
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	vals := map[string]string{"vaultUrl": "https://kv.vault.azure.net", "secretName": `a"b`}
	for _, tc := range []struct{ name, code, want, err string }{
		{"double", `c = SecretClient(vault_url="{vaultUrl}")`, `c = SecretClient(vault_url="https://kv.vault.azure.net")`, ""},
		{"single", `n = '{secretName}'`, `n = 'a\"b'`, ""},
		{"concatenated", `u = "{vaultUrl}/secrets/{secretName}?api-version=7.5"`, `u = "https://kv.vault.azure.net/secrets/a\"b?api-version=7.5"`, ""},
		{"comment", "x = 1  # reads {secretName}", "x = 1  # reads a\\\"b", ""},
		{"f-string other braces", `h = f"Bearer {token.token}"`, `h = f"Bearer {token.token}"`, ""},
		{"unknown braces", `d = {"k": 1}`, `d = {"k": 1}`, ""},
		{"escaped quote", `s = "say \"{secretName}\""`, `s = "say \"a\"b\""`, ""},
		{"bare", `x = {secretName}`, "", "outside a string literal"},
		{"f-string", `x = f"{vaultUrl}"`, "", "f-prefixed"},
		{"raw", `x = r"{vaultUrl}"`, "", "r-prefixed"},
		{"unterminated", `x = "{vaultUrl}`, "", "unterminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Fill(tc.code, vals)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Fill = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := Fill(`x = "{v}"`, map[string]string{"v": "\xff"}); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}

// FuzzFill: whatever the value, the filled line is one literal that ends
// where the original did, on the same single line.
func FuzzFill(f *testing.F) {
	for _, s := range []string{"", `"`, `'`, `\`, "\n", `"""`, "\u2028", "{v}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out, err := Fill(`x = "{v}" + '{v}'`, map[string]string{"v": v})
		if err != nil {
			return // invalid UTF-8 only
		}
		if strings.ContainsAny(out, "\n\r") {
			t.Fatalf("filled line broke: %q", out)
		}
		rest := strings.TrimPrefix(out, "x = ")
		n, err := literalLen(rest, false)
		if err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		rest = rest[n:]
		if !strings.HasPrefix(rest, " + '") {
			t.Fatalf("first literal ended early: %q", out)
		}
		rest = rest[3:]
		n, err = literalLen(rest, false)
		if err != nil || n != len(rest) {
			t.Fatalf("second literal: %q (%d of %d, %v)", out, n, len(rest), err)
		}
	})
}
