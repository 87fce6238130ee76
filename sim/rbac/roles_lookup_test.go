package rbac

import (
	"reflect"
	"strings"
	"testing"
)

// Role and RoleByName answer each built-in role as BuiltinRoles has it
// (empty lists still empty, not nil), and a caller changing its answer
// changes no later answer.
func TestRoleLookupsAreFreshCopies(t *testing.T) {
	for _, want := range BuiltinRoles() {
		for name, find := range map[string]func() (RoleDefinition, bool){
			"Role by GUID": func() (RoleDefinition, bool) { return Role(strings.ToUpper(want.ID), nil) },
			"Role by full ID": func() (RoleDefinition, bool) {
				return Role("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"+want.ID, nil)
			},
			"RoleByName": func() (RoleDefinition, bool) { return RoleByName(strings.ToLower(want.RoleName), nil) },
		} {
			got, ok := find()
			if !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %s = %+v, %v; want %+v", name, want.RoleName, got, ok, want)
			}
			got.Permissions[0].Actions = append(got.Permissions[0].Actions[:0], "changed")
			got.AssignableScopes[0] = "changed"
			if again, _ := find(); !reflect.DeepEqual(again, want) {
				t.Fatalf("%s %s: a caller's change reached the next answer: %+v", name, want.RoleName, again)
			}
		}
	}
	custom := []RoleDefinition{{ID: "c1", RoleName: "Mine", RoleType: CustomRole}}
	if r, ok := RoleByName("mine", custom); !ok || r.ID != "c1" {
		t.Fatalf("custom by name = %+v, %v", r, ok)
	}
	if r, ok := Role("C1", custom); !ok || r.RoleName != "Mine" {
		t.Fatalf("custom by ID = %+v, %v", r, ok)
	}
	if _, ok := Role("nope", custom); ok {
		t.Fatal("unknown role found")
	}
}
