package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Refusal explains a refused call from what came back, as the simulator's
// decision does from the inside: who called (the token that was sent),
// which action on which scope was refused, the caller's role assignments
// that apply there (read from ARM), and the smallest built-in role that
// would allow it (from ARM's role definitions).
type Refusal struct {
	Source      string `json:"source"` // "wire": built from Azure's answers, not from a simulator's decision
	Code        string `json:"code"`
	PrincipalID string `json:"principalId"`
	Caller      string `json:"caller"`
	Action      string `json:"action"`
	DataAction  bool   `json:"dataAction"`
	Scope       string `json:"scope"`
	Assignments []Held `json:"assignments"`
	Fix         *Fix   `json:"fix,omitempty"`
	Summary     string `json:"summary"`
}

// Held is one of the caller's role assignments that applies at the scope.
type Held struct {
	RoleID   string `json:"roleId"`
	RoleName string `json:"roleName"`
	Scope    string `json:"scope"`
}

// Fix is the smallest built-in role assignment that would allow the call.
type Fix struct {
	RoleID   string `json:"roleId"`
	RoleName string `json:"roleName"`
	Scope    string `json:"scope"`
	CLI      string `json:"cli"`
}

// Data actions of the calls the lessons make.
const (
	actGetSecret    = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	actSetSecret    = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
	actListSecrets  = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
	actQueueAdd     = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action"
	actQueueRead    = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read"
	actQueueProcess = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"
	actQueueDelete  = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete"
)

// armRefused finds the action and scope in ARM's AuthorizationFailed
// message.
var armRefused = regexp.MustCompile(`perform action '([^']+)' over scope '([^']+)'`)

// refusedCall works out which action on which scope a refused exchange
// asked for, and where a fix belongs (the vault, the queue).
func refusedCall(sb *Sandbox, ep Endpoints, ex *Exchange) (action string, data bool, scope, fixScope string, ok bool) {
	u, err := url.Parse(ex.URL)
	if err != nil {
		return "", false, "", "", false
	}
	host := strings.ToLower(u.Hostname())
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case host == sb.Vault+ep.VaultSuffix && len(segs) >= 1 && segs[0] == "secrets":
		scope, fixScope = sb.VaultID(), sb.VaultID()
		if len(segs) >= 2 {
			scope += "/secrets/" + segs[1]
		}
		switch {
		case ex.Method == http.MethodPut:
			action = actSetSecret
		case len(segs) >= 2:
			action = actGetSecret
		default:
			action = actListSecrets
		}
		return action, true, scope, fixScope, true
	case host == sb.StorageAccount+ep.QueueSuffix && len(segs) >= 2 && segs[1] == "messages":
		scope = sb.StorageAccountID() + "/queueServices/default/queues/" + segs[0]
		switch ex.Method {
		case http.MethodPost:
			action = actQueueAdd
		case http.MethodDelete:
			action = actQueueDelete
		default:
			action = actQueueRead
			if u.Query().Get("peekonly") != "true" {
				action = actQueueProcess
			}
		}
		return action, true, scope, scope, true
	case host == hostOf(ep.ARM):
		if m := armRefused.FindStringSubmatch(errorMessageOf(ex.ResponseBody)); m != nil {
			return m[1], false, m[2], m[2], true
		}
	}
	return "", false, "", "", false
}

func errorMessageOf(body string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if jsonUnmarshal([]byte(body), &e) != nil {
		return ""
	}
	return e.Error.Message
}

type roleDefinition struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		RoleName    string `json:"roleName"`
		Type        string `json:"type"`
		Permissions []struct {
			Actions        []string `json:"actions"`
			NotActions     []string `json:"notActions"`
			DataActions    []string `json:"dataActions"`
			NotDataActions []string `json:"notDataActions"`
		} `json:"permissions"`
	} `json:"properties"`
}

func (rd *roleDefinition) grants(action string, data bool) bool {
	for _, p := range rd.Properties.Permissions {
		allow, deny := p.Actions, p.NotActions
		if data {
			allow, deny = p.DataActions, p.NotDataActions
		}
		if matchAny(allow, action) && !matchAny(deny, action) {
			return true
		}
	}
	return false
}

// sampleActions measure a role's size, so "smallest" means "grants the
// fewest of the things the sandbox's resources can do", as the simulator
// measures it.
var sampleActions = []struct {
	action string
	data   bool
}{
	{"Microsoft.Authorization/roleAssignments/write", false},
	{"Microsoft.Resources/subscriptions/resourceGroups/write", false},
	{"Microsoft.Resources/subscriptions/resourceGroups/read", false},
	{"Microsoft.KeyVault/vaults/write", false},
	{"Microsoft.KeyVault/vaults/read", false},
	{"Microsoft.Storage/storageAccounts/write", false},
	{"Microsoft.Storage/storageAccounts/listKeys/action", false},
	{"Microsoft.Web/sites/write", false},
	{actGetSecret, true}, {actSetSecret, true}, {actListSecrets, true},
	{"Microsoft.KeyVault/vaults/secrets/delete", true},
	{"Microsoft.KeyVault/vaults/keys/read", true},
	{"Microsoft.KeyVault/vaults/certificates/read", true},
	{actQueueAdd, true}, {actQueueRead, true}, {actQueueProcess, true}, {actQueueDelete, true},
	{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", true},
}

func (rd *roleDefinition) size() int {
	n := 0
	for _, a := range sampleActions {
		if rd.grants(a.action, a.data) {
			n++
		}
	}
	return n
}

// Explain builds the explanation of a refused exchange of sandbox id, reading
// the caller's role assignments and the built-in roles from ARM with the
// server's identity (reads only). It returns nil when the exchange is not a
// refusal it can place.
func (p *Provisioner) Explain(ctx context.Context, id string, ex *Exchange) (*Refusal, error) {
	sb, ok := p.Get(id)
	if !ok || ex == nil || ex.Status != http.StatusForbidden {
		return nil, nil
	}
	action, data, scope, fixScope, ok := refusedCall(&sb, p.ep, ex)
	if !ok {
		return nil, nil
	}
	r := &Refusal{Source: "wire", Code: ex.Code, Action: action, DataAction: data, Scope: scope,
		PrincipalID: ex.Token.String("oid"), Caller: ex.Token.Describe(), Assignments: []Held{}}
	c, err := p.Client(id, nil)
	if err != nil {
		return nil, err
	}
	var defs struct {
		Value []roleDefinition `json:"value"`
	}
	if err := c.ARM(ctx, http.MethodGet, c.Subscription()+"/providers/Microsoft.Authorization/roleDefinitions", "2022-04-01", nil, &defs); err != nil {
		return nil, fmt.Errorf("azure: explain: role definitions: %w", err)
	}
	byID := map[string]*roleDefinition{}
	for i := range defs.Value {
		byID[strings.ToLower(defs.Value[i].Name)] = &defs.Value[i]
	}
	if r.PrincipalID != "" {
		var ras struct {
			Value []struct {
				Properties struct {
					RoleDefinitionID string `json:"roleDefinitionId"`
					Scope            string `json:"scope"`
				} `json:"properties"`
			} `json:"value"`
		}
		filter := url.QueryEscape("assignedTo('" + r.PrincipalID + "')")
		if err := c.ARM(ctx, http.MethodGet, fixScope+"/providers/Microsoft.Authorization/roleAssignments?$filter="+filter, "2022-04-01", nil, &ras); err != nil {
			return nil, fmt.Errorf("azure: explain: role assignments: %w", err)
		}
		for _, a := range ras.Value {
			if !scopeContains(a.Properties.Scope, scope) {
				continue // below the refused scope: it does not apply
			}
			guid := a.Properties.RoleDefinitionID[strings.LastIndex(a.Properties.RoleDefinitionID, "/")+1:]
			h := Held{RoleID: guid, Scope: a.Properties.Scope}
			if rd := byID[strings.ToLower(guid)]; rd != nil {
				h.RoleName = rd.Properties.RoleName
			}
			r.Assignments = append(r.Assignments, h)
		}
	}
	var fits []*roleDefinition
	for i := range defs.Value {
		rd := &defs.Value[i]
		if strings.EqualFold(rd.Properties.Type, "BuiltInRole") && rd.grants(action, data) {
			fits = append(fits, rd)
		}
	}
	sort.SliceStable(fits, func(i, j int) bool {
		if a, b := fits[i].size(), fits[j].size(); a != b {
			return a < b
		}
		return fits[i].Properties.RoleName < fits[j].Properties.RoleName
	})
	if len(fits) > 0 {
		rd := fits[0]
		r.Fix = &Fix{RoleID: rd.Name, RoleName: rd.Properties.RoleName, Scope: fixScope,
			CLI: `az role assignment create --assignee ` + r.PrincipalID + ` --role "` + rd.Properties.RoleName + `" --scope ` + fixScope}
	}
	held := "no role assignment that applies there"
	if n := len(r.Assignments); n > 0 {
		names := make([]string, 0, n)
		for _, h := range r.Assignments {
			names = append(names, h.RoleName+" at "+h.Scope)
		}
		held = strings.Join(names, ", ") + ", none of which grants it"
	}
	r.Summary = fmt.Sprintf("Azure refused %s %s (%s): the token was accepted, but %s needs %s at %s and holds %s.",
		ex.Method, ex.URL, r.Code, r.Caller, action, scope, held)
	if r.Fix != nil {
		r.Summary += " The smallest built-in role that would: " + r.Fix.RoleName + " on " + r.Fix.Scope + "."
	}
	return r, nil
}

// scopeContains reports whether ancestor is scope or one of its parents.
func scopeContains(ancestor, scope string) bool {
	a := strings.ToLower(strings.TrimSuffix(ancestor, "/"))
	s := strings.ToLower(strings.TrimSuffix(scope, "/"))
	return a == "" || a == s || strings.HasPrefix(s, a+"/")
}
