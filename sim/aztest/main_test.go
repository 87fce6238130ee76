package aztest

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if indexDir != "" {
		os.RemoveAll(indexDir)
	}
	os.Exit(code)
}
