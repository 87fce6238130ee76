package lessons

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// wireFacts is a real sandbox's facts as WireState needs them.
type wireFacts struct{ Facts }

const (
	wfVault = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	wfOID   = "11111111-1111-1111-1111-111111111111"
)

func (wireFacts) Principal(label string) (PrincipalRef, error) {
	if label != "localDev" {
		return PrincipalRef{}, errNoSandboxObject
	}
	return PrincipalRef{ObjectID: wfOID}, nil
}
func (wireFacts) Role(name string) (rbac.RoleDefinition, bool) { return rbac.RoleByName(name, nil) }
func (wireFacts) Scope(kind string) (string, error) {
	if kind == "resourceGroup" {
		return "/subscriptions/s/resourceGroups/rg", nil
	}
	return wfVault, nil
}

// WireState reads state checks from ARM's answers: an assignment counts
// from its 200/201 until a DELETE of it; the vault's model and policies
// from the last vault answer and the policies added since.
func TestWireState(t *testing.T) {
	secretsUser, _ := rbac.RoleByName("Key Vault Secrets User", nil)
	arm := "https://management.azure.com"
	ra := wfVault + "/providers/Microsoft.Authorization/roleAssignments/a1"
	put := trace.Exchange{Service: "arm", Method: "PUT", Status: 201, URL: arm + ra + "?api-version=2022-04-01",
		ResponseBody: `{"properties":{"principalId":"` + wfOID + `","roleDefinitionId":"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/` + secretsUser.ID + `","scope":"` + wfVault + `"}}`}
	refused := put
	refused.Status, refused.ResponseBody = 403, `{"error":{"code":"AuthorizationFailed"}}`
	del := trace.Exchange{Service: "arm", Method: "DELETE", Status: 200, URL: arm + ra + "?api-version=2022-04-01"}
	vault := func(rbacOn bool, policies string) trace.Exchange {
		return trace.Exchange{Service: "arm", Method: "PATCH", Status: 200, URL: arm + wfVault + "?api-version=2023-07-01",
			ResponseBody: `{"properties":{"enableRbacAuthorization":` + map[bool]string{true: "true", false: "false"}[rbacOn] + `,"accessPolicies":` + policies + `}}`}
	}
	add := trace.Exchange{Service: "arm", Method: "PUT", Status: 200, URL: arm + wfVault + "/accessPolicies/add?api-version=2023-07-01",
		RequestBody: `{"properties":{"accessPolicies":[{"tenantId":"t","objectId":"` + wfOID + `","permissions":{"secrets":["get","list"]}}]}}`}
	role := &StateMatch{RoleAssignment: &RoleMatch{Principal: "localDev", Role: "Key Vault Secrets User"}}
	atRG := &StateMatch{RoleAssignment: &RoleMatch{Principal: "localDev", Role: "Key Vault Secrets User", Scope: "resourceGroup"}}
	noRole := &StateMatch{NoRoleAssignment: &RoleMatch{Principal: "localDev", Role: "Key Vault Secrets User"}}
	policies := &StateMatch{VaultModel: "accessPolicy"}
	policy := &StateMatch{AccessPolicy: &PolicyMatch{Principal: "localDev", Permission: "get"}}
	site := &StateMatch{SiteIdentity: "on"}
	for _, c := range []struct {
		name string
		m    *StateMatch
		exs  []trace.Exchange
		want bool
		says string
	}{
		{"nothing on the wire", role, nil, false, "no Key Vault Secrets User"},
		{"ARM created it", role, []trace.Exchange{put}, true, "ARM answered"},
		{"ARM refused it", role, []trace.Exchange{refused}, false, "no Key Vault Secrets User"},
		{"created at another scope", atRG, []trace.Exchange{put}, false, "at the resourceGroup"},
		{"created then deleted", role, []trace.Exchange{put, del}, false, ""},
		{"none after a delete", noRole, []trace.Exchange{put, del}, true, ""},
		{"still there", noRole, []trace.Exchange{put}, false, "still has"},
		{"no vault answer yet", policies, nil, false, "no answer from ARM"},
		{"vault moved to policies", policies, []trace.Exchange{vault(true, "[]"), vault(false, "[]")}, true, "accessPolicy"},
		{"policy added", policy, []trace.Exchange{vault(false, "[]"), add}, true, "may get"},
		{"no policy", policy, []trace.Exchange{vault(false, "[]")}, false, "no access policy"},
		{"simulator only", site, nil, false, "simulated cloud"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, says := WireState(c.m, wireFacts{}, c.exs)
			if got != c.want || !strings.Contains(says, c.says) {
				t.Errorf("= %v %q, want %v containing %q", got, says, c.want, c.says)
			}
		})
	}
}

// A lesson's real-mode declarations are checked: only steps whose action
// can run in real Azure, on the workstation, on what a real sandbox has.
func TestValidateReal(t *testing.T) {
	l := &Lesson{RunsOn: RunsOnWorkstation, Blocks: []Block{
		{Step: &Step{ID: "get", Action: "secrets.get"}},
		{Step: &Step{ID: "clock", Action: "advanceClock"}},
		{Step: &Step{ID: "site", Action: "credential.default", RunsOn: RunsOnSite}},
		{Step: &Step{ID: "dev", Action: "assignRole", Params: map[string]string{"principal": "developer"}}},
		{Step: &Step{ID: "sub", Action: "assignRole", Params: map[string]string{"principal": "localDev", "scope": "subscription"}}},
		{Step: &Step{ID: "me", Action: "useCredential", Params: map[string]string{"credential": "developer"}}},
		{Step: &Step{ID: "mk", Action: "createServicePrincipal", Params: map[string]string{"label": "myDev"}}},
		{Step: &Step{ID: "grant", Action: "assignRole", Params: map[string]string{"principal": "myDev"}}},
		{Step: &Step{ID: "rm", Action: "deletePrincipal", Params: map[string]string{"principal": "myDev"}}},
		{Step: &Step{ID: "rmdev", Action: "deletePrincipal", Params: map[string]string{"principal": "localDev"}}},
	}}
	for _, c := range []struct {
		real, needs []string
		want        string
	}{
		{[]string{"get"}, []string{"create-role-assignments"}, ""},
		{[]string{"nope"}, []string{"arm-token"}, `unknown step "nope"`},
		{[]string{"clock"}, []string{"arm-token"}, "needs the simulator"},
		{[]string{"site"}, []string{"arm-token"}, "stays simulated"},
		{[]string{"dev"}, []string{"arm-token"}, "has only localDev"},
		{[]string{"sub"}, []string{"arm-token"}, "at the subscription"},
		{[]string{"me"}, []string{"arm-token"}, "only in the simulator"},
		// An app a real step registers may be granted and deleted in Azure.
		{[]string{"mk", "grant", "rm"}, []string{"create-app-registrations"}, ""},
		{[]string{"grant"}, []string{"arm-token"}, `acts on "myDev"`},
		{[]string{"rmdev"}, []string{"arm-token"}, "deleted with the sandbox"},
		{[]string{"get"}, []string{"fly"}, `unknown capability "fly"`},
		{[]string{"get"}, nil, "realNeeds must name"},
	} {
		l.Real, l.RealNeeds = c.real, c.needs
		got := strings.Join(validateReal(l), "; ")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("real %v needs %v: %q, want %q", c.real, c.needs, got, c.want)
		}
	}
}

// cloudFacts are real facts in a national cloud.
type cloudFacts struct {
	Facts
	c cloud.Configuration
}

func (cloudFacts) Real() bool                   { return true }
func (f cloudFacts) Cloud() cloud.Configuration { return f.c }

// The owner's ARM calls of a real run go to the configured cloud's ARM;
// the simulator's stay on the public host it serves.
func TestARMEndpointOfTheCloud(t *testing.T) {
	for _, c := range []struct {
		f    Facts
		want string
	}{
		{cloudFacts{c: cloud.AzureChina}, "https://management.chinacloudapi.cn"},
		{cloudFacts{c: cloud.AzureGovernment}, "https://management.usgovcloudapi.net"},
		{cloudFacts{c: cloud.AzurePublic}, "https://management.azure.com"},
		{simFacts{}, armEndpoint},
	} {
		if got := (&execution{f: c.f}).armEndpoint(); got != c.want {
			t.Errorf("%T: %s, want %s", c.f, got, c.want)
		}
	}
}
