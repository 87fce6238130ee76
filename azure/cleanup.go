package azure

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Leftover is a resource group or app registration a real-mode sandbox
// created.
type Leftover struct {
	Kind      string // "resource group" or "app registration"
	Name      string
	ID        string // ARM ID, or the application's object ID
	SandboxID string // from the tag, or the name
}

// Leftovers lists every resource group in the subscription tagged with a
// sandbox ID, and every app registration whose name starts with the
// prefix (Graph has no tags on apps that every tenant can filter by, so
// the name is the mark).
func Leftovers(ctx context.Context, cfg Config, c *Client) ([]Leftover, error) {
	var rgs struct {
		Value []struct {
			ID   string            `json:"id"`
			Name string            `json:"name"`
			Tags map[string]string `json:"tags"`
		} `json:"value"`
	}
	if err := c.ARM(ctx, http.MethodGet, c.Subscription()+"/resourcegroups", apiResourceGroups, nil, &rgs); err != nil {
		return nil, err
	}
	var out []Leftover
	for _, rg := range rgs.Value {
		if id, ok := rg.Tags[TagSandbox]; ok {
			out = append(out, Leftover{Kind: "resource group", Name: rg.Name, ID: rg.ID, SandboxID: id})
		}
	}
	var apps struct {
		Value []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	filter := "startswith(displayName,'" + strings.ReplaceAll(cfg.ResourceGroupPrefix, "'", "''") + "')"
	if err := c.Graph(ctx, http.MethodGet, "/applications?$filter="+url.QueryEscape(filter), nil, &apps); err != nil {
		return nil, err
	}
	// A sandbox is known by its tagged group or its localDev app; the apps
	// its lessons created are named <prefix><sandbox id>-<name>. Other
	// names that merely share the prefix are someone else's.
	known := map[string]bool{}
	for _, l := range out {
		known[l.SandboxID] = true
	}
	for _, a := range apps.Value {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(a.DisplayName, cfg.ResourceGroupPrefix), "-"+LocalDevApp); ok {
			known[id] = true
		}
	}
	for _, a := range apps.Value {
		rest := strings.TrimPrefix(a.DisplayName, cfg.ResourceGroupPrefix)
		for id := range known {
			if strings.HasPrefix(rest, id+"-") {
				out = append(out, Leftover{Kind: "app registration", Name: a.DisplayName, ID: a.ID, SandboxID: id})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SandboxID != out[j].SandboxID {
			return out[i].SandboxID < out[j].SandboxID
		}
		return out[i].Kind > out[j].Kind
	})
	return out, nil
}

// DeleteLeftover deletes one leftover (a resource group with everything in
// it, polled until ARM confirms). Not found counts as deleted.
func DeleteLeftover(ctx context.Context, c *Client, l Leftover) error {
	var err error
	if l.Kind == "resource group" {
		err = c.ARM(ctx, http.MethodDelete, l.ID, apiResourceGroups, nil, nil)
	} else {
		err = c.Graph(ctx, http.MethodDelete, "/applications/"+l.ID, nil, nil)
	}
	if isNotFound(err) {
		return nil
	}
	return err
}
