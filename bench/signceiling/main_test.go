package main

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sample is shaped like the sandbox's v2 client-credentials answer; its
// signature is not checked (the ceiling signs with a key of its own).
func sample(t *testing.T) []byte {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","x5t":"kid-of-the-sandbox-key-1234","kid":"kid-of-the-sandbox-key-1234"}`))
	claims := enc.EncodeToString([]byte(`{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/t/","iat":1764900000,"nbf":1764900000,"exp":1764903899,` +
		`"appid":"a","appidacr":"1","idp":"https://sts.windows.net/t/","idtyp":"app","oid":"o","sub":"o","tid":"t","uti":"AAAAAAAAAAAAAAAAAAAAAA","ver":"1.0"}`))
	tok := hdr + "." + claims + "." + enc.EncodeToString(make([]byte, 256))
	return []byte(`{"access_token":"` + tok + `","expires_in":3599,"ext_expires_in":3599,"token_type":"Bearer"}`)
}

// start serves a ceiling on loopback ports until the test ends.
func start(t *testing.T) (c *ceiling, proxyURL, directURL string, pool *x509.CertPool) {
	t.Helper()
	c, err := newCeiling(sample(t), []string{"login.microsoftonline.com"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.serve(ctx, pl, tl) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	pool = x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.certPEM) {
		t.Fatal("the certificate PEM holds no certificate")
	}
	return c, "http://" + pl.Addr().String(), "https://" + tl.Addr().String() + "/token", pool
}

// TestCeilingSignsTheSampleShape: through a CONNECT tunnel and directly,
// every answer is the sample's JSON with a fresh RS256 token of the same
// header and claims (uti, iat, nbf and exp renewed), signed with the
// ceiling's key, of the sample token's length.
func TestCeilingSignsTheSampleShape(t *testing.T) {
	c, proxyURL, directURL, pool := start(t)
	var want map[string]any
	if err := json.Unmarshal(sample(t), &want); err != nil {
		t.Fatal(err)
	}
	wantTok := want["access_token"].(string)
	wantClaims := claimsOf(t, wantTok)
	form := "grant_type=client_credentials&client_id=a&client_secret=s&scope=https%3A%2F%2Fstorage.azure.com%2F.default"
	p, _ := url.Parse(proxyURL)
	for name, target := range map[string]struct {
		url   string
		proxy *url.URL
	}{
		"through CONNECT": {"https://login.microsoftonline.com/t/oauth2/v2.0/token", p},
		"direct":          {directURL, nil},
	} {
		t.Run(name, func(t *testing.T) {
			cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				Proxy:           http.ProxyURL(target.proxy),
				TLSClientConfig: &tls.Config{RootCAs: pool},
			}}
			utis := map[string]bool{}
			for range 3 {
				res, err := cl.Post(target.url, "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
					t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
				}
				var got map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("%v: %s", err, body)
				}
				tok, _ := got["access_token"].(string)
				got["access_token"] = wantTok
				if !reflect.DeepEqual(got, want) {
					t.Errorf("answer %v, want the sample's members %v", got, want)
				}
				if len(tok) != len(wantTok) || strings.Split(tok, ".")[0] != strings.Split(wantTok, ".")[0] {
					t.Errorf("token %q: want the sample's header and length %d", tok, len(wantTok))
				}
				verify(t, &c.key.PublicKey, tok)
				claims := claimsOf(t, tok)
				uti, _ := claims["uti"].(string)
				if uti == wantClaims["uti"] || utis[uti] || len(uti) != 22 {
					t.Errorf("uti %q is not fresh", uti)
				}
				utis[uti] = true
				now := float64(time.Now().Unix())
				if iat := claims["iat"].(float64); iat > now-299 || iat < now-302 || claims["nbf"] != iat {
					t.Errorf("iat %v nbf %v, want 5 minutes before %v", iat, claims["nbf"], now)
				}
				if exp := claims["exp"].(float64); exp < now+3598 || exp > now+3600 {
					t.Errorf("exp %v, want 3599 s after %v", exp, now)
				}
				for _, k := range []string{"uti", "iat", "nbf", "exp"} {
					claims[k] = wantClaims[k]
				}
				if !reflect.DeepEqual(claims, wantClaims) {
					t.Errorf("claims %v, want the sample's %v", claims, wantClaims)
				}
			}
		})
	}
}

// TestCeilingRefusesWhatIsNoTokenRequest: no form, another method, or a
// plain request to the CONNECT port gets an error, not a token.
func TestCeilingRefusesWhatIsNoTokenRequest(t *testing.T) {
	_, proxyURL, directURL, pool := start(t)
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, tc := range []struct {
		method, url, body string
		want              int
	}{
		{http.MethodGet, directURL, "", http.StatusMethodNotAllowed},
		{http.MethodPost, directURL, "client_id=a", http.StatusBadRequest},
		{http.MethodPost, proxyURL + "/token", "grant_type=client_credentials", http.StatusMethodNotAllowed},
	} {
		req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s %s %q: %d, want %d", tc.method, tc.url, tc.body, res.StatusCode, tc.want)
		}
	}
}

func TestParseSampleRejectsWhatItCannotCopy(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":        `{`,
		"no token":        `{"token_type":"Bearer"}`,
		"not a JWT":       `{"access_token":"abc"}`,
		"claims not JSON": `{"access_token":"e30.bm90IGpzb24.c2ln"}`,
		"uti not string":  `{"access_token":"e30.` + base64.RawURLEncoding.EncodeToString([]byte(`{"uti":5}`)) + `.c2ln"}`,
	} {
		if _, err := parseSample([]byte(body)); err == nil {
			t.Errorf("%s: parseSample(%s) accepted it", name, body)
		}
	}
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func verify(t *testing.T, pub *rsa.PublicKey, tok string) {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(tok[:i]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("RS256 signature: %v", err)
	}
}
