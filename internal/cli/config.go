package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config is posture's configuration file: defaults for scan flags, so a
// scheduled job or a team shares one description of what to scan and which
// endpoints to use. A flag given on the command line wins over the file.
//
//	aws:
//	  profile: audit
//	  regions: [eu-west-1, us-east-1]
//	  organization: true
//	  assume_role: PostureAudit
//	  endpoint: http://127.0.0.1:4566
//	gcp:
//	  projects: [acme-prod]
//	  endpoint: http://127.0.0.1:4566
//	azure:
//	  subscriptions: [00000000-0000-0000-0000-000000000000]
//	  endpoint: http://127.0.0.1:4566
//	mutelist: mutelist.yaml
type Config struct {
	AWS struct {
		Profile            string   `yaml:"profile"`
		Regions            []string `yaml:"regions"`
		Endpoint           string   `yaml:"endpoint"`
		Organization       *bool    `yaml:"organization"`
		Accounts           []string `yaml:"accounts"`
		AssumeRole         string   `yaml:"assume_role"`
		ExternalID         string   `yaml:"external_id"`
		AccountConcurrency int      `yaml:"account_concurrency"`
	} `yaml:"aws"`
	GCP struct {
		Projects     []string `yaml:"projects"`
		Organization string   `yaml:"organization"`
		Endpoint     string   `yaml:"endpoint"`
	} `yaml:"gcp"`
	Azure struct {
		Subscriptions []string `yaml:"subscriptions"`
		Endpoint      string   `yaml:"endpoint"`
	} `yaml:"azure"`
	Scan struct {
		Concurrency int    `yaml:"concurrency"`
		MaxAttempts int    `yaml:"max_attempts"`
		Timeout     string `yaml:"timeout"`
		Keep        int    `yaml:"keep"`
	} `yaml:"scan"`
	// Mutelist is the suppression rules file score, report and fix use
	// when --mutelist is not given; a relative path is relative to the
	// config file's directory.
	Mutelist string `yaml:"mutelist"`
}

// defaultConfigPath is where the config file is looked for when --config
// is not given: posture/config.yaml in the user config directory.
func defaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "posture", "config.yaml")
}

// loadConfig reads path; a missing default file is no config, a missing
// explicit one is an error.
func loadConfig(path string, explicit bool) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &c, nil
}

// applyConfig sets every scan flag the command line left unset from c.
func applyConfig(cmd *cobra.Command, c *Config, path string) error {
	// A scope chosen on the command line replaces the file's scope of the
	// same cloud instead of mixing with it.
	excludes := map[string]string{
		"projects": "gcp-organization", "gcp-organization": "projects",
		"accounts": "organization", "organization": "accounts",
	}
	set := func(name, value string) error {
		f := cmd.Flags().Lookup(name)
		if f == nil || f.Changed || value == "" {
			return nil
		}
		if other := excludes[name]; other != "" && cmd.Flags().Changed(other) {
			return nil
		}
		if err := f.Value.Set(value); err != nil {
			return fmt.Errorf("config %s: %s: %w", path, name, err)
		}
		return nil
	}
	list := func(v []string) string { return strings.Join(v, ",") }
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	boolean := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	for _, kv := range [][2]string{
		{"profile", c.AWS.Profile}, {"regions", list(c.AWS.Regions)}, {"endpoint", c.AWS.Endpoint},
		{"organization", boolean(c.AWS.Organization)}, {"accounts", list(c.AWS.Accounts)},
		{"assume-role", c.AWS.AssumeRole}, {"external-id", c.AWS.ExternalID},
		{"account-concurrency", num(c.AWS.AccountConcurrency)},
		{"projects", list(c.GCP.Projects)}, {"gcp-organization", c.GCP.Organization}, {"gcp-endpoint", c.GCP.Endpoint},
		{"subscriptions", list(c.Azure.Subscriptions)}, {"azure-endpoint", c.Azure.Endpoint},
		{"concurrency", num(c.Scan.Concurrency)}, {"max-attempts", num(c.Scan.MaxAttempts)},
		{"timeout", c.Scan.Timeout}, {"keep", num(c.Scan.Keep)},
	} {
		if err := set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// configFlag registers --config on the root command.
func configFlag(fs *pflag.FlagSet, g *Global) {
	fs.StringVar(&g.ConfigPath, "config", "", "configuration file with scan defaults (default: posture/config.yaml in the user config directory, if present)")
}
