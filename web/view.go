package web

import (
	"fmt"
	"net/url"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// sandboxJSON is a sandbox as the API returns it: what a learner's program
// needs to reach its simulated cloud. Resource fields are omitted when the
// scenario has no such resource (the empty scenario).
type sandboxJSON struct {
	ID               string            `json:"id"`
	AccessKey        string            `json:"accessKey"`
	ProxyPassword    string            `json:"proxyPassword"`
	TenantID         string            `json:"tenantId"`
	SubscriptionID   string            `json:"subscriptionId"`
	ProxyURL         string            `json:"proxyUrl"`
	CACertURL        string            `json:"caCertUrl"`
	ResourceGroup    string            `json:"resourceGroup,omitempty"`
	KeyVaultURL      string            `json:"keyVaultUrl,omitempty"`
	SecretName       string            `json:"secretName,omitempty"`
	QueueURL         string            `json:"queueUrl,omitempty"`
	ThirdPartyAPIURL string            `json:"thirdPartyApiUrl,omitempty"`
	AppServiceSite   string            `json:"appServiceSite,omitempty"`
	Principals       principalsJSON    `json:"principals"`
	Developer        *developerJSON    `json:"developer,omitempty"`
	IdentityEndpoint *identityEndpoint `json:"identityEndpoint,omitempty"`
	// Azure is set for a real-mode sandbox: its resources in real Azure.
	Azure *azureJSON `json:"azure,omitempty"`
}

type principalsJSON struct {
	Owner    *principalJSON `json:"owner,omitempty"`
	LocalDev *principalJSON `json:"localDev,omitempty"`
}

type principalJSON struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	ObjectID     string `json:"objectId"`
}

type developerJSON struct {
	UserPrincipalName string `json:"userPrincipalName"`
	Password          string `json:"password"`
	ObjectID          string `json:"objectId"`
}

// identityEndpoint is what App Service gives code running on the main app's
// site (IDENTITY_ENDPOINT, IDENTITY_HEADER): with it, a learner's program
// behind the proxy acts as the site's managed identity.
type identityEndpoint struct {
	Site     string `json:"site"`
	Endpoint string `json:"endpoint"`
	Header   string `json:"header"`
}

// details collects what the API and the pages show of a sandbox.
type details struct {
	sandboxJSON
	scenario  string
	createdAt time.Time
	now       time.Time
}

func (s *Server) details(sb *store.Sandbox, w *world.World) details {
	d := details{scenario: sb.Scenario, createdAt: sb.CreatedAt, now: w.Now()}
	j := &d.sandboxJSON
	j.ID, j.AccessKey = sb.ID, sb.AccessKey
	j.ProxyPassword = s.proxyPassword(sb)
	j.ProxyURL = s.proxyURL(nil)
	j.CACertURL = s.url("/ca.pem")
	w.View(func(st *world.State) {
		j.TenantID, j.SubscriptionID = st.TenantID, st.SubscriptionID
		j.Principals.Owner = principalOf(st, scenario.LabelOwner)
		j.Principals.LocalDev = principalOf(st, scenario.LabelLocalDev)
		if p := st.Principals[st.Labels[scenario.LabelDeveloper]]; p != nil {
			j.Developer = &developerJSON{
				UserPrincipalName: p.UserPrincipalName,
				Password:          st.Keychain[scenario.LabelDeveloper],
				ObjectID:          p.ObjectID,
			}
		}
		names := scenario.ResourcesOf(st)
		if _, ok := st.ResourceGroups[scenario.ResourceGroup]; ok {
			j.ResourceGroup = scenario.ResourceGroup
		}
		if v := st.Vault(names.Vault); v != nil {
			j.KeyVaultURL = names.VaultURL
			if _, ok := v.Secrets[scenario.SecretName]; ok {
				j.SecretName = scenario.SecretName
			}
		}
		if a := st.StorageAccount(names.StorageAccount); a != nil {
			if _, ok := a.Queues[scenario.QueueName]; ok {
				j.QueueURL = names.QueueURL
			}
		}
		if site := st.Site(names.ThirdPartySite); site != nil {
			j.ThirdPartyAPIURL = names.ThirdPartyAPIURL
		}
		if site := st.Site(names.MainSite); site != nil {
			j.AppServiceSite = site.Name
			if site.SystemIdentity != "" && s.identity != "" {
				j.IdentityEndpoint = &identityEndpoint{Site: site.Name, Endpoint: s.identity, Header: site.IdentityHeader}
			}
		}
	})
	j.Azure = s.azureView(sb.ID)
	return d
}

func principalOf(st *world.State, label string) *principalJSON {
	p := st.Principals[st.Labels[label]]
	if p == nil {
		return nil // deleted (a lesson does that) or never created
	}
	return &principalJSON{ClientID: p.AppID, ClientSecret: st.Keychain[label], ObjectID: p.ObjectID}
}

// uiView is the page's view of a sandbox.
func (d details) uiView() ui.SandboxView {
	j := d.sandboxJSON
	v := ui.SandboxView{
		ID:               j.ID,
		Scenario:         d.scenario,
		CreatedAt:        d.createdAt.UTC().Format(time.RFC1123),
		SandboxTime:      d.now.UTC().Format(time.RFC1123),
		AccessKey:        j.AccessKey,
		ProxyPassword:    j.ProxyPassword,
		TenantID:         j.TenantID,
		SubscriptionID:   j.SubscriptionID,
		ProxyURL:         j.ProxyURL,
		CACertURL:        j.CACertURL,
		ResourceGroup:    j.ResourceGroup,
		KeyVaultURL:      j.KeyVaultURL,
		SecretName:       j.SecretName,
		QueueURL:         j.QueueURL,
		ThirdPartyAPIURL: j.ThirdPartyAPIURL,
		AppServiceSite:   j.AppServiceSite,
	}
	if u, err := url.Parse(j.ProxyURL); err == nil {
		u.User = url.UserPassword(j.ID, j.ProxyPassword)
		v.ProxyURLWithAuth = u.String()
	}
	if a := j.Azure; a != nil {
		v.Azure = &ui.AzureView{Status: a.Status, Progress: fmt.Sprintf("%d of %d steps", a.StepsDone, a.StepsTotal),
			Error: a.Error, ResourceGroup: a.ResourceGroup, KeyVaultURL: a.KeyVaultURL, QueueURL: a.QueueURL}
		if a.LocalDev != nil {
			v.Azure.LocalDev = ui.PrincipalView{Label: "localDev in Azure", ClientID: a.LocalDev.ClientID,
				ClientSecret: a.LocalDev.ClientSecret, ObjectID: a.LocalDev.ObjectID}
		}
	}
	if p := j.Principals.Owner; p != nil {
		v.Owner = ui.PrincipalView{Label: scenario.LabelOwner, ClientID: p.ClientID, ClientSecret: p.ClientSecret, ObjectID: p.ObjectID}
	}
	if p := j.Principals.LocalDev; p != nil {
		v.LocalDev = ui.PrincipalView{Label: scenario.LabelLocalDev, ClientID: p.ClientID, ClientSecret: p.ClientSecret, ObjectID: p.ObjectID}
	}
	if j.Developer != nil {
		v.DeveloperUPN, v.DeveloperSecret = j.Developer.UserPrincipalName, j.Developer.Password
	}
	return v
}
