package aztest_test

import (
	"os"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
)

func TestMain(m *testing.M) { os.Exit(aztest.Main(m)) }
