package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Client speaks ARM and Microsoft Graph as the server's own identity.
type Client struct {
	ep    Endpoints
	sub   string
	cred  azcore.TokenCredential
	arm   *arm.Client
	graph azruntime.Pipeline
	// pollEvery is how often a long-running operation is polled when ARM
	// sends no Retry-After.
	pollEvery time.Duration
}

// NewCredential is the server's own DefaultAzureCredential (environment,
// workload identity, managed identity, az login), for the configured
// cloud. transport nil means the default one (which honours HTTPS_PROXY).
// Building it sends nothing; a missing credential shows at the first token.
func NewCredential(ep Endpoints, transport policy.Transporter) (azcore.TokenCredential, error) {
	opts := &azidentity.DefaultAzureCredentialOptions{ClientOptions: azcore.ClientOptions{Cloud: ep.Cloud}}
	if transport != nil {
		opts.ClientOptions.Transport = transport
	}
	cred, err := azidentity.NewDefaultAzureCredential(opts)
	if err != nil {
		return nil, fmt.Errorf("azure: credential: %w", err)
	}
	return cred, nil
}

// NewClient returns a client of subscription sub acting with cred.
// transport nil means the default one.
func NewClient(ep Endpoints, sub string, cred azcore.TokenCredential, transport policy.Transporter) (*Client, error) {
	co := azcore.ClientOptions{
		Cloud: ep.Cloud,
		Retry: policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Second, MaxRetryDelay: 10 * time.Second},
	}
	if transport != nil {
		co.Transport = transport
	}
	ac, err := arm.NewClient("sandbox-azure", "v1.0.0", cred, &arm.ClientOptions{ClientOptions: co})
	if err != nil {
		return nil, fmt.Errorf("azure: arm client: %w", err)
	}
	graph := azruntime.NewPipeline("sandbox-azure", "v1.0.0", azruntime.PipelineOptions{
		PerRetry: []policy.Policy{azruntime.NewBearerTokenPolicy(cred, []string{ep.GraphScope()}, nil)},
	}, &co)
	return &Client{ep: ep, sub: sub, cred: cred, arm: ac, graph: graph, pollEvery: 2 * time.Second}, nil
}

// Subscription is the subscription's ARM ID.
func (c *Client) Subscription() string { return "/subscriptions/" + c.sub }

// ARM sends one ARM request. path is the resource ID (and sub-path);
// in, when not nil, is the JSON body; out, when not nil, receives the JSON
// answer. A non-2xx answer is an *azcore.ResponseError with ARM's code.
// A long-running operation (201/202 with Azure-AsyncOperation or Location)
// is polled until it ends.
func (c *Client) ARM(ctx context.Context, method, path, apiVersion string, in, out any) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&" // the path carries a query of its own ($filter)
	}
	req, err := azruntime.NewRequest(ctx, method, c.ep.ARM+path+sep+"api-version="+apiVersion)
	if err != nil {
		return fmt.Errorf("azure: arm %s %s: %w", method, path, err)
	}
	return c.send(ctx, c.arm.Pipeline(), true, req, method, in, out)
}

// Graph sends one Microsoft Graph v1.0 request (path starts with "/").
func (c *Client) Graph(ctx context.Context, method, path string, in, out any) error {
	req, err := azruntime.NewRequest(ctx, method, c.ep.Graph+"/v1.0"+path)
	if err != nil {
		return fmt.Errorf("azure: graph %s %s: %w", method, path, err)
	}
	return c.send(ctx, c.graph, false, req, method, in, out)
}

func (c *Client) send(ctx context.Context, pl azruntime.Pipeline, lro bool, req *policy.Request, method string, in, out any) error {
	if in != nil {
		if err := azruntime.MarshalAsJSON(req, in); err != nil {
			return fmt.Errorf("azure: %s %s: %w", method, req.Raw().URL.Path, err)
		}
	}
	resp, err := pl.Do(req)
	if err != nil {
		return err
	}
	if !azruntime.HasStatusCode(resp, http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent) {
		return azruntime.NewResponseError(resp)
	}
	if (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusAccepted) &&
		(resp.Header.Get("Azure-AsyncOperation") != "" || resp.Header.Get("Location") != "") && lro {
		return c.poll(ctx, resp, out)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, err := azruntime.Payload(resp) // drained, so a recorder sees the whole answer
		return err
	}
	if err := azruntime.UnmarshalAsJSON(resp, out); err != nil {
		return fmt.Errorf("azure: %s %s: decode: %w", method, req.Raw().URL.Path, err)
	}
	return nil
}

// poll follows a long-running operation with azcore's own poller, so the
// real polling protocol (Azure-AsyncOperation, Location, Retry-After) is
// what runs.
func (c *Client) poll(ctx context.Context, resp *http.Response, out any) error {
	p, err := azruntime.NewPoller[map[string]any](resp, c.arm.Pipeline(), nil)
	if err != nil {
		return fmt.Errorf("azure: poll: %w", err)
	}
	res, err := p.PollUntilDone(ctx, &azruntime.PollUntilDoneOptions{Frequency: c.pollEvery})
	if err != nil {
		return err
	}
	if out != nil && res != nil {
		return remarshal(res, out)
	}
	return nil
}

// ResponseError returns err's Azure response error, if it has one.
func ResponseError(err error) (*azcore.ResponseError, bool) {
	var re *azcore.ResponseError
	ok := errors.As(err, &re)
	return re, ok
}

func remarshal(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("azure: decode: %w", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("azure: decode: %w", err)
	}
	return nil
}
