package azure

import (
	"os/exec"
	"strings"
	"testing"
)

// Real mode imports nothing of the simulated cloud (nor of the app): the
// two clouds share only what cmd wires between them.
func TestImportsNothingOfSim(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/azure-auth-sandbox/sandbox/"
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, module) && pkg != module+"azure" {
			t.Errorf("package azure depends on %s", pkg)
		}
	}
}
