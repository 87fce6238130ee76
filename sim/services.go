package sim

import (
	"github.com/azure-auth-sandbox/sandbox/sim/arm"
	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/graph"
	"github.com/azure-auth-sandbox/sandbox/sim/keyvault"
	"github.com/azure-auth-sandbox/sandbox/sim/queue"
	"github.com/azure-auth-sandbox/sandbox/sim/webapps"
)

// defaultServices fills the services cfg did not override with the real ones.
func (c *Cloud) defaultServices(cfg Config) {
	s := &c.svc
	if s.Entra == nil {
		s.Entra = entra.NewService(c.reg, c.issuer)
	}
	if s.IMDS == nil || s.AppService == nil {
		mi := entra.NewManagedIdentity(c.reg, c.issuer)
		mi.RunnerLifetime = cfg.RunnerMITokenLifetime
		if s.IMDS == nil {
			s.IMDS = mi.IMDS()
		}
		if s.AppService == nil {
			s.AppService = mi.AppService()
		}
	}
	if s.ARM == nil {
		s.ARM = arm.New(c.reg, c.validator)
	}
	if s.KeyVault == nil {
		s.KeyVault = keyvault.New(c.reg, c.validator)
	}
	if s.Queue == nil {
		s.Queue = queue.New(c.reg, c.validator, cfg.QueueLimits)
	}
	if s.Graph == nil {
		s.Graph = graph.New(c.reg, c.validator)
	}
	if s.WebApps == nil {
		s.WebApps = webapps.New(c.reg)
	}
}
