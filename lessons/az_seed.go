package lessons

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// azSeed is an Azure CLI configuration directory prepared once per server
// and copied into each Python run's own AZURE_CONFIG_DIR. Without it every
// run's first `az` rebuilds the command index (loading every command
// module) and writes its defaults; with it a run's `az login` and
// AzureCliCredential's `az account get-access-token` start as on a
// workstation where az has been used before.
type azSeed struct {
	mu    sync.Mutex
	built bool
	dir   string   // holds config and commandIndex.json ("" when building failed)
	env   []string // extra variables that make az start faster where they work
	err   error
	home  string // the seed's temporary home, removed by Close
}

// azSettings are what a developer who uses az daily has set: no telemetry
// upload, no survey or upgrade prompts, warnings only when they matter.
var azSettings = []string{
	"core.collect_telemetry=no", "core.survey_message=no", "core.only_show_errors=yes",
	"core.no_color=yes", "auto-upgrade.enable=no", "logging.enable_log_file=no",
}

// azSeedFiles are copied into a run's config directory; the profile and
// token cache are the run's own.
var azSeedFiles = []string{"config", "commandIndex.json", "versionCheck.json"}

// azFastStart lets az's Python import the standard library's distutils
// instead of setuptools' copy, which drags in pkg_resources (about a third
// of az's start-up CPU on Python 3.11). Used only when az runs with it.
const azFastStart = "SETUPTOOLS_USE_DISTUTILS=stdlib"

// azConfigSeed builds the seed on first use with the real az (`az config
// set`, which also writes the command index), and returns it.
func (py *Python) azConfigSeed(ctx context.Context) (dir string, env []string, err error) {
	s := &py.azSeed
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built {
		return s.dir, s.env, s.err
	}
	s.built = true
	home, err := os.MkdirTemp("", "sandbox-az-seed-")
	if err != nil {
		s.err = fmt.Errorf("lessons: az seed: %w", err)
		return "", nil, s.err
	}
	cfg := filepath.Join(home, ".azure")
	for _, extra := range [][]string{{azFastStart}, nil} {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		cmd := exec.CommandContext(ctx, py.AZ, append([]string{"config", "set"}, azSettings...)...)
		cmd.Env = append([]string{"HOME=" + home, "PATH=/nonexistent", "LANG=C.UTF-8", "AZURE_CONFIG_DIR=" + cfg,
			"AZURE_CORE_COLLECT_TELEMETRY=false"}, extra...)
		cmd.Dir = home
		out, runErr := cmd.CombinedOutput()
		cancel()
		if runErr == nil {
			s.dir, s.env, s.home = cfg, extra, home
			return s.dir, s.env, nil
		}
		s.err = fmt.Errorf("lessons: az seed: %w: %s", runErr, lastLines(string(out), 3))
		_ = os.RemoveAll(cfg)
	}
	_ = os.RemoveAll(home)
	return "", nil, s.err
}

// seedAzureConfig copies the seed into a run's AZURE_CONFIG_DIR. Without a
// seed az starts from nothing, as it did before.
func seedAzureConfig(seed, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range azSeedFiles {
		data, err := os.ReadFile(filepath.Join(seed, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Warm prepares now what the first learner would otherwise wait for: the
// fork server's import of the SDK and the Azure CLI's configuration seed.
func (py *Python) Warm(ctx context.Context) error {
	var errs []error
	if py.Zygote != nil {
		if err := py.Zygote.Warm(); err != nil {
			errs = append(errs, err)
		}
	}
	if py.AZ != "" {
		if _, _, err := py.azConfigSeed(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops the fork server and removes what the Python setup prepared on disk (the az seed).
func (py *Python) Close() {
	if py.Zygote != nil {
		_ = py.Zygote.Close()
	}
	py.azSeed.mu.Lock()
	defer py.azSeed.mu.Unlock()
	if s := &py.azSeed; s.home != "" {
		_ = os.RemoveAll(s.home)
		s.home, s.dir = "", ""
	}
}
