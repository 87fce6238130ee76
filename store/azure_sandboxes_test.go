package store

import (
	"context"
	"errors"
	"testing"
)

// Real-mode sandboxes outlive their sandbox rows (tracked until Azure
// confirms deletion) and several are written in one transaction on reset.
func TestAzureSandboxes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.PutAzureSandbox(ctx, "sbx1", []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAzureSandbox(ctx, "sbx1", []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAzureSandboxes(ctx, map[string][]byte{"sbx1~ab": []byte(`{"old":1}`), "sbx1": []byte(`{"v":3}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAzureSandboxes(ctx, map[string][]byte{"sbx2": []byte(`{}`), "": []byte(`{}`)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty key: %v", err)
	}
	rows, err := db.AzureSandboxes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || string(rows["sbx1"]) != `{"v":3}` || string(rows["sbx1~ab"]) != `{"old":1}` {
		t.Errorf("rows = %q (a failed transaction must write nothing)", rows)
	}
	if err := db.DeleteAzureSandbox(ctx, "sbx1~ab"); err != nil {
		t.Fatal(err)
	}
	if rows, _ := db.AzureSandboxes(ctx); len(rows) != 1 {
		t.Errorf("after delete: %q", rows)
	}
}
