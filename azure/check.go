package azure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Capability is one thing real mode needs the server's identity to be able
// to do.
type Capability string

// What the preflight checks, in the order it checks them.
const (
	CapToken            Capability = "arm-token"
	CapSubscription     Capability = "read-subscription"
	CapResourceGroup    Capability = "create-resource-group"
	CapRoleAssignments  Capability = "create-role-assignments"
	CapAppRegistrations Capability = "create-app-registrations"
)

// Check is one line of the preflight.
type Check struct {
	Capability Capability `json:"capability"`
	Title      string     `json:"title"`
	OK         bool       `json:"ok"`
	// Detail says what was found (who the identity is, which role is
	// missing, Azure's error code).
	Detail string `json:"detail"`
}

// Report is the preflight's result.
type Report struct {
	Cloud        string  `json:"cloud"`
	Subscription string  `json:"subscription"`
	Identity     string  `json:"identity,omitempty"`
	TenantID     string  `json:"tenantId,omitempty"`
	ObjectID     string  `json:"objectId,omitempty"`
	Checks       []Check `json:"checks"`
}

// Can reports whether the capability passed.
func (r *Report) Can(c Capability) bool {
	for _, ch := range r.Checks {
		if ch.Capability == c {
			return ch.OK
		}
	}
	return false
}

// Ready reports whether sandboxes can be provisioned: every check passed.
func (r *Report) Ready() bool {
	for _, ch := range r.Checks {
		if !ch.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Missing lists the titles of the checks that failed.
func (r *Report) Missing() []string {
	var out []string
	for _, ch := range r.Checks {
		if !ch.OK {
			out = append(out, ch.Title)
		}
	}
	return out
}

// Print writes the report line by line.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "Real Azure: subscription %s in the %s cloud\n", r.Subscription, r.Cloud)
	if r.Identity != "" {
		fmt.Fprintf(w, "Server identity: %s\n", r.Identity)
	}
	for _, ch := range r.Checks {
		mark := "ok  "
		if !ch.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  [%s] %s: %s\n", mark, ch.Title, ch.Detail)
	}
	if r.Ready() {
		fmt.Fprintln(w, "Real mode is ready.")
	} else {
		fmt.Fprintf(w, "Real mode cannot provision sandboxes: %s failed.\n", strings.Join(r.Missing(), ", "))
	}
}

// Actions the sandbox's provisioning and lessons perform with the server's
// identity.
const (
	actRGWrite         = "Microsoft.Resources/subscriptions/resourceGroups/write"
	actVaultWrite      = "Microsoft.KeyVault/vaults/write"
	actStorageWrite    = "Microsoft.Storage/storageAccounts/write"
	actAssignmentWrite = "Microsoft.Authorization/roleAssignments/write"
)

// Preflight finds out, line by line, what the server's identity can do in
// the subscription. It changes nothing in ARM (it reads the caller's
// permissions); for Graph it creates an app registration and deletes it
// again, since Entra ID has no read-only way to ask whether that would
// succeed.
func Preflight(ctx context.Context, cfg Config, c *Client) *Report {
	r := &Report{Cloud: c.ep.Name, Subscription: cfg.Subscription}
	add := func(cp Capability, title string, ok bool, detail string) {
		r.Checks = append(r.Checks, Check{Capability: cp, Title: title, OK: ok, Detail: detail})
	}

	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{c.ep.ARMScope()}})
	if err != nil {
		add(CapToken, "token for Azure Resource Manager", false, describeTokenError(err))
		return r
	}
	who := DecodeToken(tok.Token)
	r.Identity, r.TenantID, r.ObjectID = who.Describe(), who.String("tid"), who.String("oid")
	add(CapToken, "token for Azure Resource Manager", true, "issued by tenant "+r.TenantID)

	var sub struct {
		DisplayName string `json:"displayName"`
		State       string `json:"state"`
		TenantID    string `json:"tenantId"`
	}
	if err := c.ARM(ctx, http.MethodGet, c.Subscription(), "2022-12-01", nil, &sub); err != nil {
		add(CapSubscription, "read the subscription", false, describeError(err))
		return r
	}
	ok := strings.EqualFold(sub.State, "Enabled")
	detail := fmt.Sprintf("%q, %s", sub.DisplayName, sub.State)
	if !ok {
		detail += " (resources can be created only in an enabled subscription)"
	}
	add(CapSubscription, "read the subscription", ok, detail)

	perms, err := c.permissions(ctx, c.Subscription())
	if err != nil {
		msg := describeError(err)
		add(CapResourceGroup, "create a resource group, a key vault and a storage account", false, msg)
		add(CapRoleAssignments, "create role assignments", false, msg)
	} else {
		var missing []string
		for _, a := range []string{actRGWrite, actVaultWrite, actStorageWrite} {
			if !perms.allows(a) {
				missing = append(missing, a)
			}
		}
		if len(missing) == 0 {
			add(CapResourceGroup, "create a resource group, a key vault and a storage account", true, "allowed at the subscription (Contributor or Owner)")
		} else {
			add(CapResourceGroup, "create a resource group, a key vault and a storage account", false,
				"not allowed at the subscription: "+strings.Join(missing, ", ")+"; assign Contributor (or Owner) to the server's identity on the subscription")
		}
		if perms.allows(actAssignmentWrite) {
			add(CapRoleAssignments, "create role assignments", true, "allowed at the subscription (Owner or User Access Administrator)")
		} else {
			add(CapRoleAssignments, "create role assignments", false,
				actAssignmentWrite+" is not allowed at the subscription; lessons grant roles to the sandbox's identities, so the server's identity needs Owner or User Access Administrator (or Role Based Access Control Administrator) on the subscription")
		}
	}

	if err := c.probeAppRegistration(ctx); err != nil {
		add(CapAppRegistrations, "create app registrations in Microsoft Graph", false, describeError(err)+
			"; the server's identity needs the Application.ReadWrite.OwnedBy (or Application.ReadWrite.All) Graph permission, or the Application Developer directory role")
	} else {
		add(CapAppRegistrations, "create app registrations in Microsoft Graph", true, "created and deleted a test app registration")
	}
	return r
}

// permissionSet is what ARM's permissions API answers: one entry per role
// the caller holds at (or above) the scope.
type permissionSet []struct {
	Actions    []string `json:"actions"`
	NotActions []string `json:"notActions"`
}

func (c *Client) permissions(ctx context.Context, scope string) (permissionSet, error) {
	var out struct {
		Value permissionSet `json:"value"`
	}
	if err := c.ARM(ctx, http.MethodGet, scope+"/providers/Microsoft.Authorization/permissions", "2022-04-01", nil, &out); err != nil {
		return nil, err
	}
	return out.Value, nil
}

// allows reports whether some entry grants action and does not exclude it.
func (p permissionSet) allows(action string) bool {
	for _, e := range p {
		if matchAny(e.Actions, action) && !matchAny(e.NotActions, action) {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, action string) bool {
	for _, p := range patterns {
		if ActionMatches(p, action) {
			return true
		}
	}
	return false
}

// ActionMatches reports whether an RBAC action pattern ("*",
// "Microsoft.Authorization/*/Write") covers action; case-insensitive, '*'
// matches any run of characters, as ARM evaluates them.
func ActionMatches(pattern, action string) bool {
	quoted := strings.ReplaceAll(regexp.QuoteMeta(strings.ToLower(pattern)), `\*`, `.*`)
	re, err := regexp.Compile("^" + quoted + "$")
	return err == nil && re.MatchString(strings.ToLower(action))
}

// probeAppRegistration creates an app registration and deletes it.
func (c *Client) probeAppRegistration(ctx context.Context) error {
	var app struct {
		ID string `json:"id"`
	}
	name := "auth-sandbox-preflight-" + randomHex(4)
	if err := c.Graph(ctx, http.MethodPost, "/applications", map[string]any{"displayName": name}, &app); err != nil {
		return err
	}
	if err := c.Graph(ctx, http.MethodDelete, "/applications/"+app.ID, nil, nil); err != nil {
		return fmt.Errorf("created %s but could not delete it: %w", name, err)
	}
	return nil
}

// describeError is an Azure error in one line: status, code, message.
func describeError(err error) string {
	if re, ok := ResponseError(err); ok {
		msg := errorMessage(re)
		s := fmt.Sprintf("%d %s", re.StatusCode, re.ErrorCode)
		if msg != "" {
			s += ": " + msg
		}
		return s
	}
	return firstLines(err.Error(), 4)
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " ")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// aadsts finds Entra ID's error code and description in a credential's
// error text (it quotes the token endpoint's JSON answer).
var aadsts = regexp.MustCompile(`AADSTS\d+:[^"\\\n]*`)

// describeTokenError names the credential that failed and Entra ID's code
// when there is one, else the credential chain's own summary.
func describeTokenError(err error) string {
	msg := err.Error()
	if m := aadsts.FindString(msg); m != "" {
		first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		return strings.TrimSpace(first) + " " + strings.TrimSpace(m)
	}
	// DefaultAzureCredential lists each credential it tried on a line
	// starting with one tab; the deeper lines are that credential's detail.
	var tried []string
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "\t") && !strings.HasPrefix(l, "\t\t") {
			tried = append(tried, strings.TrimSpace(l))
		}
	}
	if len(tried) > 0 {
		first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
		return first + " Tried: " + strings.Join(tried, "; ")
	}
	return firstLines(msg, 8)
}
