package web

import "github.com/azure-auth-sandbox/sandbox/sandboxes"

// checkScenario validates a requested scenario name ("" is the
// walkthrough) as the API answers it.
func checkScenario(name string) (string, error) {
	n, err := sandboxes.Scenario(name)
	if err != nil {
		return "", classify(err)
	}
	return n, nil
}
