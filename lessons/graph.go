package lessons

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// graphEndpoint is Microsoft Graph's v1.0 root, where az's `az ad` commands
// manage app registrations, service principals and their secrets.
const graphEndpoint = "https://graph.microsoft.com/v1.0"

// graphScope is the scope az asks Entra ID for before it calls Graph.
const graphScope = "https://graph.microsoft.com/.default"

// graphCall sends one Graph request as the sandbox owner through the
// runner's transport, so it is recorded like any other call. in (when not
// nil) is the JSON body; out (when not nil) receives the JSON answer. A
// non-2xx answer is an *azcore.ResponseError carrying Graph's error code.
func (x *execution) graphCall(method, path string, in, out any) error {
	cred, err := x.ownerCredential()
	if err != nil {
		return err
	}
	opts := x.ownerOptions()
	pl := azruntime.NewPipeline("sandbox-lessons", "v1.0.0",
		azruntime.PipelineOptions{PerRetry: []policy.Policy{azruntime.NewBearerTokenPolicy(cred, []string{graphScope}, nil)}}, &opts)
	req, err := azruntime.NewRequest(x.ctx, method, graphEndpoint+path)
	if err != nil {
		return fmt.Errorf("graph %s %s: %w", method, path, err)
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("graph %s %s: %w", method, path, err)
		}
		req.Raw().Header.Set("Content-Type", "application/json")
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(b)), "application/json"); err != nil {
			return fmt.Errorf("graph %s %s: %w", method, path, err)
		}
	}
	resp, err := pl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return azruntime.NewResponseError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("graph %s %s: decode: %w", method, path, err)
	}
	return nil
}

// graphPassword is the answer of addPassword.
type graphPassword struct {
	KeyID       string `json:"keyId"`
	Hint        string `json:"hint"`
	SecretText  string `json:"secretText"`
	EndDateTime string `json:"endDateTime"`
}

// graphAddPassword adds a client secret valid for lifetime (from the
// sandbox's now) to the application with object ID appObjectID.
func (x *execution) graphAddPassword(appObjectID, displayName string, lifetime time.Duration) (graphPassword, error) {
	end := x.r.w.Now().Add(lifetime).UTC().Format(time.RFC3339)
	var out graphPassword
	err := x.graphCall("POST", "/applications/"+appObjectID+"/addPassword",
		map[string]any{"passwordCredential": map[string]string{"displayName": displayName, "endDateTime": end}}, &out)
	return out, err
}

// appOf returns the labelled app registration's IDs, or an error when the
// label is not an app registration.
func (x *execution) appOf(label string) (objectID, appObjectID, appID string, err error) {
	x.r.w.View(func(st *world.State) {
		p, e := principalByLabel(st, label)
		if e != nil {
			err = e
			return
		}
		if p.Kind != world.KindApplication {
			err = fmt.Errorf("%s has no client secrets to reset", label)
			return
		}
		objectID, appObjectID, appID = p.ObjectID, p.AppObjectID, p.AppID
	})
	return
}
