package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// Lesson 1 on the wire in real mode: the real SDK, through the recording
// transport into the trace book, against the stand-in. Creating the
// credential and the client sends nothing; reading the secret brings the
// challenge, the token and a 403 (ForbiddenByRbac), explained from the
// wire with its smallest fix; the grant goes through ARM inside the guard
// rail; the same call then answers 200; a wrong secret fails at the token
// request with AADSTS7000215. Everything in the book is masked.
func TestLessonOneOnTheWireInRealMode(t *testing.T) {
	ctx := context.Background()
	s := newStandIn(t)
	tr := s.network(t)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, _ := s.provisioner(t, db, tr)
	if _, err := p.Create(ctx, "sbxlesson1"); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	sb, _ := p.Get("sbxlesson1")
	if sb.Status != azure.StatusReady {
		t.Fatalf("provisioning: %+v", sb)
	}
	book := trace.NewBook(100, nil)
	step := "get-secret"
	rt, err := p.Transport(sb.ID, bookRecorder{book}, func() (azure.Origin, bool) {
		return azure.Origin{SandboxID: sb.ID, Via: "runner", Step: step}, true
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: rt}}
	vaultURL := "https://" + sb.Vault + ".vault.azure.net"

	// The learner's program, as the lesson's steps write it.
	cred, err := azidentity.NewClientSecretCredential(sb.TenantID, sb.LocalDev.AppID, sb.LocalDev.Secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	client, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(book.List(sb.ID, 0)); n != 0 {
		t.Fatalf("creating the credential and the client sent %d requests", n)
	}

	_, err = client.GetSecret(ctx, azure.SecretName, "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 403 || re.ErrorCode != "Forbidden" {
		t.Fatalf("first read: %v", err)
	}
	exs := book.List(sb.ID, 0)
	if got := shape(exs); !strings.HasPrefix(got, "keyvault GET 401,") || !strings.Contains(got, "entra POST 200") ||
		!strings.HasSuffix(got, "keyvault GET 403") {
		t.Fatalf("first read on the wire: %s", got)
	}
	refused := exs[len(exs)-1]
	if refused.Token == nil || refused.Token.Claims["oid"] != sb.LocalDev.SPObjectID || !refused.Authn.OK {
		t.Errorf("the 403's token and verdict: %+v %+v", refused.Token, refused.Authn)
	}
	for _, ex := range exs {
		if h := ex.RequestHeaders.Get("Authorization"); h != "" && !strings.HasSuffix(h, trace.Masked) {
			t.Errorf("unmasked Authorization in the book: %s", h)
		}
		if strings.Contains(ex.RequestBody, sb.LocalDev.Secret) {
			t.Error("the client secret is in the book")
		}
	}

	t.Run("explained from the wire", func(t *testing.T) {
		// The explanation reads the exchange as the recorder saw it.
		r, err := p.Explain(ctx, sb.ID, &azure.Exchange{Method: refused.Method, URL: refused.URL, Status: 403, Code: "ForbiddenByRbac",
			Token: azure.Claims(refused.Token.Claims)})
		if err != nil || r == nil {
			t.Fatalf("explain: %v", err)
		}
		if r.Action != "Microsoft.KeyVault/vaults/secrets/getSecret/action" || !r.DataAction ||
			r.Scope != sb.VaultID()+"/secrets/"+azure.SecretName || len(r.Assignments) != 0 || r.Fix == nil ||
			r.Fix.RoleName != "Key Vault Secrets User" || r.Fix.Scope != sb.VaultID() {
			t.Errorf("refusal = %+v fix %+v", r, r.Fix)
		}
	})

	// The grant, as the lesson's action makes it: through ARM, with the
	// server's identity, inside the sandbox's resource group.
	step = "grant-role"
	oc, err := p.Client(sb.ID, bookRecorder{book})
	if err != nil {
		t.Fatal(err)
	}
	grant := map[string]any{"properties": map[string]any{
		"roleDefinitionId": "/subscriptions/" + sb.Subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roleKeyVaultSecretsUser,
		"principalId":      sb.LocalDev.SPObjectID, "principalType": "ServicePrincipal"}}
	if err := oc.ARM(azure.WithOrigin(ctx, azure.Origin{SandboxID: sb.ID, Via: "panel", Step: step, Server: true}), "PUT",
		sb.VaultID()+"/providers/Microsoft.Authorization/roleAssignments/"+uuid.NewString(), "2022-04-01", grant, nil); err != nil {
		t.Fatal(err)
	}

	// Role propagation is real: the step is retried until Azure answers 200.
	step = "get-secret"
	var got azsecrets.GetSecretResponse
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err = client.GetSecret(ctx, azure.SecretName, "", nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil || got.Value == nil || *got.Value != sb.APIKey {
		t.Fatalf("after the grant: %v", err)
	}
	all := book.List(sb.ID, 0)
	after := shape(all[len(exs):])
	if !strings.HasPrefix(after, "arm PUT 201") || !strings.HasSuffix(after, "keyvault GET 200") {
		t.Errorf("after the grant: %s", after)
	}
	for _, ex := range all[len(exs):] {
		if ex.Service == "arm" && ex.Token != nil {
			t.Error("the server's own token was decoded into the learner's trace")
		}
		if ex.Service == "keyvault" && ex.Status == 200 && strings.Contains(ex.ResponseBody, sb.APIKey) {
			t.Error("the secret's value is in the book")
		}
	}

	// A wrong secret: unnoticed until the call, refused by Entra ID.
	before := len(all)
	bad, _ := azidentity.NewClientSecretCredential(sb.TenantID, sb.LocalDev.AppID, "not-the-secret",
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	badClient, _ := azsecrets.NewClient(vaultURL, bad, &azsecrets.ClientOptions{ClientOptions: opts})
	if n := len(book.List(sb.ID, 0)); n != before {
		t.Errorf("a credential with a wrong secret sent %d requests on creation", n-before)
	}
	if _, err := badClient.GetSecret(ctx, azure.SecretName, "", nil); err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("wrong secret: %v", err)
	}
	var entra *trace.Exchange
	for _, ex := range book.List(sb.ID, 0)[before:] {
		if ex.Service == "entra" && ex.Status >= 400 {
			entra = &ex
		}
	}
	if entra == nil || entra.Authn == nil || entra.Authn.Code != "AADSTS7000215" {
		t.Errorf("the refused token request: %+v", entra)
	}
}

// shape is a trace in brief: "service METHOD status, ...".
func shape(exs []trace.Exchange) string {
	var parts []string
	for _, ex := range exs {
		parts = append(parts, string(ex.Service)+" "+ex.Method+" "+itoa(ex.Status))
	}
	return strings.Join(parts, ", ")
}
