package pyrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// DebianPython is where Debian's python3-azure lives; a python3 earlier on
// PATH (pyenv, a venv) usually lacks the SDK.
const DebianPython = "/usr/bin/python3"

const probe = `import json, sys
import azure.identity, azure.keyvault.secrets, azure.storage.queue, requests
print(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3], "azureIdentity": azure.identity.__version__}))`

// Find checks that path (DebianPython when empty) is a Python with the
// packages the lessons use, and says which versions. The error tells a
// person what is missing.
func Find(ctx context.Context, path string) (string, Info, error) {
	if path == "" {
		path = DebianPython
	}
	exe, err := exec.LookPath(path)
	if err != nil {
		return "", Info{}, fmt.Errorf("pyrun: no Python at %s", path)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-I", "-c", probe)
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			lines := strings.Split(strings.TrimSpace(string(ee.Stderr)), "\n")
			msg = lines[len(lines)-1]
		}
		return "", Info{}, fmt.Errorf("pyrun: %s cannot import the Azure SDK (install Debian's python3-azure): %s", exe, msg)
	}
	var info Info
	if err := json.Unmarshal(out, &info); err != nil {
		return "", Info{}, fmt.Errorf("pyrun: %s: unexpected probe output: %w", exe, err)
	}
	return exe, info, nil
}
