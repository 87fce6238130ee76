package lessons

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const goCallThirdParty = `req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?code="+url.QueryEscape(apiKey), nil)
resp, err := http.DefaultClient.Do(req)
body, err := io.ReadAll(resp.Body)`

func thirdPartyActions() []*Action {
	return []*Action{{
		Name: "thirdparty.call", Kind: BlockStep, Title: "Call the third-party API with the key",
		Params: []Param{{Name: "endpoint", Help: "the API's URL", Default: "{apiUrl}"}},
		Go:     goCallThirdParty, Impl: "runCallThirdParty", File: "act_thirdparty.go",
		Needs: []string{ObjAPIKey}, run: runCallThirdParty,
	}}
}

// runCallThirdParty calls the function with the key read from Key Vault.
// The http.Client reaches the sim through the step transport; that is the
// only difference from http.DefaultClient.
func runCallThirdParty(x *execution) (string, error) {
	apiKey, err := object[string](x, ObjAPIKey, "get the secret")
	if err != nil {
		return "", err
	}
	endpoint := x.params["endpoint"]
	req, err := http.NewRequestWithContext(x.ctx, http.MethodGet, endpoint+"?code="+url.QueryEscape(apiKey), nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Transport: stepTransport{r: x.r, f: x.f}}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", endpoint, resp.Status, text)
	}
	return "the API answered " + text, nil
}
