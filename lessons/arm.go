package lessons

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// armEndpoint is Azure Resource Manager, where the portal and az change
// resources.
const armEndpoint = "https://" + service.HostARM

// armEndpoint is ARM in the cloud the action runs in: the configured
// cloud's for real Azure (China and US Government have their own), the
// simulator's (the public host) otherwise.
func (x *execution) armEndpoint() string {
	if x.f.Real() {
		if s, ok := x.f.Cloud().Services[cloud.ResourceManager]; ok && s.Endpoint != "" {
			return strings.TrimSuffix(s.Endpoint, "/")
		}
	}
	return armEndpoint
}

// armCall sends one ARM request as the sandbox owner through the runner's
// transport, so it is recorded like any other call. id is the resource's
// ARM ID (with any sub-path); in (when not nil) is the JSON body; out (when
// not nil) receives the JSON answer. A non-2xx answer is an
// *azcore.ResponseError carrying ARM's error code.
func (x *execution) armCall(method, id, apiVersion string, in, out any) error {
	cred, err := x.ownerCredential()
	if err != nil {
		return err
	}
	client, err := arm.NewClient("sandbox-lessons", "v1.0.0", cred, &arm.ClientOptions{ClientOptions: x.ownerOptions()})
	if err != nil {
		return fmt.Errorf("lessons: arm %s %s: %w", method, id, err)
	}
	req, err := azruntime.NewRequest(x.ctx, method, x.armEndpoint()+id+"?api-version="+apiVersion)
	if err != nil {
		return fmt.Errorf("lessons: arm %s %s: %w", method, id, err)
	}
	if in != nil {
		if err := azruntime.MarshalAsJSON(req, in); err != nil {
			return fmt.Errorf("lessons: arm %s %s: %w", method, id, err)
		}
	}
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		return err
	}
	if !azruntime.HasStatusCode(resp, http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent) {
		return azruntime.NewResponseError(resp)
	}
	if out == nil {
		_, err := azruntime.Payload(resp) // drain, so the recorder sees the whole answer
		return err
	}
	if err := azruntime.UnmarshalAsJSON(resp, out); err != nil {
		return fmt.Errorf("lessons: arm %s %s: decode: %w", method, id, err)
	}
	return nil
}
