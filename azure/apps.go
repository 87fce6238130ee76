package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CreateApp registers an app for a lesson of sandbox id, as az ad sp
// create-for-rbac does (application, service principal, password), named
// with the sandbox's app prefix so cleanup finds it. It is recorded before
// Graph is asked and after each answer, so delete, reset and cleanup remove
// it even when a step fails half way. The requests go through the guard
// rail and are recorded into rec with origin.
func (p *Provisioner) CreateApp(ctx context.Context, id, label, name string, rec Recorder, origin func() (Origin, bool)) (App, error) {
	p.mu.Lock()
	sb, ok := p.sbs[id]
	switch {
	case !ok || sb.Status != StatusReady:
		p.mu.Unlock()
		return App{}, fmt.Errorf("azure: create app %s: the sandbox's resources are not ready", label)
	case label == "" || label == LocalDevApp:
		p.mu.Unlock()
		return App{}, fmt.Errorf("azure: create app %q: not a label for a new app", label)
	}
	if _, taken := sb.App(label); taken {
		p.mu.Unlock()
		return App{}, fmt.Errorf("azure: create app: label %q is already used", label)
	}
	sb.Apps = append(sb.Apps, App{Label: label, DisplayName: sb.AppNamePrefix() + name})
	cp := *sb
	p.mu.Unlock()
	if err := p.save(ctx, &cp); err != nil {
		return App{}, err
	}
	g := newGuard(p.transport, p.ep, &cp)
	c, err := NewClient(p.ep, p.cfg.Subscription, p.cred, &http.Client{Transport: &Recording{Base: g, Recorder: rec, Clock: p.clock, Origin: origin}})
	if err != nil {
		return App{}, err
	}
	ctx = creating(ctx)
	a, _ := cp.App(label)
	var app struct {
		ID    string `json:"id"`
		AppID string `json:"appId"`
	}
	if err := c.Graph(ctx, http.MethodPost, "/applications", map[string]any{"displayName": a.DisplayName}, &app); err != nil {
		return a, err
	}
	if a, err = p.updateApp(ctx, g, id, label, func(a *App) { a.ObjectID, a.AppID = app.ID, app.AppID }); err != nil {
		return a, err
	}
	var sp struct {
		ID string `json:"id"`
	}
	if err := c.Graph(ctx, http.MethodPost, "/servicePrincipals", map[string]any{"appId": app.AppID}, &sp); err != nil {
		return a, err
	}
	if a, err = p.updateApp(ctx, g, id, label, func(a *App) { a.SPObjectID = sp.ID }); err != nil {
		return a, err
	}
	var pw struct {
		KeyID      string `json:"keyId"`
		SecretText string `json:"secretText"`
	}
	if err := c.Graph(ctx, http.MethodPost, "/applications/"+app.ID+"/addPassword",
		map[string]any{"passwordCredential": map[string]any{"displayName": "rbac"}}, &pw); err != nil {
		return a, err
	}
	return p.updateApp(ctx, g, id, label, func(a *App) { a.Secret, a.SecretKeyID = pw.SecretText, pw.KeyID })
}

// updateApp changes a lesson app's record, saves it and lets the guard see
// the IDs learnt.
func (p *Provisioner) updateApp(ctx context.Context, g *guard, id, label string, change func(*App)) (App, error) {
	p.mu.Lock()
	sb, ok := p.sbs[id]
	if !ok {
		p.mu.Unlock()
		return App{}, fmt.Errorf("azure: app %s: sandbox %s is gone", label, id)
	}
	i := slices.IndexFunc(sb.Apps, func(a App) bool { return a.Label == label })
	if i < 0 {
		p.mu.Unlock()
		return App{}, fmt.Errorf("azure: app %s: no longer tracked", label)
	}
	change(&sb.Apps[i])
	a, cp := sb.Apps[i], *sb
	cp.Apps = slices.Clone(sb.Apps)
	p.mu.Unlock()
	g.setSandbox(&cp)
	return a, p.save(ctx, &cp)
}

// DeleteApp deletes a lesson app of sandbox id (az ad app delete: the
// registration and with it its service principal) and forgets it once
// Graph confirms (not found counts as deleted). localDev belongs to the
// sandbox and is deleted with it.
func (p *Provisioner) DeleteApp(ctx context.Context, id, label string, rec Recorder, origin func() (Origin, bool)) error {
	sb, ok := p.Get(id)
	if !ok {
		return fmt.Errorf("azure: delete app %s: not a real-mode sandbox", label)
	}
	a, ok := sb.App(label)
	switch {
	case !ok:
		return fmt.Errorf("azure: delete app %q: not an app of this sandbox (deleted, or never created)", label)
	case label == LocalDevApp:
		return fmt.Errorf("azure: delete app %s: it is the sandbox's own; delete or reset the sandbox instead", label)
	}
	g := newGuard(p.transport, p.ep, &sb)
	c, err := NewClient(p.ep, p.cfg.Subscription, p.cred, &http.Client{Transport: &Recording{Base: g, Recorder: rec, Clock: p.clock, Origin: origin}})
	if err != nil {
		return err
	}
	if err := deleteApp(ctx, c, g, sb, a); err != nil {
		return err
	}
	p.mu.Lock()
	cur, ok := p.sbs[id]
	if !ok {
		p.mu.Unlock()
		return nil
	}
	cur.Apps = slices.DeleteFunc(slices.Clone(cur.Apps), func(x App) bool { return x.Label == label })
	cp := *cur
	p.mu.Unlock()
	return p.save(ctx, &cp)
}

// deleteApp deletes an app registration; one whose creation was recorded
// but whose ID never came back is found by its name. Not found counts as
// deleted. g is c's guard rail: it is shown the IDs found by name.
func deleteApp(ctx context.Context, c *Client, g *guard, sb Sandbox, a App) error {
	ids := []string{a.ObjectID}
	if a.ObjectID == "" {
		var found struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
		}
		filter := "displayName eq '" + strings.ReplaceAll(a.DisplayName, "'", "''") + "'"
		if err := c.Graph(ctx, http.MethodGet, "/applications?$filter="+url.QueryEscape(filter), nil, &found); err != nil {
			return err
		}
		ids = ids[:0]
		sb.Apps = slices.Clone(sb.Apps)
		for _, f := range found.Value {
			ids = append(ids, f.ID)
			sb.Apps = append(sb.Apps, App{DisplayName: a.DisplayName, ObjectID: f.ID})
		}
		g.setSandbox(&sb)
	}
	for _, oid := range ids {
		if err := c.Graph(ctx, http.MethodDelete, "/applications/"+oid, nil, nil); err != nil && !isNotFound(err) {
			return fmt.Errorf("app registration %s: %w", a.DisplayName, err)
		}
	}
	return nil
}
