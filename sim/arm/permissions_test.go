package arm

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// The caller's own permissions, read with the real SDK at a resource group
// and raw at the subscription: the owner holds Owner's "*", localDev none.
func TestPermissionsOfTheCaller(t *testing.T) {
	ctx := context.Background()
	c := newCloud(t)
	w := c.world(t, "sbx-arm-perms")
	sub := w.SubscriptionID()

	list := func(label string) []string {
		t.Helper()
		pc, err := armauthorization.NewPermissionsClient(sub, c.cred(t, w, label), c.armOptions())
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		pager := pc.NewListForResourceGroupPager(scenario.ResourceGroup, nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Value {
				for _, a := range p.Actions {
					actions = append(actions, *a)
				}
			}
		}
		return actions
	}
	if got := list(scenario.LabelOwner); len(got) != 1 || got[0] != "*" {
		t.Errorf("owner's actions = %v, want [*]", got)
	}
	if got := list(scenario.LabelLocalDev); len(got) != 0 {
		t.Errorf("localDev's actions = %v, want none", got)
	}

	tok := c.token(t, w, scenario.LabelOwner, entra.ResourceARM, time.Now())
	res := c.call(t, http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", tok, "")
	var body struct {
		Value []struct {
			Actions, NotActions, DataActions, NotDataActions []string
		} `json:"value"`
	}
	if res.status != http.StatusOK || json.Unmarshal(res.body, &body) != nil || len(body.Value) != 1 ||
		body.Value[0].Actions[0] != "*" || body.Value[0].NotActions == nil {
		t.Errorf("subscription permissions = %d %s", res.status, res.body)
	}
	res = c.call(t, http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/missing-rg/providers/Microsoft.Authorization/permissions?api-version=2022-04-01", tok, "")
	if res.status != http.StatusNotFound || res.code != "ResourceGroupNotFound" {
		t.Errorf("missing group = %d %s", res.status, res.body)
	}
}
