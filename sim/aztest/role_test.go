package aztest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

const raVersion = "?api-version=2022-04-01"

// grant creates a role assignment with az rest: the PUT `az role assignment
// create` sends (Debian's az 2.45 cannot send it itself; see
// TestAzRoleAssignments). It returns the assignment's ID.
func (s *sandbox) grant(role, principalID, principalType, scope string) string {
	s.t.Helper()
	id := scope + "/providers/Microsoft.Authorization/roleAssignments/" + uuid.NewString()
	body := `{"properties":{"roleDefinitionId":"` + s.sub() + `/providers/Microsoft.Authorization/roleDefinitions/` + role +
		`","principalId":"` + principalID + `","principalType":"` + principalType + `"}}`
	ra := s.restOK("PUT", "https://management.azure.com"+id+raVersion, body, "")
	if field(ra, "id") != id || field(ra, "properties", "principalId") != principalID {
		s.t.Fatalf("role assignment %v", ra)
	}
	return id
}

// az role assignment create/list/delete and az role definition list. Debian's
// az 2.45 role module does not match its packaged azure-mgmt-authorization
// (it reads the removed `.config` attribute) and fails before sending any
// request; the test shows that, then sends exactly the requests the CLI
// sends with `az rest`: resolving --assignee in Graph (as a UPN, an appId
// through servicePrincipalNames/any, an object ID through getByIds), the
// role definition lookup by name, and the assignment PUT, list and DELETE.
func TestAzRoleAssignments(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-role")
	s.loginOwner()
	localDev := s.principal(scenario.LabelLocalDev)
	dev := s.principal(scenario.LabelDeveloper)

	t.Run("Debian's az fails before sending", func(t *testing.T) {
		s.t = t
		seq := s.lastSeq()
		for _, args := range [][]string{
			{"role", "assignment", "create", "--assignee-object-id", localDev.ObjectID, "--assignee-principal-type", "ServicePrincipal",
				"--role", "Key Vault Secrets User", "--scope", s.vaultID()},
			{"role", "definition", "list", "--name", "Key Vault Secrets User"},
		} {
			r := s.run(args...)
			if r.code == 0 || !strings.Contains(r.stderr, "has no attribute 'config'") {
				t.Errorf("Debian's az role module works now? Test the CLI itself:\n%s", r)
			}
		}
		for _, ex := range s.since(seq) {
			if strings.Contains(ex.URL, "Microsoft.Authorization") {
				t.Errorf("sent %s %s", ex.Method, ex.URL)
			}
		}
	})

	t.Run("--assignee resolution in Graph", func(t *testing.T) {
		s.t = t
		cases := []struct{ name, url, want string }{
			{"UPN", graphURL("users", "userPrincipalName eq '"+dev.UserPrincipalName+"'"), dev.ObjectID},
			{"appId", graphURL("servicePrincipals", "servicePrincipalNames/any(c:c eq '"+localDev.AppID+"')"), localDev.ObjectID},
		}
		for _, c := range cases {
			v := s.restOK("GET", c.url, "", "")
			if l := list(v["value"]); len(l) != 1 || field(l[0], "id") != c.want {
				t.Errorf("%s: %v", c.name, v)
			}
		}
		v := s.restOK("POST", "https://graph.microsoft.com/v1.0/directoryObjects/getByIds",
			`{"ids":["`+localDev.ObjectID+`"],"types":["user","group","servicePrincipal","directoryObjectPartnerReference"]}`, "")
		if l := list(v["value"]); len(l) != 1 || field(l[0], "@odata.type") != "#microsoft.graph.servicePrincipal" {
			t.Errorf("getByIds: %v", v)
		}
	})

	t.Run("role definition list --name", func(t *testing.T) {
		s.t = t
		v := s.restOK("GET", "https://management.azure.com"+s.sub()+"/providers/Microsoft.Authorization/roleDefinitions"+raVersion+
			"&$filter="+strings.ReplaceAll("roleName eq 'Key Vault Secrets User'", " ", "%20"), "", "")
		if l := list(v["value"]); len(l) != 1 || field(l[0], "name") != rbac.RoleKeyVaultSecretsUser ||
			field(l[0], "properties", "roleName") != "Key Vault Secrets User" {
			t.Errorf("definitions %v", v)
		}
	})

	t.Run("create, list, delete", func(t *testing.T) {
		s.t = t
		seq := s.lastSeq()
		id := s.grant(rbac.RoleKeyVaultSecretsUser, localDev.ObjectID, "ServicePrincipal", s.vaultID())
		exs := s.since(seq)
		if ex := sent(t, exs, "PUT", "/roleAssignments/", http.StatusCreated); ex.Authz == nil || !ex.Authz.Allowed {
			t.Errorf("the PUT carries no allowing decision: %+v", ex.Authz)
		}
		// The same assignment again: ARM's 409, as the CLI shows it.
		dup := s.rest("PUT", "https://management.azure.com"+s.vaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+raVersion,
			`{"properties":{"roleDefinitionId":"`+s.sub()+`/providers/Microsoft.Authorization/roleDefinitions/`+rbac.RoleKeyVaultSecretsUser+
				`","principalId":"`+localDev.ObjectID+`"}}`, "")
		if dup.code == 0 || !strings.Contains(dup.stderr, "RoleAssignmentExists") {
			t.Errorf("duplicate: %s", dup)
		}
		listURL := "https://management.azure.com" + s.sub() + "/providers/Microsoft.Authorization/roleAssignments" + raVersion +
			"&$filter=" + strings.ReplaceAll("principalId eq '"+localDev.ObjectID+"'", " ", "%20")
		if l := list(s.restOK("GET", listURL, "", "")["value"]); len(l) != 1 || field(l[0], "id") != id {
			t.Errorf("list %v", l)
		}
		s.restOK("DELETE", "https://management.azure.com"+id+raVersion, "", "")
		if l := list(s.restOK("GET", listURL, "", "")["value"]); len(l) != 0 {
			t.Errorf("after delete %v", l)
		}
	})

	t.Run("bad arguments get ARM's errors", func(t *testing.T) {
		s.t = t
		bad := s.rest("PUT", "https://management.azure.com"+s.vaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+raVersion,
			`{"properties":{"roleDefinitionId":"`+s.sub()+`/providers/Microsoft.Authorization/roleDefinitions/`+uuid.NewString()+
				`","principalId":"`+localDev.ObjectID+`"}}`, "")
		if bad.code == 0 || !strings.Contains(bad.stderr, "RoleDefinitionDoesNotExist") {
			t.Errorf("unknown role: %s", bad)
		}
		notGUID := s.rest("PUT", "https://management.azure.com"+s.vaultID()+"/providers/Microsoft.Authorization/roleAssignments/not-a-guid"+raVersion,
			`{"properties":{}}`, "")
		if notGUID.code == 0 || strings.Contains(notGUID.stderr, "InternalServerError") || !strings.Contains(notGUID.stderr, "Bad Request") {
			t.Errorf("malformed: %s", notGUID)
		}
	})
}
