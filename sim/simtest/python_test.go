package simtest_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// debianPython is the interpreter the learner-side Python tests run: Debian's
// /usr/bin/python3 with python3-azure (a pyenv or venv python3 on PATH may
// lack the SDK). Without it the tests skip, except in CI (CI=true), where
// they fail: .ci/run installs python3-azure.
const debianPython = "/usr/bin/python3"

// pythonAzure returns the interpreter after checking that it imports the
// SDK packages the tests use.
func pythonAzure(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, debianPython, "-c",
		"import azure.identity, azure.keyvault.secrets, azure.storage.queue").CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s with python3-azure is required in CI: %v\n%s", debianPython, err, out)
		}
		t.Skipf("%s cannot import the Azure SDK (install Debian's python3-azure): %v\n%s", debianPython, err, out)
	}
	return debianPython
}
