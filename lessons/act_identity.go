package lessons

import (
	"fmt"
	"maps"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// identityActions are the sandbox actions of the curriculum's identity
// lessons: put a service principal's values where the code reads them
// (workstation environment, site app settings) and rotate its secret.
func identityActions() []*Action {
	principal := Param{Name: "principal", Help: "principal label (localDev, or one you created)", Required: true}
	sandbox := func(name, title, cli string, params []Param, run func(*execution) (string, error)) *Action {
		return &Action{Name: name, Kind: BlockAction, Title: title, CLI: cli, Params: params, run: run}
	}
	return []*Action{
		sandbox("useServicePrincipal", "Put a service principal's values in the workstation's environment",
			"export AZURE_TENANT_ID={tenantId}\nexport AZURE_CLIENT_ID=<{principal} appId>\nexport AZURE_CLIENT_SECRET=<{principal} password>",
			[]Param{principal}, runUseServicePrincipal),
		sandbox("rotateSecret", "Give a service principal a new client secret",
			"az ad sp credential reset --id <{principal} appId>",
			[]Param{principal}, runRotateSecret),
		sandbox("removeSecret", "Delete one client secret of a service principal",
			"az ad app credential delete --id <{principal} appId> --key-id {keyId}",
			[]Param{principal, {Name: "keyId", Required: true, Help: "the secret's key ID"}}, runRemoveSecret),
		sandbox("putCredentialInAppSettings", "Store a service principal's secret in the site's app settings",
			"az webapp config appsettings set --name {mainSite} --resource-group {resourceGroup} \\\n  --settings AZURE_TENANT_ID={tenantId} AZURE_CLIENT_ID=<{principal} appId> AZURE_CLIENT_SECRET=<{principal} password>",
			[]Param{principal}, runPutCredentialInAppSettings),
		sandbox("removeCredentialFromAppSettings", "Remove the service principal's values from the site's app settings",
			"az webapp config appsettings delete --name {mainSite} --resource-group {resourceGroup} \\\n  --setting-names AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET",
			nil, runRemoveCredentialFromAppSettings),
	}
}

// credentialSettings are the variable names EnvironmentCredential reads for
// a client secret.
var credentialSettings = []string{EnvTenantID, EnvClientID, EnvClientSecret}

func runUseServicePrincipal(x *execution) (string, error) {
	if x.r.place.RunsOn != RunsOnWorkstation {
		return "", fmt.Errorf("environment variables are set on the workstation; the code runs on the site now")
	}
	label := x.params["principal"]
	if _, err := x.f.Principal(label); err != nil {
		return "", err
	}
	env := PrincipalEnvOf(x.f, label)
	if len(env) == 0 {
		return "", fmt.Errorf("%s is not a service principal with a secret", label)
	}
	p := x.r.place.Clone()
	maps.Copy(p.Env, env)
	p.CLI, p.CLIUser = CLINotInstalled, ""
	x.r.setPlaceLocked(p)
	return fmt.Sprintf("AZURE_TENANT_ID=%s\nAZURE_CLIENT_ID=%s\nAZURE_CLIENT_SECRET=%s%s",
		env[EnvTenantID], env[EnvClientID], mask(env[EnvClientSecret]), restarted), nil
}

// runRotateSecret adds a new secret through Microsoft Graph as the owner
// (the old ones stay valid until they expire, as in Entra ID) and updates
// the workstation when it holds the principal's values.
func runRotateSecret(x *execution) (string, error) {
	label := x.params["principal"]
	_, appObjectID, appID, err := x.appOf(label)
	if err != nil {
		return "", err
	}
	pw, err := x.graphAddPassword(appObjectID, "rotated", scenario.SecretLifetime)
	if err != nil {
		return "", err
	}
	secret := pw.SecretText
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		tx.State.Keychain[label] = secret
		return nil
	})
	if err != nil {
		return "", err
	}
	out := fmt.Sprintf("appId %s, new password %s (valid %d days from the sandbox's now)", appID, mask(secret), int(scenario.SecretLifetime.Hours()/24))
	// The workstation's variables are kept while the code runs on the site.
	if x.r.place.Env[EnvClientID] == appID {
		p := x.r.place.Clone()
		p.Env[EnvClientSecret] = secret
		x.r.setPlaceLocked(p)
		out += "\nAZURE_CLIENT_SECRET on the workstation now holds the new password." + restarted
	}
	return out, nil
}

// runRemoveSecret deletes one client secret through Microsoft Graph
// (removePassword) as the owner: anything still using it fails at its next
// token request.
func runRemoveSecret(x *execution) (string, error) {
	label := x.params["principal"]
	_, appObjectID, _, err := x.appOf(label)
	if err != nil {
		return "", err
	}
	if err := x.graphCall("POST", "/applications/"+appObjectID+"/removePassword", map[string]string{"keyId": x.params["keyId"]}, nil); err != nil {
		return "", err
	}
	return "deleted a secret of " + label + ": anything still using it now fails at its next token request (AADSTS7000215)", nil
}

// runPutCredentialInAppSettings writes the three settings on the main site.
// Changing app settings restarts an App Service app, so the run's objects
// are dropped.
func runPutCredentialInAppSettings(x *execution) (string, error) {
	label := x.params["principal"]
	var env map[string]string
	err := x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		site, err := mainSite(tx.State)
		if err != nil {
			return err
		}
		if _, err := principalByLabel(tx.State, label); err != nil {
			return err
		}
		env = PrincipalEnv(tx.State, label)
		if len(env) == 0 {
			return fmt.Errorf("%s is not a service principal with a secret", label)
		}
		maps.Copy(site.AppSettings, env)
		return nil
	})
	if err != nil {
		return "", err
	}
	x.r.setPlaceLocked(x.r.place)
	return fmt.Sprintf("app settings of the site: AZURE_TENANT_ID=%s AZURE_CLIENT_ID=%s AZURE_CLIENT_SECRET=%s\n"+
		"Anyone who can read the site's configuration can read this secret. The site restarts.",
		env[EnvTenantID], env[EnvClientID], mask(env[EnvClientSecret])), nil
}

func runRemoveCredentialFromAppSettings(x *execution) (string, error) {
	var removed []string
	err := x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		site, err := mainSite(tx.State)
		if err != nil {
			return err
		}
		for _, k := range credentialSettings {
			if _, ok := site.AppSettings[k]; ok {
				removed = append(removed, k)
				delete(site.AppSettings, k)
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	x.r.setPlaceLocked(x.r.place)
	if len(removed) == 0 {
		return "the site's app settings hold no Azure credential", nil
	}
	return "removed from the site's app settings: " + strings.Join(removed, ", ") + ". The site restarts.", nil
}
