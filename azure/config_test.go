package azure

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	const sub = "6C1F0B8E-3A2D-4E5F-9A8B-7C6D5E4F3A2B"
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error, "" for none
	}{
		{"off", Config{}, ""},
		{"defaults", Config{Subscription: sub}, ""},
		{"china by az's name", Config{Subscription: sub, Cloud: "AzureChinaCloud"}, ""},
		{"usgovernment", Config{Subscription: sub, Cloud: "usgovernment", Location: "usgovvirginia"}, ""},
		{"unknown cloud", Config{Subscription: sub, Cloud: "mars"}, `--azure-cloud must be public, china or usgovernment, got "mars"`},
		{"malformed subscription", Config{Subscription: "my-subscription"}, "--azure-subscription must be a subscription ID"},
		{"subscription with braces", Config{Subscription: "{" + sub + "}"}, "--azure-subscription"},
		{"location with a space", Config{Subscription: sub, Location: "East US"}, "--azure-location"},
		{"prefix with a slash", Config{Subscription: sub, ResourceGroupPrefix: "a/b"}, "--azure-resource-group-prefix"},
		{"prefix too long", Config{Subscription: sub, ResourceGroupPrefix: strings.Repeat("a", 41)}, "--azure-resource-group-prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrConfig)):
				t.Fatalf("error %v, want one with %q", err, tc.want)
			case tc.want == "" && c.Enabled():
				if c.Subscription != strings.ToLower(sub) || c.Location == "" || c.ResourceGroupPrefix != DefaultPrefix {
					t.Errorf("filled config = %+v", c)
				}
			}
		})
	}
}

func TestEndpointsOf(t *testing.T) {
	for _, tc := range []struct{ name, authority, arm, armScope, graph string }{
		{"public", "https://login.microsoftonline.com/", "https://management.azure.com", "https://management.core.windows.net/.default", "https://graph.microsoft.com"},
		{"china", "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/.default", "https://microsoftgraph.chinacloudapi.cn"},
		{"usgovernment", "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/.default", "https://graph.microsoft.us"},
	} {
		ep, err := EndpointsOf(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if ep.Cloud.ActiveDirectoryAuthorityHost != tc.authority || ep.ARM != tc.arm || ep.ARMScope() != tc.armScope || ep.Graph != tc.graph {
			t.Errorf("%s: %+v scope %s", tc.name, ep, ep.ARMScope())
		}
	}
}

func TestActionMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, action string
		want            bool
	}{
		{"*", "Microsoft.Authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", true},
		{"Microsoft.Authorization/*", "Microsoft.Authorization/roleAssignments/write", true},
		{"*/read", "Microsoft.Resources/subscriptions/resourceGroups/write", false},
		{"Microsoft.KeyVault/*", "Microsoft.Storage/storageAccounts/write", false},
		{"microsoft.resources/subscriptions/resourcegroups/write", "Microsoft.Resources/subscriptions/resourceGroups/write", true},
		{"Microsoft.Resources/(x)+/write", "Microsoft.Resources/xx/write", false}, // no regexp syntax leaks in
	} {
		if got := ActionMatches(tc.pattern, tc.action); got != tc.want {
			t.Errorf("ActionMatches(%q, %q) = %v", tc.pattern, tc.action, got)
		}
	}
	contributor := permissionSet{{Actions: []string{"*"}, NotActions: []string{"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"}}}
	if contributor.allows(actAssignmentWrite) || !contributor.allows(actRGWrite) {
		t.Error("Contributor's permissions evaluated wrongly")
	}
}
