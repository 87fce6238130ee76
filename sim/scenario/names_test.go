package scenario_test

import (
	"context"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestResourcesOf(t *testing.T) {
	got := scenario.ResourcesOf(&world.State{Suffix: "1a2b3c"})
	want := scenario.Resources{
		Suffix:           "1a2b3c",
		Vault:            "kv-auth-1a2b3c",
		StorageAccount:   "stauth1a2b3c",
		ThirdPartySite:   "thirdparty-api-1a2b3c",
		MainSite:         "main-app-1a2b3c",
		VaultURL:         "https://kv-auth-1a2b3c.vault.azure.net",
		QueueURL:         "https://stauth1a2b3c.queue.core.windows.net/messages",
		ThirdPartyAPIURL: "https://thirdparty-api-1a2b3c.azurewebsites.net/api/RandomNumber",
	}
	if got != want {
		t.Fatalf("ResourcesOf = %+v\nwant %+v", got, want)
	}
}

// The main site's app settings are the ones the names give.
func TestBuildAppSettings(t *testing.T) {
	w, err := scenario.Build(context.Background(), world.NewRegistry(nil, nil), "sbx", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	w.View(func(st *world.State) {
		if st.Suffix == "" || st.Labels["suffix"] != "" {
			t.Fatalf("suffix %q, labels %v", st.Suffix, st.Labels)
		}
		names := scenario.ResourcesOf(st)
		site := st.Site(names.MainSite)
		for _, s := range names.AppSettings() {
			if site.AppSettings[s.Name] != s.Value {
				t.Errorf("%s = %q, want %q", s.Name, site.AppSettings[s.Name], s.Value)
			}
		}
	})
}

// Scope and ScopeKind are each other's inverse, and a kind whose resource
// is missing has no scope.
func TestScopes(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{scenario.Walkthrough, scenario.Empty} {
		t.Run(name, func(t *testing.T) {
			w, err := scenario.Build(ctx, world.NewRegistry(nil, nil), "sbx-"+name, name)
			if err != nil {
				t.Fatal(err)
			}
			w.View(func(st *world.State) {
				for _, kind := range scenario.ScopeKinds() {
					id, ok := scenario.Scope(st, kind)
					resource := kind != scenario.ScopeSubscription && kind != scenario.ScopeResourceGroup
					if want := name == scenario.Walkthrough || !resource; ok != want {
						t.Errorf("Scope(%s) = %q, %v; want ok %v", kind, id, ok, want)
					}
					if !ok {
						continue
					}
					if got := scenario.ScopeKind(st, strings.ToUpper(id)); got != kind {
						t.Errorf("ScopeKind(%q) = %q, want %q", id, got, kind)
					}
				}
				if _, ok := scenario.Scope(st, "tenant"); ok {
					t.Error("an unknown kind has a scope")
				}
				if got := scenario.ScopeKind(st, st.SubscriptionScope()+"/resourceGroups/other"); got != "" {
					t.Errorf("ScopeKind(other group) = %q", got)
				}
			})
		})
	}
	// The walkthrough's queue scope is the queue under the account.
	w, _ := scenario.Build(ctx, world.NewRegistry(nil, nil), "sbx-q", scenario.Walkthrough)
	w.View(func(st *world.State) {
		id, _ := scenario.Scope(st, scenario.ScopeQueue)
		if !strings.HasSuffix(id, "/providers/Microsoft.Storage/storageAccounts/"+scenario.ResourcesOf(st).StorageAccount+"/queueServices/default/queues/messages") {
			t.Errorf("queue scope %q", id)
		}
	})
}
