package main

import (
	"slices"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
)

// What a lesson's realNeeds may name is what the preflight checks.
func TestRealCapabilitiesArePreflightChecks(t *testing.T) {
	var want []string
	for _, c := range []azure.Capability{azure.CapToken, azure.CapSubscription, azure.CapResourceGroup, azure.CapRoleAssignments, azure.CapAppRegistrations} {
		want = append(want, string(c))
	}
	if !slices.Equal(lessons.RealCapabilities, want) {
		t.Errorf("lessons.RealCapabilities = %v, the preflight checks %v", lessons.RealCapabilities, want)
	}
}
