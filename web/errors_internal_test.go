package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

func TestClassifyStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"missing row", fmt.Errorf("load: %w", store.ErrNotFound), http.StatusNotFound},
		{"sandbox reset under the request", fmt.Errorf("run: %w", world.ErrRetired), http.StatusConflict},
		{"real fault", errors.New("disk on fire"), http.StatusInternalServerError},
		{"learner's quota", &sandboxes.Error{Kind: sandboxes.ErrQuota, Message: "m"}, http.StatusConflict},
		{"address's rate", &sandboxes.Error{Kind: sandboxes.ErrThrottled, Message: "m"}, http.StatusTooManyRequests},
		{"server full", &sandboxes.Error{Kind: sandboxes.ErrFull, Message: "m"}, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusOf(classify(tt.err).Code); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
}
