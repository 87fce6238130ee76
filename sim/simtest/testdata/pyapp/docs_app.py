# The README's Python, unmodified in substance: DefaultAzureCredential reads
# the environment (AZURE_* for a service principal, or IDENTITY_ENDPOINT and
# IDENTITY_HEADER on App Service), SecretClient reads the secret. sim/simtest
# runs it with Debian's /usr/bin/python3 through the sandbox proxy
# (HTTPS_PROXY, HTTP_PROXY, REQUESTS_CA_BUNDLE). It prints SECRET-LENGTH n on
# success (never the value) and exits 3 with the error's type and message.
import os
import sys

from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

credential = DefaultAzureCredential()  # sends nothing
client = SecretClient(os.environ["KEY_VAULT_URL"], credential)  # sends nothing
try:
    secret = client.get_secret(os.environ.get("SECRET_NAME", "third-party-api-key"))
except Exception as e:  # the test reads the SDK's own exception type and text
    code = getattr(getattr(e, "error", None), "code", None) or ""
    print("ERROR %s %s" % (type(e).__name__, code))
    print(e)
    sys.exit(3)
print("SECRET-LENGTH %d" % len(secret.value))
