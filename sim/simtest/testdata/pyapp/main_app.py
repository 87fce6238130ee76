# The walkthrough's main app, as the source article builds it: read the
# third-party API's key from Key Vault, call the API with it, and put the
# answer on a Storage queue. DefaultAzureCredential is the same line on the
# workstation (AZURE_* of the developer's service principal) and on App
# Service (IDENTITY_ENDPOINT, IDENTITY_HEADER). sim/simtest runs it with
# Debian's /usr/bin/python3 through the sandbox proxy. It prints NUMBER and
# MESSAGE-ID on success and exits 3 with the error's type and message.
import os
import sys

import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import QueueClient

try:
    credential = DefaultAzureCredential()

    secret_client = SecretClient(vault_url=os.environ["KEY_VAULT_URL"], credential=credential)
    api_key = secret_client.get_secret("third-party-api-key").value

    response = requests.get(os.environ["THIRD_PARTY_API_ENDPOINT"], params={"code": api_key}, timeout=60)
    response.raise_for_status()
    number = response.text.strip()

    queue_client = QueueClient.from_queue_url(os.environ["STORAGE_QUEUE_URL"], credential=credential)
    sent = queue_client.send_message("Random number: " + number)
except Exception as e:  # the test reads the SDK's own exception type and text
    code = getattr(getattr(e, "error", None), "code", None) or ""
    print("ERROR %s %s" % (type(e).__name__, code))
    print(e)
    sys.exit(3)
print("NUMBER " + number)
print("MESSAGE-ID " + sent.id)
