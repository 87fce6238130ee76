package lessons

import (
	"context"
	"strings"
	"testing"
)

// TestWalkthroughAppOnSite runs the walkthrough app's calls as code on the
// site: read the key with the managed identity, call the third-party API
// with it, send and receive a queue message.
func TestWalkthroughAppOnSite(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-walk")
	r := f.runner(t, w, lesson1(t))
	ctx := context.Background()
	steps := []struct {
		action string
		params map[string]string
		want   string
	}{
		{"assignRole", map[string]string{"principal": "mainApp", "role": "Key Vault Secrets User"}, "assigned"},
		{"assignRole", map[string]string{"principal": "mainApp", "role": "Storage Queue Data Contributor", "scope": "queue"}, "assigned"},
		{"runOn", map[string]string{"where": RunsOnSite}, "site"},
		{"credential.default", nil, "DefaultAzureCredential"},
		{"secrets.newClient", nil, "SecretClient"},
		{"secrets.get", nil, "third-party-api-key = "},
		{"thirdparty.call", nil, "the API answered"},
		{"queue.newClient", nil, "QueueClient"},
		{"queue.send", map[string]string{"message": "hello"}, "message sent, id "},
		{"queue.receive", nil, `received "hello"`},
	}
	for _, s := range steps {
		res, err := r.Do(ctx, s.action, s.action, s.params, "walk/"+s.action)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK || !strings.Contains(res.Output, s.want) {
			t.Fatalf("%s: ok=%v out=%q err=%s exchanges=%v", s.action, res.OK, res.Output, res.Error, services(res))
		}
	}
}
