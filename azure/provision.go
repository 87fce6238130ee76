package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Store keeps real-mode sandboxes (the SQLite store implements it). Every
// provisioning and deletion step is saved before the next one starts.
type Store interface {
	PutAzureSandbox(ctx context.Context, id string, data []byte) error
	// PutAzureSandboxes writes several in one transaction.
	PutAzureSandboxes(ctx context.Context, rows map[string][]byte) error
	DeleteAzureSandbox(ctx context.Context, id string) error
	AzureSandboxes(ctx context.Context) (map[string][]byte, error)
}

// Clock is the time source (injected, as everywhere in the sandbox).
type Clock interface{ Now() time.Time }

// API versions used for each resource type: recent GA versions.
const (
	apiResourceGroups = "2021-04-01"
	apiKeyVault       = "2023-07-01"
	apiStorage        = "2023-05-01"
)

// A provisioning step: idempotent ARM PUTs, or Graph creations whose
// result is saved at once so a resume does not create a second one.
type step struct {
	name  string
	title string
	run   func(p *Provisioner, ctx context.Context, c *Client, sb *Sandbox) error
}

// provisionSteps are what a real-mode sandbox gets, in order.
var provisionSteps = []step{
	{"resource-group", "resource group", (*Provisioner).createResourceGroup},
	{"key-vault", "key vault (RBAC permission model, standard tier)", (*Provisioner).createVault},
	{"secret", "the third-party API key as a secret", (*Provisioner).createSecret},
	{"storage-account", "storage account (StorageV2, Standard_LRS)", (*Provisioner).createStorageAccount},
	{"queue", "the messages queue", (*Provisioner).createQueue},
	{"app-registration", "the localDev app registration", (*Provisioner).createApp},
	{"service-principal", "its service principal", (*Provisioner).createServicePrincipal},
	{"client-secret", "its client secret", (*Provisioner).createClientSecret},
}

// Plan lists what a real-mode sandbox gets, for the page to show before
// provisioning: the resources and their pricing tier.
func Plan() []string {
	out := make([]string, 0, len(provisionSteps))
	for _, s := range provisionSteps {
		out = append(out, s.title)
	}
	return out
}

// Provisioner creates, tracks and deletes real-mode sandboxes.
type Provisioner struct {
	cfg       Config
	ep        Endpoints
	cred      azcore.TokenCredential
	transport http.RoundTripper
	store     Store
	clock     Clock
	log       *slog.Logger

	mu   sync.Mutex
	sbs  map[string]*Sandbox
	busy map[string]bool
	wg   sync.WaitGroup
}

// ProvisionerConfig is what a Provisioner needs.
type ProvisionerConfig struct {
	Config     Config
	Credential azcore.TokenCredential
	// Transport reaches Azure (nil: http.DefaultTransport, which honours
	// HTTPS_PROXY). The guard rail is added around it.
	Transport http.RoundTripper
	Store     Store
	Clock     Clock
	Logger    *slog.Logger
}

// NewProvisioner loads the sandboxes the store holds.
func NewProvisioner(ctx context.Context, c ProvisionerConfig) (*Provisioner, error) {
	ep, err := EndpointsOf(c.Config.Cloud)
	if err != nil {
		return nil, err
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Provisioner{cfg: c.Config, ep: ep, cred: c.Credential, transport: c.Transport, store: c.Store,
		clock: c.Clock, log: c.Logger, sbs: map[string]*Sandbox{}, busy: map[string]bool{}}
	rows, err := c.Store.AzureSandboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("azure: load sandboxes: %w", err)
	}
	for key, data := range rows {
		var sb Sandbox
		if err := json.Unmarshal(data, &sb); err != nil || sb.Key != key {
			p.log.Error("real-mode sandbox not restored", "sandbox", key, "error", err)
			continue
		}
		p.sbs[key] = &sb
	}
	return p, nil
}

// Get returns a copy of a sandbox, or false.
func (p *Provisioner) Get(id string) (Sandbox, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sb, ok := p.sbs[id]
	if !ok {
		return Sandbox{}, false
	}
	return *sb, true
}

// List returns copies of every tracked sandbox.
func (p *Provisioner) List() []Sandbox {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Sandbox, 0, len(p.sbs))
	for _, sb := range p.sbs {
		out = append(out, *sb)
	}
	return out
}

// Create starts provisioning sandbox id in the background and returns its
// first saved state. It takes minutes on Azure; Get shows the progress.
func (p *Provisioner) Create(ctx context.Context, id string) (Sandbox, error) {
	p.mu.Lock()
	if _, ok := p.sbs[id]; ok {
		p.mu.Unlock()
		return Sandbox{}, fmt.Errorf("azure: create %s: already exists", id)
	}
	sb := newSandbox(p.cfg, id, p.clock.Now())
	p.sbs[id] = sb
	p.mu.Unlock()
	if err := p.save(ctx, sb); err != nil {
		p.mu.Lock()
		delete(p.sbs, id)
		p.mu.Unlock()
		return Sandbox{}, err
	}
	p.start(id)
	return *sb, nil
}

// Delete marks sandbox id for deletion (saved first, so a restart
// finishes it) and deletes its resource group and app registration in the
// background; the sandbox is forgotten once Azure confirms both are gone.
func (p *Provisioner) Delete(ctx context.Context, id string) error {
	p.mu.Lock()
	sb, ok := p.sbs[id]
	if !ok {
		p.mu.Unlock()
		return nil
	}
	sb.Status = StatusDeleting
	sb.Error = ""
	cp := *sb
	p.mu.Unlock()
	if err := p.save(ctx, &cp); err != nil {
		return err
	}
	p.start(id)
	return nil
}

// Reset retires the sandbox's resources (deleted in the background, under
// a key of their own) and provisions new ones for the same sandbox ID. Both
// records are written in one transaction, so a crash leaves either the old
// sandbox or the new one with the old resources queued for deletion.
func (p *Provisioner) Reset(ctx context.Context, id string) (Sandbox, error) {
	p.mu.Lock()
	old, ok := p.sbs[id]
	if !ok {
		p.mu.Unlock()
		return Sandbox{}, fmt.Errorf("azure: reset %s: not a real-mode sandbox", id)
	}
	retired := *old
	retired.Key = id + "~" + randomHex(4)
	retired.Status, retired.Error = StatusDeleting, ""
	fresh := newSandbox(p.cfg, id, p.clock.Now())
	p.mu.Unlock()
	rows := map[string][]byte{}
	for _, sb := range []*Sandbox{&retired, fresh} {
		data, err := json.Marshal(sb)
		if err != nil {
			return Sandbox{}, fmt.Errorf("azure: reset %s: %w", id, err)
		}
		rows[sb.Key] = data
	}
	if err := p.store.PutAzureSandboxes(ctx, rows); err != nil {
		return Sandbox{}, fmt.Errorf("azure: reset %s: %w", id, err)
	}
	p.mu.Lock()
	p.sbs[retired.Key], p.sbs[id] = &retired, fresh
	cp := *fresh
	p.mu.Unlock()
	p.start(retired.Key)
	p.start(id)
	return cp, nil
}

// Resume continues every sandbox a previous run left half provisioned or
// half deleted.
func (p *Provisioner) Resume() {
	for _, sb := range p.List() {
		if sb.Status == StatusProvisioning || sb.Status == StatusDeleting {
			p.start(sb.Key)
		}
	}
}

// Wait waits for the background work to finish (tests, shutdown).
func (p *Provisioner) Wait() { p.wg.Wait() }

// start runs the sandbox's pending work unless it is already running; the
// worker loops until the status it finds needs nothing more.
func (p *Provisioner) start(id string) {
	p.mu.Lock()
	if p.busy[id] {
		p.mu.Unlock()
		return
	}
	p.busy[id] = true
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			sb, ok := p.Get(id)
			var err error
			switch {
			case !ok:
			case sb.Status == StatusProvisioning:
				err = p.provision(context.Background(), &sb)
			case sb.Status == StatusDeleting:
				err = p.teardown(context.Background(), &sb)
			}
			if err != nil {
				p.log.Warn("real-mode sandbox", "sandbox", id, "status", sb.Status, "error", err)
			}
			p.mu.Lock()
			cur, ok := p.sbs[id]
			// A Delete that arrived while provisioning ran: go round again.
			if ok && cur.Status == StatusDeleting && sb.Status != StatusDeleting {
				p.mu.Unlock()
				continue
			}
			delete(p.busy, id)
			p.mu.Unlock()
			return
		}
	}()
}

// Client returns a client acting for sandbox id with the server's
// identity, inside the sandbox's guard rail (the panel's and the lessons'
// changes go through it). With rec, requests whose context carries an
// Origin (WithOrigin) are recorded.
func (p *Provisioner) Client(id string, rec Recorder) (*Client, error) {
	sb, ok := p.Get(id)
	if !ok {
		return nil, fmt.Errorf("azure: client %s: not a real-mode sandbox", id)
	}
	if rec == nil {
		c, _, err := p.client(&sb)
		return c, err
	}
	tr := &Recording{Base: newGuard(p.transport, p.ep, &sb), Recorder: rec, Clock: p.clock}
	return NewClient(p.ep, p.cfg.Subscription, p.cred, &http.Client{Transport: tr})
}

// Transport is what the lesson runner's SDK clients of sandbox id use: the
// real network transport inside the sandbox's guard rail, every exchange
// recorded into rec with the origin of the step in progress.
func (p *Provisioner) Transport(id string, rec Recorder, origin func() (Origin, bool)) (http.RoundTripper, error) {
	sb, ok := p.Get(id)
	if !ok {
		return nil, fmt.Errorf("azure: transport %s: not a real-mode sandbox", id)
	}
	return &Recording{Base: newGuard(p.transport, p.ep, &sb), Recorder: rec, Clock: p.clock, Origin: origin}, nil
}

// client is a client acting for sb, inside its guard rail.
func (p *Provisioner) client(sb *Sandbox) (*Client, *guard, error) {
	g := newGuard(p.transport, p.ep, sb)
	c, err := NewClient(p.ep, p.cfg.Subscription, p.cred, &http.Client{Transport: g})
	return c, g, err
}

// provision runs the steps not done yet, saving after each.
func (p *Provisioner) provision(ctx context.Context, sb *Sandbox) error {
	c, g, err := p.client(sb)
	if err != nil {
		return err
	}
	for _, s := range provisionSteps {
		if sb.done(s.name) {
			continue
		}
		if cur, ok := p.Get(sb.Key); !ok || cur.Status != StatusProvisioning {
			return nil // deleted meanwhile
		}
		if err := s.run(p, creating(ctx), c, sb); err != nil {
			sb.Status, sb.Error = StatusFailed, s.title+": "+describeError(err)
			return p.commit(ctx, sb, err)
		}
		sb.Done = append(sb.Done, s.name)
		g.setSandbox(sb)
		if err := p.commit(ctx, sb, nil); err != nil {
			return err
		}
	}
	sb.Status = StatusReady
	return p.commit(ctx, sb, nil)
}

// commit saves sb and makes it the tracked state, unless a Delete replaced
// the status meanwhile (then only the resource names learnt are kept).
func (p *Provisioner) commit(ctx context.Context, sb *Sandbox, stepErr error) error {
	sb.UpdatedAt = p.clock.Now()
	p.mu.Lock()
	if cur, ok := p.sbs[sb.Key]; ok && cur.Status == StatusDeleting && sb.Status != StatusDeleting {
		cur.LocalDev = sb.LocalDev
		cp := *cur
		p.mu.Unlock()
		if err := p.save(ctx, &cp); err != nil {
			return err
		}
		return stepErr
	}
	cp := *sb
	p.sbs[sb.Key] = &cp
	p.mu.Unlock()
	if err := p.save(ctx, sb); err != nil {
		return err
	}
	return stepErr
}

func (p *Provisioner) save(ctx context.Context, sb *Sandbox) error {
	data, err := json.Marshal(sb)
	if err != nil {
		return fmt.Errorf("azure: save %s: %w", sb.ID, err)
	}
	if err := p.store.PutAzureSandbox(ctx, sb.Key, data); err != nil {
		return fmt.Errorf("azure: save %s: %w", sb.ID, err)
	}
	return nil
}

// teardown deletes the resource group (and with it everything in it) and
// the app registrations (and with them their service principals), then forgets
// the sandbox. Not found counts as deleted.
func (p *Provisioner) teardown(ctx context.Context, sb *Sandbox) error {
	c, g, err := p.client(sb)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range sb.Apps {
		if err := deleteApp(ctx, c, g, *sb, a); err != nil {
			errs = append(errs, err)
		}
	}
	if err := c.ARM(ctx, http.MethodDelete, sb.ResourceGroupID(), apiResourceGroups, nil, nil); err != nil && !isNotFound(err) {
		errs = append(errs, fmt.Errorf("resource group: %w", err))
	}
	if sb.LocalDev.ObjectID != "" {
		if err := c.Graph(ctx, http.MethodDelete, "/applications/"+sb.LocalDev.ObjectID, nil, nil); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("app registration: %w", err))
		}
	}
	if len(errs) > 0 {
		err := errors.Join(errs...)
		sb.Error = describeError(err)
		_ = p.commit(ctx, sb, nil)
		return err
	}
	if err := p.store.DeleteAzureSandbox(ctx, sb.Key); err != nil {
		return fmt.Errorf("azure: forget %s: %w", sb.Key, err)
	}
	p.mu.Lock()
	delete(p.sbs, sb.Key)
	p.mu.Unlock()
	return nil
}

func isNotFound(err error) bool {
	re, ok := ResponseError(err)
	return ok && re.StatusCode == http.StatusNotFound
}

func (p *Provisioner) tags(sb *Sandbox) map[string]string {
	return map[string]string{TagSandbox: sb.ID}
}

func (p *Provisioner) createResourceGroup(ctx context.Context, c *Client, sb *Sandbox) error {
	return c.ARM(ctx, http.MethodPut, sb.ResourceGroupID(), apiResourceGroups,
		map[string]any{"location": sb.Location, "tags": p.tags(sb)}, nil)
}

func (p *Provisioner) createVault(ctx context.Context, c *Client, sb *Sandbox) error {
	if sb.TenantID == "" {
		tok, err := p.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{p.ep.ARMScope()}})
		if err != nil {
			return err
		}
		sb.TenantID = DecodeToken(tok.Token).String("tid")
	}
	return c.ARM(ctx, http.MethodPut, sb.VaultID(), apiKeyVault, map[string]any{
		"location": sb.Location, "tags": p.tags(sb),
		"properties": map[string]any{
			"tenantId": sb.TenantID, "sku": map[string]string{"family": "A", "name": "standard"},
			"enableRbacAuthorization": true, "accessPolicies": []any{},
		},
	}, nil)
}

// createSecret sets the secret through ARM (Microsoft.KeyVault/vaults/
// secrets/write), which needs no data-plane role on the RBAC vault.
func (p *Provisioner) createSecret(ctx context.Context, c *Client, sb *Sandbox) error {
	return c.ARM(ctx, http.MethodPut, sb.VaultID()+"/secrets/"+SecretName, apiKeyVault,
		map[string]any{"properties": map[string]any{"value": sb.APIKey}}, nil)
}

func (p *Provisioner) createStorageAccount(ctx context.Context, c *Client, sb *Sandbox) error {
	return c.ARM(ctx, http.MethodPut, sb.StorageAccountID(), apiStorage, map[string]any{
		"location": sb.Location, "tags": p.tags(sb), "kind": "StorageV2", "sku": map[string]string{"name": "Standard_LRS"},
		"properties": map[string]any{"minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": false},
	}, nil)
}

func (p *Provisioner) createQueue(ctx context.Context, c *Client, sb *Sandbox) error {
	return c.ARM(ctx, http.MethodPut, sb.StorageAccountID()+"/queueServices/default/queues/"+QueueName, apiStorage,
		map[string]any{"properties": map[string]any{}}, nil)
}

// createApp creates localDev's app registration, or adopts the one a run
// stopped between Graph's answer and the save made.
func (p *Provisioner) createApp(ctx context.Context, c *Client, sb *Sandbox) error {
	var app struct {
		ID    string `json:"id"`
		AppID string `json:"appId"`
	}
	var found struct {
		Value []struct {
			ID    string `json:"id"`
			AppID string `json:"appId"`
		} `json:"value"`
	}
	filter := "displayName eq '" + strings.ReplaceAll(sb.LocalDev.DisplayName, "'", "''") + "'"
	if err := c.Graph(ctx, http.MethodGet, "/applications?$filter="+url.QueryEscape(filter), nil, &found); err != nil {
		return err
	}
	if len(found.Value) > 0 {
		sb.LocalDev.ObjectID, sb.LocalDev.AppID = found.Value[0].ID, found.Value[0].AppID
		return nil
	}
	if err := c.Graph(ctx, http.MethodPost, "/applications", map[string]any{"displayName": sb.LocalDev.DisplayName}, &app); err != nil {
		return err
	}
	sb.LocalDev.ObjectID, sb.LocalDev.AppID = app.ID, app.AppID
	return nil
}

// createServicePrincipal creates the app's service principal, or adopts
// the existing one.
func (p *Provisioner) createServicePrincipal(ctx context.Context, c *Client, sb *Sandbox) error {
	var sp struct {
		ID string `json:"id"`
	}
	var found struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	filter := "appId eq '" + strings.ReplaceAll(sb.LocalDev.AppID, "'", "''") + "'"
	if err := c.Graph(ctx, http.MethodGet, "/servicePrincipals?$filter="+url.QueryEscape(filter), nil, &found); err != nil {
		return err
	}
	if len(found.Value) > 0 {
		sb.LocalDev.SPObjectID = found.Value[0].ID
		return nil
	}
	if err := c.Graph(ctx, http.MethodPost, "/servicePrincipals", map[string]any{"appId": sb.LocalDev.AppID}, &sp); err != nil {
		return err
	}
	sb.LocalDev.SPObjectID = sp.ID
	return nil
}

func (p *Provisioner) createClientSecret(ctx context.Context, c *Client, sb *Sandbox) error {
	var cred struct {
		KeyID      string `json:"keyId"`
		SecretText string `json:"secretText"`
	}
	if err := c.Graph(ctx, http.MethodPost, "/applications/"+sb.LocalDev.ObjectID+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": LocalDevApp}}, &cred); err != nil {
		return err
	}
	sb.LocalDev.Secret, sb.LocalDev.SecretKeyID = cred.SecretText, cred.KeyID
	return nil
}

// Endpoints are the configured cloud's endpoints.
func (p *Provisioner) Endpoints() Endpoints { return p.ep }

// Credential is the server's own identity. The lesson runner's owner
// actions act with it, only through Transport's guard rail.
func (p *Provisioner) Credential() azcore.TokenCredential { return p.cred }
