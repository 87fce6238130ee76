package lessons

import (
	"maps"
	"strings"
)

// snippets are each code action's statement in the languages a lesson may
// show besides its own: a step that does not write JavaScript or C# shows
// these, so every step offers every language the player shows. {param}
// names are the action's parameters, filled from the step.
var snippets = map[string]map[string]string{
	"credential.default": {
		LangJavaScript: "const { DefaultAzureCredential } = require(\"@azure/identity\");\n\nconst credential = new DefaultAzureCredential();",
		LangCSharp:     "using Azure.Identity;\n\nvar credential = new DefaultAzureCredential();",
	},
	"credential.clientSecret": {
		LangJavaScript: "const { ClientSecretCredential } = require(\"@azure/identity\");\n\nconst credential = new ClientSecretCredential(\n  process.env.AZURE_TENANT_ID,\n  process.env.AZURE_CLIENT_ID,\n  process.env.AZURE_CLIENT_SECRET\n);",
		LangCSharp:     "using Azure.Identity;\n\nvar credential = new ClientSecretCredential(\n    Environment.GetEnvironmentVariable(\"AZURE_TENANT_ID\"),\n    Environment.GetEnvironmentVariable(\"AZURE_CLIENT_ID\"),\n    Environment.GetEnvironmentVariable(\"AZURE_CLIENT_SECRET\"));",
	},
	"credential.managedIdentity": {
		LangJavaScript: "const { ManagedIdentityCredential } = require(\"@azure/identity\");\n\nconst credential = new ManagedIdentityCredential();",
		LangCSharp:     "using Azure.Identity;\n\nvar credential = new ManagedIdentityCredential();",
	},
	"credential.cli": {
		LangJavaScript: "const { AzureCliCredential } = require(\"@azure/identity\");\n\nconst credential = new AzureCliCredential();",
		LangCSharp:     "using Azure.Identity;\n\nvar credential = new AzureCliCredential();",
	},
	"credential.getToken": {
		LangJavaScript: "const token = await credential.getToken(\"{scope}\");",
		LangCSharp:     "using Azure.Core;\n\nAccessToken token = await credential.GetTokenAsync(\n    new TokenRequestContext(new[] { \"{scope}\" }));",
	},
	"secrets.newClient": {
		LangJavaScript: "const { SecretClient } = require(\"@azure/keyvault-secrets\");\n\nconst client = new SecretClient(\"{vaultUrl}\", credential);",
		LangCSharp:     "using Azure.Security.KeyVault.Secrets;\n\nvar client = new SecretClient(new Uri(\"{vaultUrl}\"), credential);",
	},
	"secrets.get": {
		LangJavaScript: "const apiKey = (await client.getSecret(\"{secretName}\")).value;",
		LangCSharp:     "string apiKey = (await client.GetSecretAsync(\"{secretName}\")).Value.Value;",
	},
	"secrets.set": {
		LangJavaScript: "await client.setSecret(\"{secretName}\", \"{value}\");",
		LangCSharp:     "await client.SetSecretAsync(\"{secretName}\", \"{value}\");",
	},
	"secrets.getWithToken": {
		LangJavaScript: "const response = await fetch(\"{vaultUrl}/secrets/{secretName}?api-version=7.5\", {\n  headers: { Authorization: `Bearer ${token.token}` },\n});\nconsole.log(response.status, await response.text());",
		LangCSharp:     "using var http = new HttpClient();\nvar request = new HttpRequestMessage(HttpMethod.Get, \"{vaultUrl}/secrets/{secretName}?api-version=7.5\");\nrequest.Headers.Authorization = new(\"Bearer\", token.Token);\nvar response = await http.SendAsync(request);\nConsole.WriteLine($\"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\");",
	},
	"queue.newClient": {
		LangJavaScript: "const { QueueClient } = require(\"@azure/storage-queue\");\n\nconst queueClient = new QueueClient(\"{queueUrl}\", credential);",
		LangCSharp:     "using Azure.Storage.Queues;\n\nvar queueClient = new QueueClient(new Uri(\"{queueUrl}\"), credential);",
	},
	"queue.send": {
		LangJavaScript: "await queueClient.sendMessage(\"{message}\");",
		LangCSharp:     "await queueClient.SendMessageAsync(\"{message}\");",
	},
	"queue.receive": {
		LangJavaScript: "const { receivedMessageItems } = await queueClient.receiveMessages();",
		LangCSharp:     "var messages = (await queueClient.ReceiveMessagesAsync()).Value;",
	},
	"thirdparty.call": {
		LangJavaScript: "const url = new URL(\"{endpoint}\");\nurl.searchParams.set(\"code\", apiKey);\nconst response = await fetch(url);\nif (!response.ok) throw new Error(`${response.status}`);\nconst number = await response.text();",
		LangCSharp:     "using var http = new HttpClient();\nvar response = await http.GetAsync($\"{endpoint}?code={Uri.EscapeDataString(apiKey)}\");\nresponse.EnsureSuccessStatusCode();\nstring number = await response.Content.ReadAsStringAsync();",
	},
}

// StepCode is the step's code in a language: what the lesson wrote, else
// the action's own statement in that language with the step's parameters
// (Go is always the action's source). "" when there is none.
func StepCode(s *Step, lang string) string {
	if code := s.Code[lang]; strings.TrimSpace(code) != "" {
		return code
	}
	snip := snippets[s.Action][lang]
	if snip == "" {
		return ""
	}
	params := map[string]string{}
	if a := actionsByName()[s.Action]; a != nil {
		for _, p := range a.Params {
			if p.Default != "" {
				params[p.Name] = p.Default
			}
		}
	}
	maps.Copy(params, s.Params)
	for k, v := range params {
		snip = strings.ReplaceAll(snip, "{"+k+"}", v)
	}
	return snip
}
