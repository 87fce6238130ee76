package web

import (
	"context"
	"fmt"
	"slices"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// secretAction adds (rotates) or deletes a client secret of a labelled app.
// The lessons have no action for these (Microsoft Graph, which the sim does
// not simulate, would carry them), so they act on the world directly.
func (p *player) secretAction(ctx context.Context, t *target, action, label, keyID string) (string, error) {
	var msg string
	err := t.w.Update(ctx, func(tx *world.Tx) error {
		pr := tx.State.Principals[tx.State.Labels[label]]
		if pr == nil || pr.Kind != world.KindApplication {
			return fmt.Errorf("no app registration labelled %q", label)
		}
		switch action {
		case "addSecret":
			value, cs := tx.AddClientSecret(pr, "rotated", scenario.SecretLifetime)
			tx.State.Keychain[label] = value
			msg = fmt.Sprintf("new secret %s… for %s, valid until %s; kept in the sandbox keychain. The old secret keeps working until you delete it.",
				cs.Hint, label, cs.EndDate.UTC().Format("2006-01-02"))
		case "deleteSecret":
			n := len(pr.Secrets)
			pr.Secrets = slices.DeleteFunc(pr.Secrets, func(s *world.ClientSecret) bool { return s.KeyID == keyID })
			if len(pr.Secrets) == n {
				return fmt.Errorf("%s has no secret %s", label, keyID)
			}
			msg = "deleted a secret of " + label + ": anything still using it now fails at its next token request (AADSTS7000215)"
		}
		return nil
	})
	return msg, err
}
