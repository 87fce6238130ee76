package ui

import "strings"

// caFile is the file name the snippets download the CA certificate to.
const caFile = "sandbox-ca.pem"

// BashEnv is the shell snippet that points a learner's own program at the
// sandbox as its localDev service principal.
func BashEnv(v SandboxView) string {
	var b strings.Builder
	b.WriteString("curl -fsS -o " + caFile + " " + shellQuote(v.CACertURL) + "\n")
	b.WriteString("export HTTPS_PROXY=" + shellQuote(v.ProxyURLWithAuth) + "\n")
	for _, name := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"} {
		b.WriteString("export " + name + "=\"$PWD/" + caFile + "\"\n")
	}
	if v.LocalDev.ClientID != "" {
		b.WriteString("export AZURE_TENANT_ID=" + shellQuote(v.TenantID) + "\n")
		b.WriteString("export AZURE_CLIENT_ID=" + shellQuote(v.LocalDev.ClientID) + "\n")
		b.WriteString("export AZURE_CLIENT_SECRET=" + shellQuote(v.LocalDev.ClientSecret) + "\n")
	}
	if v.KeyVaultURL != "" {
		b.WriteString("export KEY_VAULT_URL=" + shellQuote(v.KeyVaultURL) + "\n")
	}
	return b.String()
}

// PowerShellEnv is BashEnv for PowerShell.
func PowerShellEnv(v SandboxView) string {
	var b strings.Builder
	b.WriteString("Invoke-WebRequest -Uri " + psQuote(v.CACertURL) + " -OutFile " + caFile + "\n")
	b.WriteString("$env:HTTPS_PROXY = " + psQuote(v.ProxyURLWithAuth) + "\n")
	for _, name := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"} {
		b.WriteString("$env:" + name + " = \"$PWD\\" + caFile + "\"\n")
	}
	if v.LocalDev.ClientID != "" {
		b.WriteString("$env:AZURE_TENANT_ID = " + psQuote(v.TenantID) + "\n")
		b.WriteString("$env:AZURE_CLIENT_ID = " + psQuote(v.LocalDev.ClientID) + "\n")
		b.WriteString("$env:AZURE_CLIENT_SECRET = " + psQuote(v.LocalDev.ClientSecret) + "\n")
	}
	if v.KeyVaultURL != "" {
		b.WriteString("$env:KEY_VAULT_URL = " + psQuote(v.KeyVaultURL) + "\n")
	}
	return b.String()
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote single-quotes s for PowerShell.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
