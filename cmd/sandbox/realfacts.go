package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// realFacts are a real-mode sandbox's facts for the lesson runner: its
// resources as the provisioner created them, reached through the
// provisioner's guard rail and recording transport (real network, the same
// trace book, the same masking). It lives in the wiring so that package
// azure imports nothing of sim, and lessons nothing of azure.
type realFacts struct {
	p    *azure.Provisioner
	id   string
	book *trace.Book
	// sim fills the placeholders a real sandbox has no value for (the
	// simulated sites of the steps that stay simulated).
	sim func() map[string]string
}

// realFacts is the web player's hook for real-mode sandboxes (nil without
// real mode).
func (m *Main) realFacts(real sandboxes.RealAzure, book *trace.Book) func(string, *world.World) (lessons.Facts, bool) {
	p, ok := real.(*azure.Provisioner)
	if !ok || p == nil {
		return nil
	}
	return func(id string, w *world.World) (lessons.Facts, bool) { return newRealFacts(p, book, id, w) }
}

// realExplain is the inspector's explanation of real refusals (nil without
// real mode).
func realExplain(real sandboxes.RealAzure) func(context.Context, string, *azure.Exchange) (*azure.Refusal, error) {
	if p, ok := real.(*azure.Provisioner); ok && p != nil {
		return p.Explain
	}
	return nil
}

// realMissing names the capabilities the preflight found missing (nil
// without real mode).
func (m *Main) realMissing() []string {
	if m.azureReport == nil {
		return nil
	}
	var out []string
	for _, c := range m.azureReport.Checks {
		if !c.OK {
			out = append(out, string(c.Capability))
		}
	}
	return out
}

// newRealFacts returns sandbox id's facts when it is a real-mode sandbox
// whose resources are ready (p is not nil: realFacts checked it).
func newRealFacts(p *azure.Provisioner, book *trace.Book, id string, w *world.World) (lessons.Facts, bool) {
	sb, ok := p.Get(id)
	if !ok || sb.Status != azure.StatusReady {
		return nil, false
	}
	f := realFacts{p: p, id: id, book: book, sim: func() map[string]string { return map[string]string{} }}
	if w != nil {
		f.sim = func() (m map[string]string) {
			w.View(func(st *world.State) { m = lessons.PlaceholderValues(st) })
			return
		}
	}
	return f, true
}

func (f realFacts) sandbox() azure.Sandbox { sb, _ := f.p.Get(f.id); return sb }

func (realFacts) Real() bool { return true }

func (f realFacts) Tenant() string { return f.sandbox().TenantID }

func (f realFacts) Subscription() string { return f.sandbox().Subscription }

func (f realFacts) Cloud() cloud.Configuration { return f.p.Endpoints().Cloud }

func (f realFacts) Placeholders() map[string]string {
	sb, ep := f.sandbox(), f.p.Endpoints()
	m := f.sim()
	maps.Copy(m, map[string]string{
		"vaultUrl": sb.VaultURL(ep), "vault": sb.Vault, "queueUrl": sb.QueueURL(ep), "storageAccount": sb.StorageAccount,
		"secretName": azure.SecretName, "tenantId": sb.TenantID, "subscriptionId": sb.Subscription,
		"resourceGroup": sb.ResourceGroup, "clientId": sb.LocalDev.AppID, "clientSecret": sb.LocalDev.Secret,
	})
	return m
}

func (f realFacts) Principal(label string) (lessons.PrincipalRef, error) {
	sb := f.sandbox()
	a, ok := sb.App(label)
	if !ok || a.SPObjectID == "" {
		return lessons.PrincipalRef{}, fmt.Errorf("principal %q: not in this real-mode sandbox (it has %s and the apps its lessons created)", label, scenario.LabelLocalDev)
	}
	return appRef(a), nil
}

func appRef(a azure.App) lessons.PrincipalRef {
	return lessons.PrincipalRef{ObjectID: a.SPObjectID, AppID: a.AppID, Type: "ServicePrincipal", Secret: a.Secret}
}

// CreatePrincipal registers a lesson's app in the tenant (the provisioner
// names it for the sandbox and tracks it until it is deleted).
func (f realFacts) CreatePrincipal(ctx context.Context, o world.Origin, label, name string) (lessons.PrincipalRef, error) {
	a, err := f.p.CreateApp(ctx, f.id, label, name, bookRecorder{f.book}, f.origin(o, true))
	if err != nil {
		return lessons.PrincipalRef{}, err
	}
	return appRef(a), nil
}

// DeletePrincipal deletes a lesson's app registration in the tenant.
func (f realFacts) DeletePrincipal(ctx context.Context, o world.Origin, label string) error {
	return f.p.DeleteApp(ctx, f.id, label, bookRecorder{f.book}, f.origin(o, true))
}

func (f realFacts) origin(o world.Origin, server bool) func() (azure.Origin, bool) {
	ao := azure.Origin{SandboxID: o.SandboxID, Via: o.Via, Step: o.Step, Server: server}
	return func() (azure.Origin, bool) { return ao, true }
}

// Role finds a built-in role: their IDs are the same in every tenant.
func (realFacts) Role(name string) (rbac.RoleDefinition, bool) { return rbac.RoleByName(name, nil) }

func (f realFacts) Scope(kind string) (string, error) {
	sb := f.sandbox()
	switch kind {
	case "", scenario.ScopeVault:
		return sb.VaultID(), nil
	case scenario.ScopeResourceGroup:
		return sb.ResourceGroupID(), nil
	case scenario.ScopeSubscription:
		// Changes there are refused by the guard rail before they leave.
		return "/subscriptions/" + sb.Subscription, nil
	case scenario.ScopeStorage:
		return sb.StorageAccountID(), nil
	case scenario.ScopeQueue:
		return sb.StorageAccountID() + "/queueServices/default/queues/" + azure.QueueName, nil
	}
	return "", fmt.Errorf("unknown scope %q", kind)
}

func (f realFacts) transport(o world.Origin, server bool) http.RoundTripper {
	rt, err := f.p.Transport(f.id, bookRecorder{f.book}, f.origin(o, server))
	if err != nil {
		return failing{err}
	}
	return rt
}

func (f realFacts) Transport(o world.Origin) http.RoundTripper { return f.transport(o, false) }

// OwnerTransport marks the server's own calls: their token is not decoded
// into the learner's trace.
func (f realFacts) OwnerTransport(o world.Origin) http.RoundTripper { return f.transport(o, true) }

func (f realFacts) OwnerCredential(context.Context, azcore.ClientOptions) (azcore.TokenCredential, error) {
	return f.p.Credential(), nil
}

func (f realFacts) Exchanges(after int64) []trace.Exchange { return f.book.List(f.id, after) }

func (f realFacts) LastSeq() int64 { return f.book.LastSeq(f.id) }

func (f realFacts) State(m *lessons.StateMatch, exs []trace.Exchange) (bool, string) {
	return lessons.WireState(m, f, exs)
}

// failing answers every request with the error (a sandbox no longer real).
type failing struct{ err error }

func (t failing) RoundTrip(*http.Request) (*http.Response, error) { return nil, t.err }
