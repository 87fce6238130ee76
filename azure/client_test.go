package azure

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t"}, nil
}

// longRunning answers as ARM does for a new storage account and a resource
// group's deletion: 202 with a Location to poll, 202 while it runs, then
// the result.
type longRunning struct {
	mu    sync.Mutex
	polls int
	log   []string
}

func (l *longRunning) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log = append(l.log, req.Method+" "+req.URL.Path)
	resp := func(status int, body string, h http.Header) (*http.Response, error) {
		if h == nil {
			h = http.Header{}
		}
		h.Set("Content-Type", "application/json")
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
	switch {
	case req.Method == http.MethodPut || req.Method == http.MethodDelete:
		return resp(http.StatusAccepted, "", http.Header{"Location": {"https://management.azure.com/subscriptions/s/operationresults/op1?api-version=2021-04-01"}})
	case strings.Contains(req.URL.Path, "/operationresults/"):
		l.polls++
		if l.polls < 2 {
			return resp(http.StatusAccepted, "", http.Header{"Location": {req.URL.String()}})
		}
		return resp(http.StatusOK, `{"name":"stauth1","properties":{"provisioningState":"Succeeded"}}`, nil)
	}
	return resp(http.StatusNotFound, `{"error":{"code":"NotFound"}}`, nil)
}

// ARM's long-running operations are followed to their end with azcore's own
// poller (Location polling), for a PUT and a DELETE.
func TestARMPollsLongRunningOperations(t *testing.T) {
	ep, _ := EndpointsOf("public")
	lr := &longRunning{}
	c, err := NewClient(ep, "s", staticToken{}, &http.Client{Transport: lr})
	if err != nil {
		t.Fatal(err)
	}
	c.pollEvery = 10 * time.Millisecond // azcore allows under a second in tests
	var out struct{ Name string }
	if err := c.ARM(context.Background(), http.MethodPut, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stauth1", "2023-05-01",
		map[string]any{"kind": "StorageV2"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Name != "stauth1" || lr.polls != 2 {
		t.Errorf("result %+v after %d polls: %v", out, lr.polls, lr.log)
	}
	lr.polls = 0
	if err := c.ARM(context.Background(), http.MethodDelete, "/subscriptions/s/resourceGroups/rg", "2021-04-01", nil, nil); err != nil {
		t.Fatal(err)
	}
	if lr.polls != 2 {
		t.Errorf("delete polled %d times: %v", lr.polls, lr.log)
	}
}
