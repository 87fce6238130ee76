package aztest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

const raVersion = "?api-version=2022-04-01"

// az role assignment create/list/delete and az role definition list. Debian's
// az 2.45 role module does not match its packaged azure-mgmt-authorization
// (it reads the removed `.config` attribute) and fails before sending any
// request; the test shows that, then sends exactly the requests the CLI
// sends with `az rest`: resolving --assignee in Graph (as a UPN, an appId
// through servicePrincipalNames/any, an object ID through getByIds), the
// role definition lookup by name, and the assignment PUT, list and DELETE.
func TestAzRoleAssignments(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-role")
	s.LoginOwner()
	localDev := s.Principal(scenario.LabelLocalDev)
	dev := s.Principal(scenario.LabelDeveloper)

	t.Run("Debian's az fails before sending", func(t *testing.T) {
		s := s.With(t)
		seq := s.LastSeq()
		for _, args := range [][]string{
			{"role", "assignment", "create", "--assignee-object-id", localDev.ObjectID, "--assignee-principal-type", "ServicePrincipal",
				"--role", "Key Vault Secrets User", "--scope", s.VaultID()},
			{"role", "definition", "list", "--name", "Key Vault Secrets User"},
		} {
			r := s.Run(args...)
			if r.Code == 0 || !strings.Contains(r.Stderr, "has no attribute 'config'") {
				t.Errorf("Debian's az role module works now? Test the CLI itself:\n%s", r)
			}
		}
		for _, ex := range s.Since(seq) {
			if strings.Contains(ex.URL, "Microsoft.Authorization") {
				t.Errorf("sent %s %s", ex.Method, ex.URL)
			}
		}
	})

	t.Run("--assignee resolution in Graph", func(t *testing.T) {
		s := s.With(t)
		cases := []struct{ name, url, want string }{
			{"UPN", graphURL("users", "userPrincipalName eq '"+dev.UserPrincipalName+"'"), dev.ObjectID},
			{"appId", graphURL("servicePrincipals", "servicePrincipalNames/any(c:c eq '"+localDev.AppID+"')"), localDev.ObjectID},
		}
		for _, c := range cases {
			v := s.RestOK("GET", c.url, "", "")
			if l := aztest.List(v["value"]); len(l) != 1 || aztest.Field(l[0], "id") != c.want {
				t.Errorf("%s: %v", c.name, v)
			}
		}
		v := s.RestOK("POST", "https://graph.microsoft.com/v1.0/directoryObjects/getByIds",
			`{"ids":["`+localDev.ObjectID+`"],"types":["user","group","servicePrincipal","directoryObjectPartnerReference"]}`, "")
		if l := aztest.List(v["value"]); len(l) != 1 || aztest.Field(l[0], "@odata.type") != "#microsoft.graph.servicePrincipal" {
			t.Errorf("getByIds: %v", v)
		}
	})

	t.Run("role definition list --name", func(t *testing.T) {
		s := s.With(t)
		v := s.RestOK("GET", "https://management.azure.com"+s.Sub()+"/providers/Microsoft.Authorization/roleDefinitions"+raVersion+
			"&$filter="+strings.ReplaceAll("roleName eq 'Key Vault Secrets User'", " ", "%20"), "", "")
		if l := aztest.List(v["value"]); len(l) != 1 || aztest.Field(l[0], "name") != rbac.RoleKeyVaultSecretsUser ||
			aztest.Field(l[0], "properties", "roleName") != "Key Vault Secrets User" {
			t.Errorf("definitions %v", v)
		}
	})

	t.Run("create, list, delete", func(t *testing.T) {
		s := s.With(t)
		seq := s.LastSeq()
		id := s.Grant(rbac.RoleKeyVaultSecretsUser, localDev.ObjectID, "ServicePrincipal", s.VaultID())
		exs := s.Since(seq)
		if ex := aztest.Sent(t, exs, "PUT", "/roleAssignments/", http.StatusCreated); ex.Authz == nil || !ex.Authz.Allowed {
			t.Errorf("the PUT carries no allowing decision: %+v", ex.Authz)
		}
		// The same assignment again: ARM's 409, as the CLI shows it.
		dup := s.Rest("PUT", "https://management.azure.com"+s.VaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+raVersion,
			`{"properties":{"roleDefinitionId":"`+s.Sub()+`/providers/Microsoft.Authorization/roleDefinitions/`+rbac.RoleKeyVaultSecretsUser+
				`","principalId":"`+localDev.ObjectID+`"}}`, "")
		if dup.Code == 0 || !strings.Contains(dup.Stderr, "RoleAssignmentExists") {
			t.Errorf("duplicate: %s", dup)
		}
		listURL := "https://management.azure.com" + s.Sub() + "/providers/Microsoft.Authorization/roleAssignments" + raVersion +
			"&$filter=" + strings.ReplaceAll("principalId eq '"+localDev.ObjectID+"'", " ", "%20")
		if l := aztest.List(s.RestOK("GET", listURL, "", "")["value"]); len(l) != 1 || aztest.Field(l[0], "id") != id {
			t.Errorf("list %v", l)
		}
		s.RestOK("DELETE", "https://management.azure.com"+id+raVersion, "", "")
		if l := aztest.List(s.RestOK("GET", listURL, "", "")["value"]); len(l) != 0 {
			t.Errorf("after delete %v", l)
		}
	})

	t.Run("bad arguments get ARM's errors", func(t *testing.T) {
		s := s.With(t)
		bad := s.Rest("PUT", "https://management.azure.com"+s.VaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString()+raVersion,
			`{"properties":{"roleDefinitionId":"`+s.Sub()+`/providers/Microsoft.Authorization/roleDefinitions/`+uuid.NewString()+
				`","principalId":"`+localDev.ObjectID+`"}}`, "")
		if bad.Code == 0 || !strings.Contains(bad.Stderr, "RoleDefinitionDoesNotExist") {
			t.Errorf("unknown role: %s", bad)
		}
		notGUID := s.Rest("PUT", "https://management.azure.com"+s.VaultID()+"/providers/Microsoft.Authorization/roleAssignments/not-a-guid"+raVersion,
			`{"properties":{}}`, "")
		if notGUID.Code == 0 || strings.Contains(notGUID.Stderr, "InternalServerError") || !strings.Contains(notGUID.Stderr, "Bad Request") {
			t.Errorf("malformed: %s", notGUID)
		}
	})
}
