// Command docsapp is the Azure docs' Key Vault quickstart, unmodified in
// substance: DefaultAzureCredential + SecretClient + GetSecret, configured
// only by environment variables. The proxy tests build and run it through the
// sandbox's proxy (HTTPS_PROXY, SSL_CERT_FILE, AZURE_*).
//
// It prints CREDENTIAL-CREATED and CLIENT-CREATED as it goes; with
// WAIT_BEFORE_CALL=1 it then waits for a line on stdin, so a test can check
// that nothing was sent before GetSecret. It exits 0 printing the secret's
// length, or 3 printing the error.
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

func main() {
	cred, err := azidentity.NewDefaultAzureCredential(nil)
	if err != nil {
		fail(err)
	}
	fmt.Println("CREDENTIAL-CREATED")
	client, err := azsecrets.NewClient(os.Getenv("VAULT_URL"), cred, nil)
	if err != nil {
		fail(err)
	}
	fmt.Println("CLIENT-CREATED")
	if os.Getenv("WAIT_BEFORE_CALL") == "1" {
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	}
	name := os.Getenv("SECRET_NAME")
	if name == "" {
		name = "third-party-api-key"
	}
	resp, err := client.GetSecret(context.Background(), name, "", nil)
	if err != nil {
		fail(err)
	}
	fmt.Printf("SECRET-LENGTH %d\n", len(*resp.Value))
}

func fail(err error) {
	fmt.Println("ERROR:", err)
	os.Exit(3)
}
