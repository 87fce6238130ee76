package rbac

import (
	"strings"
	"testing"
	"time"
)

const (
	tSub    = "/subscriptions/11111111-2222-3333-4444-555555555555"
	tRG1    = tSub + "/resourceGroups/rg1"
	tRG10   = tSub + "/resourceGroups/rg10"
	tVault  = tRG1 + "/providers/Microsoft.KeyVault/vaults/kv1"
	tSecret = tVault + "/secrets/s1"
	tAcct   = tRG1 + "/providers/Microsoft.Storage/storageAccounts/st1"
	tQueue  = tAcct + "/queueServices/default/queues/messages"

	getSecret = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	setSecret = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
	addMsg    = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action"
	raWrite   = "Microsoft.Authorization/roleAssignments/write"
	vaultRead = "Microsoft.KeyVault/vaults/read"

	aliceID  = "aaaaaaaa-0000-0000-0000-000000000001"
	aliceApp = "aaaaaaaa-0000-0000-0000-0000000000ff"
	bobID    = "bbbbbbbb-0000-0000-0000-000000000002"
	groupID  = "99999999-0000-0000-0000-000000000009"
	customR  = "cccccccc-0000-0000-0000-00000000000c"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func asg(id, principal, role, scope string) Assignment {
	return Assignment{ID: id, PrincipalID: principal, RoleDefinitionID: role, Scope: scope, PrincipalType: "ServicePrincipal", CreatedOn: t0, EffectiveAt: t0}
}

var alice = Principal{ObjectID: aliceID, Type: "ServicePrincipal", DisplayName: "alice-app", AppID: aliceApp}

func TestAuthorize(t *testing.T) {
	later := t0.Add(5 * time.Minute)
	custom := []RoleDefinition{{
		ID: customR, RoleName: "Secret Peeker", RoleType: CustomRole, AssignableScopes: []string{tSub},
		Permissions: []Permission{{
			DataActions:    []string{"Microsoft.KeyVault/vaults/secrets/*"},
			NotDataActions: []string{"Microsoft.KeyVault/vaults/secrets/setSecret/action"},
		}},
	}}
	type want struct {
		allowed bool
		reasons []string // Considered reasons, in order
		texts   []string // substrings of the explanations, in Considered order
		summary string   // substring of Summary
		sugRole string   // Suggestion role name ("" = none)
		sugSc   string
	}
	tests := []struct {
		name   string
		as     []Assignment
		p      Principal
		action string
		data   bool
		scope  string
		now    time.Time
		want   want
	}{
		{
			name: "subscription scope inherits to a secret", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsUser, tSub)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted},
				texts:   []string{"Key Vault Secrets User at the subscription grants " + getSecret},
				summary: "Allowed: Key Vault Secrets User assigned at the subscription"},
		},
		{
			name: "resource group scope inherits", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsUser, tRG1)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"at the resource group rg1 grants"}},
		},
		{
			name: "vault scope inherits", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"Key Vault Secrets User at the vault kv1 grants " + getSecret}},
		},
		{
			name: "child scope does not cover its parent", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsUser, tSecret)},
			p: alice, action: getSecret, data: true, scope: tVault + "/secrets/other",
			want: want{reasons: []string{ReasonScopeNotAncestor},
				texts:   []string{"at the secret s1 does not cover the secret other"},
				sugRole: "Key Vault Secrets User", sugSc: tVault},
		},
		{
			name: "case-insensitive segments", as: []Assignment{asg("a1", strings.ToUpper(aliceID), RoleKeyVaultSecretsUser, strings.ToLower(tVault))},
			p: alice, action: strings.ToUpper(getSecret), data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}},
		},
		{
			name: "rg name prefix is not an ancestor", as: []Assignment{asg("a1", aliceID, RoleOwner, tRG1)},
			p: alice, action: vaultRead, scope: tRG10 + "/providers/Microsoft.KeyVault/vaults/kv2",
			want: want{reasons: []string{ReasonScopeNotAncestor},
				texts:   []string{"Owner at the resource group rg1 does not cover the vault kv2: an assignment applies only to its own scope and the scopes below it"},
				sugRole: "Reader", sugSc: tRG10 + "/providers/Microsoft.KeyVault/vaults/kv2"},
		},
		{
			name: "contributor cannot write role assignments", as: []Assignment{asg("a1", aliceID, RoleContributor, tSub)},
			p: alice, action: raWrite, scope: tRG1,
			want: want{reasons: []string{ReasonExcludedByNot},
				texts:   []string{"matches " + raWrite + " with '*' in its actions, but its notActions remove it ('Microsoft.Authorization/*/Write')"},
				sugRole: "Role Based Access Control Administrator", sugSc: tRG1},
		},
		{
			name: "owner can write role assignments", as: []Assignment{asg("a1", aliceID, RoleOwner, tSub)},
			p: alice, action: raWrite, scope: tRG1,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"Owner at the subscription grants " + raWrite + " (its actions include '*')"}},
		},
		{
			name: "notActions do not deny what another role grants",
			as:   []Assignment{asg("a1", aliceID, RoleContributor, tSub), asg("a2", aliceID, RoleUserAccessAdministrator, tRG1)},
			p:    alice, action: raWrite, scope: tVault,
			want: want{allowed: true, reasons: []string{ReasonExcludedByNot, ReasonGranted},
				texts: []string{"deny nothing another role grants", "User Access Administrator at the resource group rg1 grants " + raWrite + " (its actions include 'Microsoft.Authorization/*')"}},
		},
		{
			name: "wildcard */read", as: []Assignment{asg("a1", aliceID, RoleReader, tSub)},
			p: alice, action: vaultRead, scope: tVault,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"(its actions include '*/read')"}},
		},
		{
			name: "reader lacks write", as: []Assignment{asg("a1", aliceID, RoleReader, tSub)},
			p: alice, action: "Microsoft.KeyVault/vaults/write", scope: tVault,
			want: want{reasons: []string{ReasonRoleLacksAction}, texts: []string{"Reader at the subscription does not include Microsoft.KeyVault/vaults/write in its actions"},
				sugRole: "Key Vault Contributor", sugSc: tVault},
		},
		{
			name: "owner cannot read a secret", as: []Assignment{asg("a1", aliceID, RoleOwner, tSub)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{reasons: []string{ReasonRoleLacksAction},
				texts:   []string{"Owner at the subscription grants control-plane actions only; reading a secret's value (" + getSecret + ") is a data action"},
				summary: "Assigning Key Vault Secrets User at the vault kv1 would allow it.",
				sugRole: "Key Vault Secrets User", sugSc: tVault},
		},
		{
			name: "secrets officer can set a secret", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsOfficer, tVault)},
			p: alice, action: setSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"(its dataActions include 'Microsoft.KeyVault/vaults/secrets/*')"}},
		},
		{
			name: "secrets user cannot set a secret", as: []Assignment{asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)},
			p: alice, action: setSecret, data: true, scope: tSecret,
			want: want{reasons: []string{ReasonRoleLacksAction}, texts: []string{"does not include writing a secret (" + setSecret + ") in its dataActions"},
				sugRole: "Key Vault Secrets Officer", sugSc: tVault},
		},
		{
			name: "custom role grants", as: []Assignment{asg("a1", aliceID, customR, tSub)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"Secret Peeker at the subscription grants"}},
		},
		{
			name: "custom role notDataActions", as: []Assignment{asg("a1", aliceID, customR, tSub)},
			p: alice, action: setSecret, data: true, scope: tSecret,
			want: want{reasons: []string{ReasonExcludedByNot}, texts: []string{"but its notDataActions remove it ('Microsoft.KeyVault/vaults/secrets/setSecret/action')"},
				sugRole: "Key Vault Secrets Officer", sugSc: tVault},
		},
		{
			name: "unknown role", as: []Assignment{asg("a1", aliceID, "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/dead0000-0000-0000-0000-000000000000", tSub)},
			p: alice, action: getSecret, data: true, scope: tSecret,
			want: want{reasons: []string{ReasonUnknownRole}, texts: []string{"refers to role definition dead0000-0000-0000-0000-000000000000, which does not exist"},
				sugRole: "Key Vault Secrets User", sugSc: tVault},
		},
		{
			name: "deleted principal", as: []Assignment{asg("a1", aliceID, RoleOwner, tSub)},
			p: Principal{ObjectID: aliceID, Deleted: true}, action: vaultRead, scope: tVault,
			want: want{reasons: []string{ReasonPrincipalDeleted}, texts: []string{"no longer exists in the directory"},
				summary: "does not exist in the directory"},
		},
		{
			name: "group membership grants",
			as:   []Assignment{asg("a1", groupID, RoleKeyVaultSecretsUser, tVault), asg("a2", bobID, RoleOwner, tSub)},
			p:    Principal{ObjectID: aliceID, Groups: []string{groupID}}, action: getSecret, data: true, scope: tSecret,
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"(assigned to group " + groupID}},
		},
		{
			name: "another principal's grant is shown, not applied",
			as:   []Assignment{asg("a2", bobID, RoleKeyVaultSecretsUser, tVault)},
			p:    alice, action: getSecret, data: true, scope: tSecret,
			want: want{reasons: []string{ReasonOtherPrincipal}, texts: []string{"assigned to another principal (" + bobID + ")"}, summary: "Denied: alice-app (" + aliceID + ") has no role assignments",
				sugRole: "Key Vault Secrets User", sugSc: tVault},
		},
		{
			name: "not yet effective",
			as: []Assignment{func() Assignment {
				a := asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)
				a.EffectiveAt = later
				return a
			}()},
			p: alice, action: getSecret, data: true, scope: tSecret, now: t0.Add(time.Minute),
			want: want{reasons: []string{ReasonNotYetEffective}, texts: []string{"would grant " + getSecret + ", but the assignment takes effect only at 2026-03-01T12:05:00Z (in 4m0s)"},
				summary: "Denied for now: Key Vault Secrets User at the vault kv1 will grant"},
		},
		{
			name: "effective after the delay",
			as: []Assignment{func() Assignment {
				a := asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)
				a.EffectiveAt = later
				return a
			}()},
			p: alice, action: getSecret, data: true, scope: tSecret, now: later,
			want: want{allowed: true, reasons: []string{ReasonGranted}},
		},
		{
			name: "removal pending still grants",
			as: []Assignment{func() Assignment {
				a := asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)
				a.RemovedAt = &later
				return a
			}()},
			p: alice, action: getSecret, data: true, scope: tSecret, now: t0.Add(time.Minute),
			want: want{allowed: true, reasons: []string{ReasonGranted}, texts: []string{"the removal only takes effect at 2026-03-01T12:05:00Z"}},
		},
		{
			name: "removal propagated",
			as: []Assignment{func() Assignment {
				a := asg("a1", aliceID, RoleKeyVaultSecretsUser, tVault)
				a.RemovedAt = &later
				return a
			}()},
			p: alice, action: getSecret, data: true, scope: tSecret, now: later,
			want: want{reasons: []string{ReasonRemovalPropagated}, texts: []string{"was removed; the removal took effect at 2026-03-01T12:05:00Z"},
				sugRole: "Key Vault Secrets User", sugSc: tVault},
		},
		{
			name: "suggestion for queue add",
			as:   []Assignment{asg("a1", aliceID, RoleStorageQueueDataReader, tAcct), asg("a2", aliceID, RoleOwner, tRG10)},
			p:    alice, action: addMsg, data: true, scope: tQueue,
			want: want{reasons: []string{ReasonRoleLacksAction, ReasonScopeNotAncestor},
				texts:   []string{"Storage Queue Data Reader at the storage account st1 does not include adding a message to a queue", "does not cover the queue messages"},
				summary: "Denied: none of the 2 role assignments of alice-app",
				sugRole: "Storage Queue Data Message Sender", sugSc: tQueue},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			d := NewIndex(tc.as, custom).Authorize(Request{Principal: tc.p, Action: tc.action, DataAction: tc.data, Scope: tc.scope, Now: now})
			if d.Model != "rbac" || d.Allowed != tc.want.allowed {
				t.Fatalf("model %q allowed %v, want rbac %v: %s", d.Model, d.Allowed, tc.want.allowed, d.Summary)
			}
			if (d.Matched != nil) != tc.want.allowed {
				t.Errorf("Matched = %+v with allowed %v", d.Matched, d.Allowed)
			}
			if len(d.Considered) != len(tc.want.reasons) {
				t.Fatalf("considered %d, want %d: %+v", len(d.Considered), len(tc.want.reasons), d.Considered)
			}
			for i, c := range d.Considered {
				if c.Reason != tc.want.reasons[i] {
					t.Errorf("considered[%d] reason %q, want %q (%s)", i, c.Reason, tc.want.reasons[i], c.Explanation)
				}
				if c.Matched != (c.Reason == ReasonGranted) {
					t.Errorf("considered[%d] matched %v with reason %q", i, c.Matched, c.Reason)
				}
				if i < len(tc.want.texts) && !strings.Contains(c.Explanation, tc.want.texts[i]) {
					t.Errorf("considered[%d] explanation\n %q\nlacks\n %q", i, c.Explanation, tc.want.texts[i])
				}
			}
			if !strings.Contains(d.Summary, tc.want.summary) {
				t.Errorf("summary %q lacks %q", d.Summary, tc.want.summary)
			}
			switch {
			case tc.want.sugRole == "" && d.Suggestion != nil:
				t.Errorf("unexpected suggestion %+v", d.Suggestion)
			case tc.want.sugRole != "" && d.Suggestion == nil:
				t.Errorf("no suggestion, want %s", tc.want.sugRole)
			case tc.want.sugRole != "":
				s := d.Suggestion
				if s.RoleName != tc.want.sugRole || s.Scope != tc.want.sugSc {
					t.Errorf("suggestion %s at %s, want %s at %s", s.RoleName, s.Scope, tc.want.sugRole, tc.want.sugSc)
				}
				cli := `az role assignment create --assignee ` + aliceApp + ` --role "` + tc.want.sugRole + `" --scope ` + tc.want.sugSc
				if s.CLI != cli {
					t.Errorf("CLI %q, want %q", s.CLI, cli)
				}
			}
		})
	}
}

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.KeyVault/vaults/read", true},
		{"*/read", "Microsoft.KeyVault/vaults/read", true},
		{"*/read", "Microsoft.KeyVault/vaults/write", false},
		{"Microsoft.KeyVault/vaults/*", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true},
		{"Microsoft.KeyVault/vaults/*", "Microsoft.KeyVault/vaultsX", false},
		{"Microsoft.Storage/*/queues/*", "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read", true},
		{"Microsoft.Storage/*/queues/*", "Microsoft.Storage/storageAccounts/blobServices/containers/read", false},
		{"Microsoft.Authorization/*/Write", "microsoft.authorization/roleassignments/write", true},
		{"Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action", false},
		{"a*b*c", "aXXbYYbZZc", true},
		{"a*b*c", "aXXbYYbZZ", false},
		{"", "", true},
		{"", "x", false},
		{"**", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.pattern+"~"+tc.action, func(t *testing.T) {
			if got := MatchAction(tc.pattern, tc.action); got != tc.want {
				t.Errorf("MatchAction(%q, %q) = %v", tc.pattern, tc.action, got)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	if r, ok := RoleByName("key vault secrets user", nil); !ok || r.ID != RoleKeyVaultSecretsUser {
		t.Errorf("RoleByName = %+v %v", r, ok)
	}
	if r, ok := Role("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"+strings.ToUpper(RoleOwner), nil); !ok || r.RoleName != "Owner" {
		t.Errorf("Role by full ID = %+v %v", r, ok)
	}
	if r, ok := Role(customR, []RoleDefinition{{ID: customR, RoleName: "C"}}); !ok || r.RoleName != "C" {
		t.Errorf("custom Role = %+v %v", r, ok)
	}
	if _, ok := RoleByName("Nope", nil); ok {
		t.Error("RoleByName(Nope) found")
	}
	seen := map[string]bool{}
	for _, r := range BuiltinRoles() {
		if seen[r.ID] || r.RoleType != BuiltInRole || len(r.AssignableScopes) != 1 || r.AssignableScopes[0] != "/" {
			t.Errorf("bad built-in %+v", r)
		}
		seen[r.ID] = true
	}
	// BuiltinRoles hands out copies: editing one does not change the next.
	b := BuiltinRoles()
	b[0].Permissions[0].Actions[0] = "nothing"
	if BuiltinRoles()[0].Permissions[0].Actions[0] != "*" {
		t.Error("BuiltinRoles shares state")
	}
}

// The index copies its input: changing the caller's slice afterwards does not
// change answers.
func TestIndexCopiesAssignments(t *testing.T) {
	as := []Assignment{asg("a1", aliceID, RoleOwner, tSub)}
	ix := NewIndex(as, nil)
	as[0].Scope = tRG10
	d := ix.Authorize(Request{Principal: alice, Action: vaultRead, Scope: tVault, Now: t0})
	if !d.Allowed {
		t.Fatalf("not allowed: %s", d.Summary)
	}
}
