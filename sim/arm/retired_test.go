package arm

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// A sandbox deleted or reset while a request was in flight is gone, not a
// server fault.
func TestUpdateErrors(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{fmt.Errorf("wrapped: %w", world.ErrRetired), http.StatusNotFound},
		{errors.New("disk full"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := updateError(tt.err); got.status != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, got.status, tt.status)
		}
	}
}
