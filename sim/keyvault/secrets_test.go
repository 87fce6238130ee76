package keyvault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestSecretsLifecycle(t *testing.T) {
	e := newEnv(t)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsOfficer, e.vaultScope())
	c := e.secrets(e.credential(scenario.LabelLocalDev))
	ctx := context.Background()
	start := e.w.Now()

	// set: the response echoes the value, a 32-hex version and the attributes.
	set1, err := c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{
		Value: to.Ptr("v1"), ContentType: to.Ptr("text/plain"), Tags: map[string]*string{"env": to.Ptr("dev")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v1 := set1.ID.Version()
	if len(v1) != 32 || set1.ID.Name() != "db-password" || *set1.Value != "v1" {
		t.Fatalf("set = id %q value %q", *set1.ID, *set1.Value)
	}
	if !strings.HasPrefix(string(*set1.ID), e.vaultURL()+"/secrets/db-password/") {
		t.Errorf("id = %q", *set1.ID)
	}
	a := set1.Attributes
	if !*a.Enabled || *a.RecoveryLevel != "Recoverable+Purgeable" || *a.RecoverableDays != 90 ||
		a.Created.Unix() < start.Unix()-1 || *set1.ContentType != "text/plain" || *set1.Tags["env"] != "dev" {
		t.Errorf("set attributes = %+v tags %v", a, set1.Tags)
	}

	set2, err := c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: to.Ptr("v2")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecret(ctx, "db-password", "", nil)
	if err != nil || *got.Value != "v2" || got.ID.Version() != set2.ID.Version() {
		t.Fatalf("get latest = %v, %v", got.Value, err)
	}
	got, err = c.GetSecret(ctx, "DB-PASSWORD", v1, nil) // names compare case-insensitively
	if err != nil || *got.Value != "v1" {
		t.Fatalf("get v1 = %v, %v", got.Value, err)
	}

	// list: 26 secrets in all → two pages of Key Vault's 25.
	for i := range 25 {
		if _, err := c.SetSecret(ctx, fmt.Sprintf("bulk-%02d", i), azsecrets.SetSecretParameters{Value: to.Ptr("x")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	pager := c.NewListSecretPropertiesPager(nil)
	var names []string
	pages := 0
	for pager.More() {
		p, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range p.Value {
			if s.ID.Version() != "" {
				t.Errorf("list id %q carries a version", *s.ID)
			}
			names = append(names, s.ID.Name())
		}
	}
	if pages != 2 || len(names) != 27 || names[0] != "bulk-00" || names[26] != scenario.SecretName {
		t.Errorf("list: %d pages, %d names %v", pages, len(names), names)
	}

	vp := c.NewListSecretPropertiesVersionsPager("db-password", nil)
	var versions []string
	for vp.More() {
		p, err := vp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Value {
			versions = append(versions, s.ID.Version())
		}
	}
	if len(versions) != 2 || versions[0] != v1 {
		t.Errorf("versions = %v", versions)
	}

	// update: disabling a version makes get refuse it (403 SecretDisabled).
	upd, err := c.UpdateSecretProperties(ctx, "db-password", v1, azsecrets.UpdateSecretPropertiesParameters{
		SecretAttributes: &azsecrets.SecretAttributes{Enabled: to.Ptr(false)},
	}, nil)
	if err != nil || *upd.Attributes.Enabled || upd.Value != nil {
		t.Fatalf("update = %+v, %v", upd, err)
	}
	_, err = c.GetSecret(ctx, "db-password", v1, nil)
	re := mustResponseError(t, err, 403)
	if re.ErrorCode != "Forbidden" || !strings.Contains(err.Error(), "SecretDisabled") {
		t.Errorf("disabled get: %v", err)
	}

	// delete → soft-deleted, recoverable.
	del, err := c.DeleteSecret(ctx, "db-password", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *del.RecoveryID != e.vaultURL()+"/deletedsecrets/db-password" || del.Value != nil ||
		del.ScheduledPurgeDate.Sub(*del.DeletedDate) != 90*24*time.Hour {
		t.Errorf("delete = %+v", del.DeletedSecret)
	}
	_, err = c.GetSecret(ctx, "db-password", "", nil)
	re = mustResponseError(t, err, 404)
	if re.ErrorCode != "SecretNotFound" || !strings.Contains(err.Error(), "A secret with (name/id) db-password was not found in this key vault.") {
		t.Errorf("get deleted secret: %v", err)
	}
	_, err = c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: to.Ptr("v3")}, nil)
	if re := mustResponseError(t, err, 409); re.ErrorCode != "Conflict" {
		t.Errorf("set on deleted name: %v", err)
	}
	gd, err := c.GetDeletedSecret(ctx, "db-password", nil)
	if err != nil || gd.ID.Version() != set2.ID.Version() {
		t.Fatalf("get deleted = %v", err)
	}
	dp := c.NewListDeletedSecretPropertiesPager(nil)
	p, err := dp.NextPage(ctx)
	if err != nil || len(p.Value) != 1 || p.Value[0].ID.Name() != "db-password" {
		t.Fatalf("list deleted = %+v, %v", p.Value, err)
	}

	rec, err := c.RecoverDeletedSecret(ctx, "db-password", nil)
	if err != nil || rec.ID.Version() != set2.ID.Version() {
		t.Fatalf("recover = %v", err)
	}
	got, err = c.GetSecret(ctx, "db-password", "", nil)
	if err != nil || *got.Value != "v2" {
		t.Fatalf("get recovered = %v", err)
	}

	// delete + purge → gone for good; the name is free again.
	if _, err := c.DeleteSecret(ctx, "db-password", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PurgeDeletedSecret(ctx, "db-password", nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetDeletedSecret(ctx, "db-password", nil)
	if re := mustResponseError(t, err, 404); !strings.Contains(err.Error(), "Deleted Secret not found: db-password") || re.ErrorCode != "SecretNotFound" {
		t.Errorf("get purged: %v", err)
	}
	_, err = c.PurgeDeletedSecret(ctx, "db-password", nil)
	mustResponseError(t, err, 404)
	if _, err := c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: to.Ptr("fresh")}, nil); err != nil {
		t.Fatalf("set after purge: %v", err)
	}
}

// Retention runs on the sandbox clock: after 90 days a deleted secret is gone.
func TestDeletedSecretPurgedAfterRetention(t *testing.T) {
	e := newEnv(t)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsOfficer, e.vaultScope())
	tok := e.token(scenario.LabelLocalDev, "https://vault.azure.net")
	if r := e.do("DELETE", "/secrets/"+scenario.SecretName+"?api-version=7.4", tok, ""); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/deletedsecrets/"+scenario.SecretName+"?api-version=7.4", tok, ""); r.status != 200 {
		t.Fatalf("get deleted: %d %s", r.status, r.body)
	}
	e.advance(91 * 24 * time.Hour)
	tok = e.token(scenario.LabelLocalDev, "https://vault.azure.net")
	if r := e.do("GET", "/deletedsecrets/"+scenario.SecretName+"?api-version=7.4", tok, ""); r.status != 404 {
		t.Fatalf("get deleted after retention: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/secrets/"+scenario.SecretName+"?api-version=7.4", tok, `{"value":"again"}`); r.status != 200 {
		t.Fatalf("set after retention: %d %s", r.status, r.body)
	}
}

func TestResponseHeaders(t *testing.T) {
	e := newEnv(t)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope())
	r := e.do("GET", "/secrets/"+scenario.SecretName+"/?api-version=2026-04-01", e.token(scenario.LabelLocalDev, "https://vault.azure.net"), "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	for k, want := range map[string]string{
		"Content-Type":                  "application/json; charset=utf-8",
		"Cache-Control":                 "no-cache",
		"X-Ms-Keyvault-Region":          scenario.Location,
		"X-Ms-Keyvault-Service-Version": serviceVersion,
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(r.header.Get("x-ms-request-id")) != 36 {
		t.Errorf("x-ms-request-id = %q", r.header.Get("x-ms-request-id"))
	}
	body := string(r.body)
	if !strings.HasPrefix(body, `{"value":"`) || !strings.Contains(body, `"attributes":{"enabled":true,"created":`) ||
		!strings.Contains(body, `"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}`) {
		t.Errorf("body = %s", body)
	}
}

type savingPersister struct {
	saves int
	last  []byte
}

func (p *savingPersister) QueueWorld(_ string, state []byte, _ int64) func() error {
	p.saves++
	p.last = state
	return func() error { return nil }
}

func (p *savingPersister) QueueChange(string, int64, []byte) func() error {
	return func() error { return errors.New("savingPersister: unexpected change record") }
}

// Mutations go through World.Update, so they are persisted before the
// response is sent; reads persist nothing.
func TestMutationsPersist(t *testing.T) {
	keys := entratest.Keys(t)
	p := &savingPersister{}
	reg := world.NewRegistry(nil, p)
	w, err := scenario.Build(context.Background(), reg, "sbx-persist", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	var vault string
	w.View(func(s *world.State) { vault = scenario.ResourcesOf(s).Vault })
	_ = w.Update(context.Background(), func(tx *world.Tx) error {
		tx.AddRoleAssignment(rbac.Assignment{Scope: tx.State.VaultID(tx.State.Vault(vault)),
			RoleDefinitionID: rbac.RoleKeyVaultSecretsOfficer, PrincipalID: tx.State.Labels[scenario.LabelLocalDev]})
		return nil
	})
	var dev world.Principal
	w.View(func(s *world.State) { dev = *s.Principals[s.Labels[scenario.LabelLocalDev]] })
	tok, _, err := entra.NewIssuer(keys).Issue(w, &dev, entra.ResourceKeyVault, w.Now())
	if err != nil {
		t.Fatal(err)
	}
	kv := New(reg, entra.NewValidator(keys))
	serve := func(method, path, body string) int {
		req := httptest.NewRequest(method, "https://"+vault+service.SuffixKeyVault+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rw := httptest.NewRecorder()
		kv.ServeHTTP(rw, req)
		return rw.Code
	}
	before := p.saves
	if code := serve("PUT", "/secrets/persisted?api-version=7.4", `{"value":"kept-after-restart"}`); code != 200 {
		t.Fatalf("set: %d", code)
	}
	if p.saves != before+1 || !bytes.Contains(p.last, []byte("kept-after-restart")) {
		t.Fatalf("saves = %d (was %d); saved state lacks the secret", p.saves, before)
	}
	if code := serve("GET", "/secrets/persisted?api-version=7.4", ""); code != 200 || p.saves != before+1 {
		t.Fatalf("get: %d, saves %d", code, p.saves)
	}
	if code := serve("DELETE", "/secrets/persisted?api-version=7.4", ""); code != 200 || p.saves != before+2 {
		t.Fatalf("delete: %d, saves %d", code, p.saves)
	}
}
