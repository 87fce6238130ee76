package azure

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

// Defaults of the real-mode flags.
const (
	DefaultLocation = "eastus"
	DefaultPrefix   = "auth-sandbox-"
	DefaultCloud    = "public"
)

// Config is real mode's configuration. An empty Subscription means real
// mode is off.
type Config struct {
	Subscription string
	Location     string
	// ResourceGroupPrefix starts every sandbox's resource group name (the
	// sandbox ID follows), so cleanup can find leftovers by name as well as
	// by tag.
	ResourceGroupPrefix string
	// Cloud is "public", "china" or "usgovernment".
	Cloud string
}

// Enabled reports whether real mode is configured.
func (c Config) Enabled() bool { return c.Subscription != "" }

// ErrConfig marks a configuration mistake (a flag's value), as opposed to
// a failure talking to Azure.
var ErrConfig = errors.New("azure: configuration")

var (
	// A subscription ID is a GUID.
	subscriptionRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// Locations are ARM's short names (eastus, westeurope, chinanorth3).
	locationRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,39}$`)
	// The prefix leaves room for the sandbox ID inside ARM's 90 characters.
	prefixRE = regexp.MustCompile(`^[-\w._()]{0,40}$`)
)

// Validate fills defaults and checks every field, naming the flag at
// fault.
func (c *Config) Validate() error {
	if c.Location == "" {
		c.Location = DefaultLocation
	}
	if c.ResourceGroupPrefix == "" {
		c.ResourceGroupPrefix = DefaultPrefix
	}
	if c.Cloud == "" {
		c.Cloud = DefaultCloud
	}
	c.Cloud = strings.ToLower(c.Cloud)
	if !c.Enabled() {
		return nil
	}
	if !subscriptionRE.MatchString(c.Subscription) {
		return fmt.Errorf("%w: --azure-subscription must be a subscription ID (a GUID such as 00000000-0000-0000-0000-000000000000), got %q", ErrConfig, c.Subscription)
	}
	c.Subscription = strings.ToLower(c.Subscription)
	if !locationRE.MatchString(c.Location) {
		return fmt.Errorf("%w: --azure-location must be an Azure region's short name such as eastus or westeurope, got %q", ErrConfig, c.Location)
	}
	if !prefixRE.MatchString(c.ResourceGroupPrefix) {
		return fmt.Errorf("%w: --azure-resource-group-prefix may hold up to 40 letters, digits, '-', '_', '.', '(' or ')', got %q", ErrConfig, c.ResourceGroupPrefix)
	}
	if _, err := EndpointsOf(c.Cloud); err != nil {
		return err
	}
	return nil
}

// Endpoints are where a cloud's services live.
type Endpoints struct {
	Name string
	// Cloud is azcore's configuration: the Entra authority host and ARM's
	// endpoint and audience.
	Cloud cloud.Configuration
	ARM   string
	// Graph is Microsoft Graph's endpoint, which azcore's configuration
	// does not carry.
	Graph string
	// VaultSuffix and QueueSuffix end the data planes' host names.
	VaultSuffix string
	QueueSuffix string
}

// clouds are the national clouds azcore's cloud package names, with the
// endpoints it leaves out.
var clouds = []struct {
	names []string
	ep    func() Endpoints
}{
	{[]string{"public", "azurecloud", "azurepublic"}, func() Endpoints {
		return Endpoints{Cloud: cloud.AzurePublic, Graph: "https://graph.microsoft.com",
			VaultSuffix: ".vault.azure.net", QueueSuffix: ".queue.core.windows.net"}
	}},
	{[]string{"china", "azurechinacloud", "azurechina"}, func() Endpoints {
		return Endpoints{Cloud: cloud.AzureChina, Graph: "https://microsoftgraph.chinacloudapi.cn",
			VaultSuffix: ".vault.azure.cn", QueueSuffix: ".queue.core.chinacloudapi.cn"}
	}},
	{[]string{"usgovernment", "azureusgovernment", "azuregovernment"}, func() Endpoints {
		return Endpoints{Cloud: cloud.AzureGovernment, Graph: "https://graph.microsoft.us",
			VaultSuffix: ".vault.usgovcloudapi.net", QueueSuffix: ".queue.core.usgovcloudapi.net"}
	}},
}

// EndpointsOf returns the endpoints of a cloud named as the flag takes it
// (az's names, AzureCloud etc., are accepted too).
func EndpointsOf(name string) (Endpoints, error) {
	n := strings.ToLower(name)
	for _, c := range clouds {
		for _, alias := range c.names {
			if n == alias {
				ep := c.ep()
				ep.Name = c.names[0]
				ep.ARM = strings.TrimSuffix(armEndpoint(ep.Cloud), "/")
				return ep, nil
			}
		}
	}
	return Endpoints{}, fmt.Errorf("%w: --azure-cloud must be public, china or usgovernment, got %q", ErrConfig, name)
}

// armEndpoint reads ARM's endpoint from azcore's configuration (its arm
// package fills it in); the public one when it is missing.
func armEndpoint(c cloud.Configuration) string {
	if s, ok := c.Services[cloud.ResourceManager]; ok && s.Endpoint != "" {
		return s.Endpoint
	}
	return "https://management.azure.com"
}

// ARMScope is the scope a token for ARM is asked with.
func (e Endpoints) ARMScope() string {
	aud := e.ARM
	if s, ok := e.Cloud.Services[cloud.ResourceManager]; ok && s.Audience != "" {
		aud = s.Audience
	}
	return strings.TrimSuffix(aud, "/") + "/.default"
}

// GraphScope is the scope a token for Microsoft Graph is asked with.
func (e Endpoints) GraphScope() string { return e.Graph + "/.default" }
