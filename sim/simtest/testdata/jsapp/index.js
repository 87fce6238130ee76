// The docs' JavaScript sample, unmodified: DefaultAzureCredential reads
// AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, SecretClient reads
// the secret. sim/simtest runs it through the sandbox proxy (HTTPS_PROXY,
// NODE_EXTRA_CA_CERTS). It prints SECRET-LENGTH n on success (never the
// value) and exits 3 with the error on failure.
const { DefaultAzureCredential } = require("@azure/identity");
const { SecretClient } = require("@azure/keyvault-secrets");

async function main() {
  const credential = new DefaultAzureCredential();
  const client = new SecretClient(process.env.VAULT_URL, credential);
  const secret = await client.getSecret(process.env.SECRET_NAME);
  console.log("SECRET-LENGTH " + secret.value.length);
}

main().catch((err) => {
  console.log("ERROR " + (err.code || "") + " " + (err.statusCode || "") + "\n" + err.message);
  process.exit(3);
});
