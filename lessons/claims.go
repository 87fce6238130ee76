package lessons

// Claims are the mission's claims S1-S18, each in a few words.
func Claims() []Claim {
	return []Claim{
		{"S1", "An app's identity is a service principal"},
		{"S2", "System-assigned managed identity: Azure owns it, the code holds no secret"},
		{"S3", "Registering an app creates a service principal"},
		{"S4", "A service principal per developer, values in environment variables"},
		{"S5", "Deleting a leaked service principal revokes it"},
		{"S6", "Running as your own user proves nothing about the app's permissions"},
		{"S7", "Permissions are roles assigned at a scope"},
		{"S8", "Key Vault access policies"},
		{"S9", "Creating the credential sends nothing"},
		{"S10", "Creating the client sends nothing"},
		{"S11", "The first operation authenticates and authorizes"},
		{"S12", "The walkthrough app needs three credentials"},
		{"S13", "Every credential can live in Key Vault but the one that reaches it"},
		{"S14", "That last credential in an app setting is a partial fix"},
		{"S15", "With managed identity the app handles no Azure credential"},
		{"S16", "DefaultAzureCredential: same code on the laptop and in the cloud"},
		{"S17", "After authentication comes authorization"},
		{"S18", "The resources live in auth-scenario-rg"},
	}
}

// Claim is one mission claim.
type Claim struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ClaimTitles are the titles of the claims with the IDs, in order: what a
// lesson teaches, in words.
func ClaimTitles(ids []string) []string {
	var out []string
	for _, id := range ids {
		for _, c := range Claims() {
			if c.ID == id {
				out = append(out, c.Title)
			}
		}
	}
	return out
}

func knownClaim(id string) bool {
	for _, c := range Claims() {
		if c.ID == id {
			return true
		}
	}
	return false
}
