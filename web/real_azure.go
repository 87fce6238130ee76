package web

import "github.com/azure-auth-sandbox/sandbox/azure"

// Clouds a sandbox can run against.
const (
	cloudSimulated = "simulated"
	cloudAzure     = "azure"
)

// checkCloud validates a requested cloud ("" is the simulated one).
func (s *Server) checkCloud(cloud, scenarioName string) (bool, error) {
	switch cloud {
	case "", cloudSimulated:
		return false, nil
	case cloudAzure:
		if !s.sandboxes.RealAvailable() {
			return false, errorf(CodeInvalidArgument,
				"real Azure mode is not available on this server: start it with --azure-subscription, and check what its identity may do with 'sandbox azure check'")
		}
		if scenarioName != "walkthrough" {
			return false, errorf(CodeInvalidArgument, "a real Azure sandbox runs the walkthrough scenario, not %q", scenarioName)
		}
		return true, nil
	}
	return false, errorf(CodeInvalidArgument, "cloud must be %q or %q, got %q", cloudSimulated, cloudAzure, cloud)
}

// azureJSON is a real-mode sandbox in the API: where its resources are and
// how far provisioning got. localDev's secret is the learner's own (an app
// with no roles, in the sandbox's own resource group).
type azureJSON struct {
	Status         string         `json:"status"`
	StepsDone      int            `json:"stepsDone"`
	StepsTotal     int            `json:"stepsTotal"`
	Plan           []string       `json:"plan"`
	Error          string         `json:"error,omitempty"`
	TenantID       string         `json:"tenantId,omitempty"`
	SubscriptionID string         `json:"subscriptionId"`
	Location       string         `json:"location"`
	ResourceGroup  string         `json:"resourceGroup"`
	KeyVaultURL    string         `json:"keyVaultUrl"`
	QueueURL       string         `json:"queueUrl"`
	LocalDev       *principalJSON `json:"localDev,omitempty"`
}

func (s *Server) azureView(id string) *azureJSON {
	sb, ok := s.sandboxes.Azure(id)
	if !ok {
		return nil
	}
	done, total := sb.Progress()
	ep := s.sandboxes.AzureEndpoints()
	j := &azureJSON{Status: sb.Status, StepsDone: done, StepsTotal: total, Plan: azure.Plan(), Error: sb.Error,
		TenantID: sb.TenantID, SubscriptionID: sb.Subscription, Location: sb.Location, ResourceGroup: sb.ResourceGroup,
		KeyVaultURL: sb.VaultURL(ep), QueueURL: sb.QueueURL(ep)}
	if sb.LocalDev.Secret != "" {
		j.LocalDev = &principalJSON{ClientID: sb.LocalDev.AppID, ClientSecret: sb.LocalDev.Secret, ObjectID: sb.LocalDev.SPObjectID}
	}
	return j
}
