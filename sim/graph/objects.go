package graph

import (
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const metadata = "https://graph.microsoft.com/v1.0/$metadata#"

// passwordCredential is Graph's passwordCredential resource. SecretText is
// set only in addPassword's answer: the one time the value is seen.
type passwordCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         string  `json:"displayName"`
	EndDateTime         string  `json:"endDateTime"`
	Hint                string  `json:"hint"`
	KeyID               string  `json:"keyId"`
	SecretText          *string `json:"secretText"`
	StartDateTime       string  `json:"startDateTime"`
}

func graphTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func credentialOf(cs *world.ClientSecret, secret *string) passwordCredential {
	return passwordCredential{DisplayName: cs.DisplayName, EndDateTime: graphTime(cs.EndDate), Hint: cs.Hint,
		KeyID: cs.KeyID, SecretText: secret, StartDateTime: graphTime(cs.StartDate)}
}

// application is the part of Graph's application resource the sandbox keeps.
type application struct {
	Context             string               `json:"@odata.context,omitempty"`
	ID                  string               `json:"id"`
	AppID               string               `json:"appId"`
	DisplayName         string               `json:"displayName"`
	CreatedDateTime     string               `json:"createdDateTime"`
	SignInAudience      string               `json:"signInAudience"`
	PublisherDomain     string               `json:"publisherDomain"`
	KeyCredentials      []any                `json:"keyCredentials"`
	PasswordCredentials []passwordCredential `json:"passwordCredentials"`
}

func applicationOf(st *world.State, p *world.Principal) application {
	a := application{Context: metadata + "applications/$entity", ID: p.AppObjectID, AppID: p.AppID,
		DisplayName: p.DisplayName, CreatedDateTime: graphTime(p.CreatedAt), SignInAudience: "AzureADMyOrg",
		PublisherDomain: st.TenantDomain, KeyCredentials: []any{}, PasswordCredentials: []passwordCredential{}}
	for _, cs := range p.Secrets {
		a.PasswordCredentials = append(a.PasswordCredentials, credentialOf(cs, nil))
	}
	return a
}

// servicePrincipal is the part of Graph's servicePrincipal resource the
// sandbox keeps.
type servicePrincipal struct {
	Context                string               `json:"@odata.context,omitempty"`
	ID                     string               `json:"id"`
	AccountEnabled         bool                 `json:"accountEnabled"`
	AppID                  string               `json:"appId"`
	AppDisplayName         string               `json:"appDisplayName"`
	AppOwnerOrganizationID string               `json:"appOwnerOrganizationId"`
	DisplayName            string               `json:"displayName"`
	ServicePrincipalNames  []string             `json:"servicePrincipalNames"`
	ServicePrincipalType   string               `json:"servicePrincipalType"`
	AlternativeNames       []string             `json:"alternativeNames"`
	KeyCredentials         []any                `json:"keyCredentials"`
	PasswordCredentials    []passwordCredential `json:"passwordCredentials"`
}

func servicePrincipalOf(st *world.State, p *world.Principal) servicePrincipal {
	sp := servicePrincipal{Context: metadata + "servicePrincipals/$entity", ID: p.ObjectID, AccountEnabled: true,
		AppID: p.AppID, AppDisplayName: p.DisplayName, AppOwnerOrganizationID: st.TenantID, DisplayName: p.DisplayName,
		ServicePrincipalNames: []string{p.AppID}, ServicePrincipalType: "Application",
		AlternativeNames: []string{}, KeyCredentials: []any{}, PasswordCredentials: []passwordCredential{}}
	if p.Kind == world.KindSystemAssigned || p.Kind == world.KindUserAssigned {
		// Managed identities' SPs: Graph lists the identity's ARM ID as an
		// alternative name; the secret-less credential lives with Azure.
		sp.ServicePrincipalType = "ManagedIdentity"
		sp.AppOwnerOrganizationID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
		sp.AlternativeNames = []string{"isExplicit=" + map[bool]string{true: "True", false: "False"}[p.Kind == world.KindUserAssigned], p.ResourceID}
		sp.ServicePrincipalNames = append(sp.ServicePrincipalNames, p.ResourceID)
	}
	return sp
}

// isServicePrincipal reports whether Graph lists p under servicePrincipals.
func isServicePrincipal(p *world.Principal) bool {
	return p.AppID != "" && (p.Kind == world.KindApplication || p.Kind == world.KindSystemAssigned || p.Kind == world.KindUserAssigned)
}
